"""``mashgraph alerts``: run the alert queries, list and show alerts, assign, comment, move and close them.

Every command that shows or changes an alert is written to the audit log (the users
database, as the web does), under the keys of the people the alert is about.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from ..errors import ConfigError
from ..settings import Settings
from .alert_cases import OUTCOMES, RAGS, assign, comment, decide, read_decisions, require_alert, set_status
from .alert_store import FILTER_STATUSES, STATUSES, Alert, AlertFilter, counts_by_pattern, read_alerts, read_history
from .alert_spec import SEVERITIES
from .backends import open_store

__all__ = ["alerts", "run_after_load"]


def _user(settings: Settings, given: str | None) -> str:
    from ..ingest.resolve.decisions import current_user

    return given or current_user(settings)


def _audit(settings: Settings, user: str, action: str, what: str, people: list[str]) -> None:
    from ..web.accounts import Accounts
    from ..web.services import users_db_path

    accounts = Accounts(users_db_path(settings))
    try:
        accounts.audit(user, action, what, people, reason="command line")
    finally:
        accounts.close()


def run_after_load(store: Any, settings: Settings, enabled: bool = True, to_stderr: bool = False) -> None:
    """Run the alert queries after an ingestion job or resolution run, unless the setting
    ``alerts_refresh`` is off or ``enabled`` is False; prints the run's summary line
    (on standard error with ``to_stderr``, e.g. when standard output carries JSON)."""
    if not (enabled and settings.alerts_refresh):
        return
    from .alerts import run_alerts

    report = run_alerts(store)
    click.echo(report.summary(), err=to_stderr)
    for warning in report.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)


@click.group()
def alerts() -> None:
    """The alert inbox: nightly runs of the alert queries, and working alerts to a decision (docs/alerts.md)."""


@alerts.command("run")
@click.option("--night", default=None, metavar="YYYY-MM-DD",
              help="The date the run stands for; date parameters defaulting to today take it "
                   "(default: MASHGRAPH_TODAY, else the real date).")
@click.option("--pattern", "patterns", multiple=True, metavar="SLUG", help="Only this alert query (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.pass_obj
def run_command(settings: Settings, night: str | None, patterns: tuple[str, ...], as_json: bool) -> None:
    """Run every alert query; open, update or retire alerts. Rerunning on the same data changes nothing."""
    from .alerts import run_alerts

    day = _date(night, "--night") if night else None
    with open_store(settings.db, settings) as store:
        report = run_alerts(store, day, patterns=list(patterns) or None)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.summary())
    for warning in report.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)


@alerts.command("list")
@click.option("--pattern", default="", metavar="SLUG", help="Only alerts of this query.")
@click.option("--status", default="", type=click.Choice(["", *FILTER_STATUSES]), help="Only alerts in this status.")
@click.option("--assignee", default="", metavar="USER", help="Only alerts assigned to USER ('-': unassigned).")
@click.option("--severity", default="", type=click.Choice(["", *SEVERITIES]), help="Only alerts of this severity.")
@click.option("--min-age", type=click.IntRange(0), default=None, metavar="DAYS", help="Opened at least DAYS ago.")
@click.option("--max-age", type=click.IntRange(0), default=None, metavar="DAYS", help="Opened at most DAYS ago.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_command(settings: Settings, pattern: str, status: str, assignee: str, severity: str,
                 min_age: int | None, max_age: int | None, as_json: bool) -> None:
    """List alerts, newest first, with counts per pattern."""
    with open_store(settings.db, settings) as store:
        every = read_alerts(store)
    shown = AlertFilter(pattern, status, assignee, severity, min_age, max_age).apply(every, settings.today_date())
    if as_json:
        click.echo(json.dumps({"alerts": [_brief(a) for a in shown], "counts": counts_by_pattern(every)}, indent=2))
        return
    for a in shown:
        click.echo(f"{a.night}  {a.severity:<6}  {a.state:<30}  {a.assignee or '-':<12}  {a.key}")
    click.echo(f"{len(shown)} of {len(every)} alerts")
    for slug, c in counts_by_pattern(every).items():
        click.echo(f"  {slug}: {c['total']} ({c['open']} open, {c['in_progress']} in progress, "
                   f"{c['confirmed']} confirmed, {c['dismissed']} dismissed; {c['no_longer_matching']} no longer matching)")


@alerts.command("show")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the evidence rows and decisions).")
@click.option("--by", "user", default=None, help="Who is looking (for the audit; default MASHGRAPH_USER or the login).")
@click.pass_obj
def show_command(settings: Settings, key: str, as_json: bool, user: str | None) -> None:
    """Show one alert: why it fired (its rows), its history and decisions."""
    with open_store(settings.db, settings) as store:
        alert = require_alert(store, key)
        history, decisions = read_history(store, key), read_decisions(store, key)
    _audit(settings, _user(settings, user), "view_alert", f"alert {key}", alert.people)
    if as_json:
        click.echo(json.dumps({**_brief(alert), "evidence": alert.evidence,
                               "history": [h.__dict__ for h in history],
                               "decisions": [{**d.__dict__, "snapshot": None} for d in decisions]}, indent=2))
        return
    click.secho(f"{alert.title}", bold=True)
    click.echo(f"{alert.key}: {alert.severity}, {alert.state}, assigned to {alert.assignee or 'nobody'}, "
               f"opened {alert.night}; people: {', '.join(alert.people) or '-'}")
    evidence = alert.evidence or {"columns": [], "rows": []}
    for row in evidence["rows"]:
        click.echo("  " + "; ".join(f"{c}={v}" for c, v in zip(evidence["columns"], row)))
    for h in history:
        click.echo(f"  {h.at} {h.user}: {h.action} {h.detail}")
    for d in decisions:
        click.echo(f"  decision {d.key} {d.at} {d.user}: {d.status}, RAG {d.rag}, {d.outcome_label}; {d.reason}")


@alerts.command("assign")
@click.argument("key")
@click.argument("assignee")
@click.option("--by", "user", default=None, help="Who assigns (default MASHGRAPH_USER or the login name).")
@click.pass_obj
def assign_command(settings: Settings, key: str, assignee: str, user: str | None) -> None:
    """Assign alert KEY to ASSIGNEE ('-' to unassign)."""
    by = _user(settings, user)
    with open_store(settings.db, settings) as store:
        alert = assign(store, key, "" if assignee == "-" else assignee, by)
    _audit(settings, by, "alert_assign", f"alert {key} to {assignee}", alert.people)
    click.echo(f"{key}: assigned to {alert.assignee or 'nobody'}")


@alerts.command("comment")
@click.argument("key")
@click.argument("text")
@click.option("--by", "user", default=None, help="Who comments (default MASHGRAPH_USER or the login name).")
@click.pass_obj
def comment_command(settings: Settings, key: str, text: str, user: str | None) -> None:
    """Add a comment to alert KEY's history."""
    by = _user(settings, user)
    with open_store(settings.db, settings) as store:
        comment(store, key, text, by)
        people = require_alert(store, key).people
    _audit(settings, by, "alert_comment", f"alert {key}", people)
    click.echo(f"{key}: comment added")


