import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from faceapp import paths
from faceapp.attendance import Attendance
from faceapp.storage import SCHEMA_VERSION, Event, EventKind, Gallery, GalleryError, Sample

DIM = 16
ROOT = Path(__file__).resolve().parent.parent


def crop(rng, noise=True):
    """A synthetic 112x112 face crop; noise crops are incompressible (~37 kB of PNG each)."""
    if noise:
        return rng.integers(0, 256, (112, 112, 3), dtype=np.uint8)
    return np.full((112, 112, 3), rng.integers(0, 256), np.uint8)


def unit(rng, n):
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def gallery(database):
    with Gallery(database) as g:
        yield g


@pytest.fixture
def model(gallery):
    mv = gallery.register_model("mobilefacenet", "mobilefacenet.onnx", "a" * 64, DIM)
    gallery.activate_model(mv)
    return mv


def count(g, table):
    return g.query(f"SELECT count(*) AS n FROM {table}")[0]["n"]


def test_new_database_schema_and_pragmas(tmp_path):
    path = tmp_path / "g.db"
    with Gallery(path) as g:
        assert g.schema_version() == SCHEMA_VERSION
        assert g.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert g.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert {"people", "samples", "embeddings", "model_versions", "events", "attendance", "settings"} <= set(
            g.db.table_names()
        )
        g.add_person("Ann")
    with Gallery(path) as g:  # reopening migrates nothing and keeps the data
        assert [p.name for p in g.list_people()] == ["Ann"]
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(GalleryError, match="newer faceapp"):
        Gallery(path)


def test_not_a_database(tmp_path):
    path = tmp_path / "g.db"
    path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(GalleryError, match="not a faceapp database"):
        Gallery(path)


def test_person_with_samples_round_trip(gallery, model, rng):
    base = Sample(crop(rng), source="camera", quality={"sharpness": 120.5, "yaw": 3.0})
    variant = Sample(crop(rng), mask_kind="synthetic-surgical", parent=base)
    real = Sample(crop(rng), mask_kind="real", source="photo.jpg")
    vectors = unit(rng, 3)
    person = gallery.add_person(
        " 王  伟 ", employee_no="E001", department="R&D", samples=[base, variant, real], embeddings=vectors, model_version=model
    )
    assert (person.name, person.employee_no, person.department, person.active, person.sample_count) == ("王 伟", "E001", "R&D", True, 3)
    assert gallery.find_person("王 伟").id == person.id and gallery.find_person("nobody") is None
    stored = gallery.samples_for(person.id)
    assert [s.id for s in stored] == [base.id, variant.id, real.id]
    for s, original in zip(stored, (base, variant, real)):
        assert np.array_equal(s.crop, original.crop)  # PNG is lossless
        assert (s.mask_kind, s.source, s.quality, s.person_id) == (original.mask_kind, original.source, original.quality, person.id)
    assert stored[1].parent == base.id and stored[0].parent is None
    m, person_ids, sample_ids, masked = gallery.embedding_matrix(model)
    assert np.array_equal(m, vectors) and list(person_ids) == [person.id] * 3
    assert list(sample_ids) == [base.id, variant.id, real.id] and list(masked) == [False, True, True]


def test_samples_are_validated(gallery, model, rng):
    person = gallery.add_person("Ann")
    with pytest.raises(ValueError, match="112x112x3"):
        gallery.add_samples(person.id, [Sample(np.zeros((100, 100, 3), np.uint8))])
    with pytest.raises(ValueError, match="mask kind"):
        gallery.add_samples(person.id, [Sample(crop(rng), mask_kind="cloth")])
    with pytest.raises(ValueError, match="expected 2 embeddings"):
        gallery.add_samples(person.id, [Sample(crop(rng)), Sample(crop(rng))], unit(rng, 3), model)
    with pytest.raises(ValueError, match="model version"):
        gallery.add_samples(person.id, [Sample(crop(rng))], unit(rng, 1))
    orphan = Sample(crop(rng))
    with pytest.raises(ValueError, match="parent"):
        gallery.add_samples(person.id, [Sample(crop(rng), mask_kind="synthetic-n95", parent=orphan)])
    assert count(gallery, "samples") == 0


def test_names_and_employee_numbers_are_unique(gallery):
    ann = gallery.add_person("Ann Lee", employee_no="7")
    with pytest.raises(GalleryError, match="already enrolled"):
        gallery.add_person("ann  lee")
    with pytest.raises(GalleryError, match="already belongs to Ann Lee"):
        gallery.add_person("Bob", employee_no="7")
    with pytest.raises(GalleryError, match="name is empty"):
        gallery.add_person("   ")
    bob = gallery.add_person("Bob")
    with pytest.raises(GalleryError, match="already enrolled"):
        gallery.update_person(bob.id, name="ANN LEE")
    assert gallery.update_person(ann.id, name="Ann Li", department="Sales").name == "Ann Li"
    assert gallery.update_person(ann.id, employee_no=None).employee_no is None
    assert gallery.get_person(ann.id).department == "Sales"


