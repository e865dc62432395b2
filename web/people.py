"""Person, record, household and address pages: records, identifiers, addresses, linked adults,
a chronology that can be filtered, and who knows what."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template, request

from ..errors import ValidationError
from ..graph.chronology import PERIODS_MONTHS, ChronologyFilter
from ..graph.explore import person_profile, record_profile
from ..graph.family import household_view, linked_adults
from ..graph.places import address_view
from .queries import queries_about_a_person
from .security import audit, needs_reason
from .services import get_settings, get_store

__all__ = ["bp", "chronology_filter", "today"]

bp = Blueprint("people", __name__)

ORDERS = ("oldest", "newest")


def today() -> dt.date:
    """The date pages take as today (the ``today`` setting, else the real date)."""
    return get_settings().today_date()


def _date_arg(name: str) -> dt.date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{name} {text[:40]!r} is not a date", hint="give a date as YYYY-MM-DD") from None


def chronology_filter() -> ChronologyFilter:
    """The chronology filter in this request's address (``period``, ``since``, ``until``,
    ``agency``, ``concern``, ``order``), so a filtered view can be shared as a link."""
    period = request.args.get("period", "").strip()
    if period and (not period.isdigit() or int(period) not in PERIODS_MONTHS):
        raise ValidationError(f"period {period[:20]!r} is not one of {', '.join(map(str, PERIODS_MONTHS))} months",
                              hint="choose a period from the list, or give from and to dates")
    order = request.args.get("order", "oldest")
    if order not in ORDERS:
        raise ValidationError(f"order {order[:20]!r} is not oldest or newest", hint="choose oldest or newest")
    since, until = _date_arg("since"), _date_arg("until")
    if since and until and since > until:
        raise ValidationError(f"the period starts ({since}) after it ends ({until})", hint="swap the dates")
    return ChronologyFilter(int(period) if period else None, since, until,
                            tuple(a for a in request.args.getlist("agency") if a),
                            tuple(c for c in request.args.getlist("concern") if c), order == "newest")


@bp.route("/person/<path:key>")
@needs_reason
def person(key: str):
    flt = chronology_filter()
    profile = person_profile(get_store(), key)
    if profile is None:
        abort(404)
    adults = linked_adults(get_store(), key, today())
    audit("view_person", f"person {key}", sorted({*profile.shown_person_keys(), *(a.key for a in adults)}))
    return render_template("person.html", p=profile, adults=adults, flt=flt, shown=flt.apply(profile.chronology, today()),
                           person_queries=queries_about_a_person())


@bp.route("/record/<path:key>")
@needs_reason
def record(key: str):
    flt = chronology_filter()
    profile = record_profile(get_store(), key)
    if profile is None:
        abort(404)
    audit("view_person", f"record {key}", profile.shown_person_keys())
    return render_template("person.html", p=profile, adults=[], flt=flt, shown=flt.apply(profile.chronology, today()))


@bp.route("/household/<path:key>")
@needs_reason
def household(key: str):
    flt = chronology_filter()
    hh = household_view(get_store(), key)
    if hh is None:
        abort(404)
    unresolved = [f"record:{m['key']}" for m in hh.members if not m["person"]]
    audit("view_household", f"household {key}", hh.person_keys + unresolved)
    return render_template("household.html", h=hh, flt=flt, shown=flt.apply(hh.chronology, today()))


@bp.route("/address/<path:key>")
@needs_reason
def address(key: str):
    place = address_view(get_store(), key)
    if place is None:
        abort(404)
    unresolved = [f"record:{r['record']}" for r in place.residents if not r["person"]]
    audit("view_address", f"address {key}", place.person_keys + unresolved)
    return render_template("address.html", a=place)
