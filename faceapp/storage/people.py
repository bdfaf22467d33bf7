"""The people table: enrolment, names and employee numbers (unique), the active flag, removal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from faceapp.config import INPUTS
from faceapp.recognition.names import InvalidName, clean_name, clean_optional
from faceapp.storage.database import UNSET, Database, GalleryError
from faceapp.storage.records import ModelVersion, Person, Sample, from_row, now


def _person(row: dict[str, Any]) -> Person:
    return from_row(Person, row, active=bool(row["active"]))


class People(Database):
    """Gallery's queries on people (add_person stores samples through Samples.add_samples)."""

    def _check_unique(self, name: str, employee_no: str | None, exclude: int | None = None) -> None:
        # lower() folds case as SQLite's NOCASE and PostgreSQL's unique index on lower(name) do;
        # coalesce: ids start at 1, so "no exclusion" excludes nobody
        clash = self.execute(
            "SELECT name FROM people WHERE lower(name) = lower(?) AND id <> coalesce(?, 0)", (name, exclude)
        ).fetchone()
        if clash:
            raise GalleryError(f"A person named {clash[0]!r} is already enrolled; names must be unique.")
        if employee_no is not None:
            clash = self.execute(
                "SELECT name FROM people WHERE employee_no = ? AND id <> coalesce(?, 0)", (employee_no, exclude)
            ).fetchone()
            if clash:
                raise GalleryError(f"Employee number {employee_no!r} already belongs to {clash[0]}.")

    @staticmethod
    def _clean(name: str, employee_no: str | None) -> tuple[str, str | None]:
        """The name and number as stored (recognition.names: NFC, trimmed, no control or bidi
        characters), whoever calls: the last fence before the table."""
        try:
            name = clean_name(name).value
            employee_no = clean_optional(employee_no, "employee number", INPUTS.max_employee_no_chars) or None
        except InvalidName as exc:
            raise GalleryError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from exc
        return name, employee_no

    @staticmethod
    def _clean_department(department: str) -> str:
        try:
            return clean_optional(department, "department") or ""
        except InvalidName as exc:
            raise GalleryError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from exc

    def add_person(
        self,
        name: str,
        *,
        employee_no: str | None = None,
        department: str = "",
        active: bool = True,
        samples: Sequence[Sample] = (),
        embeddings: np.ndarray | None = None,
        model_version: int | ModelVersion | None = None,
    ) -> Person:
        """Enrol a person, with their samples and embeddings if given, in one transaction."""
        name, employee_no = self._clean(name, employee_no)
        with self.transaction():
            self._check_unique(name, employee_no)
            person_id = self.insert(
                "people",
                {
                    "name": name,
                    "employee_no": employee_no,
                    "department": self._clean_department(department),
                    "active": int(active),
                    "created": now().isoformat(timespec="seconds"),
                },
            )
            if samples:
                self.add_samples(person_id, samples, embeddings, model_version)
            return self.get_person(person_id)

    def update_person(
        self, person_id: int, *, name: str | None = None, employee_no: str | None = UNSET, department: str | None = None
    ) -> Person:
        """Change the given fields; employee_no=None clears the number."""
        with self.transaction():
            person = self.get_person(person_id)
            new_name, new_no = self._clean(
                person.name if name is None else name, person.employee_no if employee_no is UNSET else employee_no
            )
            self._check_unique(new_name, new_no, exclude=person_id)
            changes = {"name": new_name, "employee_no": new_no}
            if department is not None:
                changes["department"] = self._clean_department(department)
            self.update("people", person_id, changes)
            return self.get_person(person_id)

    def set_active(self, person_id: int, active: bool) -> None:
        with self.transaction():
            self.get_person(person_id)
            self.update("people", person_id, {"active": int(active)})
            self.note_activity(person_id, active)  # the HR report counts their days up to here

    def remove_person(self, person_id: int) -> None:
        """Erase a person with every crop and embedding (cascade); their attendance records and
        events stay, under the name they had last."""
        with self.transaction():
            person = self.get_person(person_id)
            self.execute(
                "UPDATE attendance SET person_name = ?, employee_no = ?, department = ? WHERE person_id = ?",
                (person.name, person.employee_no, person.department, person_id),
            )
            self.execute("UPDATE events SET person_name = ? WHERE person_id = ?", (person.name, person_id))
            self.execute("DELETE FROM people WHERE id = ?", (person_id,))
        if not self.conn.in_transaction:  # the erasure is committed: drop its old pages from the log too
            self.purge_journal()

    _PERSON_SQL = """
        SELECT p.*, (SELECT count(*) FROM samples s WHERE s.person_id = p.id) AS sample_count
        FROM people p
    """

    def get_person(self, person_id: int) -> Person:
        rows = self.query(self._PERSON_SQL + " WHERE p.id = ?", (person_id,))
        if not rows:
            raise GalleryError(f"No person with id {person_id} is enrolled (removed meanwhile?).")
        return _person(rows[0])

    def find_person(self, name: str) -> Person | None:
        """The person with this name (case and extra spaces ignored), or None."""
        rows = self.query(self._PERSON_SQL + " WHERE lower(p.name) = lower(?)", (" ".join(name.split()),))
        return _person(rows[0]) if rows else None

    def list_people(self, *, active_only: bool = False) -> list[Person]:
        where = " WHERE p.active = 1" if active_only else ""
        return [_person(row) for row in self.query(self._PERSON_SQL + where + " ORDER BY p.name")]
