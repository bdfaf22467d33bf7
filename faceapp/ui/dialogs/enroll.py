"""Enroll a person (or add photos to one): guided camera shots or photos from files, checked one by
one with reasons, previewed, then saved in one go by faceapp.recognition.enroll.Enroller."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from faceapp.live import guided_capture as gc
from faceapp.reasons import joined
from faceapp.ui.workers import live as lw
from faceapp.ui.context import AppContext
from faceapp.ui.widgets.builders import button, button_row
from faceapp.ui.widgets.enroll import IMAGE_FILTER, CaptureView, DropArea, ShotStrip, dropped_images
from faceapp.ui.errors import show_error
from faceapp.ui.i18n import tr
from faceapp.ui.widgets.person_form import PersonForm
from faceapp.ui.workers.tasks import run_with_progress

log = logging.getLogger(__name__)

class EnrollDialog(QDialog):
    enrolled = Signal(int)  # person id, after a successful save

    def __init__(self, context: AppContext, parent=None, *, person=None):
        super().__init__(parent)
        self.setObjectName("enrollDialog")
        self.context = context
        self.person = person
        self.capture: gc.GuidedCapture | None = None
        self._tapping = False  # the live worker hands its frames to the capture
        self.photos: list[str] = []  # accepted photo files
        self.duplicates: dict[str, str] = {}  # source -> name of the person it matches
        self.setAcceptDrops(True)
        self.resize(960, 780)

        self.form = PersonForm()
        self.form.validity_changed.connect(lambda _valid: self._update_buttons())
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 16px; font-weight: 600;")

        # camera tab
        self.view = CaptureView()
        self.view.setObjectName("captureView")
        self.guidance = QLabel()
        self.guidance.setObjectName("guidance")
        self.guidance.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.feedback = QLabel()
        self.feedback.setObjectName("shotFeedback")
        self.feedback.setWordWrap(True)
        self.guidance.setWordWrap(True)
        self.view.setMinimumHeight(300)
        self.capture_button = button("captureButton", self.toggle_capture)
        camera_side = QVBoxLayout()
        camera_side.addWidget(self.guidance)
        camera_side.addWidget(self.feedback)
        camera_side.addStretch(1)
        camera_side.addWidget(self.capture_button)
        camera_tab = QWidget()
        camera_layout = QHBoxLayout(camera_tab)
        camera_layout.addWidget(self.view, 3)
        camera_layout.addLayout(camera_side, 1)

        # photos tab
        self.drop = DropArea()
        self.drop.files_dropped.connect(self.add_files)
        self.files_button = button("addFilesButton", self.choose_files)
        self.folder_button = button(clicked=self.choose_folder)
        photos_tab = QWidget()
        photos_layout = QVBoxLayout(photos_tab)
        photos_layout.addWidget(self.drop, 1)
        photos_layout.addLayout(button_row(self.files_button, self.folder_button))

        self.sources = QTabWidget()
        self.sources.setObjectName("enrollSources")
        self.sources.addTab(camera_tab, "")
        self.sources.addTab(photos_tab, "")
        self.sources.currentChanged.connect(self._source_tab_changed)

        self.accepted_label = QLabel()
        self.accepted = ShotStrip()
        self.remove_button = button(clicked=self.remove_selected)
        accepted_head = QHBoxLayout()
        accepted_head.addWidget(self.accepted_label, 1)
        accepted_head.addWidget(self.remove_button)
        self.rejected_label = QLabel()
        self.rejected = QListWidget()
        self.rejected.setObjectName("rejectedList")
        self.rejected.setMaximumHeight(90)
        self.duplicate_warning = QLabel()
        self.duplicate_warning.setObjectName("duplicateWarning")
        self.duplicate_warning.setWordWrap(True)
        self.duplicate_warning.setStyleSheet("background: #fff4ce; color: #5c4400; border-radius: 6px; padding: 8px;")
        self.duplicate_warning.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveEnroll")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.form)
        layout.addWidget(self.sources, 1)
        layout.addLayout(accepted_head)
        layout.addWidget(self.accepted)
        layout.addWidget(self.rejected_label)
        layout.addWidget(self.rejected)
        layout.addWidget(self.duplicate_warning)
        layout.addWidget(self.buttons)

        self.form.setVisible(person is None)
        self.shot_sources: list[str] = []  # source of each thumbnail in self.accepted, in order
        self.worker = context.live_view.worker if context.live_view is not None else None
        if self.worker is not None:
            self.worker.frame_ready.connect(self._on_frame)
            self.worker.tap_result.connect(self._on_feedback)
        context.language_changed.connect(self.retranslate)
        self.retranslate()
        self._update_buttons()

    # --- texts --------------------------------------------------------------------------------
    def retranslate(self) -> None:
        if self.person is None:
            self.setWindowTitle(tr("Enroll a person"))
            self.title.setText(tr("Enroll a person"))
        else:
            self.setWindowTitle(tr("Add photos"))
            self.title.setText(tr("Add photos of {name}").format(name=self.person.name))
        self.form.retranslate()
        self.sources.setTabText(0, tr("Camera"))
        self.sources.setTabText(1, tr("Photos"))
        self.files_button.setText(tr("Add photos…"))
        self.folder_button.setText(tr("Add a folder…"))
        self.drop.retranslate()
        self.remove_button.setText(tr("Remove selected"))
        self.rejected_label.setText(tr("Not used, and why:"))
        self.save_button.setText(tr("Save"))
        self._render_capture()
        self._render_counts()
        self._render_duplicates()

    def _render_capture(self, problems: list | None = None) -> None:
        if self.capture is None:
            self.guidance.setText(tr("Put the face in the oval and press Start."))
        else:
            steps = len(self.capture.config.steps)
            self.guidance.setText(gc.PROMPTS[self.capture.prompt()].text(tr))
            shot = min(self.capture.step + (0 if self.capture.done else 1), steps)
            status = tr("Shot {n} of {total}").format(n=shot, total=steps)
            self.feedback.setText(status + (f"\n{joined(problems, tr)}" if problems else ""))
        idle = tr("Capture again") if self.capture else tr("Start camera capture")
        self.capture_button.setText(tr("Stop") if self._tapping else idle)

    def _render_counts(self) -> None:
        self.accepted_label.setText(tr("Photos to save: {n}").format(n=len(self.shot_sources)))

    def _render_duplicates(self) -> None:
        names = sorted(set(self.duplicates.values()))
        self.duplicate_warning.setVisible(bool(names))
        if names:
            self.duplicate_warning.setText(tr(
                "These photos look like {names}, who is already enrolled. If it is the same person, cancel "
                "and add the photos to them instead.").format(names=", ".join(names)))

    def _update_buttons(self) -> None:
        named = self.person is not None or self.form.is_valid()
        self.save_button.setEnabled(named and bool(self.shot_sources))
        self.remove_button.setEnabled(bool(self.shot_sources))

    # --- camera -------------------------------------------------------------------------------
    def toggle_capture(self) -> None:
        if self._tapping:
            self.stop_capture()
            return
        if self.worker is None or self.context.live_view.state not in (lw.RUNNING, lw.LOADING, lw.NO_MODELS):
            self.feedback.setText(tr("The camera is not running. Start it on the Live tab, or add photos instead."))
            return
        try:
            if self.capture is None:
                self.capture = gc.GuidedCapture(self.context.enroller(), person_id=self.person.id if self.person else None)
            else:
                self.capture.restart()
        except Exception as exc:
            show_error(self, tr("Enrollment cannot start: the face models could not be loaded."), exc)
            return
        self.worker.set_tap(self.capture.offer)
        self._tapping = True
        self.view.set_verdict(None)
        self._render_capture()

    def stop_capture(self) -> None:
        if self.worker is not None:
            self.worker.set_tap(None)
        self._tapping = False
        self._render_capture()

    def _source_tab_changed(self, index: int) -> None:
        if index != 0 and self._tapping:
            self.stop_capture()

    @Slot(QImage, object)
    def _on_frame(self, image: QImage, result) -> None:
        if self.isVisible():
            self.view.show_frame(image, None)

    @Slot(object)
    def _on_feedback(self, feedback: gc.CaptureFeedback | None) -> None:
        if feedback is None or not self._tapping:
            return
        if feedback.taken is not None:
            shot = feedback.taken
            self.shot_sources.append(shot.source)
            self.accepted.add_crop(shot.crop, tr("Camera shot, head turned {yaw:.0f}°").format(yaw=shot.yaw))
            if shot.duplicate is not None:
                self.duplicates[shot.source] = shot.duplicate.name
            self.view.set_verdict(True)
            self._render_counts()
            self._render_duplicates()
            self._update_buttons()
        elif feedback.problems:
            self.view.set_verdict(False)
        self._render_capture(feedback.problems)
        if self.capture.done:
            self.stop_capture()
            self.feedback.setText(tr("All shots taken. Save, or capture again for more."))

    # --- photos -------------------------------------------------------------------------------
    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, tr("Add photos"), "", f"{tr('Images')} ({IMAGE_FILTER})")
        if paths:
            self.add_files(paths)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Add a folder of photos"))
        if folder:
            self.add_files(dropped_images([folder]))

    def dragEnterEvent(self, event):  # noqa: N802 (Qt naming): drops anywhere on the dialog count
        self.drop.dragEnterEvent(event)

    def dropEvent(self, event):  # noqa: N802 (Qt naming)
        self.drop.dropEvent(event)

    def add_files(self, paths: list[str]) -> None:
        """Check the photos through the enrollment gates (with progress), then list the verdicts."""
        paths = [p for p in paths if p not in self.photos]
        if not paths:
            return
        person_id = self.person.id if self.person else None

        def work(job):
            return self.context.enroller().check_photos(paths, person_id=person_id, job=job)

        outcome = run_with_progress(self, tr("Checking photos…"), work)
        if outcome.error is not None:
            show_error(self, tr("The photos could not be checked."), outcome.error)
            return
        for check in outcome.result or []:
            name = Path(check.source).name
            if check.rejected is not None:
                self.rejected.addItem(f"{name}: {joined(check.rejected.reasons, tr)}")
                continue
            self.photos.append(check.source)
            self.shot_sources.append(check.source)
            self.accepted.add_crop(check.checked.face.aligned, name)
            if check.duplicate is not None:
                self.duplicates[check.source] = check.duplicate.name
        self._render_counts()
        self._render_duplicates()
        self._update_buttons()

    def remove_selected(self) -> None:
        for item in sorted(self.accepted.selectedItems(), key=self.accepted.row, reverse=True):
            row = self.accepted.row(item)
            source = self.shot_sources.pop(row)
            self.accepted.takeItem(row)
            self.duplicates.pop(source, None)
            if source in self.photos:
                self.photos.remove(source)
            elif self.capture is not None:
                self.capture.shots = [s for s in self.capture.shots if s.source != source]
        self._render_counts()
        self._render_duplicates()
        self._update_buttons()

    # --- save ---------------------------------------------------------------------------------
    def items(self) -> list:
        """What Enroller.enroll takes: photo paths and (source, frame) pairs of the camera shots."""
        shots = {s.source: s for s in (self.capture.shots if self.capture else [])}
        return [(src, shots[src].image) if src in shots else src for src in self.shot_sources]

    def save(self) -> None:
        if self.duplicates and QMessageBox.question(
            self, tr("Possible duplicate"),
            tr("These photos look like someone already enrolled. Save anyway?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        ) != QMessageBox.StandardButton.Yes:
            return
        self.stop_capture()
        values = self.form.values() if self.person is None else {}
        items = self.items()

        # camera frames may show someone further back: their shots were taken of the largest face
        # (the photos were already checked to hold exactly one)
        options = {"allow_largest": any(isinstance(item, tuple) for item in items)}
        if self.person is None:
            options.update(employee_no=values["employee_no"], department=values["department"])
        else:
            options["person_id"] = self.person.id

        def work(job):
            name = values["name"] if self.person is None else None
            return self.context.enroller().enroll(name, items, job=job, **options)

        outcome = run_with_progress(self, tr("Saving…"), work)
        report = outcome.result
        if outcome.error is not None:
            show_error(self, tr("Nothing was saved: the enrollment failed."), outcome.error)
            return
        if report.cancelled:
            return
        for rejected in report.rejected:  # the batch check can still drop a photo
            name = Path(rejected.source).name
            self.rejected.addItem(f"{name}: {joined(rejected.reasons, tr)}")
        if not report.saved:
            reason = report.error.text(tr) if report.error is not None else ""
            show_error(self, tr("Nothing was saved: {reason}").format(reason=reason))
            return
        log.info("enrolled %s: %d photos accepted, %d rejected", report.person.name, len(report.accepted), len(report.rejected))
        if report.rejected:  # dropped at save time: say so, the dialog is about to close
            box = QMessageBox(QMessageBox.Icon.Information, tr("Enrollment"), tr("{name} was saved with {n} photos.").format(
                name=report.person.name, n=len(report.accepted)), QMessageBox.StandardButton.Ok, self.parentWidget())
            box.setObjectName("enrollSummary")
            box.setInformativeText("\n".join(f"{Path(r.source).name}: {joined(r.reasons, tr)}"
                                              for r in report.rejected))
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
        self.context.people_changed.emit()
        self.enrolled.emit(report.person.id)
        self.accept()

    def done(self, result: int) -> None:
        """Accept, Cancel or closing the window: the camera goes back to recognising."""
        self.stop_capture()
        if self.worker is not None:
            self.worker.frame_ready.disconnect(self._on_frame)
            self.worker.tap_result.disconnect(self._on_feedback)
            self.worker = None
        super().done(result)
