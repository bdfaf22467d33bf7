import pytest

from faceapp.access import admin_pin as adminpin
from faceapp.config import ADMIN_PIN
from faceapp.storage.gallery import Gallery


def test_hash_is_salted_and_verifies():
    a, b = adminpin.hash_pin("123456", iterations=1000), adminpin.hash_pin("123456", iterations=1000)
    assert a != b  # a fresh salt each time
    assert "123456" not in a
    assert adminpin.verify_pin("123456", a) and adminpin.verify_pin("123456", b)
    assert not adminpin.verify_pin("654321", a)


@pytest.mark.parametrize("stored", ["", "garbage", "md5$1$00$00", "pbkdf2_sha256$x$zz$00", None])
def test_damaged_record_never_verifies(stored):
    assert not adminpin.verify_pin("123456", stored)


@pytest.mark.parametrize("pin", ["", "12", "abcd", "12a4", "1234", "12345", "too short", "１２３４５６"])
def test_weak_pin_is_refused(pin):
    with pytest.raises(adminpin.PinError):
        adminpin.hash_pin(pin)


@pytest.mark.parametrize("pin", ["123456", "0000000000", "correct horse battery", "门禁管理员口令很长的"])
def test_six_digits_or_a_passphrase(pin):
    assert adminpin.verify_pin(pin, adminpin.hash_pin(pin, iterations=1000))


def test_delay_grows_after_the_free_tries():
    free = ADMIN_PIN.free_attempts
    assert [adminpin.delay_after(n) for n in range(free + 1)] == [0.0] * (free + 1)
    delays = [adminpin.delay_after(free + k) for k in range(1, 20)]
    assert delays[0] == ADMIN_PIN.delay_base_s and delays[1] == 2 * ADMIN_PIN.delay_base_s
    assert delays == sorted(delays) and delays[-1] == ADMIN_PIN.delay_max_s


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


def test_wrong_tries_wait_survive_a_restart_and_are_audited(tmp_path):
    clock = Clock()
    path = tmp_path / "g.db"
    with Gallery(path) as g:
        guard = adminpin.PinGuard(g, clock)
        guard.set("246813")
        results = [guard.check("000000") for _ in range(ADMIN_PIN.free_attempts)]
        assert all(not r.ok and r.wait_s == 0 for r in results)
        r = guard.check("111111")
        assert not r.ok and r.wait_s == ADMIN_PIN.delay_base_s and r.failures == ADMIN_PIN.free_attempts + 1
    with Gallery(path) as g:  # the app restarted: the wait is still there
        guard = adminpin.PinGuard(g, clock)
        assert guard.wait_s() == ADMIN_PIN.delay_base_s
        r = guard.check("246813")  # the right PIN, but during the wait: not checked
        assert not r.ok and r.locked_out
        clock.now += ADMIN_PIN.delay_base_s
        assert guard.check("246813").ok
        assert guard.wait_s() == 0 and guard.check("000000").wait_s == 0  # success resets the count
        trail = guard.audit_trail()
    events = [e["event"] for e in trail]
    assert events == ["admin_pin_wrong"] * (ADMIN_PIN.free_attempts + 1) + ["admin_pin_try_during_wait", "admin_pin_wrong"]
    assert all("time" in e and "246813" not in str(e) for e in trail)


def test_clock_set_back_does_not_stretch_the_wait(tmp_path):
    clock = Clock()
    with Gallery(tmp_path / "g.db") as g:
        guard = adminpin.PinGuard(g, clock)
        guard.set("246813")
        for _ in range(ADMIN_PIN.free_attempts + 3):
            clock.now += 10_000
            guard.check("000000")
        clock.now -= 10**6
        assert guard.wait_s() == adminpin.delay_after(ADMIN_PIN.free_attempts + 3)


def test_no_pin_set_lets_everyone_in(tmp_path):
    with Gallery(tmp_path / "g.db") as g:
        assert adminpin.PinGuard(g).check("").ok
