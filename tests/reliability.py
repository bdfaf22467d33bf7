"""Reliability figures for docs/reliability.md, each from one subcommand of this script:

    python tests/reliability.py corpus  [--out DIR]      hostile inputs to every CLI command
    python tests/reliability.py kill    [--kills N]      SIGKILL during enrollment and attendance writes
    python tests/reliability.py soak    [--frames N]     `faceapp run` over a looped clip: RSS start/end
    python tests/reliability.py replug                   a video source that fails and comes back

Each prints its figures as JSON (the last line of output). They run the installed `faceapp` of the
current environment in subprocesses, on real photos and clips from ../shared/data.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("FACEAPP_SHARED_DATA", ROOT.parent / "shared" / "data"))
FACEAPP = [sys.executable, "-m", "faceapp"]
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_WAIT_POLICY": "PASSIVE"}

sys.path.insert(0, str(Path(__file__).resolve().parent))


def faceapp(data: Path, *args: str | bytes, timeout: float = 600) -> subprocess.CompletedProcess:
    argv = [os.fsencode(a) for a in (*FACEAPP, "--data-dir", str(data), *args)]
    return subprocess.run(argv, capture_output=True, timeout=timeout, env=ENV)


def gallery_health(data: Path) -> dict:
    """Integrity errors and half-written people (a person without a sample, a sample without an
    embedding for the active model) in a data folder's gallery."""
    from faceapp.storage.gallery import Gallery

    with Gallery.open(data) as g:
        errors = g.integrity_errors()
        half = g.query(
            """SELECT p.name FROM people p WHERE NOT EXISTS (SELECT 1 FROM samples s WHERE s.person_id = p.id)
               OR EXISTS (SELECT 1 FROM samples s WHERE s.person_id = p.id AND NOT EXISTS
                          (SELECT 1 FROM embeddings e WHERE e.sample_id = s.id))""")
        orphans = g.query("""SELECT a.id FROM attendance a WHERE a.event_id IS NOT NULL
                             AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = a.event_id)""")
        return {"integrity_errors": len(errors), "half_written_people": len(half),
                "attendance_without_event": len(orphans), "people": len(g.list_people()),
                "attendance": g.query("SELECT count(*) AS n FROM attendance")[0]["n"]}


# --- hostile inputs -----------------------------------------------------------------------------

