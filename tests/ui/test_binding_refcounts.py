"""The Qt binding must not eat references of None and True (why PySide6 is pinned to 6.11.3).

PySide6 6.12.0 on Python 3.11 (whose None and True are not yet immortal) returns them from every
void call and from Signal.emit() without a reference of its own. The live view makes thousands of
such calls a minute, and the interpreter aborts within minutes ("deallocating None"). 6.11.3 is
correct, and pyproject.toml pins it; this test fails on any binding that brings the bug back.
"""

import ctypes
import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel


def test_void_calls_and_emit_keep_references(qtbot):
    class Pinger(QObject):
        ping = Signal()

    pinger, label = Pinger(), QLabel()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(100):
        label.setText("x")
        pinger.ping.emit()
    lost = {None: none_before - sys.getrefcount(None), True: true_before - sys.getrefcount(True)}
    for obj, count in lost.items():  # give back what a leaking binding took, so the run ends cleanly
        for _ in range(max(count, 0)):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))
    assert lost[None] < 10 and lost[True] < 10, lost
