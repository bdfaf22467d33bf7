"""Start-up time of the desktop app, as a user sees it (`faceapp bench --startup`).

A fresh interpreter runs the real app; the clock starts before it is launched, so interpreter start,
imports, database opening and the first paint all count. Two figures: the first painted window,
and (with a source) the first frame the pipeline has recognised, which includes loading the models
in the worker while the window is already up.

    python -m faceapp.ui.startup_bench [--source VIDEO_OR_CAMERA] [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass

MARK = "faceapp-startup"
log = logging.getLogger(__name__)


@dataclass(slots=True)
class StartupTimes:
    window_s: float  # launch -> first paint of the main window
    first_result_s: float | None  # launch -> first frame with recognition results (None: no source)


def install_probe(window) -> None:
    """In the app under test: print a mark at the first paint and the first result, then quit."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from faceapp.ui.workers import live as lw
    app = QApplication.instance()
    want_result = bool(os.environ.get("FACEAPP_STARTUP_SOURCE"))

    def mark(what: str) -> None:
        print(f"{MARK} {what}", flush=True)

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt naming)
            if event.type() == QEvent.Type.Paint and obj.isWidgetType() and obj.window() is window:
                app.removeEventFilter(self)
                mark("window")
                if not want_result:
                    QTimer.singleShot(0, app.quit)
            return False

    def on_frame(_image, result) -> None:
        if result is not None:
            window.live.worker.frame_ready.disconnect(on_frame)
            mark("result")
            QTimer.singleShot(0, app.quit)

    def on_state(state: str, _detail: str) -> None:
        if state in (lw.NO_MODELS, lw.FAILED, lw.ENDED):  # no result will come
            mark("no-result")
            QTimer.singleShot(0, app.quit)

    window._startup_probe = FirstPaint(window)
    app.installEventFilter(window._startup_probe)
    if want_result:
        window.live.worker.frame_ready.connect(on_frame)
        window.live.worker.state_changed.connect(on_state)


def _child(data_dir: str, source: str | None) -> int:
    from faceapp.ui.app import run_gui

    return run_gui(argparse.Namespace(data_dir=data_dir, source=source, fullscreen=False))


def measure_startup(source: str | None = None, timeout_s: float = 120.0) -> StartupTimes:
    """Launch the app once in a fresh interpreter on an empty data folder and time it."""
    env = dict(os.environ, FACEAPP_STARTUP_PROBE="1")
    if source:
        env["FACEAPP_STARTUP_SOURCE"] = source
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="faceapp-startup-") as data_dir:
        cmd = [sys.executable, "-m", "faceapp.ui.startup_bench", "--child", data_dir]
        if source:
            cmd += ["--source", source]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
        times: dict[str, float] = {}
        try:
            for line in proc.stdout:
                if line.startswith(MARK):
                    times[line.split()[1]] = time.perf_counter() - start
                    if "no-result" in times:
                        log.warning("startup bench: the app could not recognise (models missing?), see its log")
                if time.perf_counter() - start > timeout_s:
                    break
        finally:
            proc.kill() if proc.poll() is None else None
            proc.wait()
    if "window" not in times:
        raise RuntimeError("the app did not show its window (see its log in the data folder)")
    return StartupTimes(window_s=times["window"], first_result_s=times.get("result"))


def bench_startup(source: str | None = None, runs: int = 3) -> dict:
    """`faceapp bench --startup`: medians over a few launches, and every run's figures."""
    times = [measure_startup(source) for _ in range(max(runs, 1))]
    results = [t.first_result_s for t in times if t.first_result_s is not None]
    return {
        "window_s": round(statistics.median(t.window_s for t in times), 3),
        "first_result_s": round(statistics.median(results), 3) if results else None,
        "runs": [asdict(t) for t in times],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faceapp bench --startup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", help="camera index, video file or stream URL: also time the first recognised frame")
    parser.add_argument("--runs", type=int, default=3, help="launches to time (the median is reported)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", metavar="DATA_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child, args.source)
    summary = bench_startup(args.source, args.runs)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"first window painted: {summary['window_s']:.2f} s (median of {len(summary['runs'])})")
        if summary["first_result_s"] is not None:
            print(f"first recognised frame: {summary['first_result_s']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
