"""Identity review in the browser: the review band of the latest resolution run as a queue.

Each pair is shown side by side with the evidence the run stored (per-field
weights, as ``mashgraph resolve explain`` prints them); the buttons record a
``same``, ``different`` or ``unsure`` decision through
``ingest/resolve/decisions.py``, exactly as ``mashgraph resolve decide`` does,
with the signed-in user and a required reason. A person page can flag one of
its records as wrongly linked (``different`` against each other record of the
person). The next ``mashgraph resolve`` run applies the decisions.

Who may open the queue and decide: the roles in the ``review_roles`` setting
(default ``analyst,admin``). Every pair shown is audited under the keys of the
persons its records resolve to (``record:KEY`` for a record not yet resolved).
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable, Iterable

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from ..errors import ConfigError, ValidationError
from ..ingest.resolve.decisions import (DECISIONS, MAX_REASON, record_decision, review_count, review_pair,
                                        review_pairs, separate_record)
from ..settings import Settings
from .accounts import ROLES
from .security import FIELD_LIMITS, audit, needs_reason
from .services import get_settings, get_store, services_of

bp = Blueprint("review", __name__, url_prefix="/review")

PAGE_SIZE = 50
FIELD_LABELS = {"given_name": "Given name", "family_name": "Family name", "dob": "Date of birth",
                "sex": "Sex", "address": "Address"}
# The web caps every "reason" field (web/security.py); the decision itself allows MAX_REASON.
WEB_MAX_REASON = min(MAX_REASON, FIELD_LIMITS["reason"])
DECISION_LABELS = {"same": "Link: the same person", "different": "Not the same person",
                   "unsure": "Unsure: leave it to the model"}


def reviewer_roles(settings: Settings) -> set[str]:
    """The roles of ``review_roles``; ConfigError for a role that does not exist."""
    roles = {r.strip() for r in settings.review_roles.split(",") if r.strip()}
    unknown = sorted(roles - set(ROLES))
    if unknown:
        raise ConfigError(f"MASHGRAPH_REVIEW_ROLES names unknown role(s) {', '.join(unknown)}",
                          hint=f"use a comma-separated list of: {', '.join(ROLES)}")
    return roles


@bp.record_once
def _check_roles(state: Any) -> None:
    reviewer_roles(services_of(state.app).settings)  # refuse to start with a bad setting


def may_review(user: Any) -> bool:
    """True if ``user`` may open the review queue and record identity decisions."""
    return user is not None and user.role in reviewer_roles(get_settings())


def reviewer_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not may_review(g.get("user")):
            abort(403, description="Identity decisions are for the roles in MASHGRAPH_REVIEW_ROLES "
                                   f"({get_settings().review_roles}).")
        return view(*args, **kwargs)
    return wrapper


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"may_review": lambda: may_review(g.get("user"))}


def _person_keys(pairs: Iterable[dict[str, Any]]) -> list[str]:
    """Who a list of pairs shows: each record's person, or ``record:KEY`` when it has none."""
    keys = set()
    for p in pairs:
        for side in ("a", "b"):
            keys.add(p.get(f"person_{side}") or f"record:{p[f'record_{side}']}")
    return sorted(keys)


@bp.route("/")
@needs_reason
@reviewer_required
def queue():
    page = max(1, request.args.get("page", 1, type=int) or 1)
    store = get_store()
    pairs = review_pairs(store, limit=PAGE_SIZE + 1, skip=(page - 1) * PAGE_SIZE)
    shown = pairs[:PAGE_SIZE]
    audit("view_review_queue", f"identity review queue page {page}", _person_keys(shown))
    return render_template("review_queue.html", pairs=shown, page=page, has_next=len(pairs) > PAGE_SIZE,
                           counts=review_count(store))


@bp.route("/pair/<path:key>")
@needs_reason
@reviewer_required
def pair(key: str):
    found = review_pair(get_store(), key)
    if found is None:
        abort(404, description="This pair is no longer in the review queue: it was decided, or a newer "
                               "resolution run replaced the queue.")
    sides = _sides(found)
    audit("view_review_pair", f"review pair {key}", _person_keys([sides]))
    return render_template("review_pair.html", p=found, sides=sides, evidence=_evidence(found),
                           decisions=DECISION_LABELS, max_reason=WEB_MAX_REASON)


@bp.route("/pair/<path:key>/decide", methods=["POST"])
@needs_reason
@reviewer_required
def decide(key: str):
    found = review_pair(get_store(), key)
    if found is None:
        abort(404, description="This pair is no longer in the review queue: reload the queue.")
    decision = request.form.get("decision", "")
    if decision not in DECISIONS:
        abort(400, description=f"Choose one of: {', '.join(DECISIONS)}.")
    try:
        d = record_decision(get_store(), found["record_a"], found["record_b"], decision,
                            request.form.get("reason", ""), decided_by=g.user.name)
    except (ConfigError, ValidationError) as err:
        flash(f"Not recorded: {err.message}. {err.hint}")
        return redirect(url_for("review.pair", key=key))
    audit("identity_decision", f"{decision}: {d.record_a} / {d.record_b}: {d.reason}",
          _person_keys([_sides(found)]))
    flash(f"Recorded: {d.record_a} and {d.record_b}: {DECISION_LABELS[decision].lower()}. "
          "The next resolution run applies it.")
    return redirect(url_for("review.queue"))


@bp.route("/separate", methods=["POST"])
@needs_reason
@reviewer_required
def separate():
    """Flag a wrong link from a person page: the record is not this person."""
    person, record = request.form.get("person", ""), request.form.get("record", "")
    try:
        made = separate_record(get_store(), person, record, request.form.get("reason", ""),
                               decided_by=g.user.name)
    except (ConfigError, ValidationError) as err:
        flash(f"Not recorded: {err.message}. {err.hint}")
        return redirect(url_for("people.person", key=person) if person else url_for("review.queue"))
    audit("identity_decision", f"different: {record} is not person {person}: {made[0].reason}",
          [person])
    flash(f"Recorded: {record} is not this person ({len(made)} 'different' decision(s)). "
          "The next resolution run splits it off.")
    return redirect(url_for("people.person", key=person))


# -- presentation -------------------------------------------------------------------


def _sides(pair: dict[str, Any]) -> dict[str, Any]:
    a, b = pair.get("records") or [None, None]
    return {"record_a": pair["record_a"], "record_b": pair["record_b"],
            "person_a": a and a.get("person"), "person_b": b and b.get("person")}


def _evidence(pair: dict[str, Any]) -> dict[str, Any]:
    """The stored evidence, with each field's values put on the side of the record they came from."""
    try:
        doc = json.loads(pair.get("evidence") or "{}")
    except ValueError:
        return {"summary": str(pair.get("evidence")), "fields": []}
    if not isinstance(doc, dict):
        return {"summary": str(doc), "fields": []}
    # The evidence is written from one record's side ("this") towards "via", the other.
    flipped = doc.get("via") == pair["record_a"]
    fields = []
    for f in doc.get("fields") or []:
        a, b = (f.get("other"), f.get("this")) if flipped else (f.get("this"), f.get("other"))
        fields.append({"label": FIELD_LABELS.get(f.get("field"), f.get("field")), "a": a, "b": b,
                       "level": f.get("level"), "weight": f.get("weight"),
                       "adjustment": f.get("common_value_adjustment")})
    return {**doc, "fields": fields}