def corpus_run(out_dir: Path) -> dict:
    """Every corpus input to every command that takes it, one `faceapp` invocation per input (in
    this process, through cli.main.main, the models loaded once): per command the inputs tried,
    results, clean errors (exit 2, or exit 1 with one error line per bad file), tracebacks (an
    exception escaping main), and the databases' health after each command. Then the peak RSS of a
    separate `faceapp detect` process on the largest input and on an ordinary photo."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from bad_inputs import generate

    from faceapp.cli import output
    from faceapp.cli.main import main
    from faceapp.vision.engine import Engine

    corpus = generate(out_dir / "corpus", SHARED)
    engine = Engine()
    output.engine = lambda: engine  # one model load for the whole run
    stats: dict[str, dict] = {}

    def call(command: str, data: Path, *argv: str) -> None:
        s = stats.setdefault(command, {"inputs": 0, "ok": 0, "clean_errors": 0, "tracebacks": 0, "damaged_databases": 0})
        s["inputs"] += 1
        out, err = io.StringIO(), io.StringIO()
        try:
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    code = main(["--data-dir", str(data), *argv])
                except SystemExit as exc:  # argparse's own exit ("-rf" or "--help" as a name): no traceback
                    code = exc.code
        except BaseException as exc:  # noqa: BLE001 - escaping main is exactly what is counted
            s["tracebacks"] += 1
            s.setdefault("traceback_examples", []).append(f"{argv[:3]}: {type(exc).__name__}: {exc}"[:300])
            return
        text = out.getvalue() + err.getvalue()
        if "Traceback" in text:
            s["tracebacks"] += 1
        elif code == 0:
            s["ok"] += 1
        else:
            s["clean_errors"] += 1

    def health(command: str, data: Path) -> None:
        if (data / "faceapp.db").exists():
            h = gallery_health(data)
            stats[command]["damaged_databases"] += int(h["integrity_errors"] > 0 or h["half_written_people"] > 0)

    data = out_dir / "data"
    for path in corpus.files:
        call("detect", data, "detect", path)
        call("identify", data, "identify", path)
        call("compare", data, "compare", corpus.good[0], path)
        call("enroll (photo)", data, "enroll", "Photo", path, "--no-masked-variants")
        call("enroll --add", data, "enroll", "--add", "Photo", path, "--no-masked-variants")
    for command in ("detect", "identify", "compare", "enroll (photo)", "enroll --add"):
        health(command, data)
    call("enroll (folder)", data, "enroll", "Folder", str(Path(corpus.files[0]).parent), "--largest")
    health("enroll (folder)", data)
    for name in corpus.names:
        call("enroll (name)", data, "enroll", name, corpus.good[0], "--no-masked-variants")
    health("enroll (name)", data)
    for target in corpus.exports:
        call("export", data, "export", target.format(db=data / "faceapp.db", data=data), "--force")
    health("export", data)
    for argv in (["run", "--source", "99999999999999999999"], ["run", "--source", "-5"], ["run", "--source", ""],
                 ["run", "--source", "/dev/null", "--max-frames", "1"], ["run", "--source", str(data), "--max-frames", "1"],
                 ["run", "--source", "rtsp://127.0.0.1:1/none", "--max-frames", "1"]):
        call("run --source", data, *argv)
    for bad in (str(data / "faceapp.db"), "/dev/null", str(data / "faceapp.db" / "x")):
        call("--data-dir", Path(bad), "people")
    memory = {}
    for label, image in (("largest input", corpus.largest), ("ordinary photo", corpus.good[0])):
        code = (
            "import resource, sys; from faceapp.cli.main import main; rc = main(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"
        )
        done = subprocess.run([sys.executable, "-c", code, "--data-dir", str(data), "detect", image],
                              capture_output=True, text=True, env=ENV, timeout=600)
        memory[label] = {"file": Path(image).name, "bytes": os.path.getsize(image), "peak_rss_mb": int(done.stdout.split()[-1])}
    return {"inputs": {"files_and_paths": len(corpus.files), "names": len(corpus.names), "export_targets": len(corpus.exports)},
            "commands": stats, "peak_memory": memory}


# --- camera unplug / replug -----------------------------------------------------------------------

def replug(trials: int = 6) -> dict:
    """A stream source whose media disappears (unplugged) and comes back (replugged): the clip is
    opened as a file:// stream, moved away while it plays, and moved back after 2.0-3.9 s (a
    different phase against the reconnect timer each trial); the recovery time is from the moment
    it is back to the next frame delivered."""
    import shutil
    import threading

    from faceapp.live.sources import SourceStatus, open_source

    recoveries, aways = [], []
    with tempfile.TemporaryDirectory(prefix="faceapp-replug-") as tmp:
        clip = Path(tmp) / "camera.mp4"
        shutil.copy(SHARED / "videos" / "multispeaker_short.mp4", clip)
        away = clip.with_suffix(".away")
        with open_source(clip.as_uri(), reconnect_s=60) as source:
            for k in range(trials):
                for n, _ in enumerate(source.frames(), 1):  # play a few frames
                    if n >= 5:
                        break
                clip.rename(away)  # unplugged: reopening fails from here on
                while source.status != SourceStatus.RECONNECTING:
                    source.read()  # the rest of the open stream, then the drop-out
                away_s = 2.0 + 0.37 * k
                back = threading.Timer(away_s, lambda: away.rename(clip))
                t_back = time.monotonic() + away_s
                back.start()
                while source.read() is None:
                    if source.status == SourceStatus.FAILED:
                        raise SystemExit(source.message)
                recoveries.append(round(time.monotonic() - t_back, 3))
                aways.append(round(away_s, 2))
                back.join()
    return {"trials": trials, "away_s": aways, "recovery_s": recoveries, "max_recovery_s": max(recoveries)}


# --- SIGKILL ------------------------------------------------------------------------------------

ATTENDANCE_WRITER = """
import sys, itertools
from faceapp.attendance import Attendance
from faceapp.storage.gallery import Event, EventKind, Gallery
with Gallery.open(sys.argv[1]) as g:
    g.set_setting("attendance.cooldown_s", 0)
    people = [p.id for p in g.list_people()]
    book = Attendance(g)
    print("ready", flush=True)
    for i in itertools.count():
        book.log(Event(EventKind.RECOGNISED, person_id=people[i % len(people)], score=0.8))
