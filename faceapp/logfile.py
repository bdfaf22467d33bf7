"""The app's log file: data_dir/logs/faceapp.log, where error dialogs point for the details."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

# A kiosk runs for months: rotate so the log never fills the disk (3 x 1 MB is weeks of errors).
MAX_BYTES = 1_000_000
BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def log_path(data_dir: Path) -> Path:
    return Path(data_dir) / "logs" / "faceapp.log"


def setup_logging(data_dir: Path, level: int = logging.INFO) -> Path:
    """Send the root logger to the rotating log file (once per file); returns its path."""
    path = log_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename) == path.resolve():
            return path
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    return path
