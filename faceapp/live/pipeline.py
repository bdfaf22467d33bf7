"""The live pipeline, Qt-free: one camera frame in, tracked faces with their decisions out.

detect -> track -> (per track, only what it still needs) eyes for liveness, mask check and embedding
-> identity vote -> access decision -> events, attendance and the door action.

Stages are skipped when their answer is already known: eyes only while a track waits for its blink,
embedding every frame only until the identity vote settles (then once per LIVE.reembed_s, enough to
notice a swap), and between whole-frame detections (every LIVE.full_detect_s) faces are looked for
only around their last box. A settled, live face costs one small detection per frame.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import cv2
import numpy as np

from faceapp.access.policy import AccessPolicy, ActionRunner, OutputAction, Sighting, decide
from faceapp.attendance import Attendance
from faceapp.config import LIVE, TRACKER, LiveConfig
from faceapp.vision.engine import StageTimer
from faceapp.storage.gallery import Gallery, GalleryError, now
from faceapp.recognition.recognizer import Recognizer, embedder_version
from faceapp.live.tracker import Track, Tracker, iou
from faceapp.types import Decision, Detection, Face, FrameResult, TrackView


class LivePipeline:
    """Owns the tracker and the per-track state. One thread calls `process`; the GUI reads the results.

    log_events=False keeps the gallery untouched (a dry run); actions=None runs no door output.
    require_liveness=False treats every face as live (for setups without a blink check)."""

    def __init__(
        self,
        engine,
        gallery: Gallery,
        *,
        config: LiveConfig = LIVE,
        require_liveness: bool = True,
        log_events: bool = True,
        actions: ActionRunner | None = None,
    ):
        self.engine = engine
        self.gallery = gallery
        self.config = config
        self.require_liveness = require_liveness
        self.log_events = log_events
        self.actions = actions
        # The weights the recognizer's model version belongs to: every frame embeds with them, even if
        # the engine switches model mid-frame (the next frame follows it, see _follow_embedder).
        self._embedder = engine.embedder
        self.model_version = embedder_version(gallery, engine.embedder)
        self.recognizer = Recognizer(gallery, self.model_version)
        self.attendance = Attendance(gallery)
        self.tracker = Tracker()
        self.frame_index = 0
        self._logged: dict[tuple, float] = {}  # (who, kind) -> timestamp of its last logged event
        self._last_full: float | None = None  # timestamp of the last whole-frame detection
        self.reload_settings()

    def reload_settings(self) -> None:
        """Re-read thresholds, door policy and output action after Settings changed."""
        self.policy = AccessPolicy.from_settings(self.gallery)
        self.recognizer.policy = self.policy
        self.action = OutputAction.from_settings(self.gallery)

    def _follow_embedder(self) -> None:
        """The engine embeds with other weights (a model version activated in the Trainer tab): search
        the gallery's embeddings of their version from now on, and start the tracks over, whose
        matches came from the old weights."""
        self._embedder = self.engine.embedder
        self.model_version = embedder_version(self.gallery, self._embedder)
        self.recognizer = Recognizer(self.gallery, self.model_version, self.policy)
        self.reset()

    def reset(self) -> None:
        """Forget every track (a new source, a camera that reconnected)."""
        self.tracker = Tracker()
        self._last_full = None

    # --- stages -----------------------------------------------------------------------------------

    def _detect(self, frame: np.ndarray, t: float, timer: StageTimer) -> list[Detection]:
        """Whole-frame detection now and then (and whenever nothing is tracked); in between, only
        around the tracked faces."""
        start = time.perf_counter()
        tracked = [tr for tr in self.tracker.tracks if tr.misses == 0 and not self._dormant(tr, t)]
        if not tracked or self._last_full is None or t - self._last_full >= self.config.full_detect_s \
                or t < self._last_full:
            found = self._detect_full(frame)
            self._last_full = t
            timer.add("detect", start)
        else:
            found = self._detect_around(frame, tracked)
            timer.add("detect_roi", start)
        return found

    def _detect_full(self, frame: np.ndarray) -> list[Detection]:
        h, w = frame.shape[:2]
        scale = self.config.detect_long_side / max(h, w)
        if scale >= 1.0:
            return self.engine.detect(frame)
        small = cv2.resize(frame, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        return [d.moved(1 / scale) for d in self.engine.detect(small)]

    def _detect_around(self, frame: np.ndarray, tracks: list[Track]) -> list[Detection]:
        h, w = frame.shape[:2]
        found: list[Detection] = []
        for tr in tracks:
            cx, cy = (tr.box[:2] + tr.box[2:]) / 2
            half = self.config.roi_scale * tr.detection.size / 2
            x0, y0 = max(int(cx - half), 0), max(int(cy - half), 0)
            x1, y1 = min(int(cx + half) + 1, w), min(int(cy + half) + 1, h)
            if x1 - x0 < 24 or y1 - y0 < 24:
                continue
            min_face = max(self.config.roi_min_face * tr.detection.size, 20.0)
            # The second detector only where MTCNN lost the face: a masked face it found in the whole
            # frame stays tracked between whole-frame detections (~2 ms, only for such faces).
            crop = frame[y0:y1, x0:x1]
            for d in self.engine.detector.detect(crop, min_face_size=min_face, second_pass="if_none"):
                d = d.moved(1.0, x0, y0)
                if all(iou(d.box, other.box) < 0.5 for other in found):  # windows of close faces overlap
                    found.append(d)
        return found

    def _analyse(self, frame: np.ndarray, tracks: list[Track], t: float, timer: StageTimer) -> list[Track]:
        """Run on each track only the stages it still needs; returns the tracks that got an embedding."""
        groups: dict[tuple[bool, bool], list[Track]] = {}
        for tr in tracks:
            eyes = self._needs_eyes(tr, t)
            embed = tr.identity is None or tr.embedded_at is None or t - tr.embedded_at >= self.config.reembed_s
            groups.setdefault((eyes, embed), []).append(tr)
        embedded = []
        for (eyes, embed), group in groups.items():
            faces = self.engine.analyze(frame, [tr.detection for tr in group], eyes=eyes, mask=embed, embed=embed,
                                        timer=timer, embedder=self._embedder)
            for tr, face in zip(group, faces):
                if embed and tr.embedding is not None and tr.identity is not None \
                        and float(face.embedding @ tr.embedding) < TRACKER.embed_reject:
                    tr = self.tracker.restart(tr, face, t)  # someone else stepped into this box
                tr.analysed(face, t)
                if eyes:
                    tr.liveness.update(t, face.eyes)
                if embed:
                    embedded.append(tr)
        return embedded

    def _identify(self, tracks: list[Track], t: float, timer: StageTimer) -> None:
        if not tracks:
            return
        start = time.perf_counter()
        # the track's smoothed mask state picks the threshold, not this one frame's
        matches = self.recognizer.identify_batch(np.stack([tr.embedding for tr in tracks]), [tr.masked for tr in tracks])
        for tr, match in zip(tracks, matches):
            tr.add_vote(match, t)
        timer.add("identify", start)

    # --- decisions and events ---------------------------------------------------------------------

    def _live(self, tr: Track) -> bool:
        return tr.liveness.live or not self.require_liveness

    def _timed_out(self, tr: Track, t: float) -> bool:
        return t - tr.first_seen >= self.config.liveness_timeout_s

    def _dormant(self, tr: Track, t: float) -> bool:
        """An unknown face that did not blink within the wait: denied whether it blinks or not (and
        maybe not a face at all), so it gets no eye reads and is only looked for in whole frames."""
        return (not self._live(tr) and tr.identity is not None and not tr.identity.known
                and self._timed_out(tr, t))

    def _needs_eyes(self, tr: Track, t: float) -> bool:
        return not self._live(tr) and not self._dormant(tr, t)

    def _decide(self, tr: Track, t: float, when: datetime) -> dict[str, Any] | None:
        """The access decision for a track once its identity is settled (and it blinked, or the
        blink wait ran out); one per identity per track."""
        ident = tr.identity
        if ident is None:
            return None  # still voting
        live = self._live(tr)
        key = (ident.person_id, live)
        if tr.state.get("decided") == key:
            return None
        if not live and (not ident.known or not self._timed_out(tr, t)):
            return None  # "please blink"; an unknown face that never blinks is not worth a log line
        person = self.recognizer.person(ident.person_id) if ident.known else None
        sighting = Sighting(person=person, score=ident.score, margin=ident.margin, live=live, masked=tr.masked)
        result = decide(sighting, self.recognizer.policy_now(), when)
        tr.state["decided"] = key
        tr.state["decision"] = Decision(result.granted, str(result.reason or "granted"), result.message)
        event = result.event(sighting, when)
        who = ident.person_id if ident.known else ("track", tr.id)
        repeat = t - self._logged.get((who, event.kind), -np.inf) < self.config.event_repeat_s
        attendance, error = None, None
        if self.log_events and not repeat:
            try:
                attendance = self.attendance.log(event)  # the event, and attendance when recognised
            except GalleryError as exc:  # a busy, full or read-only database must not stop the camera
                error = str(exc)
            self._logged = {k: v for k, v in self._logged.items() if t - v < self.config.event_repeat_s}
            self._logged[(who, event.kind)] = t
        if result.granted and self.actions is not None and not repeat:
            self.actions.submit(self.action, event.to_json())
        return {
            **event.to_json(),
            "track_id": tr.id,
            "timestamp": round(t, 3),
            "logged": self.log_events and not repeat and error is None,
            "attendance": attendance is not None,
            **({"log_error": error} if error else {}),
        }

    # --- one frame --------------------------------------------------------------------------------

    def process(self, frame: np.ndarray, timestamp: float, when: datetime | None = None) -> FrameResult:
        """One frame: `timestamp` in seconds (media time for files, monotonic for cameras) times
        blinks and votes; `when` (default now) stamps the logged events."""
        if self.engine.embedder is not self._embedder:
            self._follow_embedder()
        timer = StageTimer()
        start = time.perf_counter()
        detections = self._detect(frame, timestamp, timer)
        tracks = self.tracker.update([Face(detection=d) for d in detections], timestamp)
        embedded = self._analyse(frame, tracks, timestamp, timer)
        self._identify(embedded, timestamp, timer)
        # seen in this frame (restarts replaced some), and dormant ones between whole-frame detections
        tracks = [tr for tr in self.tracker.tracks if tr.seen_now or self._dormant(tr, timestamp)]
        when = when or now()
        events = [e for e in (self._decide(tr, timestamp, when) for tr in tracks) if e is not None]
        views = [
            TrackView(
                track_id=tr.id,
                box=tr.box,
                landmarks=tr.detection.landmarks,
                match=tr.identity,
                live=tr.liveness.live,
                liveness_pending=self.require_liveness and not tr.liveness.live,
                masked=tr.masked,
                eyes=tr.face.eyes,
                decision=tr.state.get("decision"),
            )
            for tr in tracks
        ]
        timer.ms["total"] = (time.perf_counter() - start) * 1000.0
        result = FrameResult(self.frame_index, timestamp, views, events, dict(timer.ms))
        self.frame_index += 1
        return result
