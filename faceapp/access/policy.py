"""Door access: the decision for one face (granted, or denied with a reason), and the output action
run on a grant (a command or an HTTP POST) on a background thread, so it never stalls the camera."""

from __future__ import annotations

import json
import logging
import math
import os
import queue
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from datetime import time as clock
from enum import StrEnum
from typing import Any

from faceapp import config
from faceapp.live.passive import LivenessMode
from faceapp.reasons import Reason
from faceapp.settings import Settings, parse_schedule, validate
from faceapp.storage.gallery import Event, EventKind, Gallery, Person, now

log = logging.getLogger(__name__)


class DenyReason(StrEnum):
    """Why a door stays shut: the reason codes of faceapp.reasons, which words them."""

    NOT_LIVE = "not_live"
    SPOOF_SUSPECTED = "spoof_suspected"
    UNKNOWN = "unknown"
    AMBIGUOUS = "ambiguous"
    INACTIVE = "inactive"
    OUTSIDE_SCHEDULE = "outside_schedule"
    MASK_REQUIRED = "mask_required"
    LOWER_MASK = "lower_mask"




@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Allowed time ranges per weekday (start inclusive, end exclusive); a day not listed is closed.
    Stored as {"mon": [["08:00", "18:00"]], ...}; a night shift is split at midnight."""

    days: dict[int, tuple[tuple[clock, clock], ...]]  # weekday (0 = Monday) -> ranges

    @classmethod
    def from_json(cls, data: dict[str, list[list[str]]]) -> WeeklySchedule:
        """Raises faceapp.reasons.ReasonError (a ValueError) for a bad day or time."""
        return cls(parse_schedule(data))

    def allows(self, when: datetime) -> bool:
        moment = when.time()  # wall-clock time where the door is
        return any(start <= moment < end for start, end in self.days.get(when.weekday(), ()))


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """Two operating points: naming a face (attendance, the live view) and opening the door, stricter."""

    threshold_unmasked: float = config.THRESHOLDS.match_unmasked
    threshold_masked: float = config.THRESHOLDS.match_masked
    min_margin: float = config.THRESHOLDS.match_margin
    mask_required: bool = False
    schedule: WeeklySchedule | None = None
    liveness_mode: LivenessMode = LivenessMode.BOTH
    spoof_threshold: float = config.ANTISPOOF.threshold
    door_unmasked: float = config.THRESHOLDS.door_unmasked
    door_masked: float = config.THRESHOLDS.door_masked
    lower_mask: bool = True  # ask a masked face to lower the mask rather than match it (not with mask_required)

    def for_people(self, people: int) -> AccessPolicy:
        """The thresholds for a gallery of this many people: set at THRESHOLDS.calibrated_people, they
        rise by THRESHOLDS.per_decade per tenfold beyond it (every enrolled person is one more
        chance for a stranger to match)."""
        t = config.THRESHOLDS
        if people <= t.calibrated_people:
            return self
        up = t.per_decade * math.log10(people / t.calibrated_people)
        return replace(self, threshold_unmasked=self.threshold_unmasked + up, threshold_masked=self.threshold_masked + up,
                       door_unmasked=self.door_unmasked + up, door_masked=self.door_masked + up)

    @classmethod
    def from_settings(cls, gallery: Gallery) -> AccessPolicy:
        s = Settings.load(gallery)
        return cls(
            threshold_unmasked=s.threshold_unmasked,
            threshold_masked=s.threshold_masked,
            min_margin=s.margin,
            mask_required=s.mask_required,
            schedule=WeeklySchedule.from_json(s.schedule) if s.schedule is not None else None,
            liveness_mode=LivenessMode(s.liveness_mode),
            spoof_threshold=s.spoof_threshold,
            door_unmasked=s.door_threshold_unmasked,
            door_masked=s.door_threshold_masked,
            lower_mask=s.lower_mask,
        )


@dataclass(frozen=True, slots=True)
class Sighting:
    """What the pipeline knows about one face when deciding: the best person, if any, and how sure."""

    person: Person | None  # best candidate of the search (None: empty gallery)
    score: float  # cosine similarity to that person
    margin: float  # best minus runner-up person
    live: bool
    masked: bool | None  # None: the mask check could not tell
    spoof_suspected: bool = False  # the passive check settled below its threshold
    passive_score: float | None = None  # its score (probability of a real face), when it ran


@dataclass(frozen=True, slots=True)
class AccessDecision:
    granted: bool
    reason: DenyReason | None  # None when granted
    person: Person | None  # the recognised person (None when unknown or not live)

    @property
    def why(self) -> Reason:
        """The decision as a reason code ("granted" or the DenyReason) with the person's name."""
        return Reason(str(self.reason or "granted"), {"name": self.person.name} if self.person else {})

    @property
    def message(self) -> str:
        """In English, for the event log (the GUI words `why` in its own language)."""
        return self.why.text()

    def event(self, sighting: Sighting, when: datetime | None = None) -> Event:
        """The event to log for this decision."""
        kind = {
            None: EventKind.RECOGNISED,
            DenyReason.NOT_LIVE: EventKind.NOT_LIVE,
            DenyReason.SPOOF_SUSPECTED: EventKind.NOT_LIVE,
            DenyReason.UNKNOWN: EventKind.UNKNOWN,
        }.get(self.reason, EventKind.DENIED)
        return Event(
            kind=kind,
            time=when or now(),
            person_id=self.person.id if self.person else None,
            person_name=self.person.name if self.person else None,
            score=sighting.score,
            margin=sighting.margin,
            masked=sighting.masked,
            live=sighting.live,
            reason=None if self.granted else self.message,
            details={"access": "granted" if self.granted else str(self.reason),
                     **({} if sighting.passive_score is None else {"passive_score": round(sighting.passive_score, 4)})},
        )


