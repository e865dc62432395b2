"""``mashgraph synth --days N``: the world's extracts as N nightly delta files per agency.

A MASH does not receive three years of history every night: each agency sends
what is new or changed since yesterday. :func:`write_days` splits the rendered
extracts (the same rows ``extracts/`` holds) into ``days/day-001`` ..
``days/day-NNN``, one file per extract per day, each folder with its own
``job.yml`` for ``mashgraph ingest``:

- night ``k`` covers ``day_length`` calendar days; the last night ends on the
  extract date ``world.end``; night 1 also carries everything before (the
  initial load a MASH starts from);
- a row is sent on the night its own date falls in (incident date, contact
  date, episode start, the day a household member was first recorded, ...);
- an *update* is the same row sent again on a later night, when a date that
  was still in the future on its first night has come: an episode's end, a
  household member leaving, a tenancy's end, a section 42 enquiry's end. The
  first send leaves that column blank; the loader's ``SET +=`` then fills it.
  A date after the extract date (a planned end) is known from the first send.

So the last version of every row, over all nights, is the row of ``extracts/``
(``tests/test_synth_days.py``). ``days/manifest.json`` lists each night's dates
and rows per file. :func:`detectable_days` gives each planted instance the night
on which the last of its events arrives (``first_detectable_day`` in
``truth/patterns.jsonl``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable

from .badrows import render_lines
from .writers import ExtractFile, SheetFile, write_text_file, write_xlsx

__all__ = ["DayPlan", "ROW_DATES", "write_days", "detectable_days", "day_dir", "MAX_DAYS"]

MAX_DAYS = 999

# mapping -> (column holding the date a row is first sent, columns of later dates sent as updates).
# JSON columns are dotted paths. A mapping not listed (agencies) is sent on night 1.
ROW_DATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "police_incidents": ("incident_date", ()),
    "csc_contacts": ("contact_datetime", ()),
    "csc_household_members": ("from", ("to",)),
    "csc_episodes": ("start_date", ("end_date",)),
    "health_events": ("date", ()),
    "education_events": ("event_date", ()),
    "housing_events": ("event_date", ("tenancy_end",)),
    "asc_concerns": ("received_date", ("enquiry_end",)),
    "probation_cases": ("supervision_start", ()),
}

# mapping -> the column holding the agency's own id of the person's record (the Record key with the
# file's agency). Every row writes that Record's properties, so the last row read wins.
RECORD_IDS: dict[str, str] = {
    "police_incidents": "nominal_id", "csc_contacts": "person_id", "csc_household_members": "person_id",
    "health_events": "patient.patient_id", "education_events": "upn", "housing_events": "person_ref",
    "asc_concerns": "person_id", "probation_cases": "crn",
}

_PARSE = {"dmy": "%d/%m/%Y", "iso": "%Y-%m-%d", "dmony": "%d-%b-%Y", "compact": "%Y%m%d"}


@dataclass(frozen=True)
class DayPlan:
    """``days`` nights of ``length`` calendar days each, the last ending on ``end``."""
    days: int
    length: int
    end: date

    @property
    def first(self) -> date:
        """The first calendar day of night 1's own window (night 1 also has everything before)."""
        return self.end - timedelta(days=self.days * self.length - 1)

    def day_of(self, on: date | None) -> int:
        """The night on which something dated ``on`` is sent (undated: night 1)."""
        if on is None or on < self.first:
            return 1
        return min(self.days, (on - self.first).days // self.length + 1)

    def window(self, day: int) -> tuple[date, date]:
        """The first and last calendar dates night ``day`` covers (night 1 from its own window)."""
        start = self.first + timedelta(days=(day - 1) * self.length)
        return start, start + timedelta(days=self.length - 1)


def day_dir(day: int) -> str:
    """``day-007``: the folder of night ``day`` under ``days/``."""
    return f"day-{day:03d}"


def _parse(value: Any, fmt: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    if fmt == "iso":
        text = text[:10]  # contact_datetime holds a time after the date
    return datetime.strptime(text, _PARSE[fmt]).date()


class _Columns:
    """Read and blank a named column of one file's rows (CSV lists, JSON dicts, sheet lists)."""

    def __init__(self, header: list[str] | None, date_format: str, blank: Any) -> None:
        self.index = {name: i for i, name in enumerate(header or [])}
        self.json = header is None
        self.fmt = date_format
        self.blank = blank

    def raw(self, row: Any, column: str) -> Any:
        if self.json:
            value: Any = row
            for part in column.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            return value
        return row[self.index[column]] if column in self.index else None

    def get(self, row: Any, column: str) -> date | None:
        return _parse(self.raw(row, column), self.fmt)

    def blanked(self, row: Any, columns: list[str]) -> Any:
        if self.json:
            out = json.loads(json.dumps(row))
            for column in columns:
                out[column] = None
            return out
        out = list(row)
        for column in columns:
            out[self.index[column]] = self.blank
        return out


def split_rows(mapping: str, header: list[str] | None, date_format: str, rows: list[Any],
               plan: DayPlan, blank: Any = "") -> dict[int, list[Any]]:
    """Night -> the rows (first sends and updates) of one file sent that night, in file order.

    ``blank`` is what an update's not-yet-known column holds on earlier nights ("" in text
    files, None in sheets and JSON)."""
    out: dict[int, list[Any]] = {}
    if mapping not in ROW_DATES:
        out[1] = list(rows)
        return out
    first_col, later_cols = ROW_DATES[mapping]
    cols = _Columns(header, date_format, blank)
    for row in rows:
        first = plan.day_of(cols.get(row, first_col))
        later: dict[int, list[str]] = {}
        for column in later_cols:
            on = cols.get(row, column)
            if on is not None and on <= plan.end and plan.day_of(on) > first:
                later.setdefault(plan.day_of(on), []).append(column)
        pending = [c for cols_ in later.values() for c in cols_]
        out.setdefault(first, []).append(cols.blanked(row, pending) if pending else row)
        for night in sorted(later):
            pending = [c for c in pending if c not in later[night]]
            out.setdefault(night, []).append(cols.blanked(row, pending) if pending else row)
    return out


@dataclass
class _File:
    """One extract while it is split: its rows by night, and how to read its columns."""
    name: str
    mapping: str
    rows: list[Any]
    cols: _Columns
    nights: dict[int, list[Any]]

    def record_of(self, row: Any) -> tuple[str, str] | None:
        column = RECORD_IDS.get(self.mapping)
        if column is None:
            return None
        return str(self.cols.raw(row, "agency") or self.mapping), str(self.cols.raw(row, column))


def keep_last_writer(files: list[_File]) -> None:
    """Make every Record's properties end as a full load leaves them.

    The loader sets a Record's properties from each row that holds it, so the last
    row read wins: in a full load, the record's last row in job order. Nights sent
    in order can end on another row (a later contact after the household row, an
    update), so that last row is sent again at the end of its file on the record's
    last night, as a system re-sends a record it touched ("updated records").
    ``files`` are in job order.
    """
    final: dict[tuple[str, str], tuple[int, Any]] = {}
    for i, f in enumerate(files):
        for row in f.rows:
            key = f.record_of(row)
            if key is not None:
                final[key] = (i, row)
    last: dict[tuple[str, str], tuple[int, Any]] = {}
    for night in sorted({n for f in files for n in f.nights}):
        for f in files:
            for row in f.nights.get(night, ()):
                key = f.record_of(row)
                if key is not None:
                    last[key] = (night, row)
    for key, (night, row) in sorted(last.items(), key=lambda kv: kv[0]):
        i, full_row = final[key]
        if row != full_row:
            files[i].nights.setdefault(night, []).append(full_row)


def _job_yaml(name: str, sources: list[tuple[str, list[str]]]) -> str:
    lines = ["# one night of `mashgraph synth --days` deltas: load with `mashgraph ingest` (docs/ingestion.md)",
             f"name: {name}", "sources:"]
    for mapping, files in sources:
        lines += [f"  - mapping: {mapping}", f"    files: [{', '.join(files)}]"]
    return "\n".join(lines) + "\n"


@dataclass
class DaysSummary:
    """What :func:`write_days` wrote: rows per night per file (first sends plus updates)."""
    plan: DayPlan
    rows: dict[int, dict[str, int]]

    @property
    def updates(self) -> int:
        return sum(sum(n.values()) for n in self.rows.values())


def write_days(out: Path, text_files: list[ExtractFile], sheet_files: list[SheetFile], order: list[str],
               plan: DayPlan, job_name: str) -> DaysSummary:
    """Write ``out/days/day-NNN/`` (every extract's delta and a ``job.yml``) and ``out/days/manifest.json``."""
    root = out / "days"
    parts = [_File(f.name, f.mapping, f.rows, _Columns(f.header, f.date_format, ""),
                   split_rows(f.mapping, f.header, f.date_format, f.rows, plan)) for f in text_files]
    parts += [_File(s.name, s.mapping, s.rows, _Columns(s.header, "iso", None),
                    split_rows(s.mapping, s.header, "iso", s.rows, plan, None)) for s in sheet_files]
    mapping_of = {f.name: f.mapping for f in parts}
    keep_last_writer(sorted(parts, key=lambda f: (order.index(f.mapping) if f.mapping in order else -1, f.name)))
    split = {f.name: f.nights for f in parts}
    rows: dict[int, dict[str, int]] = {}
    for day in range(1, plan.days + 1):
        folder = root / day_dir(day)
        folder.mkdir(parents=True)
        for f in text_files:
            part = replace(f, rows=split[f.name].get(day, []))
            write_text_file(folder / f.name, part, render_lines(part, 0.0, None, []))  # type: ignore[arg-type]
        for s in sheet_files:
            write_xlsx(folder / s.name, replace(s, rows=split[s.name].get(day, [])))
        sources = [(m, [name for name in mapping_of if mapping_of[name] == m]) for m in order]
        (folder / "job.yml").write_text(_job_yaml(f"{job_name}-{day_dir(day)}", [s for s in sources if s[1]]),
                                        encoding="utf-8")
        rows[day] = {name: len(split[name].get(day, [])) for name in mapping_of}
    _write_manifest(root, plan, rows)
    return DaysSummary(plan, rows)


def _write_manifest(root: Path, plan: DayPlan, rows: dict[int, dict[str, int]]) -> None:
    nights = []
    for day in range(1, plan.days + 1):
        start, last = plan.window(day)
        nights.append({"day": day, "folder": day_dir(day), "from": None if day == 1 else start.isoformat(),
                       "to": last.isoformat(), "as_of": last.isoformat(), "rows": rows[day]})
    manifest = {"days": plan.days, "day_length": plan.length, "first": plan.first.isoformat(),
                "end": plan.end.isoformat(), "nights": nights}
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def detectable_days(plan: DayPlan, instances: list[dict[str, Any]], event_dates: dict[str, date]) -> None:
    """Add ``first_detectable_day`` to each planted instance (``None`` for controls, which never match).

    The events a planted story lists are the ones that make its pattern match, so the
    pattern can first be found on the night the last of them is sent. ``complete_day``
    (every instance and control) is that night, whether or not the pattern matches.
    """
    for item in instances:
        nights = [plan.day_of(event_dates[key]) for key in item.get("events", ()) if key in event_dates]
        complete = max(nights) if nights else 1
        item["complete_day"] = complete
        item["first_detectable_day"] = complete if item.get("kind") == "instance" else None


def check_plan(days: int, day_length: int, window: tuple[date, date]) -> DayPlan:
    """A :class:`DayPlan` inside the world's window, or ValueError saying what to change."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"--days must be 1..{MAX_DAYS} (got {days})")
    if day_length < 1:
        raise ValueError(f"--day-length must be at least 1 calendar day (got {day_length})")
    plan = DayPlan(days, day_length, window[1])
    if plan.first <= window[0]:
        span = (window[1] - window[0]).days
        raise ValueError(f"{days} nights of {day_length} days start before the world's window "
                         f"({window[0]}..{window[1]}, {span} days): use fewer or shorter nights")
    return plan


def iter_days(spec: str, available: int) -> Iterable[int]:
    """Nights of ``"1-30"``, ``"7"`` or ``"3,5-6"``, each checked against ``available``."""
    out: list[int] = []
    for part in spec.split(","):
        first, sep, last = part.strip().partition("-")
        try:
            lo = int(first)
            hi = int(last) if sep else lo
        except ValueError:
            raise ValueError(f"{spec!r} is not a list of days such as 1-30 or 3,5-6") from None
        if not 1 <= lo <= hi <= available:
            raise ValueError(f"day range {part.strip()!r} is outside 1..{available} (the nights written)")
        out += range(lo, hi + 1)
    return out

