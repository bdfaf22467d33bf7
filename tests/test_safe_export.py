"""Export that can never destroy data: files.write_atomic and the attendance CSV on top of it."""

import csv
import hashlib
import io
import os
import re
from datetime import datetime

import pytest

from faceapp.attendance import Attendance, csv_line
from faceapp.files import PathError, PathProblem, write_atomic
from faceapp.storage.gallery import Gallery


@pytest.fixture
def gallery(tmp_path):
    (tmp_path / "data").mkdir()
    with Gallery(tmp_path / "data" / "faceapp.db") as g:
        ann = g.add_person("Ann")
        Attendance(g).record(ann.id)
        yield g


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_database_and_its_companions_are_refused(gallery, tmp_path):
    book = Attendance(gallery)
    db = gallery.path
    gallery.db.execute("PRAGMA journal_mode")  # the -wal / -shm files exist while it is open
    before = _digest(db)
    hard = tmp_path / "hardlink.csv"
    os.link(db, hard)
    soft = tmp_path / "symlink.csv"
    soft.symlink_to(db)
    targets = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), hard, soft,
               db.parent / ".." / "data" / db.name]
    for target in targets:
        for force in (False, True):
            with pytest.raises(PathError) as err:
                book.export_csv(target, force=force)
            assert err.value.code == PathProblem.PROTECTED, target
            assert "database" in str(err.value)
    assert _digest(db) == before
    assert not gallery.integrity_errors()


def test_special_targets_say_what_they_are(gallery, tmp_path):
    book = Attendance(gallery)
    folder = tmp_path / "folder"
    folder.mkdir()
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    afile = tmp_path / "file"
    afile.write_text("keep")
    cases = {
        folder: PathProblem.IS_FOLDER,
        fifo: PathProblem.PIPE,
        "/dev/null": PathProblem.DEVICE,
        "": PathProblem.EMPTY_NAME,
        tmp_path / ("a" * 300): PathProblem.NAME_TOO_LONG,
        afile / "out.csv": PathProblem.NOT_A_FOLDER,
        tmp_path / "missing" / "out.csv": PathProblem.NOT_FOUND,
    }
    for target, code in cases.items():
        with pytest.raises(PathError) as err:
            book.export_csv(target, force=True)
        assert err.value.code == code, (target, str(err.value))
    assert afile.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "fifo.csv", "file", "folder"]  # no temporaries


def test_existing_file_only_with_force(gallery, tmp_path):
    book = Attendance(gallery)
    out = tmp_path / "out.csv"
    out.write_text("older report")
    with pytest.raises(PathError, match="--force") as err:
        book.export_csv(out)
    assert err.value.code == PathProblem.EXISTS and out.read_text() == "older report"
    assert book.export_csv(out, force=True) == 1
    assert out.read_text(encoding="utf-8-sig").startswith("Date,Name")


def test_interrupted_write_leaves_the_old_file(tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("older report")

    def fails_halfway(f):
        f.write("half a report")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(out, fails_halfway, force=True)
    assert out.read_text() == "older report"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_csv_cells_that_could_split_or_run_are_quoted():
    line = csv_line(["a;b", "b,c", "tab\there", "two\nlines", 'say "hi"', "plain", 7, None])
    assert line == '"a;b","b,c","tab\there","two\nlines","say ""hi""",plain,7,\r\n'
    assert next(csv.reader(io.StringIO(line, newline=""))) == ["a;b", "b,c", "tab\there", "two\nlines", 'say "hi"', "plain", "7", ""]


def _cells_any_locale_sees(text):
    """Every cell a reader splitting at , or ; or tab or line breaks could make of the file."""
    return [cell.lstrip(' "') for cell in re.split(r"[,;\t\r\n]", text)]


def test_exported_formula_names_are_neutralised(tmp_path):
    hostile = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", 'Ann;=HYPERLINK("x")', "Bo, +1", "Cy; @x"]
    with Gallery(tmp_path / "g.db") as g:
        book = Attendance(g)
        for name in hostile:
            book.record(g.add_person(name).id, datetime(2026, 3, 3, 9, 0).astimezone())
        out = tmp_path / "a.csv"
        book.export_csv(out)
    text = out.read_text(encoding="utf-8-sig")
    with open(out, encoding="utf-8-sig", newline="") as f:
        names = sorted(row[1] for row in list(csv.reader(f))[1:])
    assert names == sorted(["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "Ann;'=HYPERLINK(\"x\")", "Bo, '+1", "Cy; '@x"])
    risky = [cell for cell in _cells_any_locale_sees(text) if cell[:1] in ("=", "+", "-", "@")]
    assert risky == []
