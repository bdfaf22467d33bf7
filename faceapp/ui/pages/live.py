"""Live tab: the camera pictures with overlays, the door banner, latest recognitions and the source picker.

Several cameras on one PC (the Settings' camera list) each get their own LiveWorker and picture,
labelled with the door and direction, side by side or one large (faceapp/ui/widgets/camera_wall.py).
The source picker, Start and Stop act on the first camera; Start and Stop on every camera."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QColor, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.reasons import TEMPLATES, Reason
from faceapp.types import Decision, FrameResult
from faceapp.ui.workers import live as lw
from faceapp.ui.context import AppContext
from faceapp.ui.i18n import tr
from faceapp.ui.workers.tasks import ButtonTask
from faceapp.ui.widgets.builders import button
from faceapp.ui.widgets.camera_list import DIRECTION_NAMES
from faceapp.ui.widgets.camera_wall import CameraWall

# Seconds the GRANTED / DENIED banner stays after the decided face has gone.
BANNER_HOLD_S = 3.0
# Latest recognitions kept in the side panel.
RECENT_MAX = 50
VIDEO_FILTER = "*.mp4 *.avi *.mkv *.mov *.webm *.m4v *.mpg *.mpeg *.wmv"
# Steps the live view through side by side -> each camera large -> side by side ("next pane").
CYCLE_KEY = "F6"



def decision_text(code: str | None, name: str | None, fallback: str) -> str:
    """A door decision's reason code (Decision.reason, access.DenyReason, or "granted") in the UI
    language, naming the person where the reason does; `fallback` for a code without words."""
    if code not in TEMPLATES:
        return fallback
    return Reason(code, {"name": name or tr("Unknown face")}).text(tr)


def camera_name(door: str, direction: str, fallback: str) -> str:
    """A camera's label: its door (or the fallback, its source) and its direction."""
    return f"{door or fallback} · {tr(DIRECTION_NAMES.get(direction, direction))}"


def describe_event(event: dict, camera: str = "") -> str:
    """One line for the latest-recognitions list, from a pipeline event (gallery.Event.to_json + extras);
    camera: which one saw it, where several run."""
    when = str(event.get("time", ""))[11:19] + (f"  [{camera}]" if camera else "")
    name = event.get("person_name") or tr("Unknown face")
    access = (event.get("details") or {}).get("access")
    if access == "granted":
        text = f"{when}  {name} — {tr('granted')}"
    else:
        why = decision_text(access or str(event.get("kind")), event.get("person_name"), event.get("reason") or "")
        text = f"{when}  {name} — {tr('denied')}: {why}"
    if event.get("attendance"):
        text += "  ✓ " + tr("attendance")
    return text


class DecisionBanner(QLabel):
    """The large GRANTED / DENIED sign with the reason, readable from a few metres."""

    STYLES = {
        None: "background: #30363d; color: #c9d1d9;",
        True: "background: #2ea043; color: white;",
        False: "background: #da3633; color: white;",
    }

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("decisionBanner")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setMinimumHeight(150)
        self.granted: bool | None = None
        self.decision: tuple[Decision, str | None] | None = None  # kept to word it again in another language
        self.idle()

    def show_decision(self, decision: Decision, name: str | None) -> None:
        self.granted, self.decision = decision.granted, (decision, name)
        self._render()

    def idle(self) -> None:
        self.granted, self.decision = None, None
        self._render()

    def detail(self) -> str:
        if self.decision is None:
            return ""
        decision, name = self.decision
        text = decision_text(decision.reason, name, decision.message)
        return text if not name or name in text else f"{name} — {text}"  # the name once

    def retranslate(self) -> None:
        self._render()

    def _render(self) -> None:
        title = {None: tr("Look at the camera"), True: tr("GRANTED"), False: tr("DENIED")}[self.granted]
        size = 20 if self.granted is None else 40
        self.setStyleSheet(f"QLabel#decisionBanner {{ {self.STYLES[self.granted]} border-radius: 10px; padding: 12px; }}")
        detail = f"<div style='font-size:16px'>{self.detail()}</div>" if self.decision else ""
        self.setText(f"<div style='font-size:{size}px; font-weight:700'>{title}</div>{detail}")


