"""The partnership dashboard's figures: derived facts about when concerns were first raised,
the reporting period, and the panels, each one saved query (``queries/partnership-*.cypher``).

The figures are computed once, by the saved queries: ``mashgraph query run partnership-...``,
the ``/partnership`` page and ``mashgraph report partnership`` run the same files with the
same parameters, so they cannot disagree.

Sharing over time needs to know *when* a concern reached the graph. Per ``Person`` (stored by
:func:`refresh_partnership_facts`, which ``refresh_facts`` runs after the who-knows-what facts):

- ``share_raised_first``: ``"code|agency|YYYYMM"`` for every concern raised about the person
  and every agency that raised it (made, recorded or runs an event raising it; DESIGN "knows"),
  with the month of the first dated such event (undated events are left out);
- ``share_las``: the local authorities (``Agency.la``) of the agencies involved with the person;
- ``share_trend``: the person's (concern, involved agency) pairs and the known ones, summed by
  month, overall and per raising agency (:func:`trend_entries`), which the sharing trend sums.

Per ``Agency`` (:data:`AGENCY_QUALITY_FACTS_CYPHER`): ``dq_records``, and how many of those records
hold ``dq_nhs_number``, ``dq_upn``, ``dq_pnc_id``, ``dq_ni_number``, ``dq_dob``, are linked to a
person (``dq_linked``) and whose person other agencies also hold (``dq_matched``).

>>> Period.parse("2025Q1").since, Period.parse("2025Q1").until
(datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))
>>> Period.parse("2024-02").label, Period.parse("2024").until
('2024-02', datetime.date(2024, 12, 31))
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError
from .knowledge import PERSON_SUBJECT
from .model import EVENT_KINDS
from .store import key_batches

__all__ = ["SHARE_FACTS_CYPHER", "AGENCY_QUALITY_FACTS_CYPHER", "refresh_partnership_facts", "Period", "Filters", "PANELS", "Panel",
           "panel_params", "run_panel", "AGENCIES_CYPHER", "filter_choices"]

_ABOUT = "|".join(kind.about for kind in EVENT_KINDS.values())
_RAISED_BY = "|".join(kind.raised_by for kind in EVENT_KINDS.values())

# One batch of persons ($rows: [{key}]); every person gets both lists (empty when nothing applies).
SHARE_FACTS_CYPHER = f"""
UNWIND $rows AS row
MATCH (p:Person {{key: row.key}})
OPTIONAL MATCH {PERSON_SUBJECT}<-[:{_ABOUT}]-(x)-[:RAISES]->(c:Concern)
WITH p, c, x
OPTIONAL MATCH (x)<-[:{_RAISED_BY}]-(ra:Agency)
WITH p, c.key AS concern, ra.key AS raiser, coalesce(x.date, x.start) AS d
WITH p, concern, raiser, min(CASE WHEN d IS NULL THEN null ELSE d.year * 100 + d.month END) AS first
ORDER BY concern, raiser
WITH p, collect(CASE WHEN concern IS NULL OR raiser IS NULL OR first IS NULL THEN null
                     ELSE concern + '|' + raiser + '|' + toString(first) END) AS firsts
