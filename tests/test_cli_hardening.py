"""The CLI against hostile input (#12): one bad input is one clear error line, never a traceback,
and the rest of a batch goes on."""

import json
import os
import shutil

import pytest

from tests.test_imageio import png_bomb


@pytest.fixture
def faceapp(engine, tmp_path, monkeypatch, capsys):
    """`faceapp --data-dir DATA ARGS...` through cli.main.main (its error handling included):
    (exit code, stdout, stderr). The engine is loaded once for the session."""
    from faceapp.cli import output
    from faceapp.cli.main import main

    monkeypatch.setattr(output, "engine", lambda: engine)
    data = tmp_path / "data"

    def run(*argv):
        code = main(["--data-dir", str(data), *[os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in argv]])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    run.data = data
    return run


def test_options_anywhere_and_an_empty_path_is_a_bad_file(faceapp, shared, monkeypatch):
    peer = shared / "faces-peer"
    code, out, _ = faceapp("enroll", "Barack", "--employee-no", "E7", peer / "obama.jpg", "--json", peer / "obama2.jpg")
    report = json.loads(out)
    assert code == 0 and len(report["accepted"]) == 2
    code, out, _ = faceapp("people", "--json")
    assert json.loads(out)[0]["employee_no"] == "E7"
    monkeypatch.chdir(peer)  # `enroll NAME ""` once scanned the current folder
    code, out, _ = faceapp("enroll", "Joe", "", "--json")
    report = json.loads(out)
    assert code == 1 and not report["saved"] and report["accepted"] == []
    assert [r["source"] for r in report["rejected"]] == [""]
    assert "the file name is empty" in report["rejected"][0]["reason"]


@pytest.mark.parametrize("name, words", [
    ("\x1b[31mRed\x1b]0;pwned\x07", "holds a control character or line break (U+001B)"),
    ("evil\u202egnp.exe", "invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
    ("\u200b", "invisible formatting character"),
    (b"caf\xe9", "is not valid UTF-8 text"),
    ("x" * 101, "is 101 characters long (the limit is 100)"),
    ("", "the name is empty"),
])
def test_bad_names_are_refused_before_the_models_load(faceapp, shared, name, words):
    code, out, err = faceapp("enroll", name, shared / "faces-peer" / "obama.jpg")
    assert code == 2 and out == ""
    assert err.startswith("error: the name ") and words in err
    assert "\x1b" not in err and "\u202e" not in err


def test_look_alike_names_are_saved_with_a_warning(faceapp, shared):
    code, out, err = faceapp("enroll", "Вarack Оbama", shared / "faces-peer" / "obama.jpg")
    assert code == 0 and "enrolled Вarack Оbama" in out
    assert err.startswith("warning: the name mixes Latin letters with look-alikes") and "U+0412" in err


def test_one_bad_file_is_one_error_line(faceapp, shared, tmp_path):
    good = shared / "faces-peer" / "obama.jpg"
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb())
    escape = tmp_path / "\x1b[2Jclear.jpg"
    shutil.copy(good, escape)
    code, out, _ = faceapp("detect", good, bomb, tmp_path, escape, good)
    lines = out.splitlines()
    heads = [line for line in lines if not line.startswith("  ")]
    assert code == 1 and len(heads) == 5
    assert heads[1].endswith("60000x60000 is too large (the limit is 50 megapixels)")
    assert heads[2].endswith("is a folder, not a file")
    assert heads[3].endswith("\\u001b[2Jclear.jpg: 1 face(s)") and "\x1b" not in out
    assert heads[0] == heads[4] == f"{good}: 1 face(s)"


def test_non_utf8_file_names_enroll(faceapp, shared, tmp_path):
    raw = os.fsencode(tmp_path) + b"/ob\xe1ma.jpg"
    with open(raw, "wb") as f:
        f.write((shared / "faces-peer" / "obama.jpg").read_bytes())
    code, out, err = faceapp("enroll", "Barack", raw, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert code == 0 and report["saved"] and report["accepted"][0]["source"].endswith("ob\\xe1ma.jpg")


def test_camera_numbers_and_data_folders_are_checked(faceapp, tmp_path):
    code, _, err = faceapp("run", "--source", "99999999999999999999", "--max-frames", "1")
    assert code == 2 and err == "error: There is no camera number 99999999999999999999: camera numbers go from 0 to 255.\n"
    afile = tmp_path / "file"
    afile.write_text("x")
    from faceapp.cli.main import main

    assert main(["--data-dir", str(afile), "people"]) == 2
    assert main(["--data-dir", str(afile / "sub"), "people"]) == 2


def test_export_refuses_to_destroy(faceapp, tmp_path):
    faceapp("people")  # creates the database
    db = faceapp.data / "faceapp.db"
    before = db.read_bytes()
    for target in (db, str(db) + "-wal", faceapp.data, "/dev/null", "", tmp_path / ("x" * 300), db / "x.csv"):
        code, out, err = faceapp("export", target, "--force")
        assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, (target, err)
    assert db.read_bytes() == before
    out_csv = tmp_path / "a.csv"
    out_csv.write_text("keep")
    assert faceapp("export", out_csv)[0] == 2 and out_csv.read_text() == "keep"
    assert faceapp("export", "--force", out_csv)[0] == 0 and out_csv.read_text(encoding="utf-8-sig").startswith("Date")


def test_identify_and_run_only_read(faceapp, shared):
    """Readers must not need the write lock: another program holding it does not stop them."""
    import sqlite3

    peer = shared / "faces-peer"
    assert faceapp("enroll", "Barack", peer / "obama.jpg")[0] == 0
    writer = sqlite3.connect(faceapp.data / "faceapp.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # held for the whole test
    try:
        code, out, err = faceapp("identify", peer / "obama2.jpg")
        assert code == 0 and "Barack" in out, err
        code, out, err = faceapp("run", "--source", shared / "videos" / "multispeaker_short.mp4", "--max-frames", "3",
                                 "--dry-run", "--no-liveness")
        assert code == 0 and '"type": "summary"' in out, err
    finally:
        writer.execute("ROLLBACK")
        writer.close()
