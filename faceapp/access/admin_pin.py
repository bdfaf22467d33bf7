"""The admin PIN that locks the management parts of the app in kiosk use.

Only a salted PBKDF2 hash is stored (in the gallery's settings), never the PIN itself: a copied
database must not give the PIN away, and a 4-6 digit PIN is too short to store with a fast hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# PBKDF2-SHA256 rounds: ~0.1 s per check on this project's 2-core machine, slow enough to make
# brute force of a copied hash costly, fast enough that unlocking feels instant.
ITERATIONS = 200_000
MIN_LENGTH = 4
SCHEME = "pbkdf2_sha256"


class PinError(ValueError):
    """A PIN that cannot be used, with a message a user can act on."""


def check_new_pin(pin: str) -> None:
    if len(pin) < MIN_LENGTH or not pin.isdigit():
        raise PinError(f"the PIN must be at least {MIN_LENGTH} digits")


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
        candidate = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)
