"""Blink liveness: a still photo never blinks, a person does within a few seconds.

Per track, each eye's openness is compared with that eye's own open baseline (a running high
percentile), so narrow and wide eyes are judged alike. A blink is an episode that starts when an eye
closes while both were open, sees BOTH eyes well down at once (one shut, the other below most of
its baseline: lids seldom close equally), and ends when both are open again, all
within a human blink's duration (timestamps, not frame counts, so the frame rate does not matter).
A wink (one eye) or a slow closure (too long) is not a blink; noise around the open level never
crosses the closed threshold and the reopen threshold both, so it cannot make one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


from faceapp.config import BLINK, BlinkConfig
from faceapp.types import EyeState


@dataclass(slots=True)
class Blink:
    time: float  # timestamp of the deepest sample
    start: float  # estimated closing time (midpoint between the last open and the first closed sample)
    end: float  # estimated reopening time
    depth: float  # lowest openness of the more-open eye, over its baseline

    @property
    def duration(self) -> float:
        return self.end - self.start


class _Baseline:
    """Running high percentile of one eye's openness over the last few seconds."""

    def __init__(self, config: BlinkConfig):
        self.config = config
        self.samples: deque[tuple[float, float]] = deque()

    def add(self, t: float, value: float) -> None:
        self.samples.append((t, value))
        while self.samples and t - self.samples[0][0] > self.config.baseline_window_s:
            self.samples.popleft()

    def value(self) -> float | None:
        c = self.config
        if len(self.samples) < c.baseline_min_samples:
            return None
        if self.samples[-1][0] - self.samples[0][0] < c.baseline_min_span_s:
            return None
        ranked = sorted(v for _, v in self.samples)  # nearest-rank percentile: ~100 values, no numpy overhead
        base = ranked[min(len(ranked) - 1, int(len(ranked) * c.baseline_percentile / 100.0))]
        return base if base >= c.min_open_baseline else None


class BlinkDetector:
    """Feeds on (timestamp, EyeState) samples of one face; `update` returns a Blink when one completes."""

    def __init__(self, config: BlinkConfig = BLINK):
        self.config = config
        self._base = (_Baseline(config), _Baseline(config))
        self.blinks: list[Blink] = []
        self._armed = False  # both eyes open against a valid baseline: a closure may start
        self._episode: dict | None = None
        self._last_t: float | None = None

    @property
    def live(self) -> bool:
        return len(self.blinks) >= self.config.blinks_required

    def reset(self) -> None:
        self.__init__(self.config)

    def _closed(self, value: float, base: float) -> bool:
        c = self.config
        return value < c.closed_ratio * base and value < c.closed_ceiling

    def _open(self, value: float, base: float) -> bool:
        return value > self.config.reopen_ratio * base

    def _both_down(self, values: tuple[float, float], bases: tuple[float, float]) -> tuple[bool, float]:
        """(one eye shut and the other well down too, the more open eye's share of its baseline)."""
        rel = max(v / b for v, b in zip(values, bases))
        return rel < self.config.both_ratio and any(self._closed(v, b) for v, b in zip(values, bases)), rel

    def update(self, t: float, eyes: EyeState | Sequence[float] | None) -> Blink | None:
        c = self.config
        if eyes is None:
            return None  # no reading: the gap check on the next sample decides what it breaks
        prev_t, self._last_t = self._last_t, t
        values = (eyes.left, eyes.right) if isinstance(eyes, EyeState) else (float(eyes[0]), float(eyes[1]))
        if prev_t is not None and t - prev_t > c.max_gap_s:
            self._episode, self._armed = None, False  # too long unseen: any closure's length is unknown
        ep = self._episode
        if ep is not None:
            return self._continue(ep, t, prev_t, values)
        bases = tuple(b.value() for b in self._base)
        for b, v in zip(self._base, values):
            b.add(t, v)
        if bases[0] is None or bases[1] is None:
            self._armed = False
            return None
        closed = [self._closed(v, b) for v, b in zip(values, bases)]
        if self._armed and any(closed) and prev_t is not None:
            both, rel = self._both_down(values, bases)
            self._episode = {"bases": bases, "start": (prev_t + t) / 2, "both": both, "low": (rel, t)}
            self._armed = False
            return None
        if all(self._open(v, b) for v, b in zip(values, bases)):
            self._armed = True  # stays armed through the half-closed zone until an eye closes
        return None

    def _continue(self, ep: dict, t: float, prev_t: float, values: tuple[float, float]) -> Blink | None:
        """One more sample inside a closure: ends it when both eyes are open again."""
        c = self.config
        bases = ep["bases"]  # frozen at the start: the closure itself must not move the thresholds
        both, rel = self._both_down(values, bases)
        ep["both"] = ep["both"] or both
        if rel < ep["low"][0]:
            ep["low"] = (rel, t)
        if not all(self._open(v, b) for v, b in zip(values, bases)):
            if t - ep["start"] > c.max_duration_s:
                self._episode = None  # a slow closure; wait for both eyes to open before re-arming
            return None
        self._episode = None
        self._armed = True
        blink = Blink(time=ep["low"][1], start=ep["start"], end=(prev_t + t) / 2, depth=ep["low"][0])
        if ep["both"] and c.min_duration_s <= blink.duration <= c.max_duration_s:
            self.blinks.append(blink)
            return blink
        return None


def blink_times(
    openness_series: Iterable[EyeState | Sequence[float] | None],
    timestamps: Iterable[float],
    config: BlinkConfig = BLINK,
) -> list[float]:
    """Offline: timestamps of the blinks in a series of per-frame (left, right) openness readings."""
    detector = BlinkDetector(config)
    for eyes, t in zip(openness_series, timestamps):
        detector.update(float(t), eyes)
    return [b.time for b in detector.blinks]
