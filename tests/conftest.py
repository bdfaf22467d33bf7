import itertools
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED


@pytest.fixture(scope="session")
def trainer_faces(shared):
    """4 faces-sample people x 5 aligned crops (a FaceSet) and the pairs of everyone else (a PairSet),
    aligned from the landmark fixture: fine-tune tests need no detector."""
    pytest.importorskip("torch")
    import json

    from faceapp.eval.verification import faces_sample_identities
    from trainer.finetune.data import FaceSet
    from trainer.finetune.eval_sets import align_files, pair_set_from_csv

    folder = shared / "faces-sample"
    landmarks = json.loads((ROOT / "tests" / "fixtures" / "faces_sample_landmarks.json").read_text())
    landmarks = {name: v["landmarks"] for name, v in landmarks.items()}
    people: dict[int, list[str]] = {}
    for photo, label in faces_sample_identities(folder).items():
        people.setdefault(label, []).append(photo)
    chosen = [sorted(photos) for _, photos in sorted(people.items()) if len(photos) >= 5][:4]
    groups = {f"person{k}": list(align_files([folder / p for p in photos[:5]], landmarks=landmarks).values())
              for k, photos in enumerate(chosen)}
    seen = {p for photos in chosen for p in photos}  # every photo of the trained people
    return FaceSet.from_groups(groups), pair_set_from_csv(folder, landmarks=landmarks, exclude=seen)


@pytest.fixture
def strangers_dir(shared, tmp_path):
    """A plain folder of 6 photos of faces-sample people with fewer than 5 photos, so never among
    trainer_faces' people: strangers for the fine-tune's door check."""
    from faceapp.eval.verification import faces_sample_identities

    identities = faces_sample_identities(shared / "faces-sample")
    counts = {label: list(identities.values()).count(label) for label in set(identities.values())}
    folder = tmp_path / "strangers"
    folder.mkdir()
    for photo in sorted(p for p, label in identities.items() if counts[label] < 5)[:6]:
        (folder / photo).symlink_to(shared / "faces-sample" / photo)
    return folder


@pytest.fixture(scope="session")
def engine():
    """One Engine with every model, for the tests that run the real pipeline."""
    from faceapp.vision.engine import Engine

    return Engine()


@pytest.fixture
def cli(engine, tmp_path, monkeypatch, capsys):
    """Run a `faceapp` command through its argparse wiring on a fresh data folder: (exit code, stdout)."""
    from faceapp.cli import output
    from faceapp.cli.main import build_parser

    monkeypatch.setenv("FACEAPP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(output, "engine", lambda: engine)  # load the models once for the session
    parser = build_parser()

    def run(*argv):
        args = parser.parse_args([str(a) for a in argv])
        code = args.func(args)
        return code, capsys.readouterr().out

    return run


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.gate.wait(30)
        self.server.received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received, server.status, server.gate = [], 204, threading.Event()
    server.gate.set()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.gate.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL 16 with pgvector in a temporary folder (the pgserver wheel), for the session.
    Not under pytest's tmp_path: a concurrent pytest run prunes old numbered tmp folders, and the
    server dies with its data folder."""
    import shutil
    import tempfile

    import pgserver

    folder = tempfile.mkdtemp(prefix="faceapp-pg-")
    server = pgserver.get_server(folder, cleanup_mode="stop")
    yield server
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


_databases = itertools.count()


@pytest.fixture
def pg_database(pg_server):
    """The URL of a fresh, empty PostgreSQL database on the session's server; dropped afterwards."""
    import psycopg

    name = f"faceapp_test_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield pg_server.get_uri(name)
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """Where a test's gallery lives, once per storage backend: a fresh SQLite file, then a fresh
    PostgreSQL database. Gallery(database) opens either."""
    if request.param == "sqlite":
        return str(tmp_path / "g.db")
    return request.getfixturevalue("pg_database")
