"""Enrollment with real photos: quality gates with reasons, masked variants, duplicates, cancel, crash safety."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceapp.jobs import Job
from faceapp.recognition.enroll import Enroller
from faceapp.storage.gallery import Gallery
from faceapp.vision.imageio import load_image

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def gallery(database):
    with Gallery(database) as g:
        yield g


def test_quality_gates_say_why(engine, gallery, shared, tmp_path):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 128, np.uint8))
    blurred = tmp_path / "blurred.jpg"
    cv2.imwrite(str(blurred), cv2.GaussianBlur(load_image(shared / "faces-peer" / "obama.jpg"), (0, 0), 6))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg" * 20)
    peer = shared / "faces-peer"
    progress = []
    report = Enroller(engine, gallery).enroll(
        "Nobody", [blank, peer / "two_people.jpg", peer / "obama-240p.jpg", blurred, broken],
        job=Job(lambda step: progress.append((step.done, step.total))),
    )
    assert not report.saved and report.person is None and gallery.list_people() == []
    reasons = {Path(r.source).name: r.reason for r in report.rejected}
    codes = {Path(r.source).name: [x.code for x in r.reasons] for r in report.rejected}
    assert codes["blank.png"] == ["no_face"] and reasons["blank.png"] == "no face found"
    assert codes["two_people.jpg"] == ["many_faces"] and report.rejected[1].reasons[0].params == {"count": 2}
    assert "too_small" in codes["obama-240p.jpg"] and "blurred" in codes["blurred.jpg"]
    assert codes["broken.jpg"] == ["unreadable"] and report.error.code == "none_passed"
    assert "2 faces" in reasons["two_people.jpg"]
    assert "too small" in reasons["obama-240p.jpg"]  # a 63 px face
    assert "blurred" in reasons["blurred.jpg"]
    assert "not a readable image" in reasons["broken.jpg"]
    assert progress[0] == (0, 6) and len(progress) == 5


def test_enroll_folder_masked_variants_duplicates(engine, gallery, shared, tmp_path):
    from faceapp.vision import masks
    from faceapp.recognition.recognizer import Recognizer

    folder = tmp_path / "barack"
    folder.mkdir()
    for name in ("obama.jpg", "obama2.jpg", "biden.jpg"):  # someone else's photo slipped in
        (folder / name).symlink_to(shared / "faces-peer" / name)
    enroller = Enroller(engine, gallery)
    report = enroller.enroll("Barack", [folder], employee_no="44")
    assert report.saved and sorted(Path(a.source).name for a in report.accepted) == ["obama.jpg", "obama2.jpg"]
    assert [Path(r.source).name for r in report.rejected] == ["biden.jpg"] and "does not look like" in report.rejected[0].reason
    samples = gallery.samples_for(report.person.id)
    kinds = sorted({s.mask_kind for s in samples})
    assert len(samples) == 2 * (1 + len(masks.ENROLLMENT_STYLES)) and "none" in kinds and len(kinds) == 1 + len(masks.ENROLLMENT_STYLES)
    assert all(a.variants == len(masks.ENROLLMENT_STYLES) for a in report.accepted)
    # a masked probe of a photo not enrolled finds Barack, through a masked template
    image = load_image(shared / "faces-peer" / "obama3.jpg")
    covered = masks.draw_mask(image, engine.detect(image)[0].landmarks, masks.random_style(5), 5)
    probe = engine.analyze(covered, eyes=False)[0]
    rec = Recognizer(gallery, enroller.model_version)
    match = rec.identify_embedding(probe.embedding, masked=True)
    assert match.name == "Barack", match
    best = rec.search.search(probe.embedding, k=1).best
    assert next(s for s in samples if s.id == best.sample_id).mask_kind.startswith("synthetic-")
    # enrolling Barack's photo under another name: saved, with a duplicate warning
    again = enroller.enroll("Someone Else", [shared / "faces-peer" / "obama-1080p.jpg"])
    assert again.saved and [(d.name, d.person_id) for d in again.duplicates] == [("Barack", report.person.id)]
    # adding to Barack himself warns of nobody
    more = enroller.enroll(None, [shared / "faces-peer" / "obama_small.jpg"], person_id=report.person.id)
    assert more.saved and more.person.id == report.person.id
    assert [d.name for d in more.duplicates] == ["Someone Else"]


def test_check_photos_before_saving(engine, gallery, shared):
    """The enroll dialog's preview: each photo's verdict and a possible duplicate, nothing written."""
    peer = shared / "faces-peer"
    enroller = Enroller(engine, gallery)
    barack = enroller.enroll("Barack", [peer / "obama.jpg", peer / "obama2.jpg"]).person
    stored = len(gallery.samples_for(barack.id))
    checks = enroller.check_photos([peer / "obama3.jpg", peer / "two_people.jpg"])
    assert [c.checked is not None for c in checks] == [True, False]
    assert checks[0].duplicate.name == "Barack" and checks[0].checked.face.aligned.shape == (112, 112, 3)
    assert [r.code for r in checks[1].rejected.reasons] == ["many_faces"]
    assert enroller.check_photos([peer / "obama3.jpg"], person_id=barack.id)[0].duplicate is None  # adding to him
    assert len(gallery.samples_for(barack.id)) == stored and len(gallery.list_people()) == 1


def test_cancel_in_the_middle_saves_nothing(engine, gallery, shared):
    seen = []

    def on_progress(step):
        seen.append(step.text)
        if len(seen) == 2:  # the second photo is being checked: the first is done, nothing saved yet
            job.cancel()

    job = Job(on_progress)
    report = Enroller(engine, gallery).enroll("Barack", [shared / "faces-peer" / "obama.jpg"] * 3, job=job)
    assert report.cancelled and not report.saved and gallery.list_people() == []
    assert len(seen) == 2 and gallery.query("SELECT COUNT(*) AS n FROM samples")[0]["n"] == 0


KILL_SCRIPT = """
import sys
from faceapp.vision.engine import Engine
from faceapp.jobs import Job
from faceapp.recognition.enroll import Enroller
from faceapp.storage.gallery import Gallery
photos = sys.argv[2:]
with Gallery(sys.argv[1]) as g:
    enroller = Enroller(Engine(with_mask=False), g)
    for i in range(1000):
        def progress(step, i=i):
            if step.text == "saving":
                print("saving", i, flush=True)
        enroller.enroll(f"person {i}", photos, job=Job(progress))
        print("saved", i, flush=True)
