"""Typed runtime settings: every key of the gallery's settings table with its default, range and
reason, one validator for all of them, and a save that writes them in one transaction.

The core (access policy, attendance, the live pipeline), the CLI and the Settings page all read
through `Settings.load` and write through `save`, so a value refused in one place is refused in
every place, with the same reason code (faceapp.reasons). Defaults come from
config.SETTING_DEFAULTS, which says why each has its value.
"""

from __future__ import annotations

import copy
import math
import os
import shlex
import subprocess
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import time as clock
from typing import Any

from faceapp import config
from faceapp.live.passive import LivenessMode
from faceapp.reasons import N_, ReasonError
from faceapp.vision.providers import PROVIDER_CHOICES

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))
ACTION_KINDS = ("none", "command", "http")
LIVENESS_MODES = tuple(LivenessMode)
DIRECTIONS = ("in", "out", "both")  # what a camera's recognitions count for in attendance


# --- checks: each takes a stored (or typed) value and returns it normalised, or raises ReasonError ---


def _number(low: float, high: float) -> Callable[[Any, str], float]:
    def check(value: Any, label: str) -> float:
        try:
            if isinstance(value, bool):
                raise TypeError  # True is an int to Python, not a threshold to a user
            number = float(value)
        except (TypeError, ValueError):
            raise ReasonError("not_a_number", label=label) from None
        if math.isnan(number) or not low <= number <= high:
            raise ReasonError("out_of_range", label=label, low=low, high=high)
        return number

    check.range = (low, high)  # the Settings page sets its spin boxes from it
    return check


def _flag(value: Any, label: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()  # as typed on a command line
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no"):
        return False
    raise ReasonError("not_yes_no", label=label)


def _time(text: Any) -> clock:
    if text == "24:00":
        return clock(23, 59, 59, 999999)  # the end of the day (ends are exclusive)
    try:
        return clock.fromisoformat(str(text))
    except ValueError:
        raise ReasonError("bad_time", time=str(text)) from None


def parse_schedule(data: Mapping[str, Any]) -> dict[int, tuple[tuple[clock, clock], ...]]:
    """{"mon": [["08:00", "18:00"]], ...} -> {weekday (0 = Monday): ((start, end), ...)}."""
    if not isinstance(data, Mapping):
        raise ReasonError("bad_weekday", day=str(data))
    days: dict[int, tuple[tuple[clock, clock], ...]] = {}
    for day, spans in data.items():
        if day not in WEEKDAYS:
            raise ReasonError("bad_weekday", day=str(day))
        parsed = []
        for span in spans or []:
            start, end = (_time(t) for t in span)
            if end <= start:
                raise ReasonError("closes_before_opening", day=WEEKDAY_NAMES[WEEKDAYS.index(day)])
            parsed.append((start, end))
        days[WEEKDAYS.index(day)] = tuple(parsed)
    return days


def _schedule(value: Any, label: str) -> dict[str, list[list[str]]] | None:
    if value is None:
        return None  # open to known people at any time
    parse_schedule(value)
    return {day: [list(span) for span in spans or []] for day, spans in value.items()}


def split_command(text: str) -> list[str]:
    """A command line as typed into the settings -> argv (no shell ever runs it). Windows paths
    keep their backslashes; elsewhere POSIX quoting applies."""
    try:
        return shlex.split(text, posix=os.name != "nt")
    except ValueError as exc:  # an unbalanced quote
        raise ReasonError("bad_command", detail=str(exc)) from None


def join_command(argv: list[str]) -> str:
    """The inverse of split_command, to show a stored command for editing."""
    return subprocess.list2cmdline(argv) if os.name == "nt" else shlex.join(argv)


def _action(value: Any, label: str) -> dict[str, Any]:
    value = value or {"kind": "none"}
    kind = value.get("kind", "none") if isinstance(value, Mapping) else value
    if kind not in ACTION_KINDS:
        raise ReasonError("bad_action", kind=str(kind))
    if kind == "command":
        argv = value.get("argv") or []
        argv = split_command(argv) if isinstance(argv, str) else [str(a) for a in argv]
        if not argv:
            raise ReasonError("no_command")
        return {"kind": "command", "argv": argv}
    if kind == "http":
        url = str(value.get("url") or "").strip()
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ReasonError("bad_url")
        return {"kind": "http", "url": url}
    return {"kind": "none"}


def _camera(value: Any, label: str) -> int | str:
    """A camera index (one a camera can have), or a video file / stream address."""
    from faceapp.live.sources import camera_index

    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return camera_index(value)
    text = str(value).strip() if isinstance(value, str) else ""
    if not text:
        raise ReasonError("bad_camera")
    index = camera_index(text)
    return text if index is None else index


def _choice(options: tuple[str, ...]) -> Callable[[Any, str], str]:
    def check(value: Any, label: str) -> str:
        text = str(value).strip().lower()
        if text not in options:
            raise ReasonError("not_a_choice", label=label, options=", ".join(options))
        return text

    check.options = options  # the Settings page fills its combo box from it
    return check
@dataclass(frozen=True, slots=True)
class Camera:
    """One of several cameras on this PC: its source, the door it watches ('' = this installation's
    door) and the direction it faces: "in" counts for first-in, "out" for last-out, "both" for either."""

    source: int | str
    door: str = ""
    direction: str = "both"

    @classmethod
    def parse(cls, text: str) -> Camera:
        """SOURCE or SOURCE:DOOR:DIRECTION as typed after --camera (split from the right, so a stream
        address keeps its own colons)."""
        parts = str(text).rsplit(":", 2)
        # a last part with no / . or digits only is a direction (checked), not a port or a path
        if len(parts) == 3 and not any(c in parts[2] for c in "/.\\") and not parts[2].strip().isdigit():
            return _camera_entry(dict(zip(("source", "door", "direction"), parts)), N_("Camera"))
        return _camera_entry({"source": text}, N_("Camera"))

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "door": self.door, "direction": self.direction}


