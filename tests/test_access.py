import json
import sys
from datetime import datetime

import pytest

from faceapp.access.policy import (
    AccessPolicy,
    ActionError,
    ActionRunner,
    DenyReason,
    OutputAction,
    Sighting,
    WeeklySchedule,
    decide,
)
from faceapp.storage.gallery import EventKind, Gallery, Person

ANN = Person(id=1, name="Ann", employee_no=None, department="", active=True, created="")
MONDAY_NOON = datetime(2025, 3, 3, 12, 0)
POLICY = AccessPolicy(door_unmasked=0.45, door_masked=0.30, min_margin=0.05, lower_mask=False)


def seen(person=ANN, score=0.8, margin=0.3, live=True, masked=False):
    return Sighting(person, score, margin, live, masked)


@pytest.mark.parametrize(
    "sighting, policy, reason",
    [
        (seen(), POLICY, None),
        (seen(live=False), POLICY, DenyReason.NOT_LIVE),
        (seen(person=None, score=-1.0), POLICY, DenyReason.UNKNOWN),
        (seen(score=0.40), POLICY, DenyReason.UNKNOWN),  # below the unmasked threshold
        (seen(score=0.35, masked=True), POLICY, None),  # a masked face has its own, lower threshold
        (seen(score=0.35, masked=None), POLICY, DenyReason.UNKNOWN),  # unsure about the mask: the strict one
        (seen(margin=0.01), POLICY, DenyReason.AMBIGUOUS),
        (seen(person=Person(2, "Bob", None, "", False, "")), POLICY, DenyReason.INACTIVE),
        (seen(), AccessPolicy(mask_required=True), DenyReason.MASK_REQUIRED),
        # the door's own thresholds, stricter than the ones that name a face
        (seen(score=0.45), AccessPolicy(threshold_unmasked=0.40, door_unmasked=0.50), DenyReason.UNKNOWN),
        # a masked face at the door is asked to lower the mask, whoever it looks like...
        (seen(masked=True), AccessPolicy(lower_mask=True), DenyReason.LOWER_MASK),
        (seen(person=None, score=-1.0, masked=True), AccessPolicy(lower_mask=True), DenyReason.LOWER_MASK),
        (seen(), AccessPolicy(lower_mask=True), None),  # ...an unmasked one is matched
        (seen(masked=True), AccessPolicy(lower_mask=True, mask_required=True), None),  # masks required: no such ask
        (seen(masked=None), AccessPolicy(mask_required=True), DenyReason.MASK_REQUIRED),
        (seen(masked=True), AccessPolicy(mask_required=True), None),
        (seen(), AccessPolicy(schedule=WeeklySchedule.from_json({"tue": [["00:00", "24:00"]]})), DenyReason.OUTSIDE_SCHEDULE),
        (seen(), AccessPolicy(schedule=WeeklySchedule.from_json({"mon": [["08:00", "12:00"], ["12:00", "13:00"]]})), None),
    ],
)
def test_decision(sighting, policy, reason):
    decision = decide(sighting, policy, MONDAY_NOON)
    assert decision.granted == (reason is None) and decision.reason == reason
    assert decision.message
    if reason in (DenyReason.NOT_LIVE, DenyReason.UNKNOWN, DenyReason.AMBIGUOUS, DenyReason.LOWER_MASK):
        assert decision.person is None  # nobody is named for a spoof or an uncertain match


def test_inactive_message_names_the_person():
    decision = decide(seen(person=Person(2, "Bob", None, "", False, "")), POLICY, MONDAY_NOON)
    assert "Bob" in decision.message


def test_decision_events():
    granted = decide(seen(), POLICY, MONDAY_NOON)
    event = granted.event(seen(), MONDAY_NOON)
    assert (event.kind, event.person_id, event.person_name, event.details) == (EventKind.RECOGNISED, 1, "Ann", {"access": "granted"})
    assert decide(seen(live=False), POLICY).event(seen(live=False)).kind == EventKind.NOT_LIVE
    assert decide(seen(score=0.1), POLICY).event(seen(score=0.1)).kind == EventKind.UNKNOWN
    denied = decide(seen(), AccessPolicy(mask_required=True))
    event = denied.event(seen())
    assert (event.kind, event.person_name, event.reason) == (EventKind.DENIED, "Ann", denied.message)
    assert event.details == {"access": "mask_required"}


