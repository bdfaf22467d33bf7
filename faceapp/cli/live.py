"""`faceapp run`: the live session without the GUI, one JSON object per line; it drives the door
output configured in the settings, as the GUI does. Several cameras (`--source A --source B`,
`--camera SOURCE:DOOR:DIRECTION`, or the Settings' camera list) run at once, each line tagged with
its camera."""

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


def cameras_from(args, gallery):
    """The cameras named on the command line (--source, then --camera), else those in Settings."""
    from faceapp.settings import Camera, Settings, validate

    typed = [Camera(s) for s in args.source or []] + [Camera.parse(c) for c in args.camera or []]
    if not typed:
        return Settings.load(gallery).camera_list()
    # the same checks as a saved list (a camera twice, too many)
    return [Camera(**c) for c in validate({"camera.list": [c.to_json() for c in typed]})["camera.list"]]


def cmd_run(args) -> int:
    from faceapp.live.multi import MultiSession
    from faceapp.live.pipeline import LivePipeline
    from faceapp.live.session import ActionDone, Processed, State, StateChanged

    with Gallery.open() as gallery:
        cameras = cameras_from(args, gallery)  # a bad camera is refused before the models load
        engine = output.engine()
        searches: dict = {}  # one search index for every camera

        def make_pipeline(camera, runner):
            return LivePipeline(engine, gallery, liveness="none" if args.no_liveness else args.liveness,
                                log_events=not args.dry_run, actions=runner, camera=camera, searches=searches)

        multi = MultiSession(cameras, make_pipeline, door=not args.dry_run, realtime=args.realtime, retry=args.retry)
        events = [0] * len(cameras)
        actions = [{"done": 0, "failed": 0} for _ in cameras]
        # with several cameras every line says which (one camera's lines stay as they always were)
        tags = [{"camera": i, "door": c.door, "direction": c.direction} if len(cameras) > 1 else {}
                for i, c in enumerate(cameras)]
        try:
            with _signals(multi):
                for item in multi.run(max_frames=args.max_frames):
                    update, tag = item.update, tags[item.camera]
                    if isinstance(update, StateChanged):
                        emit({"type": "state", **tag, "state": update.state.value, "detail": update.detail})
                    elif isinstance(update, Processed) and update.result is not None:
                        for event in update.result.events:
                            emit({"type": "event", **tag, "frame": update.result.index, **event})
                            events[item.camera] += 1
                    elif isinstance(update, ActionDone):
                        actions[item.camera]["failed" if update.error else "done"] += 1
                        emit({"type": "action", **tag, "person_name": update.event.get("person_name"),
                              "ok": update.error is None, **({"error": str(update.error)} if update.error else {})})
        finally:
            multi.close()
    for tag, session, n, done in zip(tags, multi.sessions, events, actions):
        emit({"type": "summary", **tag, "source": session.source_name,
              "status": (session.state or State.STOPPED).value, "message": session.detail, "events": n,
              "actions": done, **session.speed.summary()})
    return 1 if any(s.state == State.FAILED for s in multi.sessions) else 0


def add_commands(sub) -> None:
    p = sub.add_parser("run", help="run the live pipeline and the door output without the GUI; one JSON object per line")
    p.add_argument("--source", action="append",
                   help="camera index, video file or stream URL; repeat it to run several cameras at once "
                   "(default: the cameras in Settings)")
    p.add_argument("--camera", action="append", metavar="SOURCE:DOOR:DIRECTION",
                   help="a camera with the door it watches and its direction (in, out or both), e.g. "
                   "0:Front:in; repeatable. In cameras count for first-in, Out cameras for last-out")
    p.add_argument("--max-frames", type=int, help="stop each camera after this many frames")
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
