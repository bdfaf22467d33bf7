import json

from faceapp.reasons import TEMPLATES
from faceapp.resources import resources_dir
from faceapp.ui.main_window import PEOPLE, SETTINGS

from i18n_strings import source_strings  # tests/ui is on sys.path (rootdir-relative imports)


def test_every_ui_string_has_a_chinese_translation():
    catalogue = json.loads((resources_dir() / "translations" / "zh_CN.json").read_text(encoding="utf-8"))
    wanted = source_strings()
    assert set(TEMPLATES.values()) <= set(wanted)  # every reason the core can give
    missing = {s: where for s, where in wanted.items() if not catalogue.get(s)}
    assert not missing, f"untranslated: {missing}"
    assert not set(catalogue) - set(wanted), "translations of strings no longer in the UI"
    # placeholders must survive translation, or format() fails at run time
    for source, text in catalogue.items():
        assert sorted(part.split("}")[0] for part in source.split("{")[1:]) == sorted(
            part.split("}")[0] for part in text.split("{")[1:]), source


def test_language_switch_changes_texts_and_keeps_state(window, context, qtbot):
    window.tabs.setCurrentIndex(PEOPLE)
    window.people.search.setText("ali")
    window.tabs.setCurrentIndex(SETTINGS)
    settings = window.settings
    settings.unmasked.setValue(0.55)  # an unsaved edit

    settings.language.setCurrentIndex(settings.language.findData("zh_CN"))
    assert window.tabs.tabText(PEOPLE) == "人员"
    assert window.tabs.tabText(SETTINGS) == "设置"
    assert settings.save_button.text() == "保存"
    assert window.live.banner.text().count("请看摄像头")
    assert window.tabs.currentIndex() == SETTINGS
    assert window.people.search.text() == "ali"
    assert settings.unmasked.value() == 0.55
    assert context.ui_settings.value("language") == "zh_CN"

    settings.language.setCurrentIndex(settings.language.findData("en"))
    assert window.tabs.tabText(PEOPLE) == "People"
    assert settings.save_button.text() == "Save"
