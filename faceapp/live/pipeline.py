"""The live pipeline, Qt-free: one camera frame in, tracked faces with their decisions out.

detect -> track -> (per track, only what it still needs) eyes for the blink, the passive
photo/screen check, mask check and embedding -> identity vote -> access decision -> events,
attendance and the door action. The policy's liveness mode (faceapp.live.passive) says which of
the blink and the passive check a face needs.

Stages are skipped when their answer is already known: eyes only while a track waits for its blink,
the passive check on a few frames spaced apart until its score settles,
embedding every frame only until the identity vote settles (then once per LIVE.reembed_s, enough to
notice a swap), and between whole-frame detections (every LIVE.full_detect_s) faces are looked for
only around their last box. A settled, live face costs one small detection per frame.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime
from typing import Any

import cv2
import numpy as np

from faceapp.access.policy import AccessPolicy, ActionRunner, OutputAction, Sighting, decide
from faceapp.attendance import Attendance
from faceapp.settings import Camera
from faceapp.config import LIVE, LiveConfig
from faceapp.vision.engine import StageTimer
from faceapp.storage.gallery import Gallery, GalleryError, now
from faceapp.recognition.model_versions import model_file, ready_version
from faceapp.recognition.recognizer import Recognizer, embedder_version
from faceapp.live.passive import LivenessMode, Verdict, verdict
from faceapp.recognition.search import GallerySearch
from faceapp.live.tracker import Track, Tracker, iou
from faceapp.types import Decision, Detection, Face, FrameResult, TrackView

log = logging.getLogger(__name__)


class LivePipeline:
    """Owns the tracker and the per-track state. One thread calls `process`; the GUI reads the results.

    log_events=False keeps the gallery untouched (a dry run); actions=None runs no door output.
    liveness overrides the settings' liveness mode (e.g. "none" treats every face as live). camera says
    which door this camera watches and which way it faces (one of several cameras on this PC): its
    events carry them and its attendance records count for first-in, last-out or both. searches:
    the gallery search index per model version, shared by the pipelines of several cameras (one
    index in memory, reloaded once per gallery change)."""

    def __init__(
        self,
        engine,
        gallery: Gallery,
        *,
        config: LiveConfig = LIVE,
        liveness: LivenessMode | str | None = None,
        log_events: bool = True,
        actions: ActionRunner | None = None,
        camera: Camera | None = None,
        searches: dict[int, GallerySearch] | None = None,
    ):
        self.engine = engine
        self.camera = camera or Camera(None)
        self.gallery = gallery
        self.config = config
        self.liveness_override = None if liveness is None else LivenessMode(liveness)
        self.log_events = log_events
        self.actions = actions
        self._searches = {} if searches is None else searches
        # The weights the recognizer's model version belongs to: every frame embeds with them, even if
        # the engine switches model mid-frame (the next frame follows it, see _follow_embedder).
        self._embedder = engine.embedder
        self.model_version = embedder_version(gallery, engine.embedder)
        self.recognizer = Recognizer(gallery, self.model_version, search=self._search())
        self.attendance = Attendance(gallery)
        self.tracker = Tracker()
        self.frame_index = 0
        self._logged: dict[tuple, float] = {}  # (who, kind) -> timestamp of its last logged event
        self._last_full: float | None = None  # timestamp of the last whole-frame detection
        self._revision: int | None = None  # the gallery revision _follow_active_version last looked at
        # The active version this pipeline has followed (at start: whatever was active; the engine was
        # given its weights): only a newer activation moves it, not an engine switched by hand.
        active = gallery.active_model()
        self._followed = active.id if active is not None else None
        self.reload_settings()

    def reload_settings(self) -> None:
        """Re-read thresholds, door policy and output action after Settings changed."""
        self.policy = AccessPolicy.from_settings(self.gallery)
        if self.liveness_override is not None:
            self.policy = replace(self.policy, liveness_mode=self.liveness_override)
        self.recognizer.policy = self.policy
        self.action = OutputAction.from_settings(self.gallery)

    def _follow_embedder(self) -> None:
        """The engine embeds with other weights (a model version activated in the Trainer tab): search
        the gallery's embeddings of their version from now on, and start the tracks over, whose
        matches came from the old weights."""
        self._embedder = self.engine.embedder
        self.model_version = embedder_version(self.gallery, self._embedder)
        self.recognizer = Recognizer(self.gallery, self.model_version, self.policy, self._search())
        self.reset()

    def _follow_active_version(self) -> None:
        """Another door (or this PC's Trainer tab) activated a model version: once all its embeddings
        are stored, load its file (fetched from the server, sha256 checked) into the engine, without a
        restart. Only asked when the gallery's revision moved (on a server: told by its change
        notifications, so no query per frame); a version whose file cannot be had keeps the old one."""
        revision = self.gallery.revision()
        if revision == self._revision:
            return
        self._revision = revision
        from faceapp.vision.embedder import Embedder

        try:
            mv = ready_version(self.gallery, self.model_version)
            if mv is None or mv.id == self._followed:
                return
            self.engine.embedder = Embedder(model_file(self.gallery, mv))
        except GalleryError as exc:
            log.error("staying with model version %s: %s", self.model_version.id, exc)
            return
        self._followed = mv.id
        log.info("recognising with model version %s (%s)", mv.id, mv.name)

    def _search(self) -> GallerySearch:
        # setdefault is atomic: two cameras' loaders asking at once still share one index
        return self._searches.setdefault(self.model_version.id, GallerySearch(self.gallery, self.model_version))

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
            # frame stays tracked between whole-frame detections (~2 ms, only for such faces). No
            # presence check: the whole-frame detection that started the track made it.
            crop = frame[y0:y1, x0:x1]
            for d in self.engine.detector.detect(crop, min_face_size=min_face, second_pass="if_none",
                                                 presence_check=False):
                d = d.moved(1.0, x0, y0)
                if all(iou(d.box, other.box) < 0.5 for other in found):  # windows of close faces overlap
                    found.append(d)
        return found

    def _analyse(self, frame: np.ndarray, tracks: list[Track], t: float, timer: StageTimer) -> list[Track]:
        """Run on each track only the stages it still needs; returns the tracks that got an embedding."""
        groups: dict[tuple[bool, bool], list[Track]] = {}
        for tr in tracks:
            groups.setdefault((self._needs_eyes(tr, t), self._needs_embedding(tr, t)), []).append(tr)
        self._check_passive(frame, tracks, t, timer)
        embedded = []
        for (eyes, embed), group in groups.items():
            faces = self.engine.analyze(frame, [tr.detection for tr in group], eyes=eyes, mask=embed, embed=embed,
                                        timer=timer, embedder=self._embedder)
            if not embed:  # a face that stopped looking like the last frame's is checked now (a cut)
                changed = [i for i, (tr, face) in enumerate(zip(group, faces)) if tr.looks_changed(face)]
                again = self.engine.analyze(frame, [faces[i].detection for i in changed], eyes=False, timer=timer,
                                            embedder=self._embedder) if changed else []
                for i, face in zip(changed, again):
                    face.eyes, faces[i] = faces[i].eyes, face
            for tr, face in zip(group, faces):
                if tr.disagrees(face):
                    tr = self.tracker.restart(tr, face, t)  # someone else stepped into this box
                tr.analysed(face, t)
                if eyes:
                    tr.liveness.update(t, face.eyes)
                if face.embedding is not None:
                    embedded.append(tr)
        return embedded

    def _check_passive(self, frame: np.ndarray, tracks: list[Track], t: float, timer: StageTimer) -> None:
        """The photo/screen check on the tracks that still need a score from this frame."""
        if not self.policy.liveness_mode.needs_passive:
            return
        due = [tr for tr in tracks if tr.passive.wants(t) and not self._dormant(tr, t)]
        if not due:
            return
        start = time.perf_counter()
        for tr, score in zip(due, self.engine.antispoof.score(frame, np.stack([tr.box for tr in due]))):
            tr.passive.add(t, float(score))
        timer.add("antispoof", start)

    def _needs_embedding(self, tr: Track, t: float) -> bool:
        """Until the vote settles, then every reembed_s; at once when the box jumped, and on the
        frame a decision is due, so that it rests on the face in front of the camera now."""
        return (tr.identity is None or tr.embedded_at is None or t - tr.embedded_at >= self.config.reembed_s
                or tr.jumped or self._decision_due(tr, t))

    def _decision_due(self, tr: Track, t: float) -> bool:
        """A known face's decision is made this frame unless its face disagrees (see _decide)."""
        ident, lv = tr.identity, self._verdict(tr)
        return (ident is not None and ident.known and (lv.live or lv.spoof_suspected or self._timed_out(tr, t))
                and tr.state.get("decided") != (ident.person_id, lv.live, lv.spoof_suspected))

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

    def _verdict(self, tr: Track) -> Verdict:
        return verdict(self.policy.liveness_mode, tr.liveness.live, tr.passive, self.policy.spoof_threshold)

    def _live(self, tr: Track) -> bool:
        return self._verdict(tr).live

    def _timed_out(self, tr: Track, t: float) -> bool:
        return t - tr.first_seen >= self.config.liveness_timeout_s

    def _dormant(self, tr: Track, t: float) -> bool:
        """An unknown face that did not pass liveness within the wait: denied whether it blinks or
        not (and maybe not a face at all), so it gets no eye reads and is only looked for in whole
        frames."""
        return (not self._live(tr) and tr.identity is not None and not tr.identity.known
                and self._timed_out(tr, t))

    def _needs_eyes(self, tr: Track, t: float) -> bool:
        return (self.policy.liveness_mode.needs_blink and not tr.liveness.live
                and not self._verdict(tr).spoof_suspected and not self._dormant(tr, t))

    def _decide(self, tr: Track, t: float, when: datetime) -> dict[str, Any] | None:
        """The access decision for a track once its identity is settled and its liveness too (live,
        a photo or screen suspected, or the wait for a blink ran out); one per identity per track."""
        ident = tr.identity
        if ident is None:
            return None  # still voting
        lv = self._verdict(tr)
        key = (ident.person_id, lv.live, lv.spoof_suspected)
        if tr.state.get("decided") == key:
            return None
        if not lv.live and (not ident.known or not (lv.spoof_suspected or self._timed_out(tr, t))):
            # waiting for a blink or the passive score; an unknown face that is not live is not
            # worth a log line (a detector's false face would fill the log)
            return None
        if ident.known and not (tr.votes and tr.votes[-1].t == t and tr.votes[-1].match.person_id == ident.person_id):
            return None  # a name is decided on a frame whose own face matches it (embedded: _decision_due)
        person = self.recognizer.person(ident.person_id) if ident.known else None
        sighting = Sighting(person=person, score=ident.score, margin=ident.margin, live=lv.live, masked=tr.masked,
                            spoof_suspected=lv.spoof_suspected, passive_score=tr.passive.score)
        result = decide(sighting, self.recognizer.policy_now(), when)
        tr.state["decided"] = key
        tr.state["decision"] = Decision(result.granted, str(result.reason or "granted"), result.message,
                                        tr.passive.score)
        event = result.event(sighting, when)
        event.door = self.camera.door or None  # a camera without a door name is at this installation's door
        if self.camera.direction != "both":  # an In or Out camera: attendance reads it from here
            event.details["direction"] = self.camera.direction
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

    def _view(self, tr: Track) -> TrackView:
        v = self._verdict(tr)
        return TrackView(
            track_id=tr.id,
            box=tr.box,
            landmarks=tr.detection.landmarks,
            match=tr.identity,
            live=v.live,
            liveness_pending=v.waiting_for == "blink",
            masked=tr.masked,
            eyes=tr.face.eyes,
            decision=tr.state.get("decision"),
            spoof_suspected=v.spoof_suspected,
            passive_score=tr.passive.score,
        )

    # --- one frame --------------------------------------------------------------------------------

    def process(self, frame: np.ndarray, timestamp: float, when: datetime | None = None) -> FrameResult:
        """One frame: `timestamp` in seconds (media time for files, monotonic for cameras) times
        blinks and votes; `when` (default now) stamps the logged events."""
        self._follow_active_version()
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
        views = [self._view(tr) for tr in tracks]
        timer.ms["total"] = (time.perf_counter() - start) * 1000.0
        result = FrameResult(self.frame_index, timestamp, views, events, dict(timer.ms))
        self.frame_index += 1
        return result
