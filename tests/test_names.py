import os
import unicodedata

import pytest

from faceapp.config import INPUTS
from faceapp.recognition.names import InvalidName, NameProblem, NameWarning, clean_name, clean_optional, clean_text


@pytest.mark.parametrize("raw, code", [
    ("\x1b[31mRed\x1b[0m", NameProblem.CONTROL),
    ("Li\x1b]0;pwned\x07Wei", NameProblem.CONTROL),
    ("Li\nWei", NameProblem.CONTROL),
    ("Li\tWei", NameProblem.CONTROL),
    ("Li\u2028Wei", NameProblem.CONTROL),
    ("Li\x00Wei", NameProblem.CONTROL),
    ("Li\x85Wei", NameProblem.CONTROL),  # C1 next line
    ("evil\u202egnp.exe", NameProblem.FORMAT),  # right-to-left override
    ("\u2066Li Wei\u2069", NameProblem.FORMAT),  # bidi isolate
    ("Li\u200bWei", NameProblem.FORMAT),  # zero-width space
    ("\ufeffLi Wei", NameProblem.FORMAT),  # byte-order mark
    ("\u202e", NameProblem.FORMAT),
    ("\u200d\u200c", NameProblem.INVISIBLE),  # only joiners
    ("\u0301\u0301", NameProblem.INVISIBLE),  # only combining marks
    ("", NameProblem.EMPTY),
    ("   \t ", NameProblem.EMPTY),
    ("\u3000", NameProblem.EMPTY),  # ideographic space
    ("x" * (INPUTS.max_name_chars + 1), NameProblem.TOO_LONG),
    (os.fsdecode(b"caf\xe9"), NameProblem.NOT_UTF8),  # argv bytes that were Latin-1
    (b"caf\xe9", NameProblem.NOT_UTF8),
])
def test_refused(raw, code):
    with pytest.raises(InvalidName) as err:
        clean_name(raw)
    assert err.value.code == code
    message = str(err.value)
    assert message.startswith("the name ")
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in message)  # safe to print


def test_normalised_and_trimmed():
    decomposed = "Jose\u0301  Mari\u0301a "
    clean = clean_name(" \t" + decomposed + "\n")
    assert clean.value == "José María" and unicodedata.is_normalized("NFC", clean.value)
    assert clean.warnings == ()
    assert clean_name("李伟").value == "李伟"
    assert clean_name(b"Zo\xc3\xab").value == "Zoë"
    assert clean_name("محمد\u200cرضا").value == "محمد\u200cرضا"  # the ZWNJ of Persian spelling stays
    assert clean_name("x" * INPUTS.max_name_chars).value == "x" * INPUTS.max_name_chars


def test_look_alike_scripts_warned_not_refused():
    clean = clean_name("Вarack Оbama")  # Cyrillic В and О
    assert clean.value == "Вarack Оbama"
    assert clean.warnings == (NameWarning.MIXED_SCRIPTS,)
    assert "CYRILLIC CAPITAL LETTER VE" in clean.detail and "U+0412" in clean.detail
    for fine in ("Barack Obama", "Владимир Путин", "Li Wei 李伟", "Αλέξανδρος", "O'Brien-Smith"):
        assert clean_name(fine).warnings == (), fine


def test_optional_fields():
    assert clean_optional(None, "employee number") is None
    assert clean_optional("  ", "employee number") == ""
    assert clean_optional(" E 1001 ", "employee number") == "E 1001"
    with pytest.raises(InvalidName, match="the department holds a control"):
        clean_optional("R&D\x1b[2J", "department")
    with pytest.raises(InvalidName, match="limit is 64"):
        clean_text("9" * 65, "employee number", max_chars=INPUTS.max_employee_no_chars)
