"""`faceapp --self-test`: proves an installation works without a camera or any user data.

Loads every model, runs the whole per-face pipeline on a generated frame, opens and checks the
database, prints one line per check and returns 0 only if all passed. The frozen build runs it in CI.
"""

from __future__ import annotations

import json
import time
import traceback

import numpy as np

from faceapp.vision.align import ARCFACE_TEMPLATE
from faceapp.types import Detection


def generated_frame() -> tuple[np.ndarray, Detection]:
    """A 640x480 frame with a face-like pattern and a detection placed on it by hand.

    No photo ships with the app, so the per-face models are exercised through a known detection,
    and the detector through the full frame (it may rightly find nothing in it).
    """
    rng = np.random.default_rng(7)
    frame = rng.integers(60, 200, (480, 640, 3), dtype=np.uint8)
    landmarks = (ARCFACE_TEMPLATE * 2.0 + np.array([208, 128], np.float32)).astype(np.float32)
    import cv2

    cv2.ellipse(frame, (320, 270), (90, 120), 0, 0, 360, (150, 170, 210), -1)
    for x, y in landmarks[:2]:
        cv2.ellipse(frame, (int(x), int(y)), (14, 7), 0, 0, 360, (40, 40, 40), -1)
    box = np.array([230, 150, 410, 390], np.float32)
    return frame, Detection(box=box, score=1.0, landmarks=landmarks)


class CheckFailed(Exception):
    """A self-test expectation that did not hold (not `assert`: that vanishes under python -O)."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def check_detections(found: list[Detection], frame: np.ndarray) -> None:
    """Every detection is well-formed: a finite box inside the frame, a score in (0, 1], five
    finite landmarks near the box."""
    h, w = frame.shape[:2]
    for d in found:
        box = np.asarray(d.box, np.float64)
        expect(box.shape == (4,) and np.isfinite(box).all(), f"detector box {box} is not 4 finite numbers")
        expect(-1 <= box[0] < box[2] <= w + 1 and -1 <= box[1] < box[3] <= h + 1, f"detector box {box} is outside the {w}x{h} frame")
        expect(0.0 < float(d.score) <= 1.0, f"detector score {d.score} is not in (0, 1]")
        marks = np.asarray(d.landmarks, np.float64)
        expect(marks.shape == (5, 2) and np.isfinite(marks).all(), "detector landmarks are not 5 finite points")
        side = max(box[2] - box[0], box[3] - box[1])
        expect(bool(((marks >= box[:2] - side) & (marks <= box[2:] + side)).all()), "detector landmarks lie far outside their box")


def provider_setting(data_dir) -> str:
    """The stored `inference.provider`; "automatic" where the database cannot say (its own check
    reports why)."""
    from faceapp import settings
    from faceapp.storage.gallery import Gallery

    try:
        with Gallery.open(data_dir) as gallery:
            return settings.value(gallery, "inference.provider")
    except Exception:  # noqa: BLE001 (the database check below names the failure)
        return "automatic"


def run_self_test(data_dir=None, *, as_json: bool = False) -> int:
    checks: list[dict] = []

    def check(name, fn):
        t0 = time.perf_counter()
        try:
            detail = fn()
            checks.append({"check": name, "ok": True, "ms": round((time.perf_counter() - t0) * 1000, 1), "detail": detail})
        except Exception as exc:  # a self-test reports every failure instead of stopping at the first
            checks.append({"check": name, "ok": False, "error": f"{type(exc).__name__}: {exc}",
                           "trace": traceback.format_exc(limit=3)})

    state: dict = {}

    def load_models():
        from faceapp.vision.engine import Engine
        from faceapp.vision.onnx_model import active_providers, notices, use_provider

        use_provider(provider_setting(data_dir))
        state["engine"] = Engine()
        fallbacks = [reason.text() for reason in notices()]
        return {"loaded": "detector, embedder, eyes, mask classifier, anti-spoofing", "provider": " + ".join(active_providers()),
                **({"fallback": fallbacks} if fallbacks else {})}

    def pipeline():
        engine = state["engine"]
        frame, detection = generated_frame()
        expect(engine.detect(np.zeros_like(frame)) == [], "the detector finds faces in a black frame")
        found = engine.detect(frame)
        check_detections(found, frame)
        faces = engine.analyze(frame, [detection])
        expect(len(faces) == 1, f"analyze returned {len(faces)} faces for one detection")
        face = faces[0]
        expect(face.embedding is not None and face.embedding.shape[0] >= 128, "no embedding")
        expect(abs(float(np.linalg.norm(face.embedding)) - 1.0) < 1e-3, "the embedding is not normalised")
        expect(face.eyes is not None and bool(np.isfinite([face.eyes.left, face.eyes.right]).all()), "no eye openness")
        expect(face.mask_score is not None and 0.0 <= face.mask_score <= 1.0, "no mask score")
        from faceapp.vision.mask_adapter import for_weights

        adapter = for_weights(engine.embedder.path)
        expect(adapter is not None, "the mask adapter is missing or was fitted for other embedder weights")
        expect(abs(float(np.linalg.norm(adapter.apply(face.embedding))) - 1.0) < 1e-3, "the mask adapter output is not normalised")
        (real,) = engine.antispoof.score(frame, detection.box[None])
        expect(0.0 <= real <= 1.0, "the anti-spoofing score is not a probability")
        return {"detections_on_generated_frame": len(found), "embedding_dim": int(face.embedding.shape[0]),
                "eyes": [round(face.eyes.left, 3), round(face.eyes.right, 3)], "mask_score": round(face.mask_score, 3),
                "passive_score": round(float(real), 3)}

    def database():
        from faceapp.storage.gallery import Gallery

        with Gallery.open(data_dir) as gallery:
            errors = gallery.integrity_errors()
            expect(not errors, f"integrity check failed: {errors}")
            return {"path": gallery.where, "schema_version": gallery.schema_version(),
                    "people": len(gallery.list_people())}

    check("models", load_models)
    if "engine" in state:
        check("pipeline", pipeline)
    check("database", database)
    ok = all(c["ok"] for c in checks)
    if as_json:
        print(json.dumps({"ok": ok, "checks": checks}, indent=2))
    else:
        for c in checks:
            status = "ok  " if c["ok"] else "FAIL"
            print(f"[{status}] {c['check']:9s} {c.get('detail') if c['ok'] else c['error']}")
        print("self-test passed" if ok else "self-test FAILED")
    return 0 if ok else 1
