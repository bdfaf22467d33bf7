"""resources/models/MANIFEST.json names every shipped model with its source, licence and sha256."""

import json

from trainer.build.models import MODELS_DIR, sha256


def test_manifest_covers_every_model_with_matching_sha256():
    manifest = json.loads((MODELS_DIR / "MANIFEST.json").read_text())
    entries = {e["file"]: e for e in manifest["models"]}
    shipped = {p.name for p in MODELS_DIR.iterdir() if p.suffix in {".onnx", ".pt", ".npz"}}
    assert shipped == set(entries), "every model file needs a manifest entry and vice versa"
    for name, entry in entries.items():
        assert entry["source"] and entry["licence"], name
        assert sha256(MODELS_DIR / name) == entry["sha256"], f"{name} differs from its manifest sha256"
