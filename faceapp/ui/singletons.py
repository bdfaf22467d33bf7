"""Keep None, True and False alive whatever the Qt binding does to their reference counts.

PySide6 6.12.0 on Python 3.11 returns None and True from void calls and Signal.emit() without a
reference of its own (tests/ui/test_binding_refcounts.py), so each call takes one away; the live
view makes thousands a minute and the interpreter aborts within minutes ("deallocating None").
Python 3.12 made these objects immortal, which hides the bug there. On older Pythons this gives
them a reference count no run can use up, the same cure; the fix proper is PySide6 6.11.3.
"""

from __future__ import annotations

import ctypes
import sys

# 2**50 references: a million leaked calls a second would take 35 years to use them up.
_MARGIN = 1 << 50


def protect() -> None:
    if sys.version_info >= (3, 12):  # immortal already
        return
    for obj in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt, the first field of every object
        if refcount.value < _MARGIN:
            refcount.value += _MARGIN
