"""Reason codes in words: English for the CLI and the log, the GUI's catalogue for Chinese."""

import json

import pytest

from faceapp.access.policy import AccessPolicy, DenyReason, Sighting, decide
from faceapp.reasons import TEMPLATES, Reason, ReasonError, joined
from faceapp.storage.gallery import Person
from faceapp.ui.i18n import load_catalogue

ZH = load_catalogue("zh_CN")


def chinese(text: str) -> str:
    return ZH.get(text) or text


def test_every_code_renders_in_both_languages():
    params = {"name": "张伟", "count": 2, "detail": "x", "size": 63.4, "need": 80, "score": 0.9, "sharpness": 12.0,
              "yaw": 31.2, "roll": -27.0, "limit": 25, "pitch": 0.1, "brightness": 30.0, "clipped": 0.2, "best": 0.31,
              "label": "Match margin", "low": 0.0, "high": 0.5, "day": "Friday", "time": "8 am", "kind": "email",
              "key": "no.such", "waiting": 3, "since": "14:05", "direction": "sideways", "source": "0",
              "month": "2026-13", "zone": "Mars/Base", "options": "blink, passive", "provider": "CUDA",
              "before": 0.99, "after": 0.98, "total": 61, "threshold": 0.52, "tar_before": 0.9, "tar_after": 1.0,
              "auc_before": 0.99, "auc_after": 1.0, "margin_before": 0.28, "margin_after": 0.34}
    for code in TEMPLATES:
        reason = Reason(code, params)
        english, translated = reason.text(), reason.text(chinese)
        assert english and translated and translated != english, code


def test_figures_and_names_survive_translation():
    small = Reason("too_small", {"size": 63.4, "need": 80.0})
    assert small.text() == "face too small (63 px, need 80)"
    assert small.text(chinese) == "人脸太小（63 像素，至少需要 80）"
    assert joined([small, Reason("too_dark", {"brightness": 31.0})]) == "face too small (63 px, need 80); too dark (mean 31)"
    refused = Reason("out_of_range", {"label": "Match threshold, with mask", "low": 0.1, "high": 0.95})
    assert refused.text(chinese) == "匹配阈值（戴口罩）必须在 0.1 到 0.95 之间。"  # the label is translated too
    assert Reason("closes_before_opening", {"day": "Friday"}).text(chinese).startswith("星期五")


def test_json_carries_code_params_and_text():
    import numpy as np

    got = Reason("inconsistent", {"best": np.float32(0.3125)}).to_json()
    assert json.loads(json.dumps(got)) == {"code": "inconsistent", "params": {"best": 0.3125},
                                           "text": "does not look like the other photos (best similarity 0.31)"}
    with pytest.raises(KeyError):
        Reason("no_such_code")
    error = ReasonError("bad_url")
    assert isinstance(error, ValueError) and error.reason.code == "bad_url" and str(error).startswith("Enter a web")


def test_access_decisions_are_codes():
    ann = Person(1, "Ann", None, "", False, "")
    off = decide(Sighting(ann, 0.8, 0.3, live=True, masked=False), AccessPolicy())
    assert off.reason == DenyReason.INACTIVE and off.why == Reason("inactive", {"name": "Ann"})
    assert off.message == "Access for Ann is switched off." and off.why.text(chinese) == "Ann 的通行权限已关闭。"
    welcome = decide(Sighting(Person(1, "Ann", None, "", True, ""), 0.8, 0.3, live=True, masked=False), AccessPolicy())
    assert welcome.granted and welcome.why.code == "granted" and welcome.message == "Welcome, Ann."
    photo = decide(Sighting(ann, 0.8, 0.3, live=False, masked=False), AccessPolicy())
    assert photo.why == Reason("not_live") and "Ann" not in photo.message  # a photo learns nothing
    assert {str(r) for r in DenyReason} <= set(TEMPLATES)
