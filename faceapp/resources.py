"""Where the shipped resources live, both from a source checkout and from a frozen build."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)  # PyInstaller unpacks data files here
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def model_path(name: str) -> Path:
    """Path of a model file under resources/models; a clear error if the build did not ship it."""
    path = resources_dir() / "models" / name
    if not path.is_file():
        raise FileNotFoundError(
            f"model file {path} is missing; run `python -m trainer.build.models` to rebuild resources/models"
        )
    return path
