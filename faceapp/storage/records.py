"""The gallery's records as the rest of the app sees them: people, face samples, model versions and
logged events, plus the clock every stored time is read from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import uuid

import numpy as np

R = TypeVar("R")


@dataclass(slots=True)
class Person:
    id: int
    name: str
    employee_no: str | None
    department: str
    active: bool
    created: str
    sample_count: int = 0


@dataclass(slots=True)
class Sample:
    """One aligned face crop of a person. A new sample has no id; `parent` is the sample a synthetic
    variant was made from: a stored sample's id, or an earlier Sample of the same add_samples batch."""

    crop: np.ndarray  # (112, 112, 3) uint8 BGR, ArcFace template
    mask_kind: str = "none"  # "none", "real" or "synthetic-<style>"
    source: str = ""  # where the crop came from: "camera", a file name, ...
    quality: dict[str, Any] = field(default_factory=dict)
    parent: int | Sample | None = None
    id: int | None = None
    person_id: int | None = None
    created: str | None = None

    @property
    def masked(self) -> bool:
        return self.mask_kind != "none"


@dataclass(frozen=True, slots=True)
class ModelVersion:
    id: int
    name: str
    file: str
    sha256: str
    dim: int
    created: str
    active: bool
    metrics: dict[str, Any]


class EventKind(StrEnum):
    RECOGNISED = "recognised"
    UNKNOWN = "unknown"
    NOT_LIVE = "not_live"
    DENIED = "denied"


def now() -> datetime:
    """The current local time, timezone-aware: every stored time carries its UTC offset."""
    return datetime.now().astimezone()


@dataclass(slots=True)
class Event:
    """One decision about a face at the camera, as logged."""

    kind: EventKind
    time: datetime = field(default_factory=now)
    person_id: int | None = None
    person_name: str | None = None  # filled from the gallery when only person_id is given
    score: float | None = None  # best cosine similarity
    margin: float | None = None  # best minus runner-up person
    masked: bool | None = None
    live: bool | None = None
    reason: str | None = None  # why denied / not live, in words
    details: dict[str, Any] = field(default_factory=dict)
    door: str | None = None  # where it happened: the gallery's door when logged without one
    # idempotency key, made with the event: a door that sends it twice (offline queue) stores it once
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The event as JSON-ready values, as handed to output actions."""
        return {
            "id": self.id,
            "kind": str(self.kind),
            "time": self.time.isoformat(timespec="seconds"),
            "person_id": self.person_id,
            "person_name": self.person_name,
            "score": self.score,
            "margin": self.margin,
            "masked": self.masked,
            "live": self.live,
            "reason": self.reason,
            "details": self.details,
            "door": self.door,
        }


def stamp(when: datetime | None) -> tuple[float, str, str]:
    """(unix seconds, ISO 8601 with offset, local date) of a time; naive times count as local."""
    if when is None:
        when = now()
    elif when.tzinfo is None:
        when = when.astimezone()
    return when.timestamp(), when.isoformat(timespec="seconds"), when.date().isoformat()


def from_row(record: type[R], row: Mapping[str, Any], **converted: Any) -> R:
    """A record from a table row whose columns carry its field names; `converted` gives the fields
    stored in another form (0/1 flags, JSON, PNG)."""
    plain = {f.name: row[f.name] for f in fields(record) if f.name in row and f.name not in converted}
    return record(**plain, **converted)
