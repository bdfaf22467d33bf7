import subprocess
import sys

import numpy as np
import pytest

from faceapp.eval.selftest import CheckFailed, check_detections, generated_frame
from faceapp.types import Detection


def test_self_test_passes_under_python_O(tmp_path):
    """-O strips asserts: the self-test must still check (and pass) there."""
    out = subprocess.run([sys.executable, "-O", "-m", "faceapp", "--data-dir", str(tmp_path), "--self-test"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "[ok  ] pipeline" in out.stdout and "self-test passed" in out.stdout
    failing = subprocess.run([sys.executable, "-O", "-c", "from faceapp.eval.selftest import expect; expect(False, 'x')"],
                             capture_output=True, text=True, timeout=60)
    assert failing.returncode != 0 and "CheckFailed: x" in failing.stderr


def _detection(box, score=0.9, landmarks=None):
    box = np.asarray(box, np.float32)
    if landmarks is None:
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        landmarks = np.array([[cx - 10, cy - 10], [cx + 10, cy - 10], [cx, cy], [cx - 8, cy + 10], [cx + 8, cy + 10]])
    return Detection(box=box, score=score, landmarks=np.asarray(landmarks, np.float32))


def test_detector_results_are_checked():
    frame, _ = generated_frame()
    check_detections([_detection([100, 100, 200, 220])], frame)
    bad = [
        _detection([100, 100, np.nan, 220]),
        _detection([100, 100, 900, 220]),  # past the 640-wide frame
        _detection([200, 100, 100, 220]),  # x2 < x1
        _detection([100, 100, 200, 220], score=1.5),
        _detection([100, 100, 200, 220], landmarks=np.zeros((4, 2))),
        _detection([100, 100, 200, 220], landmarks=np.full((5, 2), 600.0)),
    ]
    for d in bad:
        with pytest.raises(CheckFailed):
            check_detections([d], frame)


def test_damaged_database_fails_the_self_test(tmp_path, capsys):
    from faceapp.eval.selftest import run_self_test

    (tmp_path / "faceapp.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    assert run_self_test(tmp_path) == 1
    out = capsys.readouterr().out
    assert "[FAIL] database" in out and "self-test FAILED" in out
