"""Name, employee number and department: the fields of a person, shared by Enroll and Edit."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from faceapp.ui.i18n import N_, tr


class PersonForm(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.name = QLineEdit()
        self.name.setObjectName("nameEdit")
        self.employee_no = QLineEdit()
        self.employee_no.setObjectName("employeeEdit")
        self.department = QLineEdit()
        self.department.setObjectName("departmentEdit")
        for field in (self.name, self.employee_no, self.department):
            field.setMaxLength(100)
        self.labels = [QLabel(), QLabel(), QLabel()]
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for label, field in zip(self.labels, (self.name, self.employee_no, self.department)):
            layout.addRow(label, field)
        self.retranslate()

    def retranslate(self) -> None:
        for label, text in zip(self.labels, (N_("Name"), N_("Employee number"), N_("Department"))):
            label.setText(tr(text) + ":")
        self.name.setPlaceholderText(tr("required"))
        self.employee_no.setPlaceholderText(tr("optional"))
        self.department.setPlaceholderText(tr("optional"))

    def values(self) -> dict:
        return {
            "name": self.name.text().strip(),
            "employee_no": self.employee_no.text().strip() or None,
            "department": self.department.text().strip(),
        }

    def set_values(self, name: str, employee_no: str | None, department: str) -> None:
        self.name.setText(name)
        self.employee_no.setText(employee_no or "")
        self.department.setText(department)
