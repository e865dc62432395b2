"""``mashgraph cypher``, ``schema``, ``store``, ``facts`` and ``analytics``."""

from __future__ import annotations

import json

import click

from ..errors import ConfigError
from ..settings import Settings
from .format import FORMATS, format_result
from .backends import open_store, store_class_for

__all__ = ["cypher", "schema", "store", "facts", "analytics", "param_pairs", "parse_cli_params"]


def param_pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    """The ``--param NAME=VALUE`` options of a command as ``{NAME: VALUE}`` text (the one parser
    of them; a saved query types the values from its header, ``cypher`` reads them as JSON)."""
    raw: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {pair!r} is not NAME=VALUE", hint="write e.g. --param since=2024-01-01")
        raw[name.strip()] = value
    return raw


def parse_cli_params(pairs: tuple[str, ...]) -> dict[str, object]:
    """``k=v`` pairs as a dict; ``v`` is read as JSON when it parses (numbers, lists), else as text."""
    params: dict[str, object] = {}
    for name, raw in param_pairs(pairs).items():
        try:
            params[name] = json.loads(raw)
        except json.JSONDecodeError:
            params[name] = raw
    return params


@click.command()
@click.argument("statement")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A query parameter; VALUE is JSON if it parses, else text. Repeatable.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, help="Seconds before the engine stops the query.")
@click.pass_obj
def cypher(settings: Settings, statement: str, params: tuple[str, ...], fmt: str,
           timeout: float | None) -> None:
    """Run one read-only Cypher statement, like cypher-shell."""
    with open_store(settings.db, settings) as store:
        result = store.read(statement, parse_cli_params(params), timeout=timeout)
    cap = settings.row_cap
    truncated = len(result.rows) > cap
    if truncated:
        result.rows = result.rows[:cap]
    click.echo(format_result(result, fmt, truncated_at=cap if truncated else None))


@click.group()
def schema() -> None:
    """Apply or show constraints, indexes and reference Concern nodes."""


@schema.command("apply")
@click.pass_obj
def schema_apply(settings: Settings) -> None:
    """Create unique keys, indexes, the name full-text index and Concern nodes (idempotent)."""
    with open_store(settings.db, settings) as store:
        statements = store.ensure_schema()
    click.echo(f"schema applied to {settings.db}: {len(statements)} statements, concerns seeded")


@schema.command("show")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_obj
def schema_show(settings: Settings, fmt: str) -> None:
    """List the indexes and constraints the store reports."""
    with open_store(settings.db, settings) as store:
        click.echo(format_result(store.schema(), fmt))


@click.group()
def store() -> None:
    """Keep the embedded store's server running between commands (a large graph loads once)."""


@store.command("start")
@click.pass_obj
def store_start(settings: Settings) -> None:
    """Start the embedded store's server (or attach to it) and leave it running: every later
    command, `mashgraph serve` included, attaches to it instead of loading the graph again."""
    click.echo(store_class_for(settings.db).keep_running(settings.db, settings, keep=True))


@store.command("stop")
@click.pass_obj
def store_stop(settings: Settings) -> None:
    """Stop keeping the server running, and stop it unless another process is using it."""
    click.echo(store_class_for(settings.db).keep_running(settings.db, settings, keep=False))


@store.command("status")
@click.pass_obj
def store_status(settings: Settings) -> None:
    """Whether the store's server is running (never starts it), its pid and memory."""
    click.echo(store_class_for(settings.db).server_status(settings.db))


@click.group()
def facts() -> None:
    """The derived who-knows-what facts the fragmentation rankings read (docs/analytics.md)."""


@facts.command("refresh")
@click.pass_obj
def facts_refresh(settings: Settings) -> None:
    """Recompute the facts of every event, person and household (ingestion and resolution do it themselves)."""
    from .analytics import refresh_facts

    with open_store(settings.db, settings) as store:
        report = refresh_facts(store)
    click.echo(f"facts refreshed: {report.events:,} events, {report.persons:,} persons, "
               f"{report.households:,} households "
               f"in {report.elapsed:.1f} s")


@click.group()
def analytics() -> None:
    """Linked risk, communities and brokers, stored on every person (docs/analytics.md)."""


@analytics.command("run")
@click.option("--weights", "weights_file", type=click.Path(dir_okay=False),
              help="YAML file of weights (default: the setting risk_weights, else the documented defaults).")
@click.pass_obj
def analytics_run(settings: Settings, weights_file: str | None) -> None:
    """Score every person, find communities and brokers, and store them (ingestion and resolution
    do it themselves unless linked_risk_refresh is off)."""
    from .linked_risk import load_weights
    from .risk_facts import run_analytics

    weights = load_weights(weights_file or settings.risk_weights)
    with open_store(settings.db, settings) as store:
        report = run_analytics(store, weights)
    click.echo(report.summary())