class LivePage(QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.current_spec = None  # the first camera's source
        self.cameras = context.cameras()
        self.tile_states: list[tuple[str, str]] = []  # (state, detail) per camera
        self.tile_fps: list[float] = []
        self.camera_sizes: dict[int, str] = {}  # "  (640×480)" per camera found by probing
        self.banner_until = 0.0

        self.source_label = QLabel()
        self.source_box = QComboBox()
        self.source_box.setObjectName("sourceBox")
        self.source_box.setMinimumWidth(160)
        self.source_box.activated.connect(self._source_chosen)
        self.probe_button = QToolButton()
        self.probe_button.setObjectName("probeButton")
        self.probe = ButtonTask(self.probe_button, context.probe_cameras)
        self.probe.succeeded.connect(self._on_probed)
        self.probe.failed.connect(self._on_probe_failed)
        self.file_button = button(clicked=self.open_video_file)
        self.url_button = button(clicked=self.open_stream_url)
        self.run_button = button("runButton", self._toggle_running)
        self.fps_label = QLabel()
        self.fps_label.setObjectName("fpsLabel")
        self.fps_label.setMinimumWidth(80)
        self.fps_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        bar = QHBoxLayout()
        for w in (self.source_label, self.source_box, self.probe_button, self.file_button, self.url_button, self.run_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.fps_label)

        self.wall = CameraWall()
        self.wall.setObjectName("cameraWall")
        self.workers: list[lw.LiveWorker] = []
        self._set_camera_count(len(self.cameras))
        self.cycle_shortcut = QShortcut(QKeySequence(CYCLE_KEY), self, activated=self.wall.cycle)
        self.banner = DecisionBanner()
        self.recent_title = QLabel()
        self.recent_title.setStyleSheet("font-weight: 600;")
        self.recent = QListWidget()
        self.recent.setObjectName("recentList")
        self.recent.setWordWrap(True)
        self.recent.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side = QVBoxLayout()
        side.addWidget(self.banner)
        side.addWidget(self.recent_title)
        side.addWidget(self.recent, 1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setFixedWidth(320)

        body = QHBoxLayout()
        body.addWidget(self.wall, 1)
        body.addWidget(side_widget)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(body, 1)

        context.live_view = self
        context.settings_changed.connect(self._settings_changed)
        self.banner_timer = QTimer(self)
        self.banner_timer.setInterval(500)
        self.banner_timer.timeout.connect(self._expire_banner)
        self.banner_timer.start()
        self.retranslate()

    # --- cameras ------------------------------------------------------------------------------
    @property
    def worker(self) -> lw.LiveWorker:
        """The first camera's worker: the source picker's, and the one enrollment borrows."""
        return self.workers[0]

    @property
    def video(self):
        return self.wall.tiles[0].view

    @property
    def state(self) -> str:
        return self.tile_states[0][0]

    @property
    def state_detail(self) -> str:
        return self.tile_states[0][1]

    def _set_camera_count(self, count: int) -> None:
        """One worker and one picture per camera; the first ones keep running."""
        while len(self.workers) > count:
            self.workers.pop().stop()
        self.wall.set_count(count)
        while len(self.workers) < count:
            i = len(self.workers)
            worker = lw.LiveWorker(self.context.open_source,
                                   lambda actions, i=i: self.context.make_pipeline(actions, self.cameras[i]))
            worker.frame_ready.connect(self._on_frame)
            worker.state_changed.connect(self._on_state)
            worker.fps_changed.connect(self._on_fps)
            worker.events_ready.connect(self._on_events)
            worker.action_failed.connect(self.context.action_failed)
            worker.start()
            self.workers.append(worker)
        self.tile_states = (self.tile_states + [(lw.STOPPED, "")] * count)[:count]
        self.tile_fps = (self.tile_fps + [0.0] * count)[:count]

    def _camera_of(self, worker) -> int:
        """Which camera a signal came from (queued signals of a removed camera: -1)."""
        return next((i for i, w in enumerate(self.workers) if w is worker), -1)

    # --- sources ------------------------------------------------------------------------------
    def start(self, spec) -> None:
        """Show a camera index, a video file path or a stream URL on the first camera, and start the
        other cameras of the Settings' list."""
        if isinstance(spec, str) and spec.isdigit():
            spec = int(spec)  # "--source 0" is a camera
        self.current_spec = spec
        self._select_in_box(spec)
        self.banner.idle()
        self.video.clear()  # no stale picture under "Opening…"
        self.worker.set_source(spec)
        self._start_others()

    def _start_others(self) -> None:
        """Start the cameras after the first that are not running."""
        for i in range(1, len(self.workers)):
            if self.tile_states[i][0] in (lw.STOPPED, lw.ENDED, lw.FAILED):
                self.wall.tiles[i].view.clear()
                self.workers[i].set_source(self.cameras[i].source)

    def stop(self) -> None:
        self.current_spec = None
        for worker, tile in zip(self.workers, self.wall.tiles):
            worker.set_source(None)
            tile.view.clear()
        self.fps_label.clear()

    def shutdown(self) -> None:
        for worker in self.workers:
            worker.stop()

    def _settings_changed(self) -> None:
        cameras = self.context.cameras()
        if cameras != self.cameras:
            self.cameras = cameras
            self._set_camera_count(len(cameras))
            self._render_state()
            first = cameras[0].source
            # the first camera in Settings replaces a camera showing (a video opened by hand stays,
            # where it is the only one)
            if self.current_spec is not None and first != self.current_spec \
                    and (isinstance(self.current_spec, int) or len(cameras) > 1):
                self.start(first)
            elif self.current_spec is not None:
                self._start_others()
        for worker, camera in zip(self.workers, self.cameras):
            worker.post(lambda pipeline, camera=camera: self.context.apply_settings(pipeline, camera))

    def _toggle_running(self) -> None:
        if self.state in (lw.STOPPED, lw.ENDED, lw.FAILED) or self.current_spec is None:
            spec = self.source_box.currentData()
            self.start(spec if spec is not None else self.context.default_source())
        else:
            self.stop()

    def _source_chosen(self, index: int) -> None:
        spec = self.source_box.itemData(index)
        if spec is not None and spec != self.current_spec:
            self.start(spec)

    def _select_in_box(self, spec) -> None:
        index = self.source_box.findData(spec)
        if index < 0:
            self.source_box.addItem(self._spec_name(spec), spec)
            index = self.source_box.count() - 1
        self.source_box.setCurrentIndex(index)

    def _spec_name(self, spec) -> str:
        if isinstance(spec, int):
            return tr("Camera {n}").format(n=spec) + self.camera_sizes.get(spec, "")
        text = str(spec)
        return text if "://" in text else Path(text).name

    @Slot(object)
    def _on_probed(self, cameras) -> None:
        keep = [(self.source_box.itemText(i), self.source_box.itemData(i)) for i in range(self.source_box.count())
                if not isinstance(self.source_box.itemData(i), int)]
        self.source_box.clear()
        self.camera_sizes = {cam.index: f"  ({cam.width}×{cam.height})" for cam in cameras}
        for cam in cameras:
            self.source_box.addItem(self._spec_name(cam.index), cam.index)
        for text, spec in keep:
            self.source_box.addItem(text, spec)
        if not cameras:
            self.video.set_message(tr("No camera found. Connect one, or open a video file."))
        if self.current_spec is not None:
            self._select_in_box(self.current_spec)

    @Slot(object)
    def _on_probe_failed(self, exc) -> None:
        self.video.set_message(tr("The cameras could not be listed. Details are in the log file."))

    def open_video_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, tr("Open video file"), "", f"{tr('Videos')} ({VIDEO_FILTER});;{tr('All files')} (*)"
        )
        if path:
            self.start(path)

    def open_stream_url(self) -> None:
        url, ok = QInputDialog.getText(self, tr("Open stream"), tr("Stream address (rtsp://, http://):"))
        if ok and url.strip():
            self.start(url.strip())

    # --- worker signals -----------------------------------------------------------------------
    @Slot(QImage, object)
    def _on_frame(self, image: QImage, result: FrameResult | None) -> None:
        i = self._camera_of(self.sender())
        if i < 0:
            return
        self.wall.tiles[i].view.show_frame(image, result)
        self.workers[i].frame_shown()
        if result is None:
            return
        for track in result.tracks:
            if track.decision is not None:
                self.banner.show_decision(track.decision, track.match.name if track.match else None)
                self.banner_until = time.monotonic() + BANNER_HOLD_S

    def _expire_banner(self) -> None:
        if self.banner.granted is not None and time.monotonic() > self.banner_until:
            self.banner.idle()

    @Slot(str, str)
    def _on_state(self, state: str, detail: str) -> None:
        i = self._camera_of(self.sender())
        if i >= 0:
            self.tile_states[i] = (state, detail)
            self._render_state()

    def _render_state(self) -> None:
        several = len(self.workers) > 1
        for i, tile in enumerate(self.wall.tiles):
            state, detail = self.tile_states[i]
            spec = self.current_spec if i == 0 else self.cameras[i].source
            tile.view.set_message(self._state_message(state, detail, "" if spec is None else self._spec_name(spec)))
            tile.caption.setVisible(several)
            self._render_caption(i)
        running = self.state in (lw.OPENING, lw.LOADING, lw.RUNNING, lw.LOST, lw.NO_MODELS)
        self.run_button.setText(tr("Stop") if running else tr("Start"))
        if not running:
            self.fps_label.clear()

    def _render_caption(self, i: int) -> None:
        """Door, direction and frame rate above camera i's picture."""
        camera, fps = self.cameras[i], self.tile_fps[i]
        rate = tr("{fps:.1f} FPS").format(fps=fps) if self.tile_states[i][0] == lw.RUNNING and fps else ""
        name = camera_name(camera.door or self.context.gallery.door, camera.direction, self._spec_name(camera.source))
        self.wall.tiles[i].caption.setText(f"{name}   {rate}" if rate else name)

    @staticmethod
    def _state_message(state: str, detail: str, source: str) -> str:
        messages = {
            lw.OPENING: tr("Opening {source}…").format(source=source) if source else "",
            lw.LOADING: tr("Loading the recognition models…"),
            lw.RUNNING: "",
            lw.LOST: tr("The camera is not available. Reconnecting…"),
            lw.ENDED: tr("The video has ended."),
            lw.STOPPED: tr("Stopped. Pick a camera or open a video file."),
            lw.FAILED: tr("The picture cannot be shown: {detail}").format(detail=detail),
            lw.NO_MODELS: tr("Recognition is unavailable: the models could not be loaded. Details are in the log file."),
        }
        return messages.get(state, "")

    @Slot(float)
    def _on_fps(self, fps: float) -> None:
        i = self._camera_of(self.sender())
        if i == 0:
            self.fps_label.setText(tr("{fps:.1f} FPS").format(fps=fps))
        if i >= 0 and len(self.workers) > 1:
            self.tile_fps[i] = fps
            self._render_caption(i)

    def _event_camera(self, event: dict) -> str:
        camera = event.get("camera")
        return "" if camera is None else camera_name(camera["door"], camera["direction"], camera["name"])

    @Slot(list)
    def _on_events(self, events: list) -> None:
        i = self._camera_of(self.sender())
        for event in events:
            if len(self.workers) > 1 and i >= 0:  # where several cameras run, say which one saw it
                cam = self.cameras[i]
                event = {**event, "camera": {"door": cam.door or self.context.gallery.door, "direction": cam.direction,
                                             "name": self._spec_name(cam.source)}}
            item = QListWidgetItem(describe_event(event, self._event_camera(event)))
            item.setData(Qt.ItemDataRole.UserRole, event)  # to word it again in another language
            granted = (event.get("details") or {}).get("access") == "granted"
            item.setForeground(QColor("#2ea043") if granted else QColor("#da3633"))
            self.recent.insertItem(0, item)
        while self.recent.count() > RECENT_MAX:
            self.recent.takeItem(self.recent.count() - 1)
        self.context.events_added.emit(events)

    def retranslate(self) -> None:
        self.source_label.setText(tr("Source:"))
        self.probe_button.setText(tr("Find cameras"))
        self.file_button.setText(tr("Open video file…"))
        self.url_button.setText(tr("Open stream…"))
        self.recent_title.setText(tr("Latest recognitions"))
        self.banner.retranslate()
        for i in range(self.source_box.count()):
            self.source_box.setItemText(i, self._spec_name(self.source_box.itemData(i)))
        for i in range(self.recent.count()):
            item = self.recent.item(i)
            event = item.data(Qt.ItemDataRole.UserRole)
            item.setText(describe_event(event, self._event_camera(event)))
        self._render_state()
