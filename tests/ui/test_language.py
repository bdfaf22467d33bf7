import json

from faceapp.config import THRESHOLDS
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


def test_reasons_follow_the_language(window, context, qtbot):
    """The core's reason codes: the live banner, the latest-recognitions list and a refused setting."""
    from PySide6.QtWidgets import QMessageBox

    from faceapp.reasons import TEMPLATES
    from faceapp.types import Decision
    from faceapp.ui.i18n import load_catalogue

    zh = load_catalogue("zh_CN")
    live, settings = window.live, window.settings
    live.banner.show_decision(Decision(False, "inactive", "Access for Ann is switched off."), "Ann")
    live._on_events([{"time": "2025-03-03T09:00:00+08:00", "kind": "not_live", "person_name": None,
                      "details": {"access": "not_live"}, "reason": "No blink seen: this may be a photo or a screen."}])
    assert "Access for Ann is switched off." in live.banner.text() and "Ann —" not in live.banner.text()
    assert live.recent.item(0).text() == "09:00:00  Unknown face — denied: No blink seen: this may be a photo or a screen."

    settings.language.setCurrentIndex(settings.language.findData("zh_CN"))
    assert "Ann 的通行权限已关闭。" in live.banner.text()
    assert live.recent.item(0).text().endswith(zh[TEMPLATES["not_live"]])
    settings.action_kind.setCurrentIndex(settings.action_kind.findData("http"))
    settings.action_target.setText("ftp://door/open")
    settings.unmasked.setValue(0.6)
    settings.save()
    (box,) = [b for b in settings.findChildren(QMessageBox) if b.objectName() == "errorDialog"]
    assert box.text() == zh[TEMPLATES["bad_url"]]
    # refused as a whole: the threshold saved with it is not written either
    assert context.gallery.setting("match.threshold_unmasked") == THRESHOLDS.match_unmasked and settings.saved_label.text() == ""
    box.close()


def test_the_door_asks_to_lower_the_mask_in_both_languages(window, qtbot):
    from faceapp.types import Decision

    live, settings = window.live, window.settings
    live.banner.show_decision(Decision(False, "lower_mask", "Please lower your mask."), None)
    assert "Please lower your mask." in live.banner.text()
    settings.language.setCurrentIndex(settings.language.findData("zh_CN"))
    assert "请摘下口罩。" in live.banner.text()
