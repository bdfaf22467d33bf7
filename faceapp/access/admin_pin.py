"""The admin PIN that locks the management parts of the app in kiosk use.

Only a salted PBKDF2 hash is stored (in the gallery's settings), never the PIN itself: a copied
database must not give the PIN away. At the kiosk, guessing is what the PIN must withstand: so a
new PIN has 6+ digits (or is a passphrase), and PinGuard makes every wrong try after the first few
wait twice as long as the one before, a count kept in the gallery so that restarting the app does
not reset it. Every wrong try is written to an audit trail.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from faceapp import settings
from faceapp.config import ADMIN_PIN

# PBKDF2-SHA256 rounds: ~0.1 s per check on this project's 2-core machine, slow enough to make
# brute force of a copied hash costly, fast enough that unlocking feels instant.
ITERATIONS = 200_000
SCHEME = "pbkdf2_sha256"
HASH_KEY = "admin.pin_hash"
FAILURES_KEY = "admin.pin_failures"  # {"count": consecutive wrong tries, "last_ts": unix time of the last}
AUDIT_KEY = "admin.audit"  # [{"time", "event", "failures", "wait_s"}], oldest first

audit_log = logging.getLogger("faceapp.audit")


class PinError(ValueError):
    """A PIN that cannot be used, with a message a user can act on."""


class SettingsStore(Protocol):
    """Where the guard keeps its state: the gallery's settings table."""

    def setting(self, key: str, default: Any = ...) -> Any: ...

    def set_setting(self, key: str, value: Any) -> None: ...

    def transaction(self) -> AbstractContextManager: ...


def check_new_pin(pin: str) -> None:
    """A new PIN is 6+ digits or a passphrase of 10+ characters; raises PinError otherwise."""
    if pin.isdigit() and pin.isascii():
        if len(pin) < ADMIN_PIN.min_digits:
            raise PinError(f"the PIN must be at least {ADMIN_PIN.min_digits} digits "
                           f"(or a passphrase of {ADMIN_PIN.min_passphrase_chars}+ characters)")
    elif len(pin.strip()) < ADMIN_PIN.min_passphrase_chars:
        raise PinError(f"a passphrase must be at least {ADMIN_PIN.min_passphrase_chars} characters "
                       f"(or use a PIN of {ADMIN_PIN.min_digits}+ digits)")


def hash_pin(pin: str, *, iterations: int = ITERATIONS) -> str:
    """'pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>' for a new PIN."""
    check_new_pin(pin)
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"{SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True if pin matches the stored hash; False for a wrong PIN or a damaged record."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        candidate = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8", "surrogatepass"), bytes.fromhex(salt), int(iterations))
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def delay_after(failures: int) -> float:
    """Seconds to wait after `failures` consecutive wrong tries: none for the first few, then
    doubling up to the cap."""
    extra = failures - ADMIN_PIN.free_attempts
    if extra <= 0:
        return 0.0
    return min(ADMIN_PIN.delay_max_s, ADMIN_PIN.delay_base_s * 2 ** min(extra - 1, 30))


@dataclass(frozen=True, slots=True)
class PinCheck:
    ok: bool
    wait_s: float = 0.0  # > 0: how long until the next try is accepted
    locked_out: bool = False  # True: this try was not even checked, it came during the wait
    failures: int = 0


class PinGuard:
    """Checks PINs against the stored hash, enforcing the growing delay after wrong tries."""

    def __init__(self, store: SettingsStore, clock: Callable[[], float] = time.time):
        self.store = store
        self.clock = clock

    def is_set(self) -> bool:
        return bool(self.store.setting(HASH_KEY, None))

    def set(self, pin: str | None) -> None:
        """Set (or with None, remove) the PIN; raises PinError for a weak one. Clears the count."""
        stored = hash_pin(pin) if pin else None
        with self.store.transaction():
            settings.save(self.store, {HASH_KEY: stored})
            self.store.set_setting(FAILURES_KEY, None)

    def _failures(self) -> tuple[int, float]:
        state = self.store.setting(FAILURES_KEY, None) or {}
        return int(state.get("count", 0)), float(state.get("last_ts", 0.0))

    def wait_s(self) -> float:
        """Seconds until the next try is accepted (0: now)."""
        count, last = self._failures()
        delay = delay_after(count)
        # a clock set back must not stretch the wait beyond one delay
        return max(0.0, min(delay, last + delay - self.clock()))

    def check(self, pin: str) -> PinCheck:
        if not self.is_set():
            return PinCheck(ok=True)
        wait = self.wait_s()
        count, _ = self._failures()
        if wait > 0:
            self._audit("admin_pin_try_during_wait", count, wait)
            return PinCheck(ok=False, wait_s=wait, locked_out=True, failures=count)
        if verify_pin(pin, str(self.store.setting(HASH_KEY))):
            if count:
                self.store.set_setting(FAILURES_KEY, None)
            return PinCheck(ok=True)
        count += 1
        self.store.set_setting(FAILURES_KEY, {"count": count, "last_ts": self.clock()})
        wait = delay_after(count)
        self._audit("admin_pin_wrong", count, wait)
        return PinCheck(ok=False, wait_s=wait, failures=count)

    def _audit(self, event: str, failures: int, wait_s: float) -> None:
        entry = {"time": datetime.fromtimestamp(self.clock()).astimezone().isoformat(timespec="seconds"),
                 "event": event, "failures": failures, "wait_s": round(wait_s, 1)}
        audit_log.warning("%s (%d in a row; next try in %.0f s)", event, failures, wait_s)
        trail = list(self.store.setting(AUDIT_KEY, None) or [])
        self.store.set_setting(AUDIT_KEY, (trail + [entry])[-ADMIN_PIN.audit_keep:])

    def audit_trail(self) -> list[dict]:
        return list(self.store.setting(AUDIT_KEY, None) or [])
