import pytest

from faceapp.access import admin_pin as adminpin
def test_hash_is_salted_and_verifies():
    a, b = adminpin.hash_pin("1234", iterations=1000), adminpin.hash_pin("1234", iterations=1000)
    assert a != b  # a fresh salt each time
    assert "1234" not in a
    assert adminpin.verify_pin("1234", a) and adminpin.verify_pin("1234", b)
    assert not adminpin.verify_pin("4321", a)


@pytest.mark.parametrize("stored", ["", "garbage", "md5$1$00$00", "pbkdf2_sha256$x$zz$00", None])
def test_damaged_record_never_verifies(stored):
    assert not adminpin.verify_pin("1234", stored)


@pytest.mark.parametrize("pin", ["", "12", "abcd", "12a4"])
def test_weak_pin_is_refused(pin):
    with pytest.raises(adminpin.PinError):
        adminpin.hash_pin(pin)
