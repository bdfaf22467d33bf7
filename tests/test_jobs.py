"""The one progress/cancel protocol: Job's parts, a cancelled export that leaves no file, the CLI's bar
on stderr with clean JSON on stdout, and a Trainer tab that loads without torch."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from faceapp.attendance import Attendance
from faceapp.cli import output
from faceapp.cli.main import build_parser
from faceapp.jobs import Cancelled, Job
from faceapp.storage.gallery import Gallery

def test_parts_report_into_the_whole_and_share_the_cancel():
    steps = []
    job = Job(steps.append)
    assert list(job.part(0, 5).each(["a", "b"], "first")) == ["a", "b"]
    assert list(job.part(2, 5).each(["c", "d", "e"], "second")) == ["c", "d", "e"]
    assert [(s.done, s.total) for s in steps] == [(0, 5), (1, 5), (2, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert steps[0].text == "first" and steps[-1].text == "second"

    part = job.part(0, 3)
    part.cancel()
    assert job.cancelled
    with pytest.raises(Cancelled):
        next(iter(job.each([1])))


def test_cancelled_export_leaves_no_file(tmp_path):
    with Gallery(tmp_path / "g.db") as gallery:
        book = Attendance(gallery)
        for k in range(5):
            person = gallery.add_person(f"p{k}")
            book.record(person.id, datetime(2025, 3, 3, 9, k, tzinfo=timezone(timedelta(hours=8))))
        out = tmp_path / "attendance.csv"

        def on_progress(step):
            if step.done == 2:  # two rows written to the temporary file
                job.cancel()

        job = Job(on_progress)
        with pytest.raises(Cancelled):
            book.export_csv(out, job=job)
        assert not out.exists() and not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.csv*"))

        steps = []
        assert book.export_csv(out, job=Job(steps.append)) == 5 and out.exists()
        assert (steps[-1].done, steps[-1].total) == (5, 5)


def test_cli_progress_goes_to_stderr_and_stdout_stays_json(engine, shared, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FACEAPP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(output, "engine", lambda: engine)
    peer = shared / "faces-peer"
    args = build_parser().parse_args(["enroll", "Barack", str(peer / "obama.jpg"), str(peer / "obama2.jpg"), "--json"])
    assert args.func(args) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["saved"]
    assert "enrolling" in err and "3/3" in err  # two photos and the save, drawn by tqdm

    args = build_parser().parse_args(["export", str(tmp_path / "a.csv")])
    assert args.func(args) == 0
    out, err = capsys.readouterr()
    assert out.startswith("wrote 0 attendance record(s)") and "exporting" in err


def test_eval_lfw_json_shows_progress_on_stderr(shared, tmp_path):
    """The ten-minute command that used to be silent under --json, on a few pairs."""
    env = dict(os.environ, FACEAPP_DATA_DIR=str(tmp_path), OMP_WAIT_POLICY="PASSIVE")
    run = subprocess.run([sys.executable, "-m", "faceapp", "eval", "lfw", str(shared / "lfw"), "--limit", "6",
                          "--no-masked", "--json"], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["pairs"] >= 6
    assert "LFW" in run.stderr and "image" in run.stderr


def test_trainer_tab_and_worker_import_no_torch():
    code = ("import sys\n"
            "import faceapp.ui.pages.trainer, faceapp.ui.workers.training, faceapp.training, faceapp.jobs\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert run.returncode == 0, run.stderr
