from PySide6.QtWidgets import QDialog, QMessageBox

from faceapp.ui.pages import people as people_page
from faceapp.ui.main_window import PEOPLE


def _rows(page):
    return [(page.table.item(r, 1).text(), page.table.item(r, 5).text(), page.table.isRowHidden(r))
            for r in range(page.table.rowCount())]


def test_search_edit_deactivate_delete(window, context, monkeypatch):
    g = context.gallery
    alice = g.add_person("Alice Zhang", employee_no="E001", department="R&D")
    g.add_person("Bob Li", employee_no="E002", department="Sales")
    context.attendance.record(alice.id)
    context.people_changed.emit()
    page = window.people
    window.tabs.setCurrentIndex(PEOPLE)
    assert _rows(page) == [("Alice Zhang", "active", False), ("Bob Li", "active", False)]

    page.search.setText("sales")
    assert _rows(page)[0][2] and not _rows(page)[1][2]
    page.search.clear()

    page.select(alice.id)

    def edit(dialog):
        dialog.form.department.setText("Research")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(people_page.EditPersonDialog, "exec", edit)
    page.edit_selected()
    assert g.get_person(alice.id).department == "Research"

    page.select(alice.id)
    page.toggle_active()
    assert not g.get_person(alice.id).active
    assert _rows(page)[0][1] == "deactivated"
    assert page.active_button.text() == "Activate"

    asked = []
    monkeypatch.setattr(people_page.QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    page.select(alice.id)
    page.delete_selected()
    assert "Alice Zhang" in asked[0] and "biometric" in asked[0]
    assert len(g.list_people()) == 2  # answered No

    monkeypatch.setattr(people_page.QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.delete_selected()
    assert [p.name for p in g.list_people()] == ["Bob Li"]
    assert len(context.attendance.records()) == 1  # attendance records stay
