"""Where faceapp keeps its data: one folder holding the gallery database and the logs folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from faceapp.files import PathError, PathProblem, os_problem

ENV_DATA_DIR = "FACEAPP_DATA_DIR"
# A PostgreSQL URL (or sqlite:///path) that overrides the data folder's own database file (--database).
ENV_DATABASE = "FACEAPP_DATABASE"
# This installation's door name (--door): events and attendance records carry it.
ENV_DOOR = "FACEAPP_DOOR"
DATABASE_NAME = "faceapp.db"


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The data folder, created if missing: `override` (--data-dir), else $FACEAPP_DATA_DIR, else the
    per-user data folder of the platform (~/.local/share/faceapp, %LOCALAPPDATA%\\faceapp, ...)."""
    chosen = override or os.environ.get(ENV_DATA_DIR) or platformdirs.user_data_dir("faceapp", appauthor=False)
    path = Path(chosen).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file (or a link to one) where the folder should be
        raise PathError(PathProblem.NOT_A_FOLDER, path, "is a file, not a folder; choose a data folder with --data-dir") from None
    except OSError as exc:
        raise os_problem(exc, path, writing=True) from None
    return path


def database_path(override: str | os.PathLike | None = None) -> Path:
    return data_dir(override) / DATABASE_NAME


def logs_dir(override: str | os.PathLike | None = None) -> Path:
    path = data_dir(override) / "logs"
    path.mkdir(exist_ok=True)
    return path