def test_list_people_and_active_flag(gallery, model, rng):
    ann = gallery.add_person("Ann", samples=[Sample(crop(rng)), Sample(crop(rng))], embeddings=unit(rng, 2), model_version=model)
    bob = gallery.add_person("Bob")
    gallery.set_active(bob.id, False)
    assert [(p.name, p.sample_count, p.active) for p in gallery.list_people()] == [("Ann", 2, True), ("Bob", 0, False)]
    assert [p.id for p in gallery.list_people(active_only=True)] == [ann.id]
    with pytest.raises(GalleryError, match="No person"):
        gallery.set_active(999, True)


def test_remove_person_erases_face_data_but_keeps_attendance(gallery, model, rng):
    base = Sample(crop(rng))
    ann = gallery.add_person(
        "Ann", samples=[base, Sample(crop(rng), mask_kind="synthetic-cloth", parent=base)], embeddings=unit(rng, 2), model_version=model
    )
    bob = gallery.add_person("Bob", samples=[Sample(crop(rng))], embeddings=unit(rng, 1), model_version=model)
    Attendance(gallery).log(Event(EventKind.RECOGNISED, person_id=ann.id, score=0.8))
    gallery.remove_person(ann.id)
    assert gallery.find_person("Ann") is None
    assert count(gallery, "samples") == 1 and count(gallery, "embeddings") == 1  # only Bob's
    assert gallery.samples_for(bob.id)[0].person_id == bob.id
    (record,) = Attendance(gallery).records()
    assert (record.person_id, record.person_name) == (None, "Ann")
    assert gallery.events()[0].person_name == "Ann"
    assert gallery.integrity_errors() == []
    with pytest.raises(GalleryError, match="No person"):
        gallery.remove_person(ann.id)


def test_failure_midway_rolls_back_everything(gallery, model, rng):
    samples = [Sample(crop(rng)), Sample(crop(rng)), Sample(crop(rng), mask_kind="synthetic-n95", parent=424242)]
    with pytest.raises(GalleryError):  # the third sample's parent does not exist: FOREIGN KEY fails
        gallery.add_person("Ann", samples=samples, embeddings=unit(rng, 3), model_version=model)
    assert gallery.find_person("Ann") is None
    assert count(gallery, "samples") == 0 and count(gallery, "embeddings") == 0
    # an exception of the caller inside an explicit transaction undoes its earlier writes too
    with pytest.raises(RuntimeError):
        with gallery.transaction():
            gallery.add_person("Bob")
            gallery.set_setting("attendance.cooldown_s", 1)
            raise RuntimeError("enrolment cancelled")
    assert gallery.list_people() == [] and gallery.setting("attendance.cooldown_s") == 300.0


def test_locked_database_gives_busy_error(tmp_path, rng):
    path = tmp_path / "g.db"
    Gallery(path).close()
    with Gallery(path, busy_timeout_s=0.1) as g:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        other.execute("INSERT INTO settings (key, value) VALUES ('x', '1')")
        with pytest.raises(GalleryError, match="busy"):
            g.add_person("Ann")
        assert g.list_people() == []  # reads still work under WAL
        other.execute("ROLLBACK")
        other.close()
        g.add_person("Ann")  # and the gallery is usable once the lock is gone
        assert [p.name for p in g.list_people()] == ["Ann"]


def test_read_only_database(tmp_path):
    path = tmp_path / "g.db"
    with Gallery(path) as g:
        g.add_person("Ann")
    with Gallery(path, read_only=True) as g:
        assert g.read_only and [p.name for p in g.list_people()] == ["Ann"]
        with pytest.raises(GalleryError, match="read-only"):
            g.add_person("Bob")
        with pytest.raises(GalleryError, match="read-only"):
            g.set_setting("attendance.cooldown_s", 60)
    with Gallery(path) as g:
        assert [p.name for p in g.list_people()] == ["Ann"]


def test_write_protected_file_opens_read_only(tmp_path, monkeypatch):
    path = tmp_path / "g.db"
    with Gallery(path) as g:
        g.add_person("Ann")
    path.chmod(0o444)
    if os.name != "nt" and os.geteuid() == 0:  # root ignores permission bits: let the check see them
        monkeypatch.setattr(os, "access", lambda p, mode: not (Path(p) == path and mode & os.W_OK))
    with Gallery(path) as g:
        assert g.read_only
        with pytest.raises(GalleryError, match="read-only"):
            g.add_person("Bob")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # a size cap is a SQLite PRAGMA
