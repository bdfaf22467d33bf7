"""`faceapp run`: the live pipeline without the GUI, one JSON object per line."""

from __future__ import annotations

import signal
import time
from contextlib import contextmanager

from faceapp.cli import output
from faceapp.cli.output import emit
from faceapp.storage.gallery import Gallery


@contextmanager
def _stop_on_signals(stop: list[bool]):
    """Ctrl+C / SIGTERM end the run after the current frame, so the summary is still written."""
    def handler(signum, frame):
        stop[0] = True

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def cmd_run(args) -> int:
    from faceapp.live.pipeline import LivePipeline
    from faceapp.live.sources import SourceStatus, open_source

    engine = output.engine()
    stop = [False]
    frames = 0
    events = 0
    with Gallery.open() as gallery, open_source(args.source) as source, _stop_on_signals(stop):
        pipeline = LivePipeline(engine, gallery, require_liveness=not args.no_liveness, log_events=not args.dry_run)
        status = source.status
        started = time.perf_counter()
        busy = 0.0
        while not stop[0] and (args.max_frames is None or frames < args.max_frames):
            frame = source.read()
            if source.status != status:
                status = source.status
                emit({"type": "status", "status": status.value, "message": source.message})
                if status == SourceStatus.OK:
                    pipeline.reset()  # a reconnected camera: old tracks are stale
            if frame is None:
                if status in (SourceStatus.ENDED, SourceStatus.FAILED, SourceStatus.CLOSED):
                    break
                continue
            result = pipeline.process(frame.image, frame.timestamp)
            busy += result.timings_ms.get("total", 0.0)
            frames += 1
            for event in result.events:
                emit({"type": "event", "frame": result.index, **event})
                events += 1
        elapsed = time.perf_counter() - started
        emit({
            "type": "summary", "source": source.description, "status": source.status.value,
            "message": source.message, "frames": frames, "events": events,
            "seconds": round(elapsed, 2),
            "pipeline_fps": round(1000.0 * frames / busy, 1) if busy else None,
        })
        failed = source.status == SourceStatus.FAILED
    return 1 if failed else 0


def add_commands(sub) -> None:
    p = sub.add_parser("run", help="run the live pipeline without the GUI; one JSON object per line")
    p.add_argument("--source", required=True, help="camera index, video file or stream URL")
    p.add_argument("--max-frames", type=int)
    p.add_argument("--no-liveness", action="store_true", help="do not wait for a blink")
    p.add_argument("--dry-run", action="store_true", help="log no events and no attendance")
    p.set_defaults(func=cmd_run)
