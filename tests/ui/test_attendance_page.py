import csv
from datetime import datetime, timedelta

from PySide6.QtCore import QDate

from faceapp.ui.main_window import ATTENDANCE


def _seed(context):
    """Two people seen on two days (attendance needs no models: records go straight in)."""
    g = context.gallery
    alice = g.add_person("Alice Zhang", employee_no="E001", department="R&D")
    bob = g.add_person("Bob 李", employee_no="E002", department="Sales")
    day = datetime.now().astimezone().replace(hour=8, minute=30, second=0, microsecond=0) - timedelta(days=1)
    for person, minutes in ((alice, 0), (alice, 600), (bob, 15)):
        context.attendance.record(person.id, day + timedelta(minutes=minutes), score=0.8, masked=False)
    context.attendance.record(alice.id, day + timedelta(days=1, minutes=-30), score=0.7, masked=True)
    return alice, bob, day


def test_tables_filter_and_export_csv(window, context, qtbot, tmp_path, monkeypatch):
    from faceapp.ui.dialogs import save_as
    alice, bob, day = _seed(context)
    page = window.attendance
    window.tabs.setCurrentIndex(ATTENDANCE)  # a page fills its tables when shown
    context.people_changed.emit()
    assert page.records.rowCount() == 4
    assert page.summary.rowCount() == 3  # Alice twice, Bob once
    yesterday = day.date().isoformat()
    rows = {(page.summary.item(r, 0).text(), page.summary.item(r, 1).text()): r for r in range(page.summary.rowCount())}
    r = rows[(yesterday, "Alice Zhang")]
    assert [page.summary.item(r, c).text() for c in (4, 5, 6)] == ["08:30:00", "18:30:00", "2"]

    page.person.setCurrentIndex(page.person.findData(bob.id))
    assert page.records.rowCount() == 1 and page.records.item(0, 1).text() == "Bob 李"
    page.person.setCurrentIndex(0)
    page.date_from.setDate(QDate.currentDate())
    assert page.summary.rowCount() == 1

    page.date_from.setDate(QDate.currentDate().addDays(-7))
    target = tmp_path / "export"  # no suffix: the page adds .csv
    monkeypatch.setattr(save_as.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.export_attendance()
    with open(tmp_path / "export.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Date", "Name", "Employee number", "Department", "First in", "Last out", "Records"]
    body = sorted((r[0], r[1], r[2], r[3], r[6]) for r in rows[1:])
    assert body == sorted([(yesterday, "Alice Zhang", "E001", "R&D", "2"), (yesterday, "Bob 李", "E002", "Sales", "1"),
                           (QDate.currentDate().toString("yyyy-MM-dd"), "Alice Zhang", "E001", "R&D", "1")])
    assert "3 rows" in page.count_label.text()


def test_hidden_page_waits_until_shown(window, context):
    page = window.attendance
    context.attendance.record(context.gallery.add_person("Dan").id)
    context.events_added.emit([{}])
    page.refresh_timer.timeout.emit()
    assert page.records.rowCount() == 0  # not shown yet: no work
    window.tabs.setCurrentIndex(ATTENDANCE)
    assert page.records.rowCount() == 1


def test_new_events_refresh_the_table(window, context, qtbot):
    page = window.attendance
    window.tabs.setCurrentIndex(ATTENDANCE)
    person = context.gallery.add_person("Carol")
    context.attendance.record(person.id)
    context.events_added.emit([{"kind": "recognised", "person_id": person.id}])
    qtbot.waitUntil(lambda: page.records.rowCount() == 1, timeout=10_000)


def test_door_filter(window, context):
    g = context.gallery
    ann = g.add_person("Ann")
    now = datetime.now().astimezone().replace(microsecond=0)
    context.attendance.record(ann.id, now - timedelta(hours=2), door="Front")
    context.attendance.record(ann.id, now - timedelta(hours=1), door="Back")
    page = window.attendance
    window.tabs.setCurrentIndex(ATTENDANCE)
    page.refresh()
    assert [page.door.itemData(i) for i in range(page.door.count())] == [None, "Back", "Front"]
    assert page.records.rowCount() == 2 and page.summary.item(0, 6).text() == "2"  # the day spans both doors
    page.door.setCurrentIndex(page.door.findData("Back"))
    assert page.records.rowCount() == 1 and page.summary.item(0, 6).text() == "1"