"""


def kill_loop(kills: int, seed: int = 3) -> dict:
    rng = random.Random(seed)
    photos = sorted((SHARED / "faces-peer").glob("obama*.jpg"))[:3]
    out = {"enrollment": {}, "attendance": {}}
    with tempfile.TemporaryDirectory(prefix="faceapp-kill-") as tmp:
        data = Path(tmp) / "data"
        t0 = time.perf_counter()
        first = faceapp(data, "enroll", "baseline", *map(str, photos))
        whole = time.perf_counter() - t0
        if first.returncode != 0:
            raise SystemExit(first.stderr.decode())
        errors = half = 0
        for k in range(kills):
            argv = [os.fsencode(a) for a in (*FACEAPP, "--data-dir", str(data), "enroll", f"person {k}", *map(str, photos))]
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
            time.sleep(rng.uniform(0.2, whole * 1.1))  # anywhere from start-up to the final commit
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            health = gallery_health(data)
            errors += health["integrity_errors"] > 0
            half += health["half_written_people"]
        out["enrollment"] = {"kills": kills, "enroll_seconds": round(whole, 2), "runs_with_integrity_errors": errors,
                             "half_written_people": half, **gallery_health(data)}
        killed = errors = orphans = 0
        for k in range(kills):
            proc = subprocess.Popen([sys.executable, "-c", ATTENDANCE_WRITER, str(data)], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, env=ENV)
            proc.stdout.readline()  # "ready": the writer is in its loop
            time.sleep(rng.uniform(0.0, 0.5))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed += 1
            health = gallery_health(data)
            errors += health["integrity_errors"] > 0
            orphans += health["attendance_without_event"]
        out["attendance"] = {"kills": killed, "runs_with_integrity_errors": errors,
                             "attendance_without_its_event": orphans, **gallery_health(data)}
    return out


# --- soak ---------------------------------------------------------------------------------------

def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _frame_count(clip: Path) -> int:
    import cv2

    cap = cv2.VideoCapture(str(clip))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


def camera_sized(clip: Path, out: Path, size: tuple[int, int] = (640, 480)) -> Path:
    """The clip re-encoded (MJPG) at the size faceapp asks a camera for (config.SOURCES.camera_size)."""
    import cv2

    cap = cv2.VideoCapture(str(clip))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), cap.get(cv2.CAP_PROP_FPS) or 25.0, size)
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
    cap.release()
    writer.release()
    return out


def soak(frames: int, clip: Path, log: Path | None = None) -> dict:
    """`faceapp run` over a clip played in a loop for `frames` frames: the clip is opened as a
    file:// stream, so at its end the source reconnects and starts it again (the reconnect path of a
    camera that drops out, exercised once per loop). RSS is sampled every 5 s; 'start' is the first
    sample after the first full pass of the clip (models loaded, buffers warmed up), 'end' the last."""
    import threading

    with tempfile.TemporaryDirectory(prefix="faceapp-soak-") as tmp:
        data = Path(tmp) / "data"
        enrolled = faceapp(data, "enroll", "Protagonist", str(SHARED / "faces-peer" / "obama.jpg"))
        clip = camera_sized(clip, Path(tmp) / f"{clip.stem}_640x480.avi")
        clip_frames = _frame_count(clip)
        argv = [*FACEAPP, "--data-dir", str(data), "run", "--source", clip.resolve().as_uri(),
                "--max-frames", str(frames)]  # the door's default checks, liveness included
        t0 = time.time()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=ENV, text=True)
        samples: list[tuple[float, float]] = []
        loops = [0]
        stopping = [False]
        summary: dict = {}

        def read() -> None:
            for line in proc.stdout:
                msg = json.loads(line)
                if msg.get("type") == "state" and msg.get("state") == "running":  # opened, or replayed
                    loops[0] += 1
                elif msg.get("type") == "state" and msg.get("state") in ("stopped", "failed"):
                    stopping[0] = True  # what follows is teardown: models released, not a leak gone
                elif msg.get("type") == "summary":
                    summary.update(msg)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        first_loop_at = None
        while proc.poll() is None:
            rss = _rss_mb(proc.pid)
            if rss is not None and not stopping[0]:
                samples.append((time.time() - t0, rss, loops[0]))
                if log is not None:  # progress survives an interrupted soak
                    with open(log, "a") as f:
                        f.write(json.dumps({"s": round(samples[-1][0]), "loops": loops[0], "rss_mb": round(rss, 1)}) + "\n")
                if first_loop_at is None and loops[0] >= 2:  # the first "ok" is the opening, the second the first replay
                    first_loop_at = len(samples) - 1
            time.sleep(5)
        reader.join(timeout=10)
        warm = samples[first_loop_at or 0:]
        start, end = warm[0][1], warm[-1][1]
        settled = next((rss for _, rss, passes in warm if passes * clip_frames >= frames / 10), start)
        return {"clip": clip.name, "frames": summary.get("frames"), "loops": loops[0], "seconds": round(time.time() - t0),
                "throughput_fps": summary.get("throughput_fps"), "status": summary.get("status"), "enroll_rc": enrolled.returncode,
                "rss_start_mb": round(start, 1), "rss_end_mb": round(end, 1), "rss_max_mb": round(max(r for _, r, _ in warm), 1),
                "rss_growth_pct": round(100 * (end - start) / start, 2), "rss_warm_mb": round(settled, 1),
                "rss_growth_after_warm_pct": round(100 * (end - settled) / settled, 2), "exit_code": proc.returncode}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("kill")
    p.add_argument("--kills", type=int, default=100)
    p = sub.add_parser("corpus")
    p.add_argument("--out", type=Path, help="folder for the corpus and its data folder (default: a temporary one)")
    sub.add_parser("replug")
    p = sub.add_parser("soak")
    p.add_argument("--frames", type=int, default=100_000)
    p.add_argument("--clip", type=Path, default=SHARED / "videos" / "fi_protagonist.mp4")
    p.add_argument("--log", type=Path, help="append an RSS sample per line here while it runs")
    args = parser.parse_args(argv)
    if args.what == "corpus":
        with tempfile.TemporaryDirectory(prefix="faceapp-corpus-") as tmp:
            result = corpus_run(args.out or Path(tmp))
    elif args.what == "replug":
        result = replug()
    elif args.what == "kill":
        result = kill_loop(args.kills)
    elif args.what == "soak":
        result = soak(args.frames, args.clip, args.log)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
