"""Name, employee number and department: the fields of a person, shared by Enroll and Edit.

Every field goes through the core's validator (recognition.names) as it is typed: a refused value
is explained under the form and `is_valid()` turns False; a name mixing look-alike scripts is only
warned about.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from faceapp.config import INPUTS
from faceapp.recognition.names import InvalidName, NameProblem, clean_name, clean_text
from faceapp.ui.i18n import N_, tr

FIELDS = {"name": N_("Name"), "employee number": N_("Employee number"), "department": N_("Department")}
PROBLEMS = {
    NameProblem.CONTROL: N_("{field}: contains a control character or line break ({detail})."),
    NameProblem.FORMAT: N_("{field}: contains an invisible formatting character ({detail})."),
    NameProblem.INVISIBLE: N_("{field}: has no visible characters."),
    NameProblem.TOO_LONG: N_("{field}: too long (at most {detail} characters)."),
    NameProblem.NOT_UTF8: N_("{field}: not valid text; type it again."),
    NameProblem.EMPTY: N_("{field}: required."),
}


def problem_text(exc: InvalidName) -> str:
    return tr(PROBLEMS[exc.code]).format(field=tr(FIELDS.get(exc.field, exc.field)), detail=exc.detail)


class PersonForm(QWidget):
    validity_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.name = QLineEdit()
        self.name.setObjectName("nameEdit")
        self.employee_no = QLineEdit()
        self.employee_no.setObjectName("employeeEdit")
        self.department = QLineEdit()
        self.department.setObjectName("departmentEdit")
        self.problem = QLabel()
        self.problem.setObjectName("personProblem")
        self.problem.setWordWrap(True)
        for field in (self.name, self.employee_no, self.department):
            field.setMaxLength(4 * INPUTS.max_name_chars)  # the validator words the real limit
            field.textChanged.connect(self._update_problem)
        self.labels = [QLabel(), QLabel(), QLabel()]
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for label, field in zip(self.labels, (self.name, self.employee_no, self.department)):
            layout.addRow(label, field)
        layout.addRow(self.problem)
        self._valid = False
        self.retranslate()

    def retranslate(self) -> None:
        for label, text in zip(self.labels, FIELDS.values()):
            label.setText(tr(text) + ":")
        self.name.setPlaceholderText(tr("required"))
        self.employee_no.setPlaceholderText(tr("optional"))
        self.department.setPlaceholderText(tr("optional"))
        self._update_problem()

    def _checked(self) -> dict:
        """The cleaned values; raises InvalidName."""
        return {
            "name": clean_name(self.name.text()),
            "employee_no": clean_text(self.employee_no.text(), "employee number",
                                      max_chars=INPUTS.max_employee_no_chars, required=False).value or None,
            "department": clean_text(self.department.text(), "department", required=False).value,
        }

    def _update_problem(self) -> None:
        try:
            values = self._checked()
        except InvalidName as exc:
            # an empty name is what a new form starts with: the placeholder already says "required"
            quiet = exc.code == NameProblem.EMPTY and not self.name.text()
            self.problem.setText("" if quiet else problem_text(exc))
            self.problem.setStyleSheet("color: #da3633;")
            valid = False
        else:
            name = values["name"]
            self.problem.setText(tr("Check the name: it mixes letters that look alike from different alphabets ({chars}).")
                                 .format(chars=name.look_alikes) if name.warnings else "")
            self.problem.setStyleSheet("color: #d29922;")
            valid = True
        self.problem.setVisible(bool(self.problem.text()))
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)

    def is_valid(self) -> bool:
        return self._valid

    def values(self) -> dict:
        """The fields as the core stores them (NFC, trimmed); raises InvalidName if one is refused."""
        values = self._checked()
        return {**values, "name": values["name"].value}

    def set_values(self, name: str, employee_no: str | None, department: str) -> None:
        self.name.setText(name)
        self.employee_no.setText(employee_no or "")
        self.department.setText(department)
