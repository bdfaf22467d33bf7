"""People tab: the enrolled people with thumbnails; search, enroll, edit, deactivate, add photos, delete."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from faceapp.ui.context import AppContext
from faceapp.ui.errors import show_error
from faceapp.ui.i18n import N_, tr
from faceapp.ui.widgets.builders import button, record_table
from faceapp.ui.widgets.person_form import PersonForm
from faceapp.ui.qimage import bgr_to_pixmap
from faceapp.ui.pages.refresh import RefreshWhenShown

THUMB = 56
COLUMNS = (N_("Photo"), N_("Name"), N_("Employee number"), N_("Department"), N_("Photos"), N_("Status"))


class EditPersonDialog(QDialog):
    def __init__(self, person, parent=None):
        super().__init__(parent)
        self.setWindowTitle(tr("Edit person"))
        self.form = PersonForm()
        self.form.set_values(person.name, person.employee_no, person.department)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        save = buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(self.form.is_valid())
        self.form.validity_changed.connect(save.setEnabled)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(buttons)


class PeoplePage(RefreshWhenShown, QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.search = QLineEdit()
        self.search.setObjectName("peopleSearch")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.enroll_button = button("enrollButton", self.enroll)
        self.edit_button = button(clicked=self.edit_selected)
        self.photos_button = button(clicked=self.add_photos)
        self.active_button = button("activeButton", self.toggle_active)
        self.delete_button = button("deleteButton", self.delete_selected)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        for b in (self.enroll_button, self.edit_button, self.photos_button, self.active_button, self.delete_button):
            bar.addWidget(b)

        self.table = record_table("peopleTable", len(COLUMNS), stretch=1)  # the name
        self.table.setIconSize(QSize(THUMB, THUMB))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setDefaultSectionSize(THUMB + 8)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemDoubleClicked.connect(lambda _: self.edit_selected())

        self.detail_title = QLabel()
        self.detail_title.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.samples = QListWidget()
        self.samples.setObjectName("sampleList")
        self.samples.setViewMode(QListView.ViewMode.IconMode)
        self.samples.setIconSize(QSize(96, 96))
        self.samples.setResizeMode(QListView.ResizeMode.Adjust)
        self.samples.setMovement(QListView.Movement.Static)
        side = QVBoxLayout()
        side.addWidget(self.detail_title)
        side.addWidget(self.samples, 1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setFixedWidth(340)

        body = QHBoxLayout()
        body.addWidget(self.table, 1)
        body.addWidget(side_widget)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(body, 1)

        self.people = []
        context.people_changed.connect(self._changed)
        self.retranslate()

    def retranslate(self) -> None:
        self.search.setPlaceholderText(tr("Search by name, number or department"))
        self.enroll_button.setText(tr("Enroll person…"))
        self.edit_button.setText(tr("Edit…"))
        self.photos_button.setText(tr("Add photos…"))
        self.delete_button.setText(tr("Delete…"))
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self._changed()  # the status column is translated text

    # --- list ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._stale = False
        selected = self.selected()
        self.people = self.context.gallery.list_people()
        self.table.setRowCount(len(self.people))
        for row, person in enumerate(self.people):
            photo = QTableWidgetItem()
            thumb, count, variants = self.context.photos(person.id)
            if thumb is not None:
                photo.setIcon(QIcon(bgr_to_pixmap(thumb, THUMB)))
            photos = QTableWidgetItem(str(count))
            photos.setToolTip(tr("{n} photos, and {m} masked versions made from them for recognising masked faces")
                              .format(n=count, m=variants))
            cells = [photo, QTableWidgetItem(person.name), QTableWidgetItem(person.employee_no or ""),
                     QTableWidgetItem(person.department), photos,
                     QTableWidgetItem(tr("active") if person.active else tr("deactivated"))]
            for col, item in enumerate(cells):
                item.setData(Qt.ItemDataRole.UserRole, person.id)
                if not person.active:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(row, col, item)
        self._filter(self.search.text())
        if selected is not None:
            self.select(selected.id)
        self._selection_changed()

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row, person in enumerate(self.people):
            haystack = " ".join((person.name, person.employee_no or "", person.department)).casefold()
            self.table.setRowHidden(row, bool(needle) and needle not in haystack)

    def select(self, person_id: int) -> None:
        if self._stale:
            self.refresh()
        for row, person in enumerate(self.people):
            if person.id == person_id:
                self.table.selectRow(row)
                return

    def selected(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.people):
            return None
        return self.people[rows[0].row()]

    def _selection_changed(self) -> None:
        person = self.selected()
        for b in (self.edit_button, self.photos_button, self.active_button, self.delete_button):
            b.setEnabled(person is not None)
        self.active_button.setText(tr("Activate") if person is not None and not person.active else tr("Deactivate"))
        self.samples.clear()
        if person is None:
            self.detail_title.setText(tr("Select a person to see their photos."))
            return
        self.detail_title.setText(person.name)
        for sample in self.context.gallery.samples_for(person.id):
            item = QListWidgetItem(QIcon(bgr_to_pixmap(sample.crop, 96)), "")
            masked = tr("masked version made by the app") if sample.mask_kind.startswith("synthetic") else ""
            item.setToolTip("\n".join(t for t in (Path(sample.source).name, masked) if t))
            self.samples.addItem(item)

    # --- actions ------------------------------------------------------------------------------
    def enroll(self):
        from faceapp.ui.dialogs.enroll import EnrollDialog

        dialog = EnrollDialog(self.context, self)
        dialog.enrolled.connect(self.select)
        dialog.open()
        return dialog

    def edit_selected(self) -> None:
        person = self.selected()
        if person is None:
            return
        dialog = EditPersonDialog(person, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._change(lambda: self.context.gallery.update_person(person.id, **dialog.form.values()),
                         tr("The changes could not be saved."))

    def add_photos(self):
        from faceapp.ui.dialogs.enroll import EnrollDialog

        person = self.selected()
        if person is None:
            return None
        dialog = EnrollDialog(self.context, self, person=person)
        dialog.open()
        return dialog

    def toggle_active(self) -> None:
        person = self.selected()
        if person is not None:
            self._change(lambda: self.context.gallery.set_active(person.id, not person.active),
                         tr("The change could not be saved."))

    def delete_selected(self) -> None:
        person = self.selected()
        if person is None:
            return
        answer = QMessageBox.question(
            self,
            tr("Delete person"),
            tr("Delete {name} and all their face photos and biometric data? Their attendance records are kept. "
               "This cannot be undone.").format(name=person.name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._change(lambda: self.context.gallery.remove_person(person.id), tr("The person could not be deleted."))

    def _change(self, change, failed: str) -> None:
        """Make a change to the gallery, saying why when it fails; the pages show the gallery as it
        is either way."""
        try:
            change()
        except Exception as exc:
            show_error(self, failed + f"\n{exc}", exc)
        self.context.people_changed.emit()
