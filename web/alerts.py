"""The alert inbox: alerts from the nightly alert runs, filtered and worked to a decision.

``/alerts`` lists them (filters in the address: pattern, status, assignee, severity, age),
newest first, with counts per pattern; ``/alerts/<key>`` shows why one fired (the query's
rows, the people with links, who knows what, the chronology, a link to the network of the
match) and its forms: assign, comment, status, decision. A decision's frozen snapshot is at
``/alerts/<key>/decisions/<decision>``. Logic lives in ``graph/alert_*.py``.

Every page and every change is audited under the keys of the people it shows; every form is
CSRF-protected (web/security.py); closing with a decision is for the roles in the
``alert_close_roles`` setting.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from ..errors import ConfigError, ValidationError
from ..graph.alert_cases import (OUTCOMES, RAGS, assign, comment, decide, get_decision, read_decisions,
                                 require_alert, set_status)
from ..graph.alert_spec import SEVERITIES
from ..graph.alert_store import FILTER_STATUSES, STATUSES, Alert, AlertFilter, counts_by_pattern, read_alerts, read_history
from ..graph.alert_view import alert_view
from ..graph.explore import agency_names
from ..graph.linked_network import linked_network
from ..settings import Settings
from . import linked
from .accounts import ROLES
from .security import audit, needs_reason
from .services import get_accounts, get_settings, get_store, services_of

bp = Blueprint("alerts", __name__)

PAGE_SIZE = 200
NETWORK_LIMIT = 300


def close_roles(settings: Settings) -> set[str]:
    """The roles of ``alert_close_roles``; ConfigError for a role that does not exist."""
    roles = {r.strip() for r in settings.alert_close_roles.split(",") if r.strip()}
    unknown = sorted(roles - set(ROLES))
    if unknown:
        raise ConfigError(f"MASHGRAPH_ALERT_CLOSE_ROLES names unknown role(s) {', '.join(unknown)}",
                          hint=f"use a comma-separated list of: {', '.join(ROLES)}")
    return roles


@bp.record_once
def _check_roles(state: Any) -> None:
    close_roles(services_of(state.app).settings)  # refuse to start with a bad setting


def may_close(user: Any) -> bool:
    return user is not None and user.role in close_roles(get_settings())


def closer_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not may_close(g.get("user")):
            abort(403, description="Closing an alert with a decision is for the roles in MASHGRAPH_ALERT_CLOSE_ROLES "
                                   f"({get_settings().alert_close_roles}).")
        return view(*args, **kwargs)
    return wrapper


def _age(name: str) -> int | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationError(f"{name.replace('_', ' ')} {text[:20]!r} is not a number of days",
                              hint="give a whole number of days")
    return int(text)


def _filter() -> AlertFilter:
    values = {name: request.args.get(name, "").strip() for name in ("pattern", "status", "assignee", "severity")}
    if values["status"] and values["status"] not in FILTER_STATUSES:
        raise ValidationError(f"status {values['status'][:30]!r} is unknown", hint="choose a status from the list")
    if values["severity"] and values["severity"] not in SEVERITIES:
        raise ValidationError(f"severity {values['severity'][:30]!r} is unknown", hint="choose high, medium or low")
    return AlertFilter(**values, min_age=_age("min_age"), max_age=_age("max_age"))


def _load(key: str) -> Alert:
    try:
        return require_alert(get_store(), key)
    except ValidationError:
        abort(404, description=f"There is no alert {key!r}.")


@bp.route("/alerts")
@needs_reason
def inbox():
    flt = _filter()
    every = read_alerts(get_store())
    kept = flt.apply(every, get_settings().today_date())
    shown = kept[:PAGE_SIZE]
    audit("view_alerts", f"alert inbox {flt}", sorted({p for a in shown for p in a.people}))
    return render_template("alerts.html", alerts=shown, total=len(kept), every=len(every), flt=flt,
                           counts=counts_by_pattern(every), statuses=FILTER_STATUSES, severities=SEVERITIES,
                           users=_user_names(), today=get_settings().today_date())


@bp.route("/alerts/<path:key>")
@needs_reason
def alert(key: str):
    found = _load(key)
    view = alert_view(get_store(), found)
    history, decisions = read_history(get_store(), key), read_decisions(get_store(), key)
    audit("view_alert", f"alert {key}", _people(found, view))
    return render_template("alert.html", a=found, view=view, history=history, decisions=decisions,
                           agencies=agency_names(get_store()), users=_user_names(), statuses=STATUSES,
                           rags=RAGS, outcomes=OUTCOMES, may_close=may_close(g.user))


@bp.route("/alerts/<path:key>/decisions/<decision>")
@needs_reason
def decision(key: str, decision: str):
    found = get_decision(get_store(), decision)
    if found is None or found.alert != key or found.snapshot is None:
        abort(404, description=f"Alert {key!r} has no decision {decision!r}.")
    snapshot = found.snapshot
    people = sorted({s["key"] for s in snapshot["subjects"] if s["kind"] == "person"}
                    | set(_snapshot_people(snapshot)))
    audit("view_alert_decision", f"decision {decision} of alert {key}", people)
    return render_template("alert_decision.html", d=found, view=snapshot, key=key,
                           agencies=agency_names(get_store()))


@bp.route("/alerts/<path:key>/assign", methods=["POST"])
@needs_reason
def assign_alert(key: str):
    return _change(key, "alert_assign", lambda: assign(get_store(), key, request.form.get("assignee", ""),
                                                       g.user.name), "Assigned.")


@bp.route("/alerts/<path:key>/comment", methods=["POST"])
@needs_reason
def comment_alert(key: str):
    return _change(key, "alert_comment", lambda: comment(get_store(), key, request.form.get("comment", ""),
                                                         g.user.name), "Comment added.")


@bp.route("/alerts/<path:key>/status", methods=["POST"])
@needs_reason
def status_alert(key: str):
    return _change(key, "alert_status", lambda: set_status(get_store(), key, request.form.get("status", ""),
                                                           g.user.name), "Status changed.")


@bp.route("/alerts/<path:key>/decide", methods=["POST"])
@needs_reason
@closer_required
def decide_alert(key: str):
    form = request.form
    return _change(key, "alert_decision", lambda: decide(
        get_store(), key, status=form.get("status", ""), rag=form.get("rag", ""), outcome=form.get("outcome", ""),
        reason=form.get("reason", ""), agency=form.get("agency", ""), by=g.user.name), "Decision recorded.")


def _change(key: str, action: str, change: Callable[[], Any], done: str):
    found = _load(key)
    try:
        result = change()
    except ValidationError as err:
        flash(f"Not changed: {err.message}. {err.hint}")
        return redirect(url_for("alerts.alert", key=key))
    detail = getattr(result, "key", "") if action == "alert_decision" else ""
    audit(action, f"alert {key}" + (f" decision {detail}" if detail else ""), found.people)
    flash(done)
    return redirect(url_for("alerts.alert", key=key))


@bp.route("/alerts/<path:key>/network")
@needs_reason
def network_page(key: str):
    _load(key)
    return render_template("linked.html", what=f"alert {key}", data_url=url_for("alerts.network_data", key=key),
                           export_url=url_for("alerts.network_export", key=key), person=None,
                           expand_url=url_for("linked.person_data", key="KEY", hops=1))


def _network(key: str) -> Any:
    found = _load(key)
    if not found.people:
        abort(404, description=f"Alert {key!r} names no person to draw.")
    return found, linked_network(get_store(), found.people[:NETWORK_LIMIT], 1, NETWORK_LIMIT)


@bp.route("/alerts-data/<path:key>.json")
@needs_reason
def network_data(key: str):
    found, net = _network(key)
    audit("view_network", f"network of alert {key}", net.person_keys)
    return linked.network_json(net, found.title)


@bp.route("/alerts-export/<path:key>.html")
@needs_reason
def network_export(key: str):
    found, net = _network(key)
    audit("export", f"network of alert {key} as HTML", net.person_keys)
    return linked.export_response(net, found.title, f"alert-{key}")


def _user_names() -> list[str]:
    return [u.name for u in get_accounts().list_users() if not u.disabled]


def _people(found: Alert, view: dict[str, Any]) -> list[str]:
    return sorted(set(found.people) | {s["key"] for s in view["subjects"] if s["kind"] == "person"})


def _snapshot_people(snapshot: dict[str, Any]) -> list[str]:
    from ..graph.entities import candidate_keys, shown_person_keys

    return shown_person_keys(get_store(), candidate_keys(snapshot["rows"]))
