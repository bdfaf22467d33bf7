"""The application context: one object wiring data folder, settings, gallery, engine and admin lock.

Pages and dialogs get the context instead of reaching for globals, so tests build one on a
temporary data folder and the whole UI runs against it. Its signals tell every page when shared
state changed (people, events, settings, language, lock).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from faceapp import settings
from faceapp.access import admin_pin as adminpin
from faceapp.logfile import remove_logging, setup_logging
from faceapp.reasons import ReasonError
from faceapp.ui import i18n

log = logging.getLogger(__name__)

PIN_KEY = adminpin.HASH_KEY


class AppContext(QObject):
    people_changed = Signal()
    events_added = Signal(list)  # event dicts from the live pipeline, in the GUI thread
    settings_changed = Signal()
    language_changed = Signal()
    lock_changed = Signal(bool)  # True: the admin parts are unlocked
    action_failed = Signal(str)  # a door output action failed (forwarded from the live worker)
    model_changed = Signal()  # another embedder version was activated (Trainer tab)
    models_loaded = Signal()  # the engine finished loading (in a worker thread; queued to the GUI)

    def __init__(self, data_dir: Path, parent: QObject | None = None, *, engine=None):
        """engine: an Engine already loaded (tests share one); by default it loads on first use."""
        from faceapp.attendance import Attendance
        from faceapp.storage.gallery import Gallery

        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log_handler = setup_logging(self.data_dir)
        self.log_path = Path(self._log_handler.baseFilename)
        self.gallery = Gallery.open(self.data_dir)  # or the server given by --database / the data folder
        self.attendance = Attendance(self.gallery)
        # Window size, last tab and language: per data folder, so a test run never touches the user's.
        self.ui_settings = QSettings(str(self.data_dir / "ui.ini"), QSettings.Format.IniFormat)
        self._engine = engine
        self._engine_lock = threading.Lock()
        self._searches: dict = {}  # the gallery search index per model version, shared by the cameras
        self.live_view = None  # the Live tab (set by it): enrollment borrows its camera
        self._unlocked = not self.pin_is_set()
        self.model_changed.connect(self.follow_active_model)
        i18n.set_language(str(self.ui_settings.value("language", i18n.DEFAULT)))
        self._choose_provider()

    # --- models -------------------------------------------------------------------------------
    def engine(self):
        """The shared Engine, loaded on first use (in whichever worker thread asks first)."""
        with self._engine_lock:
            if self._engine is None:
                from faceapp.vision.engine import Engine

                log.info("loading models")
                self._engine = Engine(embedder_file=self.active_embedder_file())
                self.models_loaded.emit()
            return self._engine

    def _choose_provider(self) -> None:
        """The models load on the provider stored in Settings; a change applies at the next start
        (sessions are not reopened under a running camera)."""
        from faceapp.vision.onnx_model import use_provider

        try:
            use_provider(settings.value(self.gallery, "inference.provider"))
        except ReasonError as exc:  # a value stored by hand: the default, not a dead app
            log.warning("stored provider refused (%s); choosing automatically", exc)
            use_provider("automatic")

    def active_embedder_file(self) -> Path:
        """The ONNX file of the gallery's active model version; the shipped model if that file is gone."""
        from faceapp.storage.gallery import GalleryError
        from faceapp.recognition.model_versions import BASE_MODEL_FILE, active_model_file, upgrade_base
        from faceapp.resources import model_path

        try:
            upgrade_base(self.gallery)  # a gallery from an earlier version: its crops embedded again, once
            return active_model_file(self.gallery)
        except GalleryError as exc:
            log.error("%s; recognising with the shipped model", exc)
            return model_path(BASE_MODEL_FILE)

    def follow_active_model(self) -> None:
        """Make the engine embed with the active model version after the Trainer tab switched it;
        the live pipeline follows from its next frame (a frame in progress finishes with the weights
        it started with), enrollment from the next one."""
        from faceapp.vision.embedder import Embedder

        with self._engine_lock:
            if self._engine is None:
                return  # it loads the active model when it is first needed
            path = self.active_embedder_file()
            if Path(self._engine.embedder.path).resolve() != path.resolve():
                log.info("recognising with %s", path.name)
                self._engine.embedder = Embedder(path)

    def close(self) -> None:
        self.gallery.close()
        remove_logging(self._log_handler)

    def make_pipeline(self, actions, camera=None):
        """The live pipeline of one camera (settings.Camera; the first camera when None) driving the
        session's door `actions` (called in the worker's loader thread: loading models takes
        seconds). The cameras' pipelines share the engine and the search index."""
        from faceapp.live.pipeline import LivePipeline

        return LivePipeline(self.engine(), self.gallery, actions=actions, camera=camera or self.cameras()[0],
                            searches=self._searches)

    def apply_settings(self, pipeline, camera=None) -> None:
        """Make a running pipeline follow changed settings, liveness mode and its camera's door and
        direction included (called in the worker thread)."""
        pipeline.reload_settings()
        if camera is not None:
            pipeline.camera = camera

    def enroller(self):
        """An Enroller on the shared engine (loads the models if they are not loaded yet)."""
        from faceapp.recognition.enroll import Enroller

        return Enroller(self.engine(), self.gallery)

    # --- sources ------------------------------------------------------------------------------
    def open_source(self, spec):
        from faceapp.live.sources import open_source

        return open_source(spec)

    def probe_cameras(self) -> list:
        from faceapp.live.sources import probe_cameras

        return probe_cameras()

    def cameras(self) -> list:
        """The cameras to run (settings.Camera): the Settings' list, or its one camera (camera 0 by
        default); a stored list that no longer passes the checks leaves the one camera."""
        try:
            listed = settings.value(self.gallery, "camera.list")
        except ValueError as exc:  # ReasonError
            log.warning("stored camera list refused: %s", exc)
            listed = []
        return [settings.Camera(**c) for c in listed] or [settings.Camera(self.default_camera())]

    def default_camera(self):
        """The one camera chosen in Settings (an index, or a stream URL), camera 0 by default."""
        return settings.value(self.gallery, "camera.source")

    def default_source(self):
        """What the live view starts with: the first camera."""
        return self.cameras()[0].source

    # --- gallery views ------------------------------------------------------------------------
    def photos(self, person_id: int) -> tuple:
        """(the first photo's face crop or None, number of photos, number of masked variants made
        from them): enrollment stores synthetic masked templates beside each photo."""
        samples = self.gallery.samples_for(person_id)
        photos = [s for s in samples if not s.mask_kind.startswith("synthetic")]
        return (photos[0].crop if photos else None), len(photos), len(samples) - len(photos)

    def test_action(self, action: dict) -> str:
        """Run an output action once with a test event (blocking); raises with the reason on failure."""
        from faceapp.access.policy import OutputAction
        from faceapp.storage.gallery import now

        OutputAction.from_json(action, settings.value(self.gallery, "access.action_timeout_s")).run(
            {"kind": "test", "time": now().isoformat(timespec="seconds"), "person_name": "Test", "details": {"access": "test"}}
        )
        return "OK"

    # --- language -----------------------------------------------------------------------------
    def set_language(self, code: str) -> None:
        if code == i18n.language():
            return
        i18n.set_language(code)
        self.ui_settings.setValue("language", i18n.language())
        self.language_changed.emit()

    # --- admin lock ---------------------------------------------------------------------------
    def pin_is_set(self) -> bool:
        return self.pin_guard.is_set()

    @property
    def pin_guard(self) -> adminpin.PinGuard:
        return adminpin.PinGuard(self.gallery)

    @property
    def unlocked(self) -> bool:
        return self._unlocked

    def set_pin(self, pin: str | None) -> None:
        """Set (or with None, remove) the admin PIN; raises adminpin.PinError for a weak PIN."""
        self.pin_guard.set(pin)
        log.info("admin PIN %s", "set" if pin else "removed")
        self._unlocked = True
        self.lock_changed.emit(True)  # also when already unlocked: the PIN's presence changed

    def unlock(self, pin: str) -> bool:
        """True if unlocked; a wrong PIN, or any PIN during the wait after wrong ones, gives False
        (pin_wait_s() then says how long to wait)."""
        ok = self.pin_guard.check(pin).ok
        self._set_unlocked(self._unlocked or ok)
        return ok

    def pin_wait_s(self) -> float:
        return self.pin_guard.wait_s()

    def lock(self) -> None:
        self._set_unlocked(not self.pin_is_set())

    def _set_unlocked(self, value: bool) -> None:
        if value != self._unlocked:
            self._unlocked = value
            self.lock_changed.emit(value)
