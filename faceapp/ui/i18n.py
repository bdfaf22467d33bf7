"""Run-time language switching without Qt's lupdate/lrelease tool chain.

Source strings are English and double as keys into resources/translations/<code>.json. Widgets set
their texts in a `retranslate()` method that calls `tr()`, and run it again when the language
changes, so switching keeps every widget's state. Qt's own translation of its standard dialogs and
buttons (qtbase_<code>.qm, shipped with PySide6) is installed alongside.
"""

from __future__ import annotations

import json
import logging
from functools import cache

from faceapp.resources import resources_dir

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
DEFAULT = "en"

log = logging.getLogger(__name__)
_state = {"code": DEFAULT, "catalogue": {}}
_qt_translator = []  # the installed QTranslator, kept alive while installed


@cache
def load_catalogue(code: str) -> dict[str, str]:
    if code == DEFAULT:
        return {}
    path = resources_dir() / "translations" / f"{code}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.exception("translation catalogue %s could not be read; showing English", path)
        return {}


def N_(text: str) -> str:  # noqa: N802 (gettext's name for it)
    """Marks a string in a constant table for translation; tr() translates it where it is shown."""
    return text


def tr(text: str) -> str:
    """The current language's version of an English UI string (the string itself if missing)."""
    return _state["catalogue"].get(text) or text


def language() -> str:
    return _state["code"]


def set_language(code: str) -> None:
    """Switch the catalogue and Qt's own translator; widgets then run their retranslate()."""
    if code not in LANGUAGES:
        code = DEFAULT
    _state["code"] = code
    _state["catalogue"] = load_catalogue(code)
    _install_qt_translator(code)


def _install_qt_translator(code: str) -> None:
    from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

    app = QCoreApplication.instance()
    if app is None:
        return
    while _qt_translator:
        app.removeTranslator(_qt_translator.pop())
    if code == DEFAULT:
        return
    translator = QTranslator()
    if translator.load(f"qtbase_{code}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(translator)
        _qt_translator.append(translator)