@alerts.command("status")
@click.argument("key")
@click.argument("status", type=click.Choice([s for s in STATUSES if s in ("open", "in_progress")]))
@click.option("--by", "user", default=None, help="Who changes it (default MASHGRAPH_USER or the login name).")
@click.pass_obj
def status_command(settings: Settings, key: str, status: str, user: str | None) -> None:
    """Move alert KEY to open or in_progress (closing: `mashgraph alerts close`)."""
    by = _user(settings, user)
    with open_store(settings.db, settings) as store:
        alert = set_status(store, key, status, by)
    _audit(settings, by, "alert_status", f"alert {key} {status}", alert.people)
    click.echo(f"{key}: {alert.state}")


@alerts.command("close")
@click.argument("key")
@click.option("--as", "status", required=True, type=click.Choice(["confirmed", "dismissed"]),
              help="Close as confirmed (a real concern) or dismissed.")
@click.option("--rag", required=True, type=click.Choice(RAGS, case_sensitive=False), help="RAG rating.")
@click.option("--outcome", required=True, type=click.Choice(list(OUTCOMES)), help="What is done.")
@click.option("--agency", default="", help="With --outcome share_with_agency: the agency.")
@click.option("--reason", required=True, help="Why (kept with the decision).")
@click.option("--by", "user", default=None, help="Who decides (default MASHGRAPH_USER or the login name).")
@click.pass_obj
def close_command(settings: Settings, key: str, status: str, rag: str, outcome: str, agency: str, reason: str,
                  user: str | None) -> None:
    """Close alert KEY with a decision record and a frozen snapshot of what it shows now."""
    by = _user(settings, user)
    with open_store(settings.db, settings) as store:
        decision = decide(store, key, status=status, rag=rag, outcome=outcome, reason=reason, by=by, agency=agency)
        people = require_alert(store, key).people
    _audit(settings, by, "alert_decision", f"alert {key} {status} ({decision.key})", people)
    click.echo(f"{key}: {status} (decision {decision.key}: RAG {decision.rag}, {decision.outcome_label})")


def _brief(a: Alert) -> dict[str, Any]:
    return {"key": a.key, "pattern": a.pattern, "title": a.title, "severity": a.severity, "status": a.status,
            "matching": a.matching, "assignee": a.assignee, "night": a.night, "opened": a.opened,
            "match": a.match, "people": a.people, "households": a.households, "rows": a.rows}


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} {text!r} is not a date", hint="give a date as YYYY-MM-DD") from None
