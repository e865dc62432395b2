"""``mashgraph demo``: every stage on synthetic data, then the explorer.

Generates a synthetic world, ingests it into an embedded graph in DIR, resolves
identities, refreshes the facts (ingestion and resolution do it), runs the alert queries, creates the user
``demo`` with a new random password, prints the login and serves the explorer. A step
that fails is reported and the rest still runs, so the page shows what there is.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import click

from .errors import ConfigError, MashgraphError
from .ingest.synth.config import SynthConfig
from .settings import Settings

__all__ = ["demo", "DEMO_USER"]

DEMO_USER = "demo"
SYNTH_LAST_DAY = SynthConfig().window_end


@dataclass
class _Demo:
    """The demo's folders and what went wrong so far."""

    root: Path
    people: int
    seed: int
    problems: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def graph_dir(self) -> Path:
        return self.root / "graph"

    @property
    def users_db(self) -> Path:
        return self.root / "mashgraph.sqlite"

    @property
    def job_file(self) -> Path:
        return self.data_dir / "job.yml"

    def step(self, what: str, run: Callable[[], Any]) -> None:
        """Run one step and print its report's ``lines()``; a failure is noted and printed, not raised."""
        started = time.monotonic()
        try:
            report = run()
        except Exception as err:  # noqa: BLE001 - a failed step is reported, the demo still serves
            self.problems.append(f"{what} failed: {_why(err)}")
            click.secho(f"failed: {_why(err)}", fg="red")
            return
        click.echo(f"{what} done in {time.monotonic() - started:.1f}s")
        for line in report.lines():
            click.echo(f"  {line}")


def _why(err: Exception) -> str:
    """One line for a failed demo step (``--debug`` shows no more: the step's own command does)."""
    if isinstance(err, MashgraphError):
        return err.one_line()
    return f"{type(err).__name__}: {err} (a bug: please report it with the output of the step's own command)"


def _heading(title: str) -> None:
    click.secho(f"\n== {title}", bold=True)


def _generate(d: _Demo) -> None:
    from .ingest.synth import generate

    marker = d.data_dir / ".demo-params.json"
    wanted = {"people": d.people, "seed": d.seed}
    if marker.exists() and d.job_file.exists() and json.loads(marker.read_text()) == wanted:
        click.echo(f"reusing the data already generated in {d.data_dir} (same people and seed)")
        return

    def run() -> Any:
        summary = generate(d.data_dir, d.people, d.seed)
        marker.write_text(json.dumps(wanted))
        return summary

    d.step("generation", run)


def _ingest(d: _Demo, store: Any) -> None:
    from .ingest.jobs import run_job

    store.ensure_schema()
    click.echo(f"schema applied to the embedded graph in {d.graph_dir}")
    if not d.job_file.exists():
        click.secho(f"skipped: no job file {d.job_file} (no synthetic data was generated)", fg="yellow")
        return
    d.step("ingestion", lambda: run_job(store, d.job_file))


def _resolve(d: _Demo, store: Any) -> None:
    from .graph.explore import graph_counts
    from .ingest.resolve import resolve_records

    from .graph.alerts import run_alerts

    d.step("resolution", lambda: resolve_records(store))
    d.step("alerts", lambda: run_alerts(store))  # the inbox, as the nightly cycle fills it
    counts = graph_counts(store)
    click.echo(f"\nthe graph holds {counts['records']} agency records and {counts['persons']} resolved persons")
    if counts["records"] == 0:
        d.problems.append("the graph is empty, so search will find nobody")


def _demo_login(d: _Demo) -> str:
    """A new random password for the admin user ``demo`` (created, enabled and made admin as needed)."""
    from .web.accounts import Accounts, random_password

    password = random_password()
    accounts = Accounts(d.users_db)
    try:
        if accounts.get_user(DEMO_USER) is None:
            accounts.add_user(DEMO_USER, password, "admin")
        else:
            accounts.set_password(DEMO_USER, password)
            accounts.set_disabled(DEMO_USER, False)
            accounts.set_role(DEMO_USER, "admin")
    finally:
        accounts.close()
    click.echo(f"user {DEMO_USER!r} (role admin, so the audit log is visible) has a new random password")
    return password


@click.command()
@click.option("--dir", "demo_dir", default="demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo's synthetic data, graph and users database.")
@click.option("--people", default=2000, show_default=True, type=click.IntRange(10, 200_000),
              help="How many synthetic people to generate.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the synthetic data.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True,
              help="Prepare everything, print the login, and exit (non-zero when a step failed).")
@click.pass_obj
def demo(settings: Settings, demo_dir: str, people: int, seed: int, host: str, port: int, no_serve: bool) -> None:
    """Build a synthetic demo and serve the explorer.

    Generates synthetic data, ingests it into an embedded graph in DIR,
    resolves identities, creates the user 'demo' with a new random password,
    prints the login and serves the explorer.
    """
    from .graph import open_store

    d = _Demo(Path(demo_dir).resolve(), people, seed)
    # The synthetic world ends on its window's last day: pages count "the last 12 months" back from it.
    settings = settings.with_overrides(db=str(d.graph_dir), users_db=str(d.users_db),
                                       today=settings.today or SYNTH_LAST_DAY.isoformat())
    try:
        d.root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot create the demo folder {d.root}: {err.strerror or err}",
                          hint="choose a writable folder with --dir") from None
    click.echo(f"mashgraph demo in {d.root}: synthetic data only, {people} people, seed {seed}")
    _heading("1. synthetic data")
    _generate(d)
    with open_store(settings.db, settings) as store:
        _heading("2. schema and ingestion")
        _ingest(d, store)
        _heading("3. identity resolution")
        _resolve(d, store)
        _heading("4. demo login")
        password = _demo_login(d)
        if d.problems:
            click.secho("\nthe demo is incomplete: " + "; ".join(d.problems), fg="red")
        click.secho(f"\nOpen http://{host}:{port}/\n  user:     {DEMO_USER}\n  password: {password}\n"
                    "(the password is new on every run and stored only as a hash)", fg="green")
        if no_serve:
            if d.problems:
                sys.exit(1)
            return
        _serve(store, settings, host, port)


def _serve(store: Any, settings: Settings, host: str, port: int) -> None:
    from .web.app import create_app
    from .web.cli import run_server

    app = create_app({"STORE": store, "MASHGRAPH_DB": settings.db, "MASHGRAPH_USERS_DB": settings.users_db,
                      "MASHGRAPH_TODAY": settings.today})
    click.echo("Ctrl+C stops the server")
    run_server(app, host, port)
