"""Trainer tab: fine-tune the face embedder on the enrolled people, watch it train, compare the
figures before and after, activate the new model or roll back to the shipped one.

Training runs in a JobThread (ui/workers/training.py); activating a model re-embeds the gallery
behind a progress dialog. The page imports no torch: the trainability check and the settings are
faceapp.training's. Without torch (the default packaged app) the tab says how to get it, and the
model versions can still be switched: that needs no torch.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.config import FINETUNE
from faceapp.jobs import Step
from faceapp.reasons import Reason
from faceapp.recognition.enroll import photos_under
from faceapp.training import (
    TooFewPeople,
    TooFewPhotos,
    TrainingError,
    TrainingSettings,
    check_trainable,
    gallery_photos,
    trainer_available,
)
from faceapp.ui.context import AppContext
from faceapp.ui.errors import show_error
from faceapp.ui.i18n import N_, tr
from faceapp.ui.workers.tasks import JobThread, run_with_progress
from faceapp.ui.workers.training import training_thread
from faceapp.ui.widgets.builders import button, button_row, record_table
from faceapp.ui.widgets.training_plot import TrainingPlot

log = logging.getLogger(__name__)

LAYERS = (
    ("head", N_("Embedding head only (fastest)")),
    ("last_blocks", N_("Last blocks and head (recommended)")),
    ("all", N_("Whole network (slowest)")),
)
# Rows and columns of the before/after table: keys of trainer.finetune.loop.Evaluation / metrics.Scores.
METRIC_ROWS = (
    ("held_out", N_("Held-out photos")),
    ("held_out_masked", N_("Held-out photos, masked")),
    ("unseen", N_("People not enrolled")),
    ("unseen_masked", N_("People not enrolled, masked")),
)
METRIC_COLUMNS = (("auc", N_("AUC"), 4), ("tar_at_far1", N_("TAR @ FAR 1%"), 3), ("rank1", N_("Rank-1"), 3))
VERSION_COLUMNS = (N_("Model"), N_("Created"), N_("Status"))
INSTALL_COMMAND = "pip install 'faceapp[trainer]'"
# A change smaller than this shows uncoloured in the before/after table (float noise, not a change).
SAME = 5e-4
GOOD, BAD, WARN = "#1a7f37", "#cf222e", "#9a6700"


def duration_text(seconds: float) -> str:
    s = max(0, round(seconds))
    if s < 60:
        return tr("{s} s").format(s=s)
    if s < 3600:
        return tr("{m} min {s} s").format(m=s // 60, s=s % 60)
    return tr("{h} h {m} min").format(h=s // 3600, m=s % 3600 // 60)


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def reason_text(metrics: dict) -> str:
    """A stored recommendation's reason in the UI's language (English for models trained before
    reason codes were stored)."""
    why = metrics.get("why")
    return Reason(why["code"], why["params"]).text(tr) if why else metrics.get("reason", "")


def compare_cell(before, after, digits: int) -> tuple[str, str | None]:
    """("0.9945 → 1.0000", colour or None) for one figure; "–" where the figure does not exist."""
    b, a = _number(before), _number(after)
    if b is None and a is None:
        return "–", None
    if a is None:
        return f"{b:.{digits}f}", None
    if b is None:
        return f"{a:.{digits}f}", None
    colour = GOOD if a > b + SAME else BAD if a < b - SAME else None
    return f"{b:.{digits}f} → {a:.{digits}f}", colour


def too_few_text(exc) -> str | None:
    """The translated advice for faceapp.training's TooFewPeople / TooFewPhotos, else None."""
    if isinstance(exc, TooFewPeople):
        return tr("Fine-tuning needs at least {need} enrolled people with {photos} or more photos each; "
                  "{have} have photos now. Enroll more people first.").format(
            need=exc.need, photos=exc.min_samples, have=exc.have)
    if isinstance(exc, TooFewPhotos):
        names = ", ".join(f"{name} ({n})" for name, n in exc.short)
        return tr("Every person needs at least {need} photos for fine-tuning (some are held out to check the "
                  "result). Too few for: {names}. Add photos, or deactivate them on the People tab.").format(
            need=exc.need, names=names)
    return None


def percent_box(name: str) -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(0, 100)
    box.setSuffix(" %")
    return box


