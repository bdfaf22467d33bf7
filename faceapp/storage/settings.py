"""The settings table: runtime settings as JSON values, falling back to config.SETTING_DEFAULTS."""

from __future__ import annotations

import json
from typing import Any

from faceapp import config
from faceapp.storage.database import UNSET, Database


class Settings(Database):
    """Gallery's queries on settings."""

    def setting(self, key: str, default: Any = UNSET) -> Any:
        """A stored setting, else `default`, else its default from config.SETTING_DEFAULTS."""
        row = self.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row is not None:
            return json.loads(row[0])
        if default is not UNSET:
            return default
        if key in config.SETTING_DEFAULTS:
            return config.SETTING_DEFAULTS[key]
        raise KeyError(f"unknown setting {key!r}")

    def set_setting(self, key: str, value: Any) -> None:
        text = json.dumps(value, ensure_ascii=False)
        with self.transaction():
            self.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, text),
            )