def test_full_disk_saves_nothing(gallery, model, rng):
    pages = gallery.db.execute("PRAGMA page_count").fetchone()[0]
    gallery.db.execute(f"PRAGMA max_page_count = {pages + 40}")  # the file may grow by ~160 kB only
    samples = [Sample(crop(rng)) for _ in range(20)]  # ~750 kB of PNG
    with pytest.raises(GalleryError, match="full"):
        gallery.add_person("Ann", samples=samples, embeddings=unit(rng, 20), model_version=model)
    assert gallery.find_person("Ann") is None and count(gallery, "samples") == 0
    gallery.add_person("Bob")  # small changes still fit
    assert gallery.integrity_errors() == []


def test_settings(gallery):
    assert gallery.setting("attendance.cooldown_s") == 300.0  # default from config
    assert gallery.setting("no.such", default=7) == 7
    with pytest.raises(KeyError):
        gallery.setting("no.such")
    gallery.set_setting("access.schedule", {"mon": [["08:00", "18:00"]]})
    gallery.set_setting("ui.title", "考勤")
    assert gallery.setting("access.schedule") == {"mon": [["08:00", "18:00"]]}
    assert gallery.setting("ui.title") == "考勤"


def test_model_versions(gallery):
    assert gallery.active_model() is None
    a = gallery.register_model("mobilefacenet", "mfn.onnx", "a" * 64, DIM)
    assert gallery.register_model("renamed", "x.onnx", "a" * 64, DIM, metrics={"tar": 0.9}).id == a.id
    b = gallery.register_model("mobilefacenet-ft", "mfn-ft.onnx", "b" * 64, DIM)
    assert gallery.model_version(a.id).metrics == {"tar": 0.9} and not b.active
    gallery.activate_model(a)
    revision = gallery.revision()
    gallery.activate_model(b)
    assert gallery.active_model().id == b.id
    assert [m.active for m in gallery.model_versions()] == [False, True]
    assert gallery.revision() > revision  # a search index must reload for the new model
    with pytest.raises(GalleryError, match="not registered"):
        gallery.activate_model(99)


def test_re_embedding(gallery, model, rng):
    ann = gallery.add_person("Ann", samples=[Sample(crop(rng)) for _ in range(3)], embeddings=unit(rng, 3), model_version=model)
    bob = gallery.add_person("Bob", samples=[Sample(crop(rng)) for _ in range(2)])  # no embeddings yet
    new = gallery.register_model("mobilefacenet-ft", "ft.onnx", "b" * 64, DIM)
    crops = list(gallery.iter_crops(page=2))  # paging must not lose or repeat rows
    assert [sid for sid, _ in crops] == [s.id for s in gallery.samples_for(ann.id) + gallery.samples_for(bob.id)]
    assert np.array_equal(crops[0][1], gallery.samples_for(ann.id)[0].crop)
    assert [sid for sid, _ in gallery.iter_crops(missing_for=model)] == [s.id for s in gallery.samples_for(bob.id)]
    ids = [sid for sid, _ in crops]
    gallery.remove_person(bob.id)  # removed while its crops were being embedded: skipped
    vectors = unit(rng, len(ids))
    assert gallery.replace_embeddings(new, ids, vectors) == 3
    m, _, sample_ids, _ = gallery.embedding_matrix(new)
    assert np.array_equal(m, vectors[:3]) and list(sample_ids) == ids[:3]
    again = unit(rng, 3)
    gallery.replace_embeddings(new, ids[:3], again)
    assert np.array_equal(gallery.embedding_matrix(new)[0], again)
    assert len(gallery.embedding_matrix(model)[0]) == 3  # the other version is untouched
    assert list(gallery.iter_crops(missing_for=new)) == []


def test_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(tmp_path / "from-env"))
    assert paths.data_dir() == tmp_path / "from-env" and (tmp_path / "from-env").is_dir()
    assert paths.data_dir(tmp_path / "flag") == tmp_path / "flag"  # --data-dir wins over the env
    assert paths.logs_dir(tmp_path / "flag").is_dir()
    with Gallery.open(tmp_path / "flag") as g:
        assert g.path == tmp_path / "flag" / paths.DATABASE_NAME
    monkeypatch.delenv(paths.ENV_DATA_DIR)
    monkeypatch.setattr(paths.platformdirs, "user_data_dir", lambda *a, **k: str(tmp_path / "user"))
    assert paths.database_path() == tmp_path / "user" / "faceapp.db"


