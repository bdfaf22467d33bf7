"""The person form checks every field with the core's name validator as it is typed."""

from PySide6.QtWidgets import QDialogButtonBox

from faceapp.ui import i18n
from faceapp.ui.pages.people import EditPersonDialog
from faceapp.ui.widgets.person_form import PersonForm


def test_refused_names_disable_save_and_say_why(qtbot):
    form = PersonForm()
    qtbot.addWidget(form)
    assert not form.is_valid() and form.problem.text() == ""  # a fresh form: the placeholder says "required"
    form.name.setText("  Jose\u0301 Li ")
    assert form.is_valid() and form.values()["name"] == "José Li"
    form.name.setText("Li\x1b]0;pwned\x07Wei")
    assert not form.is_valid()
    assert form.problem.text() == "Name: contains a control character or line break (U+001B)."
    form.name.setText("Li Wei")
    form.department.setText("evil\u202etxt")
    assert not form.is_valid() and "Department: contains an invisible formatting character (U+202E" in form.problem.text()
    form.department.setText("R&D")
    form.employee_no.setText("9" * 65)
    assert form.problem.text() == "Employee number: too long (at most 64 characters)."
    form.employee_no.clear()
    form.name.setText("\u200d")
    assert form.problem.text() == "Name: has no visible characters."


def test_look_alike_scripts_only_warn(qtbot):
    form = PersonForm()
    qtbot.addWidget(form)
    form.name.setText("Вarack Оbama")
    assert form.is_valid()
    assert "look alike" in form.problem.text() and "В О" in form.problem.text()
    i18n.set_language("zh_CN")
    try:
        form.retranslate()
        assert "外形相似" in form.problem.text()
    finally:
        i18n.set_language(i18n.DEFAULT)


def test_edit_dialog_save_follows_validity(qtbot):
    class P:
        name, employee_no, department = "Ann", None, ""

    dialog = EditPersonDialog(P())
    qtbot.addWidget(dialog)
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    assert save.isEnabled()
    dialog.form.name.setText("Ann\x00")
    assert not save.isEnabled()
