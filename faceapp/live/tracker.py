"""Multi-face tracking across frames, and the identity vote that a track's decision rests on.

Detections are joined to tracks by box overlap (IoU), checked by the face embedding when both sides
have one: a different face in the same spot starts a new track, and a face that jumped (fast motion,
a dropped frame) is picked up again by its embedding. Each track keeps its recent history and the
identity votes of its frames; an identity is committed only when several frames, weighted by face
size and detection quality, agree.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from faceapp.config import TRACKER, TrackerConfig
from faceapp.live.liveness import BlinkDetector
from faceapp.live.passive import PassiveCheck
from faceapp.types import Detection, Face, Match
from faceapp.vision.boxes import iou


def thumbnail(aligned: np.ndarray) -> np.ndarray | None:
    """16x16 gray of an aligned face, zero-mean and unit-norm: two frames' dot product is their
    correlation, which a cut to another face drops (~0.05 ms). None for a flat crop (nothing to compare)."""
    g = cv2.resize(cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY), (16, 16), interpolation=cv2.INTER_AREA)
    g = g.astype(np.float32).ravel()
    g -= g.mean()
    norm = float(np.linalg.norm(g))
    return g / norm if norm > 1e-3 else None


@dataclass(slots=True)
class Vote:
    t: float
    match: Match
    weight: float


@dataclass(slots=True)
class TrackSample:
    t: float
    box: np.ndarray
    score: float


@dataclass(eq=False)
class Track:
    """One face followed over time. `state` is free for the pipeline (events sent, decisions made)."""

    id: int
    face: Face
    first_seen: float
    last_seen: float
    config: TrackerConfig = TRACKER
    age: int = 1  # frames this track was seen in
    misses: int = 0  # frames in a row it was not seen
    history: deque[TrackSample] = field(default_factory=lambda: deque(maxlen=64))
    votes: deque[Vote] = field(default_factory=deque)
    identity: Match | None = None  # committed by the vote; None while undecided
    embedding: np.ndarray | None = None  # latest embedding of this face
    embedded_at: float | None = None
    liveness: BlinkDetector = field(default_factory=BlinkDetector)
    passive: PassiveCheck = field(default_factory=PassiveCheck)  # anti-spoofing scores, until settled
    mask_scores: deque[float] = field(default_factory=lambda: deque(maxlen=TRACKER.mask_history))
    state: dict = field(default_factory=dict)
    jumped: bool = False  # this frame's box jumped from the last one (TrackerConfig.jump_iou)
    look: np.ndarray | None = None  # thumbnail of the last aligned crop (appearance)
    # (crop, its thumbnail) last computed: looks_changed and analysed see the same crop in a frame
    thumb_of: tuple[np.ndarray, np.ndarray | None] | None = None

    @property
    def box(self) -> np.ndarray:
        return self.face.detection.box

    @property
    def detection(self) -> Detection:
        return self.face.detection

    @property
    def seen_now(self) -> bool:
        return self.misses == 0

    def observe(self, face: Face, t: float) -> None:
        self.jumped = iou(self.box, face.detection.box) < self.config.jump_iou
        self.face = face
        self.last_seen = t
        self.age += 1
        self.misses = 0
        self.history.append(TrackSample(t, face.detection.box.copy(), face.detection.score))
        if face.embedding is not None:
            self.embedding, self.embedded_at = face.embedding, t

    def _thumbnail(self, aligned: np.ndarray) -> np.ndarray | None:
        if self.thumb_of is None or self.thumb_of[0] is not aligned:
            self.thumb_of = (aligned, thumbnail(aligned))
        return self.thumb_of[1]

    def looks_changed(self, face: Face) -> bool:
        """This frame's aligned face no longer looks like the last one (TrackerConfig.look_change)."""
        now = None if self.look is None or face.aligned is None else self._thumbnail(face.aligned)
        return now is not None and float(now @ self.look) < self.config.look_change

    def disagrees(self, face: Face) -> bool:
        """This frame's embedding says another person than the track's last one."""
        return self.embedding is not None and face.embedding is not None \
            and float(face.embedding @ self.embedding) < self.config.identity_reject

    def analysed(self, face: Face, t: float) -> None:
        """This frame's face after the per-face stages (eyes, mask, embedding) ran on it."""
        self.face = face
        if face.aligned is not None:
            self.look = self._thumbnail(face.aligned)
        if face.embedding is not None:
            self.embedding, self.embedded_at = face.embedding, t
        if face.mask_score is not None:
            self.mask_scores.append(face.mask_score)

    @property
    def masked(self) -> bool | None:
        """Mask state over the last few checks, so one odd frame does not flip it."""
        from faceapp.config import THRESHOLDS

        if not self.mask_scores:
            return None
        return float(np.mean(self.mask_scores)) >= THRESHOLDS.mask_probability

    def vote_weight(self, face: Face) -> float:
        """Bigger, surer faces count more: a small or doubtful detection gives a noisier embedding."""
        size = min(face.detection.size / self.config.full_weight_size, 1.0)
        return max(size, 0.1) * float(np.clip(face.detection.score, 0.0, 1.0))

    def add_vote(self, match: Match, t: float, weight: float | None = None) -> Match | None:
        """Record this frame's 1:N result; returns the committed identity (which may be unchanged)."""
        c = self.config
        self.votes.append(Vote(t, match, self.vote_weight(self.face) if weight is None else weight))
        while self.votes and t - self.votes[0].t > c.vote_window_s:
            self.votes.popleft()
        if len(self.votes) < c.min_votes:
            return self.identity
        totals: dict[int | None, float] = {}
        for v in self.votes:
            totals[v.match.person_id] = totals.get(v.match.person_id, 0.0) + v.weight
        winner = max(totals, key=totals.__getitem__)
        if totals[winner] < c.vote_share * sum(totals.values()):
            return self.identity  # the frames disagree: keep what was committed, if anything
        ours = [v for v in self.votes if v.match.person_id == winner]
        if len(ours) < (c.min_votes if winner is not None else c.min_votes_unknown):
            return self.identity
        w = np.array([v.weight for v in ours])
        last = ours[-1].match
        self.identity = Match(
            person_id=winner,
            name=last.name,
            score=float(np.average([v.match.score for v in ours], weights=w)),
            margin=float(np.average([v.match.margin for v in ours], weights=w)),
            threshold=last.threshold,
            masked=last.masked,
        )
        return self.identity


