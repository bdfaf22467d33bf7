"""Names people type (person name, employee number, department): checked and normalised once, in
the core, before anything is stored or printed.

Refused: control characters (a name is printed to terminals, CSV files and overlays, where
`\\x1b[31m` recolours and `\\x1b]0;...\\x07` retitles), bidi overrides and other invisible format
characters (U+202E turns "exe.txt" around), names that are invisible or too long, and text that is
not valid UTF-8. Normalised: NFC (so "é" typed two ways is one name), trimmed, inner runs of
white space as one space. Warned about, not refused: a name mixing look-alike scripts
("Вarack Оbama" with Cyrillic В and О), which could impersonate someone else's entry.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from faceapp.config import INPUTS

# Format characters a name may hold: zero-width (non-)joiners are part of Persian, Indic and emoji
# spelling. Every other format character (bidi overrides and isolates, marks, BOM) is refused.
_ALLOWED_FORMAT = {"\u200c", "\u200d"}
# Scripts whose letters look alike (Latin a / Cyrillic а / Greek α ...): mixing them is how one name
# impersonates another. Latin with CJK, Arabic etc. is ordinary and not warned about.
_CONFUSABLE_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"}


class NameProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    CONTROL = "control_character"
    FORMAT = "invisible_format_character"
    INVISIBLE = "invisible"
    NOT_UTF8 = "not_utf8"


class NameWarning(StrEnum):
    MIXED_SCRIPTS = "mixed_scripts"


class InvalidName(ValueError):
    """A name that cannot be stored: `code` says why (a NameProblem), the message in words."""

    def __init__(self, code: NameProblem, field: str, message: str, detail: str = ""):
        self.code = code
        self.field = field
        self.detail = detail  # the offending character (U+... NAME) or the length, for UIs to word
        super().__init__(f"the {field} {message}")


@dataclass(frozen=True, slots=True)
class CleanName:
    value: str  # NFC, trimmed, white space collapsed: what to store
    warnings: tuple[NameWarning, ...] = ()
    detail: str = ""  # the warnings in words (English), for the CLI to show
    look_alikes: str = ""  # the characters from the minority script, for a UI to word the warning


def _escaped(ch: str) -> str:
    name = unicodedata.name(ch, "")  # control characters have none
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


def _script(ch: str) -> str | None:
    """The script of a letter, from its Unicode name ("CYRILLIC CAPITAL LETTER VE" -> CYRILLIC)."""
    if not ch.isalpha():
        return None
    return unicodedata.name(ch, "UNKNOWN").split(" ")[0]


def look_alikes(name: str) -> tuple[str, list[str]]:
    """(main script, letters from other look-alike scripts) of a name; no letters when it does not mix."""
    seen: dict[str, list[str]] = {}
    for ch in name:
        script = _script(ch)
        if script in _CONFUSABLE_SCRIPTS:
            seen.setdefault(script, []).append(ch)
    if len(seen) < 2:
        return "", []
    main = max(seen, key=lambda s: len(seen[s]))
    return main, list(dict.fromkeys(ch for s, chars in seen.items() if s != main for ch in chars))


def clean_text(raw: str | bytes, field: str = "name", *, max_chars: int | None = None, required: bool = True) -> CleanName:
    """Check and normalise one typed field; raises InvalidName with a NameProblem code."""
    max_chars = INPUTS.max_name_chars if max_chars is None else max_chars
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "surrogateescape")  # bytes that are not UTF-8 become lone surrogates
    if any("\ud800" <= ch <= "\udfff" for ch in raw):  # as argv hands over bytes that were not UTF-8
        raise InvalidName(NameProblem.NOT_UTF8, field, "is not valid UTF-8 text; type it again "
                          "(the terminal or file it came from uses another encoding)")
    text = unicodedata.normalize("NFC", raw).strip()  # a stray newline or tab at either end goes
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp"):
            raise InvalidName(NameProblem.CONTROL, field, f"holds a control character or line break ({_escaped(ch)})", _escaped(ch))
        if category == "Cf" and ch not in _ALLOWED_FORMAT or category == "Co":
            raise InvalidName(NameProblem.FORMAT, field, f"holds an invisible formatting character ({_escaped(ch)})", _escaped(ch))
    text = " ".join(text.split())
    if not text:
        if required:
            raise InvalidName(NameProblem.EMPTY, field, "is empty")
        return CleanName("")
    if all(ch in _ALLOWED_FORMAT or unicodedata.category(ch) in ("Mn", "Me", "Zs") for ch in text):
        raise InvalidName(NameProblem.INVISIBLE, field, "has no visible characters")
    if len(text) > max_chars:
        raise InvalidName(NameProblem.TOO_LONG, field, f"is {len(text)} characters long (the limit is {max_chars})", str(max_chars))
    main, others = look_alikes(text)
    if not others:
        return CleanName(text)
    detail = (f"the {field} mixes {main.title()} letters with look-alikes from another script: "
              + ", ".join(f"'{ch}' ({_escaped(ch)})" for ch in others[:5]))
    return CleanName(text, (NameWarning.MIXED_SCRIPTS,), detail, " ".join(others[:5]))


def clean_name(raw: str | bytes) -> CleanName:
    """A person's name, checked and normalised (see clean_text)."""
    return clean_text(raw, "name")


def clean_optional(raw: str | bytes | None, field: str, max_chars: int | None = None) -> str | None:
    """An optional field (employee number, department): None or '' stay as they are."""
    if raw is None:
        return None
    return clean_text(raw, field, max_chars=max_chars, required=False).value
