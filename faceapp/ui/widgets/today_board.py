"""The Today board: how many people are in, late, absent and not yet due, with their names; a click
on a name opens that person's day. Computed by faceapp.hr.status.board; this only shows it."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from faceapp.hr.status import DayKind, DayStatus, board
from faceapp.ui.i18n import N_, tr

GROUPS = (("in", N_("In"), "#2e7d32"), ("late", N_("Late"), "#e8710a"), ("absent", N_("Absent"), "#c62828"),
          ("not_yet_due", N_("Not yet due"), "#5f6368"))
DAY_KINDS = {DayKind.PRESENT: N_("Present"), DayKind.INCOMPLETE: N_("Incomplete (one record)"),
             DayKind.ABSENT: N_("Absent"), DayKind.NOT_YET_DUE: N_("Not yet due"), DayKind.HOLIDAY: N_("Holiday"),
             DayKind.LEAVE: N_("Leave"), DayKind.OFF: N_("Day off")}


def entry_text(status: DayStatus, group: str) -> str:
    """What the board shows after a name: arrival time, minutes late, or when they are due."""
    if group == "in" and status.first_in:
        return f"{status.first_in:%H:%M}"
    if group == "late":
        return tr("{time}, {minutes} min late").format(time=f"{status.first_in:%H:%M}", minutes=status.late_min)
    if group == "not_yet_due" and status.shift:
        return tr("due {time}").format(time=f"{status.shift[0]:%H:%M}")
    return ""


class TodayBoard(QWidget):
    person_clicked = Signal(int, object)  # person id, the DayStatus shown

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.setObjectName("todayBoard")
        self.context = context
        self.department: str | None = None
        self.groups: dict[str, list] = {}
        grid = QGridLayout(self)
        self.titles, self.counts, self.lists = {}, {}, {}
        for col, (key, _, color) in enumerate(GROUPS):
            box = QFrame()
            box.setFrameShape(QFrame.Shape.StyledPanel)
            inner = QVBoxLayout(box)
            title, count = QLabel(), QLabel("0")
            title.setStyleSheet(f"color: {color}; font-weight: bold;")
            count.setObjectName(f"count_{key}")
            count.setStyleSheet(f"color: {color}; font-size: 32px; font-weight: bold;")
            count.setAlignment(Qt.AlignmentFlag.AlignCenter)
            names = QListWidget()
            names.setObjectName(f"list_{key}")
            names.itemActivated.connect(self._clicked)
            names.itemClicked.connect(self._clicked)
            inner.addWidget(title)
            inner.addWidget(count)
            inner.addWidget(names, 1)
            grid.addWidget(box, 0, col)
            self.titles[key], self.counts[key], self.lists[key] = title, count, names
        self.off_label = QLabel()
        self.off_label.setObjectName("offLabel")
        grid.addWidget(self.off_label, 1, 0, 1, len(GROUPS))
        self.retranslate()

    def retranslate(self) -> None:
        for key, title, _ in GROUPS:
            self.titles[key].setText(tr(title))
        self._show()

    def refresh(self, now: datetime | None = None) -> None:
        self.groups = board(self.context.gallery, now=now, department=self.department)
        self._show()

    def _show(self) -> None:
        for key, _, _ in GROUPS:
            members = self.groups.get(key, [])
            self.counts[key].setText(str(len(members)))
            names = self.lists[key]
            names.clear()
            for person, status in members:
                extra = entry_text(status, key)
                item = QListWidgetItem(f"{person.name}   {extra}" if extra else person.name)
                item.setData(Qt.ItemDataRole.UserRole, (person.id, status))
                names.addItem(item)
        off = self.groups.get("off", [])
        self.off_label.setText(tr("Off today (holiday, leave, day off): {n}").format(n=len(off)) if off else "")

    def _clicked(self, item: QListWidgetItem) -> None:
        person_id, status = item.data(Qt.ItemDataRole.UserRole)
        self.person_clicked.emit(person_id, status)