# Expert option (the page's attribute) -> (form label or None, tooltip).
EXPERT_TEXTS = {
    "focal": (N_("Focal Loss gamma:"), N_("Above 0, photos the model already gets right count less, so people with "
                                           "few or hard photos count more. 0: plain ArcFace.")),
    "cutmix": (N_("Batches with CutMix:"), N_("Share of training steps where part of each photo is replaced by part "
                                               "of another person's, as a hand or a scarf would cover it.")),
    "mixup": (N_("Batches with MixUp:"), N_("Share of training steps where photos of two people are blended.")),
    "attention": (None, N_("Lets the model weigh its features by what is visible; the fine-tuned model keeps the "
                           "block.")),
}


class TrainerPage(QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.available = trainer_available()
        self.job: JobThread | None = None
        self.result = None  # the last TrainResult of this session
        self.trained = False  # a training step was seen in this run (tells the last check from the first)
        self.last_progress = None
        # the status line, rendered again in a new language
        self._status = lambda: tr("Fine-tune the recognizer on the people enrolled here, to recognise them better, "
                                  "with a mask too.")
        self._shown_metrics: dict | None = None  # the figures in the before/after table
        self._summary = None  # the summary line of the last run, rendered like the status line

        # --- settings -------------------------------------------------------------------------
        self.epochs = QSpinBox()
        self.epochs.setObjectName("epochsSpin")
        self.epochs.setRange(1, 200)
        self.layers = QComboBox()
        self.layers.setObjectName("layersBox")
        for key, _ in LAYERS:
            self.layers.addItem("", key)
        self.lr = QDoubleSpinBox()
        self.lr.setObjectName("lrSpin")
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1e-2)
        # steps that suit the value: 3e-5 -> 4e-5, 3e-4 -> 3.1e-4
        self.lr.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.mask_share = percent_box("maskShareSpin")
        self.distill = QDoubleSpinBox()
        self.distill.setObjectName("distillSpin")
        self.distill.setRange(0.0, 10.0)
        self.distill.setSingleStep(0.1)
        self.batch = QSpinBox()
        self.batch.setObjectName("batchSpin")
        self.batch.setRange(4, 512)
        self.unseen = QLineEdit()
        self.unseen.setObjectName("unseenDir")
        self.unseen.setClearButtonEnabled(True)
        self.unseen_button = QToolButton()
        self.unseen_button.setText("…")
        self.unseen_button.clicked.connect(self._choose_unseen)
        unseen_row = QHBoxLayout()
        unseen_row.addWidget(self.unseen, 1)
        unseen_row.addWidget(self.unseen_button)
        # expert options: the occluded-face recipe's extras, off by default (docs/finetune.md, "Options")
        self.focal = QDoubleSpinBox()
        self.focal.setObjectName("focalSpin")
        self.focal.setRange(0.0, 5.0)
        self.focal.setSingleStep(0.5)
        self.cutmix = percent_box("cutmixSpin")
        self.mixup = percent_box("mixupSpin")
        self.attention = QCheckBox()
        self.attention.setObjectName("attentionCheck")
        self.expert_box = QGroupBox()
        self.expert_box.setObjectName("expertOptions")
        # Shown by a button beside "Restore defaults", so that closed they take no room; closed, no option applies.
        self.expert_button = button("expertButton")
        self.expert_button.setCheckable(True)
        self.expert_button.toggled.connect(self.expert_box.setVisible)
        expert_form = QFormLayout(self.expert_box)
        self.expert_labels = {name: QLabel() for name in ("focal", "cutmix", "mixup")}
        for name, field in (("focal", self.focal), ("cutmix", self.cutmix), ("mixup", self.mixup)):
            expert_form.addRow(self.expert_labels[name], field)
        expert_form.addRow(self.attention)
        self.defaults_button = button("defaultsButton", self.restore_defaults)
        self.settings_hint = QLabel()
        self.settings_hint.setWordWrap(True)
        self.settings_hint.setStyleSheet("color: palette(placeholder-text); font-size: 12px;")
        self.settings_box = QGroupBox()
        form = QFormLayout(self.settings_box)
        self.form_labels = {name: QLabel() for name in ("epochs", "layers", "lr", "mask", "distill", "batch", "unseen")}
        fields = (("epochs", self.epochs), ("layers", self.layers), ("lr", self.lr), ("mask", self.mask_share),
                  ("distill", self.distill), ("batch", self.batch), ("unseen", unseen_row))
        for name, field in fields:
            form.addRow(self.form_labels[name], field)
        form.addRow(self.expert_box)
        form.addRow(self.settings_hint)
        form.addRow("", button_row(self.expert_button, self.defaults_button))

        self.start_button = button("startTraining", self.start)
        self.start_button.setDefault(True)
        self.cancel_button = button("cancelTraining", self.cancel)
        run_row = QHBoxLayout()
        run_row.addWidget(self.start_button, 1)
        run_row.addWidget(self.cancel_button)

        # shown instead of the settings when torch is not installed
        self.missing = QLabel()
        self.missing.setObjectName("trainerMissing")
        self.missing.setWordWrap(True)
        self.missing.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.missing.setTextFormat(Qt.TextFormat.RichText)

        # --- model versions -------------------------------------------------------------------
        self.versions = record_table("versionsTable", len(VERSION_COLUMNS))
        self.versions.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.versions.horizontalHeader().setStretchLastSection(True)
        self.versions.itemSelectionChanged.connect(self._selection_changed)
        self.activate_button = button("activateModel", self.activate_selected)
        self.rollback_button = button("rollbackModel", self.roll_back)
        self.versions_box = QGroupBox()
        versions_layout = QVBoxLayout(self.versions_box)
        versions_layout.addWidget(self.versions, 1)
        versions_layout.addLayout(button_row(self.activate_button, self.rollback_button))

        # --- progress and results -------------------------------------------------------------
        self.status = QLabel()
        self.status.setObjectName("trainerStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.plot = TrainingPlot()
        self.metrics = QTableWidget(len(METRIC_ROWS), len(METRIC_COLUMNS))
        self.metrics.setObjectName("metricsTable")
        self.metrics.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.metrics.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.metrics.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.metrics.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.metrics.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.metrics.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.metrics.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.summary = QLabel()
        self.summary.setObjectName("trainingSummary")
        self.summary.setWordWrap(True)
        self.door = QLabel()
        self.door.setObjectName("doorCheck")
        self.door.setWordWrap(True)
        self.verdict = QLabel()
        self.verdict.setObjectName("trainingVerdict")
        self.verdict.setWordWrap(True)
        self.results_box = QGroupBox()
        results_layout = QVBoxLayout(self.results_box)
        results_layout.addWidget(self.metrics)
        results_layout.addWidget(self.summary)
        results_layout.addWidget(self.door)
        results_layout.addWidget(self.verdict)

        left = QVBoxLayout()
        left.addWidget(self.settings_box)
        left.addLayout(run_row)
        left.addWidget(self.missing)
        left.addWidget(self.versions_box, 1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setMaximumWidth(420)
        left.setContentsMargins(0, 0, 0, 0)
        right = QVBoxLayout()
        right.addWidget(self.status)
        right.addWidget(self.progress)
        right.addWidget(self.plot, 1)
        right.addWidget(self.results_box)
        layout = QHBoxLayout(self)
        layout.addWidget(left_widget)
        layout.addLayout(right, 1)

        for w in (self.settings_box, self.start_button, self.cancel_button, self.progress, self.plot):
            w.setVisible(self.available)
        self.missing.setVisible(not self.available)
        if not self.available:
            right.addStretch(1)  # the results table stays at the top without the plot above it
        self.restore_defaults()
        self.retranslate()  # also fills the model versions

    # --- settings -------------------------------------------------------------------------------
    def restore_defaults(self) -> None:
        d = TrainingSettings()
        self.epochs.setValue(d.epochs)
        self.layers.setCurrentIndex(self.layers.findData(d.layers))
        self.lr.setValue(d.lr)
        self.mask_share.setValue(round(100 * d.mask_share))
        self.distill.setValue(d.distill_weight)
        self.batch.setValue(d.batch_size)
        self.focal.setValue(d.focal_gamma)
        self.cutmix.setValue(round(100 * d.cutmix))
        self.mixup.setValue(round(100 * d.mixup))
        self.attention.setChecked(d.attention)
        self.expert_button.setChecked(False)
        self.expert_box.setVisible(False)
        self.unseen.clear()

    def training_settings(self) -> TrainingSettings:
        expert = {}
        if self.expert_button.isChecked():  # closed: every option stays off, whatever the boxes hold
            expert = dict(focal_gamma=self.focal.value(), cutmix=self.cutmix.value() / 100,
                          mixup=self.mixup.value() / 100, attention=self.attention.isChecked())
        return TrainingSettings(epochs=self.epochs.value(), layers=str(self.layers.currentData()), lr=self.lr.value(),
                                batch_size=self.batch.value(), mask_share=self.mask_share.value() / 100,
                                distill_weight=self.distill.value(), unseen_dir=self.unseen.text().strip(),
                                **expert)

    def _choose_unseen(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Photos of people not enrolled"), self.unseen.text())
        if folder:
            self.unseen.setText(folder)

    def _unseen_problem(self, folder: str) -> str | None:
        if not folder:
            return None
        path = Path(folder)
        if not path.is_dir():
            return tr("The folder of people not enrolled was not found: {folder}").format(folder=folder)
        if next(photos_under(path), None) is None:  # stops at the first photo
            return tr("The folder of people not enrolled holds no photos.")
        return None

    # --- training -------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        if self.running or not self.available:
            return
        settings = self.training_settings()
        if self._unseen_problem(settings.unseen_dir):
            self._set_status(lambda: self._unseen_problem(settings.unseen_dir), BAD)
            return
        try:  # at once, without torch: the data must support a run
            check_trainable(gallery_photos(self.context.gallery))
        except TrainingError as exc:
            self._on_failed(exc)
            return
        self.result, self.trained, self.last_progress = None, False, None
        self.plot.start(settings.epochs, 0)
        self.progress.setRange(0, 0)  # busy until the first step says how many there are
        self.progress.setFormat("")
        self._show_metrics(None)
        self._set_summary(None)
        self.job = training_thread(self.context.gallery, settings)
        self.job.progressed.connect(self._on_progress)
        self.job.succeeded.connect(self._on_succeeded)
        self.job.failed.connect(self._on_failed)
        self.job.finished.connect(self._on_finished)
        log.info("fine-tuning started: %s", settings)
        self.job.start()
        self._update_buttons()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self._set_status(lambda: tr("Stopping…"))
            self.cancel_button.setEnabled(False)

    def shutdown(self) -> None:
        """At exit: stop a run and wait for it, so no thread outlives the window; its last signals
        are handled now, while the gallery is still open."""
        if self.job is not None:
            self.job.cancel()
            self.job.wait()
            QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)

    def _on_progress(self, step: Step) -> None:
        p = step.detail  # a faceapp.training.TrainProgress, None before training proper
        if p is None:
            self._set_status(lambda: tr(step.text))
        elif p.phase == "train":
            if not self.trained:
                self.trained = True
                self.plot.start(p.epochs, p.total_steps)
            self.progress.setRange(0, p.total_steps)
            self.progress.setValue(p.step)
            self.plot.add_point(p.epoch, p.step, p.loss, p.accuracy)
            self.last_progress = p
            self._render_progress()
            self._set_status(lambda: tr("Training: epoch {epoch} of {epochs}").format(epoch=p.epoch, epochs=p.epochs))
        elif p.phase == "prepare":
            self._set_status(lambda: tr("Loading the photos…"))
        elif p.phase == "evaluate" and p.epoch:
            self._set_status(lambda: tr("Epoch {epoch} of {epochs}: checking the held-out photos…").format(
                epoch=p.epoch, epochs=p.epochs))
        elif p.phase == "evaluate":
            trained = self.trained
            self._set_status(lambda: tr("Checking the new model…") if trained else tr("Checking the current model…"))
        elif p.phase == "export":
            self._set_status(lambda: tr("Saving the new model…"))

    def _render_progress(self) -> None:
        p = self.last_progress
        if p is None:
            return
        if self.result is not None and self.result.after is not None:  # finished (early stopping: before the last step)
            self.progress.setFormat(tr("Finished after {epochs} of {most} epochs").format(
                epochs=len(self.result.history), most=p.epochs))
            return
        self.progress.setFormat(tr("Epoch {epoch} of {epochs} · step {step} of {steps} · {eta} left").format(
            epoch=p.epoch, epochs=p.epochs, step=p.step, steps=p.total_steps, eta=duration_text(p.eta_s)))

    def _on_succeeded(self, result) -> None:
        self.result = result
        if result.cancelled or result.after is None:
            self._set_status(lambda: tr("Training was cancelled. Nothing was changed."))
            return
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
        self.progress.setValue(self.progress.maximum())
        self._render_progress()
        self._set_summary(lambda: tr("{people} people, {train} training and {held} held-out photos. Epochs run: "
                                     "{epochs} (best: {best}); time: {time}.").format(
            people=result.num_people, train=result.num_train, held=result.num_held_out, epochs=len(result.history),
            best=result.best_epoch, time=duration_text(result.seconds)))
        if result.recommended:
            self._set_status(lambda: tr("Done. The new model is better: activate it to use it."), GOOD)
        else:
            self._set_status(lambda: tr("Done. The new model is not better than the current one; it was kept, "
                                        "but is not in use."), WARN)
        self.refresh_versions(select=result.version_id)  # selecting it shows its figures

    def _on_failed(self, exc: BaseException) -> None:
        if too_few_text(exc) is not None:
            log.info("fine-tuning refused: %s", exc)
            self._set_status(lambda: too_few_text(exc), BAD)
            return
        self._set_status(lambda: tr("Fine-tuning failed. The current model stays in use."), BAD)
        show_error(self, tr("Fine-tuning failed. The current model stays in use."), exc)

    def _on_finished(self) -> None:
        self.job.deleteLater()
        self.job = None
        if self.progress.maximum() == 0:  # never got to a training step
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
        self._update_buttons()

    # --- model versions -------------------------------------------------------------------------
    def _version_rows(self) -> list:
        """(model version or None for the unregistered shipped model, in use) per row."""
        from faceapp.recognition.model_versions import BASE_MODEL_FILE

        versions = self.context.gallery.model_versions()
        active = next((mv for mv in versions if mv.active), None)
        rows = [(mv, mv.active or (active is None and mv.file == BASE_MODEL_FILE)) for mv in versions]
        if not any(mv.file == BASE_MODEL_FILE for mv in versions):
            rows.insert(0, (None, active is None))
        return rows

    def refresh_versions(self, select: int | None = None) -> None:
        from faceapp.recognition.model_versions import BASE_MODEL_FILE

        if select is None:
            select = self.selected_version_id()
        rows = self._version_rows()
        self.versions.blockSignals(True)
        self.versions.setRowCount(len(rows))
        for r, (mv, in_use) in enumerate(rows):
            base = mv is None or mv.file == BASE_MODEL_FILE
            if base:
                name = tr("Shipped model")
            else:
                name = tr("Fine-tuned #{id}").format(id=mv.id)
            created = mv.created[:16].replace("T", " ") if mv is not None else "–"
            if in_use:
                status = tr("● In use")
            elif mv is not None and not base:
                status = tr("Recommended") if mv.metrics.get("recommended") else tr("Not recommended")
            else:
                status = ""
            for c, text in enumerate((name, created, status)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, mv.id if mv is not None else None)
                if in_use:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                    if c == 2:
                        item.setForeground(QBrush(QColor(GOOD)))
                self.versions.setItem(r, c, item)
        self.versions.blockSignals(False)
        row = next((r for r, (mv, _) in enumerate(rows) if mv is not None and mv.id == select), len(rows) - 1)
        self.versions.selectRow(row)
        self._selection_changed()

    def selected_version_id(self) -> int | None:
        items = self.versions.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _selection_changed(self) -> None:
        mv_id = self.selected_version_id()
        mv = self.context.gallery.model_version(mv_id) if mv_id is not None else None
        self._show_metrics(mv.metrics if mv is not None and "after" in mv.metrics else None)
        if self.result is None or self.result.version_id != mv_id:
            self._set_summary(None)
        self._update_buttons()

    def _set_summary(self, render) -> None:
        """The run's summary line (a function rendering it in the current language), None for none."""
        self._summary = render
        self.summary.setText(render() if render else "")
        self.summary.setVisible(render is not None)

    def _show_metrics(self, metrics: dict | None) -> None:
        self._shown_metrics = metrics
        before = (metrics or {}).get("before") or {}
        after = (metrics or {}).get("after") or {}
        for r, (key, _) in enumerate(METRIC_ROWS):
            for c, (field, _, digits) in enumerate(METRIC_COLUMNS):
                b, a = (before.get(key) or {}).get(field), (after.get(key) or {}).get(field)
                text, colour = compare_cell(b, a, digits)
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if colour:
                    item.setForeground(QBrush(QColor(colour)))
                self.metrics.setItem(r, c, item)
        self._render_verdict()
        self._fit_metrics_height()

    def _render_door(self) -> None:
        """Strangers named at the door before -> after (trainer.finetune.metrics.DoorCheck, as stored)."""
        metrics = self._shown_metrics
        if not metrics or "recommended" not in metrics:
            self.door.hide()
            return
        before, after = metrics.get("before") or {}, metrics.get("after") or {}
        plain, masked = (before.get("door"), after.get("door")), (before.get("door_masked"), after.get("door_masked"))
        self.door.show()
        if None in plain or None in masked:
            self.door.setText(tr("Not checked against strangers: choose a folder of photos of people not enrolled, "
                                 "and train again."))
            self.door.setStyleSheet(f"color: {WARN};")
            return
        self.door.setText(tr("Strangers the door would name: {before} → {after} of {n} photos; masked: "
                             "{masked_before} → {masked_after}.").format(
            before=plain[0]["strangers_named"], after=plain[1]["strangers_named"], n=plain[1]["strangers"],
            masked_before=masked[0]["strangers_named"], masked_after=masked[1]["strangers_named"]))
        worse = any(a["strangers_named"] > b["strangers_named"] for b, a in (plain, masked))
        self.door.setStyleSheet(f"color: {BAD if worse else GOOD};")

    def _render_verdict(self) -> None:
        self._render_door()
        metrics = self._shown_metrics
        if not metrics or "recommended" not in metrics:
            self.verdict.setText(tr("The figures before and after training appear here."))
            self.verdict.setStyleSheet("color: palette(placeholder-text);")
        elif metrics["recommended"]:
            self.verdict.setText(tr("Recommended: better on masked faces, no worse without a mask or on people it "
                                    "never saw, and the door names no more strangers."))
            self.verdict.setStyleSheet(f"color: {GOOD};")
        else:
            self.verdict.setText(tr("Not recommended: {reason}").format(reason=reason_text(metrics)))
            self.verdict.setStyleSheet(f"color: {WARN};")

    def _fit_metrics_height(self) -> None:
        table = self.metrics
        table.resizeRowsToContents()
        height = table.horizontalHeader().sizeHint().height() + table.verticalHeader().length() + 2 * table.frameWidth()
        table.setFixedHeight(height + 2)

    def _selected_version(self):
        mv_id = self.selected_version_id()
        return self.context.gallery.model_version(mv_id) if mv_id is not None else None

    def activate_selected(self) -> None:
        mv = self._selected_version()
        if mv is None or mv.active:
            return
        # Always asked: even a recommended fine-tune named far more strangers than the shipped model
        # in a 1,000-person gallery (docs/finetune.md), which its 1:1 checks cannot show.
        force = mv.metrics.get("recommended") is False
        question = (tr("This model is not recommended ({reason}). Activate it anyway?").format(
                        reason=reason_text(mv.metrics)) if force else
                    tr("This model recognises your people's masked faces better."))
        caution = tr("In our tests a fine-tuned model let more strangers be taken for enrolled people in a "
                     "large gallery than the shipped model. For door access, keep the shipped model.")
        answer = QMessageBox.question(
            self, tr("Activate model"), f"{question}\n\n{caution}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._switch_model(tr("Activating the model: embedding the enrolled faces…"), mv.id, force)

    def roll_back(self) -> None:
        answer = QMessageBox.question(
            self, tr("Roll back"),
            tr("Go back to the shipped model? The fine-tuned models are kept and can be activated again."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self._switch_model(tr("Rolling back: embedding the enrolled faces…"), None, False)

    def _switch_model(self, title: str, version_id: int | None, force: bool) -> None:
        """Activate a version (None: the shipped model), re-embedding the gallery behind a progress dialog."""
        from faceapp.recognition.model_versions import activate_version, base_version

        gallery = self.context.gallery

        def work(job):
            target = version_id if version_id is not None else base_version(gallery)
            return activate_version(gallery, target, job, force=force)

        outcome = run_with_progress(self, title, work)
        if outcome.error is not None:
            show_error(self, tr("The model could not be activated. The current model stays in use."), outcome.error)
        elif outcome.result is not None:
            log.info("model version %s (%s) activated", outcome.result.id, outcome.result.name)
            self.context.model_changed.emit()
        self.refresh_versions()

    def _update_buttons(self) -> None:
        from faceapp.recognition.model_versions import BASE_MODEL_FILE

        running = self.running
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.settings_box.setEnabled(not running)
        mv_id = self.selected_version_id()
        in_use = {mv.id for mv, used in self._version_rows() if used and mv is not None}
        self.activate_button.setEnabled(not running and mv_id is not None and mv_id not in in_use)
        active = self.context.gallery.active_model()
        self.rollback_button.setEnabled(not running and active is not None and active.file != BASE_MODEL_FILE)

    # --- language and visibility ----------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)
        if not self.running:
            self.refresh_versions()

    def _set_status(self, render, colour: str | None = None) -> None:
        self._status = render
        self.status.setText(render())
        self.status.setStyleSheet(f"color: {colour};" if colour else "")

    def retranslate(self) -> None:
        self.settings_box.setTitle(tr("Settings"))
        labels = {"epochs": tr("Epochs:"), "layers": tr("Layers that train:"), "lr": tr("Learning rate:"),
                  "mask": tr("Photos given a mask:"), "distill": tr("Distillation weight:"), "batch": tr("Batch size:"),
                  "unseen": tr("People not enrolled:")}
        for name, text in labels.items():
            self.form_labels[name].setText(text)
        for index, (_, label) in enumerate(LAYERS):
            self.layers.setItemText(index, tr(label))
        self.epochs.setToolTip(tr("Training stops earlier when the held-out photos stop improving."))
        self.lr.setToolTip(tr("Larger steps adapt faster but forget more of what the model knew."))
        self.mask_share.setToolTip(tr("Share of training photos given a synthetic mask: masks are what fine-tuning "
                                      "is mostly for."))
        self.distill.setToolTip(tr("How strongly the model is held to its old answers, so that recognition of "
                                   "everyone else does not suffer."))
        self.unseen.setPlaceholderText(tr("Photos of strangers: needed for a recommendation"))
        self.unseen.setToolTip(tr("A folder of photos of people who are not enrolled (one face each). The new model "
                                  "is recommended only if the door names no more of them than before. With "
                                  "deepface-style pair lists it also checks how well it tells them apart."))
        self.settings_hint.setText(tr("The defaults suit most galleries. Training uses {n} CPU cores; recognition "
                                      "keeps running meanwhile.").format(n=FINETUNE.gui_threads))
        self.expert_box.setTitle(tr("Expert options"))
        self.expert_button.setText(tr("Expert options"))
        self.attention.setText(tr("Add a channel-attention block (kept in the model)"))
        for name, (label, tip) in EXPERT_TEXTS.items():
            if label:
                self.expert_labels[name].setText(tr(label))
            getattr(self, name).setToolTip(tr(tip))
        self.defaults_button.setText(tr("Restore defaults"))
        self.start_button.setText(tr("Start training"))
        self.cancel_button.setText(tr("Cancel"))
        self.missing.setText(
            "<p style='font-size:15px; font-weight:600'>" + tr("Fine-tuning needs PyTorch") + "</p><p>"
            + tr("This installation of faceapp does not include PyTorch, which training needs (recognition does "
                 "not). Install the trainer extra, then restart the app:")
            + f"</p><p><code>{INSTALL_COMMAND}</code></p><p>"
            + tr("Models trained elsewhere in this data folder can still be activated or rolled back below.")
            + "</p>")
        self.versions_box.setTitle(tr("Model versions"))
        self.versions.setHorizontalHeaderLabels([tr(c) for c in VERSION_COLUMNS])
        self.activate_button.setText(tr("Activate"))
        self.rollback_button.setText(tr("Roll back to the shipped model…"))
        self.results_box.setTitle(tr("Before → after"))
        self.metrics.setHorizontalHeaderLabels([tr(label) for _, label, _ in METRIC_COLUMNS])
        self.metrics.setVerticalHeaderLabels([tr(label) for _, label in METRIC_ROWS])
        for c, tip in enumerate((tr("Verification: how well the same person's photos score above other people's "
                                    "(1 = perfect)."),
                                 tr("Share of the same person's photos accepted when 1% of other people's would be."),
                                 tr("Share of photos whose best match is the right person."))):
            self.metrics.horizontalHeaderItem(c).setToolTip(tip)
        self.status.setText(self._status())
        self._set_summary(self._summary)
        self._render_progress()
        self._render_verdict()
        self.refresh_versions()
        self.plot.update()
        self._fit_metrics_height()