class Tracker:
    """Keeps the tracks; `update` with each frame's faces returns the tracks seen in that frame."""

    def __init__(self, config: TrackerConfig = TRACKER, liveness_factory=BlinkDetector):
        self.config = config
        self.tracks: list[Track] = []
        self._next_id = 1
        self._liveness_factory = liveness_factory

    def _affinity(self, track: Track, face: Face) -> float | None:
        """How well this face continues this track (higher is better), None if it cannot."""
        c = self.config
        overlap = iou(track.box, face.detection.box)
        cos = None
        if track.embedding is not None and face.embedding is not None:
            cos = float(np.dot(track.embedding, face.embedding))
            if cos < c.embed_reject:
                return None
        if overlap >= c.iou_match:
            return overlap + (cos or 0.0)
        if cos is not None and cos >= c.embed_rejoin:
            return cos  # no overlap, but unmistakably the same face
        return None

    def update(self, faces: list[Face], t: float) -> list[Track]:
        pairs = []
        for ti, track in enumerate(self.tracks):
            for fi, face in enumerate(faces):
                a = self._affinity(track, face)
                if a is not None:
                    pairs.append((a, ti, fi))
        used_t, used_f = set(), set()
        for _, ti, fi in sorted(pairs, reverse=True):  # greedy: a handful of faces needs no Hungarian
            if ti in used_t or fi in used_f:
                continue
            used_t.add(ti)
            used_f.add(fi)
            self.tracks[ti].observe(faces[fi], t)
        for ti, track in enumerate(self.tracks):
            if ti not in used_t:
                track.misses += 1
        self.tracks = [tr for tr in self.tracks if t - tr.last_seen <= self.config.lost_after_s]
        for fi, face in enumerate(faces):
            if fi not in used_f:
                self._new_track(face, t)
        return [tr for tr in self.tracks if tr.misses == 0]

    def _new_track(self, face: Face, t: float) -> Track:
        track = Track(id=self._next_id, face=face, first_seen=t, last_seen=t, config=self.config, age=0,
                      liveness=self._liveness_factory())
        track.observe(face, t)
        self._next_id += 1
        self.tracks.append(track)
        return track

    def restart(self, track: Track, face: Face, t: float) -> Track:
        """A different face took over this track's box (its embedding says so): it becomes a new
        track with a new id, and none of the old one's votes, liveness or decisions."""
        self.tracks.remove(track)
        return self._new_track(face, t)

    def get(self, track_id: int) -> Track | None:
        return next((tr for tr in self.tracks if tr.id == track_id), None)
