"""``mashgraph nightly run|replay``: the nightly cycle from the command line (docs/ingestion.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from ..graph import open_store
from ..settings import Settings
from .nightly import NightReport, replay, run_night

__all__ = ["nightly"]


@click.group()
def nightly() -> None:
    """The nightly cycle: a day's delta ingest, incremental resolution, facts of the touched people."""


def _echo(report: NightReport, as_json: bool) -> None:
    click.echo(json.dumps(report.to_dict(), default=str) if as_json else report.line())


@nightly.command("run")
@click.argument("job_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--linked-risk", is_flag=True, help="Also run the whole-graph linked-risk analysis tonight.")
@click.option("--night", default=None, metavar="YYYY-MM-DD",
              help="The date the alert run stands for (default: MASHGRAPH_TODAY, else the real date).")
@click.option("--no-alerts", is_flag=True, help="Do not run the alert queries at the end.")
@click.option("--json", "as_json", is_flag=True, help="Print the night's report as one JSON line.")
@click.pass_obj
def nightly_run(settings: Settings, job_file: Path, linked_risk: bool, night: str | None, no_alerts: bool,
                as_json: bool) -> None:
    """Run one night: load JOB_FILE (a day's deltas), resolve incrementally, refresh the touched facts,
    run the alerts."""
    if night is not None:
        try:
            dt.date.fromisoformat(night)
        except ValueError:
            raise click.BadParameter(f"{night!r} is not a date YYYY-MM-DD", param_hint="--night") from None
    with open_store(settings.db, settings) as store:
        report = run_night(store, job_file, linked_risk=linked_risk, as_of=night, alerts=not no_alerts)
    _echo(report, as_json)
    if report.ingest.exit_code():
        raise SystemExit(report.ingest.exit_code())


@nightly.command("replay")
@click.option("--dir", "folder", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True,
              help="A folder written by `mashgraph synth --days N`.")
@click.option("--days", "days", default="1-30", show_default=True, metavar="RANGE",
              help="Nights to replay, in order: 1-30, 7 or 1-3,5.")
@click.option("--linked-risk-every", type=click.IntRange(min=0), default=7, show_default=True, metavar="K",
              help="Run the linked-risk analysis after every K-th night (0 = never).")
@click.option("--no-alerts", is_flag=True, help="Do not run the alert queries after each night.")
@click.option("--json", "as_json", is_flag=True, help="Print each night's report as one JSON line.")
@click.pass_obj
def nightly_replay(settings: Settings, folder: Path, days: str, linked_risk_every: int, no_alerts: bool,
                   as_json: bool) -> None:
    """Replay nights of a `synth --days` folder in order, each a full nightly cycle."""
    with open_store(settings.db, settings) as store:
        reports = replay(store, folder, days, linked_risk_every=linked_risk_every, alerts=not no_alerts,
                         on_night=lambda day, report: _echo(report, as_json))
    if not as_json:
        click.echo(f"{len(reports)} night(s) in {sum(r.elapsed for r in reports):.1f} s")
