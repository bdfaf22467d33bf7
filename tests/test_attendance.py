import csv
from datetime import datetime, timedelta, timezone

import pytest

from faceapp.attendance import CSV_HEADER, Attendance
from faceapp.storage.gallery import Event, EventKind, Gallery

CST = timezone(timedelta(hours=8))


def at(day, hh, mm, ss=0):
    return datetime(2025, 3, day, hh, mm, ss, tzinfo=CST)


@pytest.fixture
def gallery(database):
    with Gallery(database) as g:
        yield g


def test_one_record_per_cooldown(gallery):
    book = Attendance(gallery)
    ann = gallery.add_person("Ann")
    assert book.cooldown_s == 300.0
    assert book.record(ann.id, at(3, 9, 0)) is not None
    assert book.record(ann.id, at(3, 9, 4, 59)) is None  # still standing at the camera
    assert book.record(ann.id, at(3, 8, 56)) is None  # out of order, but within the cooldown too
    assert book.record(ann.id, at(3, 9, 5)) is not None
    gallery.set_setting("attendance.cooldown_s", 30)
    assert book.record(ann.id, at(3, 9, 5, 31)) is not None
    bob = gallery.add_person("Bob")
    assert book.record(bob.id, at(3, 9, 5, 31)) is not None  # the cooldown is per person
    assert [r.person_name for r in book.records()] == ["Ann", "Ann", "Ann", "Bob"]


def test_events_and_attendance_together(gallery):
    book = Attendance(gallery)
    ann = gallery.add_person("Ann")
    record = book.log(Event(EventKind.RECOGNISED, at(3, 9, 0), person_id=ann.id, score=0.81, masked=True, live=True))
    assert (record.person_id, record.score, record.masked, record.time) == (ann.id, 0.81, True, at(3, 9, 0))
    assert book.log(Event(EventKind.RECOGNISED, at(3, 9, 1), person_id=ann.id, score=0.8)) is None
    assert book.log(Event(EventKind.UNKNOWN, at(3, 9, 2), score=0.2)) is None
    assert book.log(Event(EventKind.NOT_LIVE, at(3, 9, 3), live=False, reason="no blink")) is None
    events = gallery.events()
    assert [e.kind for e in events] == [EventKind.NOT_LIVE, EventKind.UNKNOWN, EventKind.RECOGNISED, EventKind.RECOGNISED]
    assert events[-1].person_name == "Ann" and events[-1].masked is True and events[0].live is False
    assert events[-1].time == at(3, 9, 0) and events[0].reason == "no blink"
    assert len(gallery.events("2025-03-04", "2025-03-09")) == 0 and len(gallery.events(limit=1)) == 1


def test_daily_summary(gallery):
    book = Attendance(gallery)
    ann, bob = gallery.add_person("Ann"), gallery.add_person("Bob")
    for t in (at(3, 8, 55), at(3, 12, 30), at(3, 18, 2)):
        book.record(ann.id, t)
    book.record(bob.id, at(3, 10, 0))
    book.record(ann.id, at(4, 9, 10))
    days = book.summary("2025-03-03", "2025-03-04")
    assert [(d.day, d.person_name, d.first_in, d.last_out, d.records) for d in days] == [
        ("2025-03-03", "Ann", at(3, 8, 55), at(3, 18, 2), 3),
        ("2025-03-03", "Bob", at(3, 10, 0), None, 1),  # seen once: no separate "out"
        ("2025-03-04", "Ann", at(4, 9, 10), None, 1),
    ]
    assert [d.day for d in book.summary("2025-03-04", "2025-03-04")] == ["2025-03-04"]


def test_one_person_filtered_in_sql(gallery):
    book = Attendance(gallery)
    ann, bob = gallery.add_person("Ann"), gallery.add_person("Bob")
    for who, t in ((ann, at(3, 8, 55)), (bob, at(3, 9, 0)), (ann, at(3, 18, 0)), (bob, at(4, 9, 0))):
        book.record(who.id, t)
    assert [r.person_name for r in book.records(person_id=bob.id)] == ["Bob", "Bob"]
    assert [r.time for r in book.records("2025-03-03", "2025-03-03", ann.id)] == [at(3, 8, 55), at(3, 18, 0)]
    assert [(d.day, d.records) for d in book.summary("2025-03-03", "2025-03-04", bob.id)] == [
        ("2025-03-03", 1), ("2025-03-04", 1)]
    assert book.records(person_id=999) == [] and len(book.records()) == 4


