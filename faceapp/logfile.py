"""The app's log file: data_dir/logs/faceapp.log, where error dialogs point for the details."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from faceapp.paths import logs_dir

# A kiosk runs for months: rotate so the log never fills the disk (3 x 1 MB is weeks of errors).
MAX_BYTES = 1_000_000
BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def setup_logging(data_dir: Path, level: int = logging.INFO) -> Path:
    """Send the root logger to data_dir/logs/faceapp.log, rotating (once per file); returns its path."""
    path = logs_dir(data_dir) / "faceapp.log"
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename) == path.resolve():
            return path
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    return path