"""


def test_killed_during_enrollment_leaves_consistent_database(tmp_path, shared):
    db = tmp_path / "g.db"
    photos = [str(shared / "faces-peer" / n) for n in ("obama.jpg", "obama2.jpg")]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_WAIT_POLICY": "PASSIVE"}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(db), *photos], stdout=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[:2] == [b"saving 0\n", b"saved 0\n"] and lines[2] == b"saving 1\n"
        proc.send_signal(signal.SIGKILL)  # while person 1 is being written
        proc.wait(30)
    finally:
        proc.kill()
    with Gallery(db) as g:
        assert g.integrity_errors() == []
        people = g.list_people()
        assert len(people) >= 1
        mv = g.active_model()
        vectors, person_ids, sample_ids, masked = g.embedding_matrix(mv)
        for p in people:  # every person is complete: 2 photos, each with its masked variants, all embedded
            samples = g.samples_for(p.id)
            plain = [s for s in samples if s.mask_kind == "none"]
            assert len(plain) == 2 and len(samples) % 2 == 0 and len(samples) > 2
            assert set(s.id for s in samples) <= set(sample_ids.tolist())


def test_a_face_that_clearly_dominates_is_used_and_said(engine, gallery, shared):
    """fi_protagonist.mp4 frame 280: the protagonist (283 px) and a detection on the
    jack-o'-lantern that passes the presence check (134 px): the photo is of her, so she is enrolled
    with a note; two people side by side are still refused."""
    cap = cv2.VideoCapture(str(shared / "videos" / "fi_protagonist.mp4"))
    for _ in range(281):
        ok, frame = cap.read()
    assert ok
    assert len(engine.detect(frame)) == 2
    report = Enroller(engine, gallery).enroll("Protagonist", [("frame280", frame)])
    assert report.saved, report.to_json()
    (note,) = report.accepted[0].notes
    assert note.code == "largest_face_used" and note.params == {"count": 2}
    assert report.to_json()["accepted"][0]["notes"][0]["text"].startswith("2 faces in the photo; the largest")
    couple = Enroller(engine, gallery).enroll("Couple", [shared / "faces-sample" / "couple.jpg"])
    assert not couple.saved and couple.rejected[0].reasons[0].code == "many_faces"
