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


class AppLogHandler(logging.handlers.RotatingFileHandler):
    """The app's own log file handler, told apart from any other file handler on the root logger.
    A database URL in a line (an error, a traceback) is written with its password as ***."""

    def format(self, record: logging.LogRecord) -> str:
        from faceapp.storage.database import redact_text

        return redact_text(super().format(record))


def setup_logging(data_dir: Path, level: int = logging.INFO) -> AppLogHandler:
    """Send the root logger to data_dir/logs/faceapp.log (rotating); remove_logging() undoes it."""
    path = logs_dir(data_dir) / "faceapp.log"
    handler = AppLogHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    root = logging.getLogger()
    root.setLevel(min(root.level or level, level))
    root.addHandler(handler)
    return handler


def remove_logging(handler: logging.Handler) -> None:
    logging.getLogger().removeHandler(handler)
    handler.close()


def current_log_file() -> Path | None:
    """The log file the app writes to now (the latest set up), if any."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, AppLogHandler)]
    return Path(handlers[-1].baseFilename) if handlers else None
