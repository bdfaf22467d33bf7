"""Liveness of a track from the blink and the passive anti-spoofing score, per liveness mode.

The passive check (faceapp.vision.antispoof) scores a face from single frames, so a photo or a
screen is caught without waiting for a blink that a replayed video would show anyway. A track is
scored on a few frames spaced apart (AntiSpoofConfig.frames, interval_s), not on every frame: the
mean of those settles its verdict, and the check costs nothing once it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from faceapp.config import ANTISPOOF, AntiSpoofConfig


class LivenessMode(StrEnum):
    BOTH = "both"  # a blink and a live-looking face: the door's default
    BLINK = "blink"  # a blink is required (attendance-only installs; misses replayed videos)
    PASSIVE = "passive"  # the anti-spoofing score alone (no wait for a blink)
    NONE = "none"  # every face counts as live

    @property
    def needs_blink(self) -> bool:
        return self in (LivenessMode.BLINK, LivenessMode.BOTH)

    @property
    def needs_passive(self) -> bool:
        return self in (LivenessMode.PASSIVE, LivenessMode.BOTH)


@dataclass(slots=True)
class PassiveCheck:
    """The anti-spoofing scores of one track: a few, spaced in time, then settled."""

    config: AntiSpoofConfig = ANTISPOOF
    samples: list[tuple[float, float]] = field(default_factory=list)  # (timestamp, score)

    def wants(self, t: float) -> bool:
        """Whether the frame at `t` should be scored: not settled, and far enough from the last one."""
        if self.settled:
            return False
        return not self.samples or t - self.samples[-1][0] >= self.config.interval_s

    def add(self, t: float, score: float) -> None:
        self.samples.append((t, float(score)))

    @property
    def settled(self) -> bool:
        return len(self.samples) >= self.config.frames

    @property
    def score(self) -> float | None:
        """Mean score so far (None before the first)."""
        return sum(s for _, s in self.samples) / len(self.samples) if self.samples else None


@dataclass(frozen=True, slots=True)
class Verdict:
    live: bool
    spoof_suspected: bool  # the passive check settled below the threshold
    waiting_for: str | None  # "passive" or "blink" while undecided; None once live or refused


def verdict(mode: LivenessMode, blinked: bool, passive: PassiveCheck, threshold: float) -> Verdict:
    """Live, spoof suspected, or what is still awaited, under `mode`. A settled low passive score
    refuses even after a blink: a replayed video blinks."""
    if mode == LivenessMode.NONE:
        return Verdict(True, False, None)
    if mode.needs_passive:
        if passive.settled and passive.score < threshold:
            return Verdict(False, True, None)
        if not passive.settled:
            return Verdict(False, False, "passive" if not mode.needs_blink or blinked else "blink")
    if mode.needs_blink and not blinked:
        return Verdict(False, False, "blink")
    return Verdict(True, False, None)
