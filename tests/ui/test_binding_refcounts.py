"""The Qt binding must not eat references of None and True.

PySide6 6.12.0 on Python 3.11 (whose None and True are not yet immortal) returns them from every
void call and from Signal.emit() without a reference of its own. The live view makes thousands of
such calls a minute, and the interpreter aborts within minutes ("deallocating None"). 6.11.3 is
correct. This test is expected to fail on that one bad combination, and guards every other.
"""

import ctypes
import sys

import PySide6
import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

KNOWN_BAD = PySide6.__version__ == "6.12.0" and sys.version_info < (3, 12)


@pytest.mark.xfail(KNOWN_BAD, reason="PySide6 6.12.0 leaks None/True references on Python 3.11: pin 6.11.3", strict=True)
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