def _camera_entry(value: Any, label: str) -> Camera:
    if isinstance(value, Camera):
        value = value.to_json()
    if not isinstance(value, Mapping):
        raise ReasonError("bad_camera")
    door = " ".join(str(value.get("door") or "").split())  # as typed: no stray spaces in reports
    if len(door) > config.CAMERAS.door_name_max:
        raise ReasonError("door_name_too_long", high=config.CAMERAS.door_name_max)
    direction = str(value.get("direction") or "both").strip().lower()
    if direction not in DIRECTIONS:
        raise ReasonError("bad_direction", direction=direction)
    return Camera(_camera(value.get("source"), label), door, direction)


def _cameras(value: Any, label: str) -> list[dict[str, Any]]:
    """The cameras this PC runs at once; empty: the one camera of camera.source at this door."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise ReasonError("bad_camera")
    cameras = [_camera_entry(v, label) for v in value]
    if len(cameras) > config.CAMERAS.max_cameras:
        raise ReasonError("too_many_cameras", high=config.CAMERAS.max_cameras)
    seen = set()
    for cam in cameras:
        if cam.source in seen:  # one device cannot be opened twice, one clip need not be
            raise ReasonError("camera_twice", source=str(cam.source))
        seen.add(cam.source)
    return [cam.to_json() for cam in cameras]


def _text_or_none(value: Any, label: str) -> str | None:
    return None if value is None else str(value)


# --- the settings ---------------------------------------------------------------------------------


def _setting(key: str, label: str, check: Callable[[Any, str], Any]) -> Any:
    default = config.SETTING_DEFAULTS[key]
    return field(default_factory=lambda: copy.deepcopy(default), metadata={"key": key, "label": label, "check": check})


@dataclass(frozen=True, slots=True)
class Settings:
    """The runtime settings, typed. Ranges are what a user may choose: thresholds outside 0.10-0.95
    either accept everyone or no one; a margin above 0.5 makes every match ambiguous; a cooldown
    longer than a day is no longer attendance; a door output slower than a minute is no door."""

    threshold_unmasked: float = _setting("match.threshold_unmasked", N_("Match threshold, no mask"), _number(0.10, 0.95))
    threshold_masked: float = _setting("match.threshold_masked", N_("Match threshold, with mask"), _number(0.10, 0.95))
    margin: float = _setting("match.margin", N_("Match margin"), _number(0.0, 0.5))
    cooldown_s: float = _setting("attendance.cooldown_s", N_("Attendance cooldown"), _number(0.0, 24 * 3600.0))
    liveness_mode: str = _setting("liveness.mode", N_("Liveness check"), _choice(LIVENESS_MODES))
    spoof_threshold: float = _setting("liveness.spoof_threshold", N_("Photo/screen threshold"), _number(0.05, 0.95))
    mask_required: bool = _setting("access.mask_required", N_("Mask rule"), _flag)
    door_threshold_unmasked: float = _setting("access.threshold_unmasked", N_("Door threshold, no mask"),
                                              _number(0.10, 0.95))
    door_threshold_masked: float = _setting("access.threshold_masked", N_("Door threshold, with mask"), _number(0.10, 0.95))
    lower_mask: bool = _setting("access.lower_mask", N_("Ask masked faces at the door to lower the mask"), _flag)
    schedule: dict | None = _setting("access.schedule", N_("Opening hours"), _schedule)
    action: dict = _setting("access.action", N_("Output action"), _action)
    action_timeout_s: float = _setting("access.action_timeout_s", N_("Output action time limit"), _number(0.5, 60.0))
    camera: int | str = _setting("camera.source", N_("Camera"), _camera)
    cameras: list = _setting("camera.list", N_("Cameras"), _cameras)
    pin_hash: str | None = _setting("admin.pin_hash", N_("Admin PIN"), _text_or_none)
    provider: str = _setting("inference.provider", N_("Inference hardware"), _choice(PROVIDER_CHOICES))

    @classmethod
    def load(cls, gallery) -> Settings:
        """The stored settings (defaults for keys never saved), checked like a save checks them."""
        return cls(**{FIELD_OF[key]: value for key, value in validate(_stored(gallery, SPECS)).items()})

    def camera_list(self) -> list[Camera]:
        """The cameras to run: the list when one is set, else the one camera at this door."""
        return [Camera(**c) for c in self.cameras] or [Camera(self.camera)]

    def values(self) -> dict[str, Any]:
        """{settings-table key: value}."""
        return {key: getattr(self, name) for key, name in FIELD_OF.items()}


SPECS: dict[str, Mapping[str, Any]] = {f.metadata["key"]: f.metadata for f in fields(Settings)}
FIELD_OF: dict[str, str] = {f.metadata["key"]: f.name for f in fields(Settings)}


_NOT_SAVED = object()


def _stored(gallery, keys) -> dict[str, Any]:
    """{key: stored value, or its default if never saved}. A door set up before liveness modes
    stored liveness.enabled instead, whose off meant no liveness check at all: it reads as mode
    "none" until a mode is saved (on was what the default mode does now)."""
    values = {key: gallery.setting(key, _NOT_SAVED) for key in keys}
    if values.get("liveness.mode", None) is _NOT_SAVED and gallery.setting("liveness.enabled", None) is False:
        values["liveness.mode"] = "none"  # stored as checked: a JSON bool
    return {key: config.SETTING_DEFAULTS[key] if v is _NOT_SAVED else v for key, v in values.items()}


def check_range(key: str) -> tuple[float, float]:
    """(lowest, highest) a numeric setting may take."""
    return SPECS[key]["check"].range


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values normalised (a command line split, a digit string made a camera index); raises
    ReasonError naming the first bad value."""
    out = {}
    for key, value in values.items():
        spec = SPECS.get(key)
        if spec is None:
            raise ReasonError("unknown_setting", key=key)
        out[key] = spec["check"](value, spec["label"])
    return out


def value(gallery, key: str) -> Any:
    """One stored setting (its default if never saved), checked: for a reader that needs only one."""
    return validate(_stored(gallery, [key]))[key]


def save(gallery, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check every value, then write them all in one transaction: one bad value saves nothing.
    Returns what was stored."""
    checked = validate(values)
    with gallery.transaction():
        for key, value in checked.items():
            gallery.set_setting(key, value)
    return checked