OPTIONAL MATCH {PERSON_SUBJECT}-[:HELD_BY]->(a:Agency)
WITH p, firsts, a.la AS la ORDER BY la
WITH p, firsts, collect(DISTINCT la) AS las
SET p.share_raised_first = firsts, p.share_las = [l IN las WHERE l <> ''], p.share_trend = []
RETURN count(p) AS persons
"""


# Per Agency, its records' data quality (the dashboard's data quality panel reads these). Run
# after the person facts: "matched" reads each person's frag_involved.
AGENCY_QUALITY_FACTS_CYPHER = """
MATCH (a:Agency)
OPTIONAL MATCH (a)<-[:HELD_BY]-(rec:Record)
OPTIONAL MATCH (rec)-[:RESOLVES_TO]->(p:Person)
WITH a, rec, count(p) AS links, max(size(coalesce(p.frag_involved, []))) AS agencies
WITH a, count(rec) AS records,
     toInteger(sum(CASE WHEN rec.nhs_number IS NULL THEN 0 ELSE 1 END)) AS nhs,
     toInteger(sum(CASE WHEN rec.upn IS NULL THEN 0 ELSE 1 END)) AS upn,
     toInteger(sum(CASE WHEN rec.pnc_id IS NULL THEN 0 ELSE 1 END)) AS pnc,
     toInteger(sum(CASE WHEN rec.ni_number IS NULL THEN 0 ELSE 1 END)) AS ni,
     toInteger(sum(CASE WHEN rec.dob IS NULL THEN 0 ELSE 1 END)) AS dob,
     toInteger(sum(CASE WHEN links > 0 THEN 1 ELSE 0 END)) AS linked,
     toInteger(sum(CASE WHEN agencies >= 2 THEN 1 ELSE 0 END)) AS matched
SET a.dq_records = records, a.dq_nhs_number = nhs, a.dq_upn = upn, a.dq_pnc_id = pnc, a.dq_ni_number = ni,
    a.dq_dob = dob, a.dq_linked = linked, a.dq_matched = matched
RETURN count(a) AS agencies
"""


SHARE_INPUT_CYPHER = """
UNWIND $keys AS key
MATCH (p:Person {key: key})
WHERE size(p.share_raised_first) > 0 AND size(p.frag_involved) > 0
RETURN p.key AS key, p.share_raised_first AS firsts, p.frag_involved AS involved, p.frag_known AS known
"""
SHARE_TREND_CYPHER = """
UNWIND $rows AS row
MATCH (p:Person {key: row.key})
SET p.share_trend = row.trend
RETURN count(p) AS persons
"""


def trend_entries(firsts: list[str], involved: list[str], known: list[str]) -> list[str]:
    """A person's share of the sharing trend, summed by month: ``"|YYYYMM|pairs|known"`` over every
    concern (dated by its first raising) and ``"agency|YYYYMM|pairs|known"`` over the concerns
    ``agency`` raised (dated by its first raising; the other involved agencies).

    >>> trend_entries(["3A|police|202401", "3A|csc|202402"], ["csc", "police"], ["3A|police"])
    ['|202401|2|1', 'csc|202402|1|1', 'police|202401|1|0']
    """
    knows = set(known)
    first_any: dict[str, int] = {}
    sums: dict[tuple[str, int], list[int]] = {}
    for entry in firsts:
        concern, raiser, month = entry.split("|")
        first_any[concern] = min(first_any.get(concern, int(month)), int(month))
        others = [a for a in involved if a != raiser]
        if others:
            cell = sums.setdefault((raiser, int(month)), [0, 0])
            cell[0] += len(others)
            cell[1] += sum(f"{concern}|{a}" in knows for a in others)
    for concern, month in first_any.items():
        cell = sums.setdefault(("", month), [0, 0])
        cell[0] += len(involved)
        cell[1] += sum(f"{concern}|{a}" in knows for a in involved)
    return [f"{raiser}|{month}|{n}|{k}" for (raiser, month), (n, k) in sorted(sums.items())]


def refresh_partnership_facts(store: Any, persons: list[dict[str, str]], batch_size: int) -> int:
    """Store the facts above on every person of ``persons`` (``[{key}]``; the nightly cycle gives
    only the touched ones), their sharing trend (:func:`trend_entries`), then every agency's data
    quality counts (a whole-graph count, also after a nightly delta); idempotent."""
    done = store.write_batches(SHARE_FACTS_CYPHER, persons, batch_size)
    keys = [p["key"] for p in persons]
    rows = [{"key": r["key"], "trend": trend_entries(r["firsts"], r["involved"], r["known"] or [])}
            for part in key_batches(keys, batch_size)
            for r in store.read(SHARE_INPUT_CYPHER, {"keys": part}, timeout=600).records()]
    store.write_batches(SHARE_TREND_CYPHER, rows, batch_size)
    store.write(AGENCY_QUALITY_FACTS_CYPHER)
    return done


# -- the reporting period ----------------------------------------------------------------------

_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    """A reporting period: a quarter (``2025Q1``), a month (``2025-01``), a year (``2025``) or
    ``all`` (every date the saved queries accept)."""

    label: str
    since: dt.date
    until: dt.date

    @classmethod
    def parse(cls, text: str) -> "Period":
        text = (text or "all").strip()
        if text.lower() == "all":
            return cls("all", dt.date(2000, 1, 1), dt.date.today())
        if m := _QUARTER.match(text):
            year, q = int(m[1]), int(m[2])
            return cls(f"{year}Q{q}", dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q))
        if (m := _MONTH.match(text)) and 1 <= int(m[2]) <= 12:
            return cls(text, dt.date(int(m[1]), int(m[2]), 1), _month_end(int(m[1]), int(m[2])))
        if m := _YEAR.match(text):
            return cls(text, dt.date(int(m[1]), 1, 1), dt.date(int(m[1]), 12, 31))
        raise ValidationError(f"period {text!r} is not a quarter, month or year",
                              hint="write e.g. 2025Q1, 2025-01, 2025 or all")


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters: a period, a local authority (``la1``; "" for all) and an agency
    key ("" for all)."""

    period: Period
    la: str = ""
    agency: str = ""

    def params(self) -> dict[str, Any]:
        return {"since": self.period.since.isoformat(), "until": self.period.until.isoformat(),
                "la": self.la, "agency": self.agency}


