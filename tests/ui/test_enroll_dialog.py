"""Enrolling through the dialog with the real models: photos from ../shared/data, reasons, duplicates."""

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from faceapp.ui.main_window import PEOPLE

SAMPLE = "faces-sample"
ANGELINA = ["img1.jpg", "img2.jpg", "img4.jpg"]  # one person (deepface's labelled pairs)


def test_enroll_from_photos_with_reasons_and_preview(model_window, model_context, shared, qtbot):
    window = model_window
    window.tabs.setCurrentIndex(PEOPLE)
    dialog = window.people.enroll()
    assert dialog.isVisible() and not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.form.name, "Angelina Jolie")
    qtbot.keyClicks(dialog.form.employee_no, "E100")
    qtbot.keyClicks(dialog.form.department, "Film")
    dialog.sources.setCurrentIndex(1)
    dialog.add_files([str(shared / SAMPLE / f) for f in ANGELINA] + [str(shared / SAMPLE / "couple.jpg")])

    assert dialog.accepted.count() == 3
    assert [dialog.rejected.item(i).text() for i in range(dialog.rejected.count())] == [
        "couple.jpg: 2 faces in the photo; enrollment needs exactly one"]
    assert dialog.save_button.isEnabled() and dialog.duplicate_warning.isHidden()

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    people = model_context.gallery.list_people()
    assert [(p.name, p.employee_no, p.department) for p in people] == [("Angelina Jolie", "E100", "Film")]
    plain = [s for s in model_context.gallery.samples_for(people[0].id) if s.mask_kind == "none"]
    assert len(plain) == 3
    table = window.people.table
    assert table.rowCount() == 1 and table.item(0, 1).text() == "Angelina Jolie"
    assert table.item(0, 4).text() == "3"  # photos; the masked templates made from them are not counted
    assert not table.item(0, 0).icon().isNull()  # the thumbnail
    assert window.people.selected().name == "Angelina Jolie"
    assert window.people.samples.count() == len(model_context.gallery.samples_for(people[0].id))


def test_duplicate_warning_drop_and_cancel(model_window, model_context, shared, qtbot):
    model_context.enroller().enroll("Angelina Jolie", [str(shared / SAMPLE / f) for f in ANGELINA])
    model_context.people_changed.emit()
    dialog = model_window.people.enroll()
    qtbot.keyClicks(dialog.form.name, "Someone New")
    dialog.sources.setCurrentIndex(1)

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(shared / SAMPLE / "img5.jpg"))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    dialog.drop.dropEvent(drop)

    assert dialog.accepted.count() == 1
    assert dialog.duplicate_warning.isVisible()
    assert "Angelina Jolie" in dialog.duplicate_warning.text()
    dialog.reject()  # Cancel: nothing is saved
    assert [p.name for p in model_context.gallery.list_people()] == ["Angelina Jolie"]


def test_add_photos_to_a_person(model_window, model_context, shared, qtbot):
    report = model_context.enroller().enroll("Angelina Jolie", [str(shared / SAMPLE / "img1.jpg")])
    model_context.people_changed.emit()
    people = model_window.people
    people.select(report.person.id)
    dialog = people.add_photos()
    assert dialog.form.isHidden() and "Angelina Jolie" in dialog.title.text()
    dialog.add_files([str(shared / SAMPLE / "img2.jpg")])
    assert dialog.duplicate_warning.isHidden()  # matching the same person is expected
    dialog.save()
    plain = [s for s in model_context.gallery.samples_for(report.person.id) if s.mask_kind == "none"]
    assert len(plain) == 2