def test_schedule():
    schedule = WeeklySchedule.from_json({"mon": [["08:00", "18:00"]], "sat": [["09:30", "12:00"]]})
    assert schedule.allows(datetime(2025, 3, 3, 8, 0))
    assert not schedule.allows(datetime(2025, 3, 3, 18, 0))  # the end is exclusive
    assert not schedule.allows(datetime(2025, 3, 4, 9, 0))  # Tuesday is not listed
    assert schedule.allows(datetime(2025, 3, 8, 11, 59))
    with pytest.raises(ValueError, match="weekday"):
        WeeklySchedule.from_json({"monday": [["08:00", "18:00"]]})
    with pytest.raises(ValueError, match="split a night shift"):
        WeeklySchedule.from_json({"fri": [["22:00", "06:00"]]})


def test_policy_and_action_from_settings(tmp_path):
    with Gallery(tmp_path / "g.db") as g:
        assert AccessPolicy.from_settings(g) == AccessPolicy()
        assert OutputAction.from_settings(g).kind == "none"
        g.set_setting("access.mask_required", True)
        g.set_setting("access.schedule", {"mon": [["08:00", "18:00"]]})
        g.set_setting("match.threshold_masked", 0.33)
        g.set_setting("access.action", {"kind": "command", "argv": "/usr/local/bin/open-door --relay 1"})
        g.set_setting("access.action_timeout_s", 2)
        policy = AccessPolicy.from_settings(g)
        assert policy.mask_required and policy.threshold_masked == 0.33 and policy.schedule.allows(MONDAY_NOON)
        assert OutputAction.from_settings(g) == OutputAction("command", ("/usr/local/bin/open-door", "--relay", "1"), timeout_s=2)
    with pytest.raises(ValueError, match="http"):
        OutputAction("http", url="file:///etc/passwd")
    with pytest.raises(ValueError, match="Unknown output action"):
        OutputAction("email")


EVENT = {"kind": "recognised", "person_name": "张伟", "score": 0.8}


def test_http_action(http_server):
    results = []
    runner = ActionRunner(on_done=lambda event, error: results.append(error))
    url = f"http://127.0.0.1:{http_server.server_port}/door"
    assert runner.submit(OutputAction("http", url=url), EVENT)
    runner.flush()
    assert http_server.received == [("application/json; charset=utf-8", EVENT)] and results == [None]
    http_server.status = 500
    runner.submit(OutputAction("http", url=url), EVENT)
    runner.flush()
    assert isinstance(results[-1], ActionError) and "500" in str(results[-1])
    runner.close()


def test_actions_never_block_the_caller(http_server):
    http_server.gate.clear()  # the webhook hangs until released
    runner = ActionRunner(maxsize=2)
    action = OutputAction("http", url=f"http://127.0.0.1:{http_server.server_port}/")
    accepted = [runner.submit(action, {**EVENT, "n": i}) for i in range(5)]
    # all five calls returned while the first request is still stuck: one running, two queued, two dropped
    assert accepted.count(True) in (2, 3) and accepted[:2] == [True, True] and accepted[-1] is False
    assert http_server.received == []
    http_server.gate.set()
    runner.flush()
    assert [body["n"] for _, body in http_server.received] == [i for i, ok in enumerate(accepted) if ok]
    runner.close()


def test_command_action_writes_file(tmp_path):
    out = tmp_path / "door.json"
    script = "import os, sys; open(sys.argv[1], 'w', encoding='utf-8').write(sys.stdin.read() + '\\n' + os.environ['FACEAPP_EVENT'])"
    runner = ActionRunner()
    runner.submit(OutputAction("command", (sys.executable, "-c", script, str(out))), EVENT)
    runner.flush()
    stdin_json, env_json = out.read_text(encoding="utf-8").split("\n")
    assert json.loads(stdin_json) == EVENT and json.loads(env_json) == EVENT
    runner.close()


def test_command_failures_are_reported():
    with pytest.raises(ActionError, match="exit code 3: boom"):
        OutputAction("command", (sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)")).run(EVENT)
    with pytest.raises(ActionError, match="did not finish within 0.3 s"):
        OutputAction("command", (sys.executable, "-c", "import time; time.sleep(30)"), timeout_s=0.3).run(EVENT)
    with pytest.raises(ActionError, match="cannot run"):
        OutputAction("command", ("/no/such/program",)).run(EVENT)
    with pytest.raises(ActionError, match="POST to http://127.0.0.1:9/ failed"):
        OutputAction("http", url="http://127.0.0.1:9/", timeout_s=2).run(EVENT)  # port 9 (discard): refused


def test_thresholds_rise_with_the_gallery_beyond_the_calibrated_size():
    from faceapp.config import THRESHOLDS

    p = AccessPolicy()
    assert p.for_people(10) is p and p.for_people(THRESHOLDS.calibrated_people) is p
    big = p.for_people(10 * THRESHOLDS.calibrated_people)
    assert big.door_unmasked == pytest.approx(p.door_unmasked + THRESHOLDS.per_decade)
    assert big.threshold_masked == pytest.approx(p.threshold_masked + THRESHOLDS.per_decade)
