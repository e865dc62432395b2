"""Person, record and household pages: records, identifiers, addresses, chronology, who knows what."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from ..graph.explore import household_view, person_profile, record_profile
from .services import get_store
from .queries import queries_about_a_person
from .security import audit, needs_reason

bp = Blueprint("people", __name__)


@bp.route("/person/<path:key>")
@needs_reason
def person(key: str):
    profile = person_profile(get_store(), key)
    if profile is None:
        abort(404)
    audit("view_person", f"person {key}", profile.shown_person_keys())
    return render_template("person.html", p=profile, person_queries=queries_about_a_person())


@bp.route("/record/<path:key>")
@needs_reason
def record(key: str):
    profile = record_profile(get_store(), key)
    if profile is None:
        abort(404)
    audit("view_person", f"record {key}", profile.shown_person_keys())
    return render_template("person.html", p=profile)


@bp.route("/household/<path:key>")
@needs_reason
def household(key: str):
    hh = household_view(get_store(), key)
    if hh is None:
        abort(404)
    unresolved = [f"record:{m['key']}" for m in hh.members if not m["person"]]
    audit("view_household", f"household {key}", hh.person_keys + unresolved)
    return render_template("household.html", h=hh)