# -- the panels --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Panel:
    """One chart of the dashboard: its saved query and which filters it takes."""

    name: str
    title: str
    query: str
    takes: tuple[str, ...] = ("since", "until", "la", "agency")
    note: str = ""


PANELS: tuple[Panel, ...] = (
    Panel("sharing", "Sharing over time", "partnership-sharing-trend"),
    Panel("matrix", "Sharing between agencies", "partnership-sharing-matrix"),
    Panel("thresholds", "Threshold alignment", "partnership-thresholds"),
    Panel("timeliness", "Timeliness of MASH decisions", "partnership-timeliness"),
    Panel("rereferrals", "Re-referrals within 12 months", "partnership-re-referrals"),
    Panel("quality_agencies", "Data quality by agency", "partnership-data-quality-agencies",
          ("la", "agency")),
    Panel("quality_extracts", "Data quality by extract", "partnership-data-quality-extracts", (),
          "every run of every extract, whatever the filters"),
)


def panel_params(panel: Panel, filters: Filters) -> dict[str, Any]:
    """The saved query parameters of ``panel`` under ``filters``."""
    values = filters.params()
    return {k: values[k] for k in panel.takes}


def run_panel(store: Any, library: dict[str, Any], panel: Panel, filters: Filters) -> Any:
    """The result of ``panel``'s saved query under ``filters`` (every row; the figures are aggregates)."""
    from .saved_queries import run_saved_query

    result, _ = run_saved_query(store, library[panel.query], panel_params(panel, filters), row_cap=-1)
    return result


AGENCIES_CYPHER = """
MATCH (a:Agency)
RETURN a.key AS agency, coalesce(a.name, a.key) AS name, coalesce(a.la, '') AS la
ORDER BY agency
"""


@dataclass
class Choices:
    agencies: list[tuple[str, str]] = field(default_factory=list)   # (key, name)
    las: list[str] = field(default_factory=list)


def filter_choices(store: Any) -> Choices:
    """The agencies and local authorities a user can filter by."""
    rows = store.read(AGENCIES_CYPHER).records()
    return Choices([(r["agency"], r["name"]) for r in rows], sorted({r["la"] for r in rows if r["la"]}))
