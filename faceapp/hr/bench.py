"""How long the monthly report takes: a month for N people with 4 records a working day, in a
temporary gallery (`faceapp bench --report N`)."""

from __future__ import annotations

import random
import statistics
import tempfile
import time as clock
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from faceapp.hr.report import month_report
from faceapp.hr.schedule import Schedule
from faceapp.storage.gallery import Gallery

MONTH = "2026-11"
ZONE = ZoneInfo("Asia/Shanghai")


def bench_report(people: int = 1000, repeats: int = 3) -> dict:
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp, Gallery(Path(tmp) / "bench.db") as g:
        g.add_schedule(Schedule.make("Office", "09:00", "18:00", grace_min=5, break_start="12:00", break_end="13:00"))
        g.assign_schedule("Office")
        g.add_holiday("2026-11-11", "holiday")
        with g.transaction():
            g.db["people"].insert_all({"name": f"P{i:05d}", "department": f"D{i % 10}", "active": 1,
                                       "created": "2026-01-01T00:00:00+08:00"} for i in range(people))
            rows = []
            for pid in range(1, people + 1):
                for day in range(1, 31):
                    d = date(2026, 11, day)
                    if d.weekday() >= 5:
                        continue
                    start = datetime(2026, 11, day, 8, 40, tzinfo=ZONE) + timedelta(minutes=rng.randint(0, 40))
                    for k, minutes in enumerate((0, 200, 260, 540 + rng.randint(-30, 30))):
                        when = start + timedelta(minutes=minutes)
                        rows.append((pid, f"P{pid - 1:05d}", when.timestamp(), when.isoformat(), d.isoformat()))
            g.db.conn.executemany(
                "INSERT INTO attendance (person_id, person_name, ts, time, day) VALUES (?, ?, ?, ?, ?)", rows)
        wall, cpu = [], []
        for _ in range(repeats):
            t0, c0 = clock.perf_counter(), clock.process_time()
            report = month_report(g, MONTH, tz=ZONE, now=datetime(2027, 1, 1, tzinfo=ZONE))
            wall.append(clock.perf_counter() - t0)
            cpu.append(clock.process_time() - c0)
        # CPU time as well: on a shared machine the wall time says more about the neighbours
        return {"people": people, "records": len(rows), "person_days": sum(len(pd.days) for pd in report.people),
                "median_s": round(statistics.median(wall), 3), "median_cpu_s": round(statistics.median(cpu), 3),
                "runs": repeats}
