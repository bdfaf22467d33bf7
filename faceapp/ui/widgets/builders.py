"""The small widget arrangements that pages and dialogs build alike: a button, a row of buttons, a
read-only table of records and its rows of text. Texts are left to each page's retranslate()."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)


def button(name: str = "", clicked: Callable | None = None) -> QPushButton:
    """A push button named name (what tests and the screenshots find it by), calling clicked."""
    b = QPushButton()
    b.setObjectName(name)
    if clicked is not None:
        b.clicked.connect(clicked)
    return b


def button_row(*buttons: QWidget) -> QHBoxLayout:
    """Buttons side by side on the left of their row."""
    row = QHBoxLayout()
    for b in buttons:
        row.addWidget(b)
    row.addStretch(1)
    return row


def record_table(name: str, columns: int, stretch: int | None = None) -> QTableWidget:
    """A read-only table of one record per row: a click selects the whole row, no row numbers, the
    columns as wide as their contents but column stretch, which takes the width left."""
    table = QTableWidget(0, columns)
    table.setObjectName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def fill_table(table: QTableWidget, rows: list[list[str]]) -> None:
    """The table's rows become these, one item of text per cell."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