def decide(sighting: Sighting, policy: AccessPolicy, when: datetime | None = None) -> AccessDecision:
    """Granted only for a live face of a known, active person, clearly above the door's threshold
    (the masked one for a masked face), inside the schedule and masked when masks are required. A
    masked face is asked to lower the mask when the policy says so (and masks are not required)."""
    when = when or now()

    def deny(reason: DenyReason, person: Person | None = None) -> AccessDecision:
        return AccessDecision(False, reason, person)

    if sighting.spoof_suspected:
        return deny(DenyReason.SPOOF_SUSPECTED)  # before naming anyone: a photo must learn nothing
    if not sighting.live:
        return deny(DenyReason.NOT_LIVE)
    if sighting.masked and policy.lower_mask and not policy.mask_required:
        return deny(DenyReason.LOWER_MASK)  # before naming anyone: the masked match is not trusted here
    threshold = policy.door_masked if sighting.masked else policy.door_unmasked
    person = sighting.person
    if person is None or sighting.score < threshold:
        return deny(DenyReason.UNKNOWN)
    if sighting.margin < policy.min_margin:
        return deny(DenyReason.AMBIGUOUS)
    if not person.active:
        return deny(DenyReason.INACTIVE, person)
    if policy.schedule is not None and not policy.schedule.allows(when):
        return deny(DenyReason.OUTSIDE_SCHEDULE, person)
    if policy.mask_required and sighting.masked is not True:
        return deny(DenyReason.MASK_REQUIRED, person)
    return AccessDecision(True, None, person)


# --- output actions ---------------------------------------------------------------------------


class ActionError(RuntimeError):
    """An output action that failed, with what went wrong."""


