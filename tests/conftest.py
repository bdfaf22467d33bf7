import os
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


@pytest.fixture(scope="session")
def engine():
    """One Engine with every model, for the tests that run the real pipeline."""
    from faceapp.vision.engine import Engine

    return Engine()