CRASH_CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import faceapp.storage.samples as samples_table
    from faceapp.storage import Gallery, Sample

    rng = np.random.default_rng(1)
    g = Gallery(sys.argv[1])
    mv = g.register_model("m", "m.onnx", "c" * 64, 16)
    g.activate_model(mv)
    def batch(n):
        return [Sample(rng.integers(0, 256, (112, 112, 3), dtype=np.uint8)) for _ in range(n)], rng.standard_normal((n, 16))
    samples, vectors = batch(5)
    g.add_person("complete", samples=samples, embeddings=vectors, model_version=mv)
    encode, done = samples_table.encode_png, [0]
    def encode_then_stall(crop):  # stall inside the transaction, with ~4 MB of it written out
        done[0] += 1
        if done[0] == 100:
            print("midway", flush=True)
            time.sleep(600)
        return encode(crop)
    samples_table.encode_png = encode_then_stall
    samples, vectors = batch(300)
    g.add_person("partial", samples=samples, embeddings=vectors, model_version=mv)
    print("finished", flush=True)
    """
)


def test_killed_during_enrolment_leaves_consistent_database(database, tmp_path):
    path = database
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CRASH_CHILD, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = child.stdout.readline()
        assert line.strip() == "midway", child.stderr.read()
        if not database.startswith("postgresql"):  # the server rolls back a client that vanished
            # the uncommitted pages really reached the disk (spilled to the WAL) before the kill
            assert (tmp_path / "g.db-wal").stat().st_size > 1_000_000
    finally:
        child.kill()  # SIGKILL: no cleanup, no rollback by the process
        child.wait()
        child.stdout.close()
        child.stderr.close()
    with Gallery(path) as g:
        assert g.integrity_errors() == []
        assert g.find_person("partial") is None
        complete = g.find_person("complete")
        assert complete.sample_count == 5
        assert count(g, "samples") == 5 and count(g, "embeddings") == 5


def test_public_names_importable_from_the_package_and_the_gallery_module():
    import faceapp.storage as storage
    import faceapp.storage.gallery as gallery_module

    for name in storage.__all__:
        assert getattr(gallery_module, name) is getattr(storage, name), name


def test_migrations_on_both_backends(database):
    with Gallery(database) as g:
        assert g.schema_version() == SCHEMA_VERSION
        g.add_person("Ann")
    with Gallery(database) as g:  # reopening migrates nothing and keeps the data
        assert g.schema_version() == SCHEMA_VERSION and [p.name for p in g.list_people()] == ["Ann"]
        with g.transaction():
            g.conn.set_user_version(SCHEMA_VERSION + 1)
    with pytest.raises(GalleryError, match="newer faceapp"):
        Gallery(database)


def test_unreachable_server_says_so_without_the_password():
    from faceapp.storage.database import redact, redact_text

    url = "postgresql://door:s3cret@127.0.0.1:1/faceapp?sslmode=disable&password=other"
    with pytest.raises(GalleryError, match="cannot be reached") as caught:
        Gallery(url)
    assert "s3cret" not in str(caught.value) and "other" not in str(caught.value)
    assert redact(url) == "postgresql://door:***@127.0.0.1:1/faceapp?sslmode=disable&password=***"
    assert redact_text(f"opening {url} failed") == f"opening {redact(url)} failed"


def test_log_lines_never_carry_a_database_password(tmp_path):
    import logging

    from faceapp.logfile import remove_logging, setup_logging

    handler = setup_logging(tmp_path)
    try:
        logging.getLogger("faceapp.test").error("cannot open postgresql://door:s3cret@db/faceapp?sslmode=require")
    finally:
        remove_logging(handler)
    text = Path(handler.baseFilename).read_text()
    assert "postgresql://door:***@db/faceapp?sslmode=require" in text and "s3cret" not in text


def test_the_data_folder_can_name_the_server(tmp_path, pg_database, monkeypatch):
    monkeypatch.delenv(paths.ENV_DATABASE, raising=False)
    with Gallery.open(tmp_path) as local:
        assert local.dialect == "sqlite"
        local.set_setting("storage.database", pg_database)
    with Gallery.open(tmp_path) as g:  # the door's own file points at the shared server
        assert g.dialect == "postgresql" and g.path is None
    monkeypatch.setenv(paths.ENV_DATABASE, f"sqlite:///{tmp_path / 'other.db'}")  # --database wins
    with Gallery.open(tmp_path) as g:
        assert g.dialect == "sqlite" and g.path == tmp_path / "other.db"
