"""Long jobs (enrolling, re-embedding, exporting, training, the evaluations): one way to report
progress and one way to be cancelled.

A long function takes `job: Job | None = None`, calls `job.report(done, total, text)` as it goes and
asks `job.cancelled` (or calls `job.check()`, which raises Cancelled) where stopping is safe; it
stops so that nothing half-written is left (one transaction, or a temporary file). The front end
owns the Job: the GUI shows it as a progress bar with Cancel (ui/workers/tasks.py), the CLI as a bar
on stderr (cli/progress.py). Qt-free and thread-safe: the work runs in one thread, cancel() may come
from another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Step:
    """One progress report."""

    done: int
    total: int  # 0 while the amount of work is not known
    text: str = ""  # what is being done now, in English (the CLI shows it; the GUI has its own title)
    detail: Any = None  # a job's own figures, e.g. faceapp.training.TrainProgress


class Cancelled(Exception):
    """The job stopped because it was cancelled; what it was writing was not kept."""


class Job:
    """A progress listener and a cancel token, handed to a long function by whoever runs it."""

    def __init__(self, on_progress: Callable[[Step], None] | None = None):
        self._on_progress = on_progress
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise Cancelled if the job was cancelled: for work that stops by unwinding."""
        if self._cancel.is_set():
            raise Cancelled()

    def report(self, done: int, total: int, text: str = "", detail: Any = None) -> None:
        if self._on_progress is not None:
            self._on_progress(Step(done, total, text, detail))

    def each(self, items: Sequence[T], text: str = "") -> Iterator[T]:
        """The items one by one, a step reported per item; raises Cancelled between items."""
        for i, item in enumerate(items):
            self.check()
            self.report(i, len(items), text)
            yield item
        self.report(len(items), len(items), text)

    def part(self, start: int, total: int) -> Job:
        """A Job for one part of this job's work: its step n is this job's step start + n of
        `total`; cancelling either cancels both."""
        sub = Job(lambda step: self.report(start + step.done, total, step.text, step.detail))
        sub._cancel = self._cancel
        return sub
