"""The case summary for a strategy discussion: one child (or adult) or one household, printable
and downloadable as a self-contained HTML file, stamped with who asked for it and why.

It holds the chronology (the filter in the address applies, e.g. the last 12 months), who
knows what, the linked adults and the identity evidence. Viewing and downloading are audited
under every person it shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, g, render_template

from ..graph.explore import person_profile
from ..graph.family import LinkedAdult, household_view, linked_adults
from .people import chronology_filter, today
from .security import audit, current_reason, needs_reason
from .services import get_store

__all__ = ["bp", "CaseSummary"]

bp = Blueprint("summary", __name__)

STATIC = Path(__file__).parent / "static"
KINDS = ("person", "household")


@dataclass
class CaseSummary:
    """Everything one summary shows, and the stamp of who asked for it, when and why."""

    kind: str
    key: str
    title: str
    subject: Any                 # graph.explore.Profile or graph.family.Household
    adults: list[LinkedAdult]
    shown: list[Any]             # the chronology after the filter
    flt: Any
    requester: str
    reason: str
    made: str

    @property
    def person_keys(self) -> list[str]:
        keys = {a.key for a in self.adults}
        if self.kind == "person":
            keys.add(self.key)
        else:
            keys.update(self.subject.person_keys)
            keys.update(f"record:{m['key']}" for m in self.subject.members if not m["person"])
        return sorted(keys)


def _build(kind: str, key: str) -> CaseSummary:
    if kind not in KINDS:
        abort(404)
    flt = chronology_filter()
    store = get_store()
    if kind == "person":
        subject = person_profile(store, key)
        if subject is None:
            abort(404)
        title, adults = subject.display_name, linked_adults(store, key, today())
    else:
        subject = household_view(store, key)
        if subject is None:
            abort(404)
        title, adults = f"Household {key}", _household_adults(store, subject)
    made = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return CaseSummary(kind, key, title, subject, adults, flt.apply(subject.chronology, today()), flt,
                       g.user.name, current_reason(), made)


def _household_adults(store: Any, hh: Any) -> list[LinkedAdult]:
    """The adults linked to any member, each once (the members themselves included when adult)."""
    seen: dict[str, LinkedAdult] = {}
    for person in hh.person_keys:
        for adult in linked_adults(store, person, today()):
            seen.setdefault(adult.key, adult)
    return sorted(seen.values(), key=lambda a: (-a.perpetrator, -len(a.concerns), a.name.lower(), a.key))


@bp.route("/summary/<kind>/<path:key>")
@needs_reason
def page(kind: str, key: str):
    summary = _build(kind, key)
    audit("view_summary", f"case summary of {kind} {key}", summary.person_keys)
    return render_template("summary.html", s=summary)


@bp.route("/summary-export/<kind>/<path:key>.html")
@needs_reason
def export(kind: str, key: str):
    summary = _build(kind, key)
    audit("export", f"case summary of {kind} {key} as HTML", summary.person_keys)
    html = render_template("summary_export.html", s=summary,
                           app_css=(STATIC / "app.css").read_text(encoding="utf-8"))
    safe_name = "".join(c if c.isalnum() or c in "-_" else "-" for c in key)[:80]
    return Response(html, mimetype="text/html", headers={
        "Content-Disposition": f'attachment; filename="mashgraph-case-summary-{kind}-{safe_name}.html"'})