def test_csv_export_for_excel_with_chinese_names(gallery, tmp_path):
    book = Attendance(gallery)
    zhang = gallery.add_person("张伟", employee_no="A-007", department="研发部")
    trick = gallery.add_person("=cmd|' /C calc'!A0")  # would run as a formula in Excel
    book.record(zhang.id, at(3, 8, 59, 30))
    book.record(zhang.id, at(3, 17, 31))
    book.record(trick.id, at(3, 9, 0))
    book.record(zhang.id, at(5, 9, 0))  # outside the exported range
    out = tmp_path / "attendance.csv"
    assert book.export_csv(out, "2025-03-01", "2025-03-03") == 2
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM makes Excel read UTF-8
    assert b"\r\n" in raw
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == CSV_HEADER
    assert rows[1] == ["2025-03-03", "'=cmd|' /C calc'!A0", "", "", "2025-03-03T09:00:00+08:00", "", "1"]
    assert rows[2] == ["2025-03-03", "张伟", "A-007", "研发部", "2025-03-03T08:59:30+08:00", "2025-03-03T17:31:00+08:00", "2"]
    assert datetime.fromisoformat(rows[2][4]) == at(3, 8, 59, 30)
    assert not list(tmp_path.glob("*.tmp"))


def test_removed_person_keeps_attendance_under_their_name(gallery):
    book = Attendance(gallery)
    ann = gallery.add_person("Ann", employee_no="1")
    book.record(ann.id, at(3, 9, 0))
    gallery.update_person(ann.id, name="Ann Lee")
    assert book.summary()[0].person_name == "Ann Lee"  # current name while enrolled
    gallery.remove_person(ann.id)
    (day,) = book.summary()
    assert (day.person_id, day.person_name, day.employee_no) == (None, "Ann Lee", "1")


def test_doors_on_events_and_attendance(database, tmp_path):
    with Gallery(database, door="Front") as front, Gallery(database, door="Back") as back:
        ann = front.add_person("Ann")
        Attendance(front).log(Event(EventKind.RECOGNISED, at(3, 8, 55), person_id=ann.id))
        Attendance(back).log(Event(EventKind.RECOGNISED, at(3, 18, 0), person_id=ann.id))
        back.log_event(Event(EventKind.UNKNOWN, at(3, 18, 1), door="Side"))  # an explicit door wins
        book = Attendance(back)
        assert [r.door for r in book.records()] == ["Front", "Back"] and book.doors() == ["Back", "Front"]
        assert [e.door for e in back.events()] == ["Side", "Back", "Front"]
        assert [e.door for e in back.events(door="Front")] == ["Front"]
        (day,) = book.summary()  # first in at one door, last out at the other
        assert (day.first_in, day.last_out, day.records) == (at(3, 8, 55), at(3, 18, 0), 2)
        assert [r.time for r in book.records(door="Back")] == [at(3, 18, 0)]
        out = tmp_path / "back.csv"
        assert book.export_csv(out, door="Front") == 1
        with open(out, encoding="utf-8-sig", newline="") as f:
            assert [row[4] for row in csv.reader(f)][1:] == [at(3, 8, 55).isoformat()]


def test_cooldown_holds_across_doors(database):
    """Two doors (two connections) see the same people at the same moments: the database, not each
    door's memory, keeps one record per person per cooldown."""
    import threading

    with Gallery(database, door="Front") as front, Gallery(database, door="Back") as back:
        people = [front.add_person(f"P{i}").id for i in range(8)]
        start = threading.Barrier(2)
        made: dict[str, list] = {"Front": [], "Back": []}

        def door(gallery):
            book = Attendance(gallery)
            start.wait()
            for second in range(3):  # three sightings within one cooldown, at both doors at once
                for pid in people:
                    if book.record(pid, at(3, 9, 0, second)) is not None:
                        made[gallery.door].append(pid)

        threads = [threading.Thread(target=door, args=(g,)) for g in (front, back)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(made["Front"] + made["Back"]) == people  # each person once, whichever door was first
        assert len(Attendance(front).records()) == len(people)
        # the next cooldown at the other door is a new record; first in / last out span the doors
        last = Attendance(back).record(people[0], at(3, 17, 0), door="Back")
        first = Attendance(front).records(person_id=people[0])[0]
        (day,) = Attendance(front).summary(person_id=people[0])
        assert last is not None and (day.first_in, day.last_out) == (first.time, at(3, 17, 0))
