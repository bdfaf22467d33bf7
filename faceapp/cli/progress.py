"""A long command's progress as a bar on stderr (tqdm), with or without --json: stdout keeps only
the result, so `faceapp eval lfw --json > out.json` still shows how far it is."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

from faceapp.jobs import Job, Step

# Seconds between redraws when stderr is not a terminal (a log file): a line every few seconds is
# enough to see it advance, and does not flood the log.
LOG_INTERVAL_S = 5.0


@contextmanager
def progress_bar(what: str, unit: str = "it") -> Iterator[Job]:
    """A Job for the command's long function; its reports draw the bar, closed on the way out."""
    tty = sys.stderr.isatty()
    bar = tqdm(desc=what, unit=unit, file=sys.stderr, dynamic_ncols=tty, mininterval=0.2 if tty else LOG_INTERVAL_S)

    def show(step: Step) -> None:
        if step.text:
            bar.set_postfix_str(step.text, refresh=False)
        if step.total <= 0:  # a phase of unknown length: only its name changes
            bar.refresh()
            return
        if step.total != bar.total:
            bar.reset(total=step.total)
        bar.update(step.done - bar.n)

    try:
        yield Job(show)
    finally:
        bar.close()
