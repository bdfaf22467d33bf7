"""Every generated hostile input (tests/bad_inputs.py: >= 200 files, names and paths) to every
command that takes it, through the CLI's real entry point: no traceback, one result or one error
per input, the rest of a batch unharmed, and a database that stays whole."""

import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout

import pytest

from faceapp.recognition.enroll import image_files
from faceapp.recognition.names import clean_name
from tests.bad_inputs import generate


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, shared):
    return generate(tmp_path_factory.mktemp("corpus"), shared)


@pytest.fixture
def run(engine, tmp_path, monkeypatch):
    from faceapp.cli import output
    from faceapp.cli.main import main

    monkeypatch.setattr(output, "engine", lambda: engine)
    data = tmp_path / "data"

    def run(*argv):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(["--data-dir", str(data), *argv])  # any other exception escaping main fails the test
            except SystemExit as exc:  # argparse's own exit: a name like "-rf" or "--help" reads as an option
                code = exc.code
        assert code in (0, 1, 2) and "Traceback" not in out.getvalue() + err.getvalue()
        return code, out.getvalue(), err.getvalue()

    run.data = data
    return run


def _healthy(data):
    from faceapp.storage.gallery import Gallery

    with Gallery.open(data) as g:
        assert g.integrity_errors() == []
        half = g.query("SELECT p.id FROM people p WHERE NOT EXISTS (SELECT 1 FROM samples s WHERE s.person_id = p.id)")
        assert half == []
        return [p.name for p in g.list_people()]


def test_corpus_size(corpus):
    assert len(corpus.files) + len(corpus.names) + len(corpus.exports) >= 200
    assert len(corpus.files) >= 200


@pytest.mark.parametrize("command", ["detect", "identify"])
def test_batches_keep_every_result(run, corpus, command):
    inputs = [corpus.good[0], *corpus.files, corpus.good[1]]
    code, out, _ = run(command, *inputs, "--json")
    rows = json.loads(out)
    assert code == 1 and len(rows) == len(inputs)  # one row per input, in order
    assert "faces" in rows[0] and "faces" in rows[-1]  # the good photos around the bad ones still count
    for row in rows:
        assert ("error" in row) != ("faces" in row)
        if "error" in row:
            assert "\n" not in row["error"] and "\x1b" not in row["error"]


def test_compare_each_file(run, corpus):
    codes = [run("compare", corpus.good[0], path)[0] for path in corpus.files]
    assert set(codes) <= {0, 2} and codes.count(2) > len(codes) // 2


def test_enroll_batch_and_folder(run, corpus):
    code, out, _ = run("enroll", "Batch", corpus.good[0], *corpus.files, "--json")
    report = json.loads(out)
    items = image_files([corpus.good[0], *corpus.files])  # folders among them expand to their images
    assert len(report["accepted"]) + len(report["rejected"]) == len(items)
    folder = os.path.dirname(corpus.files[0])
    code, out, _ = run("enroll", "Folder", folder, "--json", "--largest")
    report = json.loads(out)
    assert report["rejected"], "the folder's bad files are reported one by one"
    assert _healthy(run.data)


def test_names(run, corpus):
    refused = 0
    for name in corpus.names:
        code, out, err = run("enroll", name, corpus.good[0], "--no-masked-variants")
        refused += code == 2
        assert "\x1b" not in out + err and "\u202e" not in out + err
        if code == 2:  # one line, or argparse's usage and error for a name like "-rf"
            assert err.startswith("error: ") and err.count("\n") == 1 or err.startswith("usage: ")
    assert refused >= 20
    names = _healthy(run.data)
    assert names and all(clean_name(name).value == name for name in names)  # stored as the validator gives them


def test_export_targets(run, corpus):
    run("people")
    db = run.data / "faceapp.db"
    before = db.read_bytes()
    for target in corpus.exports:
        target = target.format(db=db, data=run.data)
        code, _, err = run("export", target)  # the existing plain file among them needs --force
        assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, (target, err)
        if target.startswith(str(db)):
            assert run("export", target, "--force")[0] == 2  # the database: not even with --force
    assert db.read_bytes() == before and _healthy(run.data) == []
