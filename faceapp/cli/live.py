"""`faceapp run`: the live session without the GUI, one JSON object per line; it drives the door
output configured in the settings, as the GUI does."""

from __future__ import annotations

import signal
from contextlib import contextmanager

from faceapp.cli import output
from faceapp.cli.output import emit
from faceapp.live.passive import LivenessMode
from faceapp.storage.gallery import Gallery


@contextmanager
def _signals(session):
    """Ctrl+C / SIGTERM end the run after the current frame, so the summary is still written; SIGHUP
    (where there is one) re-reads the settings, as a service manager's `reload` expects."""
    from faceapp.live.pipeline import LivePipeline

    handlers = {signal.SIGINT: lambda *_: session.stop(), signal.SIGTERM: lambda *_: session.stop()}
    if hasattr(signal, "SIGHUP"):
        handlers[signal.SIGHUP] = lambda *_: session.post(LivePipeline.reload_settings)
    old = {s: signal.signal(s, h) for s, h in handlers.items()}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def cmd_run(args) -> int:
    from faceapp.live.pipeline import LivePipeline
    from faceapp.live.session import ActionDone, LiveSession, Processed, State, StateChanged
    from faceapp.live.sources import camera_index

    camera_index(args.source)  # a number no camera can have is refused before the models load
    engine = output.engine()
    events = 0
    actions = {"done": 0, "failed": 0}
    with Gallery.open() as gallery:
        def make_pipeline(runner):
            return LivePipeline(engine, gallery, liveness="none" if args.no_liveness else args.liveness,
                                log_events=not args.dry_run, actions=runner)

        session = LiveSession(make_pipeline, source=args.source, door=not args.dry_run,
                              realtime=args.realtime, retry=args.retry)
        try:
            with _signals(session):
                for update in session.run(max_frames=args.max_frames):
                    if isinstance(update, StateChanged):
                        emit({"type": "state", "state": update.state.value, "detail": update.detail})
                    elif isinstance(update, Processed) and update.result is not None:
                        for event in update.result.events:
                            emit({"type": "event", "frame": update.result.index, **event})
                            events += 1
                    elif isinstance(update, ActionDone):
                        actions["failed" if update.error else "done"] += 1
                        emit({"type": "action", "person_name": update.event.get("person_name"),
                              "ok": update.error is None,
                              **({"error": str(update.error)} if update.error else {})})
        finally:
            session.close()
    emit({"type": "summary", "source": session.source_name, "status": (session.state or State.STOPPED).value,
          "message": session.detail, "events": events, "actions": actions, **session.speed.summary()})
    return 1 if session.state == State.FAILED else 0


def add_commands(sub) -> None:
    p = sub.add_parser("run", help="run the live pipeline and the door output without the GUI; one JSON object per line")
    p.add_argument("--source", required=True, help="camera index, video file or stream URL")
    p.add_argument("--max-frames", type=int)
    p.add_argument("--no-liveness", action="store_true", help="treat every face as live (same as --liveness none)")
    p.add_argument("--liveness", choices=[m.value for m in LivenessMode],
                   help="liveness check for this run: a blink, the passive photo/screen check, both, or none "
                        "(default: the one in Settings)")
    p.add_argument("--dry-run", action="store_true", help="log no events or attendance and run no door output")
    p.add_argument("--realtime", action="store_true",
                   help="play a video file at its frame rate (as the camera it stands in for), not as fast as it decodes")
    p.add_argument("--retry", action="store_true",
                   help="keep reopening a camera or stream that fails, with back-off (a door service)")
    p.set_defaults(func=cmd_run)
