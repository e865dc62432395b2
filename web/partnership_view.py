"""The partnership dashboard laid out: each panel's saved-query result turned into a chart, a
table and, for the page, links. Used by the ``/partnership`` page and by ``mashgraph report
partnership`` (no Flask here), so the page and the file show the same thing.

Every figure comes from the panel's saved query (:mod:`mashgraph.graph.partnership`); this
module only sums a result's own rows for a chart (e.g. on-time decisions per agency over the
months of the timeliness result) and picks colours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from markupsafe import Markup

from ..graph.partnership import PANELS, Filters, Panel, Period, run_panel
from ..graph.types import Result
from .charts import Series, bar_chart, heat_map, line_chart, percent, stacked_bars

__all__ = ["PanelView", "Dashboard", "build_dashboard", "cell_text", "OUTCOMES", "LATE_LINK"]

OUTCOMES = ("nfa", "advice_signpost", "early_help", "s17_assessment", "s47_strategy", "immediate_protection")
# An agency whose referrals end in no further action or advice this much more (or less) often
# than the hub's are named as thresholding differently.
THRESHOLD_GAP = 0.10
LATE_LINK = "late-decisions"   # the saved query listing the late cases

LinkFn = Callable[[str, dict[str, str]], str]   # (saved query slug, its parameters) -> address


@dataclass
class PanelView:
    panel: Panel
    results: list[tuple[str, Result]]               # (caption, result) shown as tables
    chart: Markup
    findings: list[str] = field(default_factory=list)
    row_links: dict[int, str] = field(default_factory=dict)   # row index of the first result -> address
    elapsed: float = 0.0


@dataclass
class Dashboard:
    filters: Filters
    matrix_period: Period
    panels: list[PanelView]
    made: str


def cell_text(column: str, value: Any) -> str:
    """A table cell for a person: shares as percentages, differences in points, the rest as text."""
    if value is None:
        return "\u2014"
    if column == "below_vs_hub" and isinstance(value, (int, float)):
        return f"{value * 100:+.0f} points"
    if isinstance(value, float):
        return percent(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _month_range(months: set[str]) -> list[str]:
    """Every month from the first to the last of ``months`` (``YYYY-MM``), so gaps show as gaps."""
    if not months:
        return []
    first, last = min(months), max(months)
    year, month = int(first[:4]), int(first[5:])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _sharing(store: Any, library: dict[str, Any], panel: Panel, filters: Filters) -> PanelView:
    overall = run_panel(store, library, panel, Filters(filters.period, filters.la, ""))
    results = [("All concerns and involved agencies", overall)]
    series_data = [("all agencies", {r["month"]: r["shared"] for r in overall})]
    if filters.agency:
        own = run_panel(store, library, panel, filters)
        results.append((f"Concerns {filters.agency} raised, known to the other involved agencies", own))
        series_data.append((f"{filters.agency}'s concerns", {r["month"]: r["shared"] for r in own}))
    months = _month_range(set().union(*(d.keys() for _, d in series_data)))
    chart = line_chart("Share of (concern, involved agency) pairs the agency knows, by month", months,
                       [Series(name, [d.get(m) for m in months]) for name, d in series_data])
    return PanelView(panel, results, chart)


def _matrix(store: Any, library: dict[str, Any], panel: Panel, filters: Filters, period: Period) -> PanelView:
    result = run_panel(store, library, panel, Filters(period, filters.la, filters.agency))
    rows = result.records()
    raisers = sorted({r["raised_by"] for r in rows})
    told = sorted({r["known_to"] for r in rows})
    cells = {(r["raised_by"], r["known_to"]): (r["shared"], r["concerns"]) for r in rows}
    chart = heat_map(f"Share of the concerns each agency raised ({period.label}) that the other knows",
                     raisers, told, cells)
    least = sorted(rows, key=lambda r: (r["shared"], -r["concerns"]))[:3]
    findings = [f"{r['known_to']} knows {percent(r['shared'])} of the {r['concerns']} concerns {r['raised_by']} "
                f"raised" for r in least if r["concerns"] >= 5]
    return PanelView(panel, [(f"Period {period.label}", result)], chart, findings)


def _thresholds(store: Any, library: dict[str, Any], panel: Panel, filters: Filters) -> PanelView:
    result = run_panel(store, library, panel, filters)
    rows = result.records()
    chart = stacked_bars("What referrals to children's social care became, by referring agency", OUTCOMES,
                         [(r["agency"], [r[o] for o in OUTCOMES]) for r in rows])
    findings = []
    for r in rows:
        gap = r["below_vs_hub"]
        if r["agency"] != "(hub)" and gap is not None and abs(gap) >= THRESHOLD_GAP and r["referrals"] >= 10:
            side = "more" if gap > 0 else "less"
            findings.append(f"{r['agency']}: {percent(r['below'])} of its {r['referrals']} referrals ended in no "
                            f"further action or advice, {abs(gap) * 100:.0f} points {side} than the hub")
    return PanelView(panel, [("Referrals by referring agency; last row: the hub", result)], chart, findings)


def _timeliness(store: Any, library: dict[str, Any], panel: Panel, filters: Filters,
                link: LinkFn | None) -> PanelView:
    result = run_panel(store, library, panel, filters)
    rows = result.records()
    per_agency: dict[str, list[int]] = {}
    for r in rows:
        totals = per_agency.setdefault(r["agency"], [0, 0])
        totals[0] += r["decided"]
        totals[1] += r["on_time"]
    chart = bar_chart("Decisions within 24 hours (one working day), by referring agency",
                      [(a, t[1] / t[0]) for a, t in sorted(per_agency.items())],
                      sum(t[1] for t in per_agency.values()) / max(1, sum(t[0] for t in per_agency.values())),
                      "all")
    links = {}
    if link is not None:
        for i, r in enumerate(rows):
            if r["late"]:
                start = dt.date.fromisoformat(r["month"] + "-01")
                month = Period.parse(r["month"])
                links[i] = link(LATE_LINK, {"since": max(start, filters.period.since).isoformat(),
                                            "until": min(month.until, filters.period.until).isoformat(),
                                            "agency": r["agency"], "rag": r["rag"], "working_days": "1"})
    late = sum(r["late"] for r in rows)
    findings = [f"{late} of {sum(r['decided'] for r in rows)} decisions took longer than one working day"]
    return PanelView(panel, [("By referring agency, RAG and month", result)], chart, findings, links)


def _rereferrals(store: Any, library: dict[str, Any], panel: Panel, filters: Filters) -> PanelView:
    result = run_panel(store, library, panel, filters)
    rows = result.records()
    children = sum(r["children"] for r in rows)
    overall = sum(r["re_referred"] for r in rows) / children if children else None
    chart = bar_chart("Children referred again within 12 months, by what their first referral became",
                      [(r["first_outcome"], r["re_referred_share"]) for r in rows], overall, "all")
    return PanelView(panel, [("By outcome of the first referral in the period", result)], chart)


_QUALITY_COLUMNS = ("nhs_number", "upn", "pnc_id", "ni_number", "dob", "linked", "matched_across_agencies")


def _quality_agencies(store: Any, library: dict[str, Any], panel: Panel, filters: Filters) -> PanelView:
    result = run_panel(store, library, panel, filters)
    rows = result.records()
    cells = {(r["agency"], c): (r[c], r["records"]) for r in rows for c in _QUALITY_COLUMNS}
    chart = heat_map("Share of each agency's records holding an identifier, linked and matched",
                     [r["agency"] for r in rows], _QUALITY_COLUMNS, cells)
    return PanelView(panel, [("Records by agency", result)], chart)


def _quality_extracts(store: Any, library: dict[str, Any], panel: Panel, filters: Filters) -> PanelView:
    result = run_panel(store, library, panel, filters)
    rows = result.records()
    chart = stacked_bars("Rows of each extract file: loaded and quarantined", ("loaded", "quarantined"),
                         [(str(r["file"])[:22], [r["loaded"], r["quarantined"]]) for r in rows])
    bad = [r for r in rows if r["quarantined"] or r["warnings"]]
    findings = [f"{r['file']}: {r['quarantined']} of {r['read']} rows quarantined, "
                f"{r['warnings']} warnings ({r['reasons'] or 'no rows quarantined'})" for r in bad[:5]]
    return PanelView(panel, [("Every extract run", result)], chart, findings)


def build_dashboard(store: Any, library: dict[str, Any], filters: Filters, matrix_period: Period | None = None,
                    link: LinkFn | None = None, only: str | None = None) -> Dashboard:
    """Every panel (or only the one named ``only``) under ``filters``; ``link`` makes the
    late-case addresses (None in a report file)."""
    import time

    views = []
    for panel in PANELS:
        if only is not None and panel.name != only:
            continue
        started = time.perf_counter()
        view = _build_panel(store, library, panel, filters, matrix_period or filters.period, link)
        view.elapsed = time.perf_counter() - started
        views.append(view)
    made = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return Dashboard(filters, matrix_period or filters.period, views, made)


def _build_panel(store: Any, library: dict[str, Any], panel: Panel, filters: Filters, matrix_period: Period,
                 link: LinkFn | None) -> PanelView:
    if panel.name == "sharing":
        return _sharing(store, library, panel, filters)
    if panel.name == "matrix":
        return _matrix(store, library, panel, filters, matrix_period)
    if panel.name == "timeliness":
        return _timeliness(store, library, panel, filters, link)
    builders = {"thresholds": _thresholds, "rereferrals": _rereferrals,
                "quality_agencies": _quality_agencies, "quality_extracts": _quality_extracts}
    return builders[panel.name](store, library, panel, filters)