@dataclass(frozen=True, slots=True)
class OutputAction:
    """What a grant triggers: nothing, a command (event JSON on stdin and in $FACEAPP_EVENT), or an
    HTTP POST of the event JSON."""

    kind: str = "none"  # "none" | "command" | "http"
    argv: tuple[str, ...] = ()
    url: str = ""
    timeout_s: float = config.ACCESS.action_timeout_s

    def __post_init__(self) -> None:
        validate({"access.action": {"kind": self.kind, "argv": list(self.argv), "url": self.url}})

    @classmethod
    def from_json(cls, data: dict[str, Any], timeout_s: float = config.ACCESS.action_timeout_s) -> OutputAction:
        """From the stored form; a command typed as one line is split here (faceapp.settings)."""
        checked = validate({"access.action": data, "access.action_timeout_s": timeout_s})
        action = checked["access.action"]
        return cls(kind=action["kind"], argv=tuple(action.get("argv", ())), url=action.get("url", ""),
                   timeout_s=checked["access.action_timeout_s"])

    @classmethod
    def from_settings(cls, gallery: Gallery) -> OutputAction:
        s = Settings.load(gallery)
        return cls.from_json(s.action, s.action_timeout_s)

    def run(self, event: dict[str, Any]) -> None:
        """Run the action now (blocking, up to the timeout); raises ActionError on failure."""
        payload = json.dumps(event, ensure_ascii=False)
        if self.kind == "command":
            try:
                done = subprocess.run(
                    self.argv,
                    input=payload.encode(),
                    env={**os.environ, "FACEAPP_EVENT": payload},
                    capture_output=True,
                    timeout=self.timeout_s,
                    creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # no console flash on Windows
                )
            except subprocess.TimeoutExpired as err:
                raise ActionError(f"{self.argv[0]} did not finish within {self.timeout_s:g} s") from err
            except OSError as err:
                raise ActionError(f"cannot run {self.argv[0]}: {err}") from err
            if done.returncode != 0:
                tail = done.stderr.decode(errors="replace").strip()[-300:]
                raise ActionError(f"{self.argv[0]} failed with exit code {done.returncode}: {tail}")
        elif self.kind == "http":
            request = urllib.request.Request(
                self.url, data=payload.encode(), headers={"Content-Type": "application/json; charset=utf-8"}, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    response.read()
            except (urllib.error.URLError, OSError, ValueError) as err:  # HTTPError is a URLError
                raise ActionError(f"POST to {self.url} failed: {err}") from err


@dataclass(slots=True)
class _Job:
    action: OutputAction
    event: dict[str, Any]


@dataclass
class ActionRunner:
    """Runs output actions one at a time on a background thread. `submit` never blocks: when the
    queue is full (a dead webhook) the new action is dropped, since a late door opening is worse
    than none. `on_done(event, error)` is called on the worker thread after each action."""

    on_done: Callable[[dict[str, Any], ActionError | None], None] | None = None
    maxsize: int = config.ACCESS.action_queue
    _queue: queue.Queue[_Job | None] = field(init=False)
    _thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self._queue = queue.Queue(self.maxsize)
        self._thread = threading.Thread(target=self._work, name="faceapp-actions", daemon=True)
        self._thread.start()

    def submit(self, action: OutputAction, event: dict[str, Any]) -> bool:
        """Queue an action; False if it was dropped because the queue is full."""
        if action.kind == "none":
            return True
        try:
            self._queue.put_nowait(_Job(action, event))
            return True
        except queue.Full:
            log.warning("output action dropped: %d actions are still pending", self.maxsize)
            return False

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            error = None
            try:
                job.action.run(job.event)
            except ActionError as err:
                error = err
                log.warning("output action failed: %s", err)
            if self.on_done is not None:
                try:
                    self.on_done(job.event, error)
                except Exception:
                    log.exception("output action callback failed")
            self._queue.task_done()
        self._queue.task_done()

    def flush(self) -> None:
        """Wait until every queued action has run."""
        self._queue.join()

    def close(self, timeout: float | None = None) -> None:
        """Finish the queued actions and stop the worker."""
        self._queue.put(None)
        self._thread.join(timeout)
