"""``mashgraph serve``, ``mashgraph users`` and ``mashgraph demo``."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import click

from ..errors import ConfigError, MashgraphError
from ..settings import Settings
from .accounts import ROLES, Accounts, random_password

__all__ = ["serve", "users", "demo"]

DEMO_USER = "demo"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _run_server(app: Any, host: str, port: int) -> None:
    if not _is_loopback(host):
        click.secho(f"warning: listening on {host}, reachable from other machines; the built-in server "
                    "has no TLS: use gunicorn behind a TLS proxy in production (docs/web.md)", fg="yellow", err=True)
    # Stop cleanly on SIGTERM too (not only Ctrl+C), so an embedded graph server is shut down.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False, debug=False)
    except OSError as err:
        raise ConfigError(f"cannot listen on {host}:{port}: {err.strerror or err}",
                          hint="choose another --port or stop what uses it") from err


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int) -> None:
    """Serve the web explorer.

    Flask's own server, fine on 127.0.0.1; in production run
    gunicorn 'mashgraph.web:create_app()' behind a TLS proxy (docs/web.md).
    """
    from .app import users_db_path
    from . import create_app

    app = create_app({"MASHGRAPH_DB": settings.db})
    accounts = app.extensions["mashgraph"].accounts
    if not accounts.list_users():
        click.secho(f"note: no users yet in {users_db_path(settings)}: create one with "
                    "`mashgraph users add NAME --role admin`", fg="yellow", err=True)
    click.echo(f"mashgraph explorer on http://{host}:{port}/ (graph: {settings.db}); Ctrl+C stops it")
    _run_server(app, host, port)


# -- users ---------------------------------------------------------------------------


def _accounts(settings: Settings) -> Accounts:
    from .app import users_db_path

    return Accounts(users_db_path(settings))


def _read_password(from_stdin: bool, prompt: str) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """Manage web users and their roles.

    Users live in the users database (MASHGRAPH_USERS_DB, by default
    mashgraph.sqlite beside the graph directory).
    """


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="analyst", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--generate", is_flag=True, help="Make a random password and print it once.")
@click.pass_obj
def users_add(settings: Settings, name: str, role: str, password_stdin: bool, generate: bool) -> None:
    """Add a user; the password is asked twice (at least 10 characters)."""
    password = random_password() if generate else _read_password(password_stdin, f"Password for {name}")
    accounts = _accounts(settings)
    try:
        accounts.add_user(name, password, role)
    finally:
        accounts.close()
    click.echo(f"added {role} {name} to {accounts.path}")
    if generate:
        click.echo(f"password: {password}")


@users.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def users_list(settings: Settings, fmt: str) -> None:
    """List users, their roles and whether they are disabled."""
    accounts = _accounts(settings)
    try:
        rows = accounts.list_users()
    finally:
        accounts.close()
    if fmt == "json":
        click.echo(json.dumps([{"name": u.name, "role": u.role, "disabled": u.disabled, "created": u.created,
                                "password_changed": u.password_changed} for u in rows], indent=2))
        return
    if not rows:
        click.echo(f"no users in {accounts.path}; add one with `mashgraph users add NAME --role admin`")
        return
    width = max(len(u.name) for u in rows)
    for u in rows:
        click.echo(f"{u.name.ljust(width)}  {u.role:<8} {'disabled' if u.disabled else 'active':<8} "
                   f"created {u.created}")


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--generate", is_flag=True, help="Make a random password and print it once.")
@click.pass_obj
def users_passwd(settings: Settings, name: str, password_stdin: bool, generate: bool) -> None:
    """Set a user's password (signs out their open sessions and clears a lock-out)."""
    accounts = _accounts(settings)
    try:
        if accounts.get_user(name) is None:
            raise ConfigError(f"no user named {name!r}", hint="see `mashgraph users list`")
        password = random_password() if generate else _read_password(password_stdin, f"New password for {name}")
        accounts.set_password(name, password)
    finally:
        accounts.close()
    click.echo(f"password of {name} changed")
    if generate:
        click.echo(f"password: {password}")


@users.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@click.pass_obj
def users_disable(settings: Settings, name: str, enable: bool) -> None:
    """Disable a user (their open sessions end at their next click); --enable undoes it."""
    accounts = _accounts(settings)
    try:
        accounts.set_disabled(name, not enable)
    finally:
        accounts.close()
    click.echo(f"{name} {'enabled' if enable else 'disabled'}")


# -- demo ------------------------------------------------------------------------------


def _report_lines(report: Any) -> list[str]:
    """A step's report in a few lines: its own ``lines()``, else one line per source, else its counters."""
    if hasattr(report, "lines") and callable(report.lines):
        return [str(line) for line in report.lines()]
    if isinstance(getattr(report, "sources", None), list):
        out = []
        for src in report.sources:
            name = getattr(src, "name", "source")
            counts = ", ".join(f"{k} {getattr(src, k)}" for k in ("read", "loaded", "quarantined", "warnings")
                               if isinstance(getattr(src, k, None), int))
            failed = f" FAILED: {getattr(src, 'error', '')}" if getattr(src, "failed", False) else ""
            out.append(f"{name}: {counts}{failed}")
        return out
    if dataclasses.is_dataclass(report):
        scalars = [f"{f.name} {getattr(report, f.name)}" for f in dataclasses.fields(report)
                   if isinstance(getattr(report, f.name), (int, str)) and f.name not in ("out_dir", "elapsed")]
        return [", ".join(scalars)]
    return [str(report)]


def _why(err: Exception) -> str:
    """One line for a failed demo step (``--debug`` shows no more: the step's own command does)."""
    if isinstance(err, MashgraphError):
        return err.one_line()
    return f"{type(err).__name__}: {err} (a bug: please report it with the output of the step's own command)"


def _step(title: str) -> None:
    click.secho(f"\n== {title}", bold=True)


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
    from ..graph.explore import graph_counts
    from ..graph.store import open_store
    from ..ingest.jobs import run_job
    from ..ingest.resolve import resolve_records
    from ..ingest.synth import generate
    from . import create_app

    root = Path(demo_dir).resolve()
    data_dir, graph_dir, users_db = root / "data", root / "graph", root / "mashgraph.sqlite"
    settings = settings.with_overrides(db=str(graph_dir), users_db=str(users_db))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot create the demo folder {root}: {err.strerror or err}",
                          hint="choose a writable folder with --dir") from None
    problems: list[str] = []
    click.echo(f"mashgraph demo in {root}: synthetic data only, {people} people, seed {seed}")

    _step("1. synthetic data")
    job_file = data_dir / "job.yml"
    marker = data_dir / ".demo-params.json"
    wanted = {"people": people, "seed": seed}
    if marker.exists() and job_file.exists() and json.loads(marker.read_text()) == wanted:
        click.echo(f"reusing the data already generated in {data_dir} (same people and seed)")
    else:
        started = time.monotonic()
        try:
            summary = generate(data_dir, people, seed)
        except Exception as err:  # noqa: BLE001 - a failed step is reported, the demo still serves
            problems.append(f"generation failed: {_why(err)}")
            click.secho(f"failed: {_why(err)}", fg="red")
        else:
            marker.write_text(json.dumps(wanted))
            click.echo(f"generated in {time.monotonic() - started:.1f}s into {data_dir}")
            for line in _report_lines(summary):
                click.echo(f"  {line}")

    with open_store(settings.db, settings) as store:
        _step("2. schema and ingestion")
        store.ensure_schema()
        click.echo(f"schema applied to the embedded graph in {graph_dir}")
        if not job_file.exists():
            click.secho(f"skipped: no job file {job_file} (no synthetic data was generated)", fg="yellow")
        else:
            started = time.monotonic()
            try:
                report = run_job(store, job_file)
            except Exception as err:  # noqa: BLE001 - a failed step is reported, the demo still serves
                problems.append(f"ingestion failed: {_why(err)}")
                click.secho(f"failed: {_why(err)}", fg="red")
            else:
                click.echo(f"ingested in {time.monotonic() - started:.1f}s")
                for line in _report_lines(report):
                    click.echo(f"  {line}")

        _step("3. identity resolution")
        try:
            report = resolve_records(store)
        except Exception as err:  # noqa: BLE001 - a failed step is reported, the demo still serves
            problems.append(f"resolution failed: {_why(err)}")
            click.secho(f"failed: {_why(err)}", fg="red")
        else:
            for line in _report_lines(report):
                click.echo(f"  {line}")

        counts = graph_counts(store)
        click.echo(f"\nthe graph holds {counts['records']} agency records and {counts['persons']} resolved persons")
        if counts["records"] == 0:
            problems.append("the graph is empty, so search will find nobody")

        _step("4. demo login")
        password = random_password()
        accounts = Accounts(users_db)
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

        if problems:
            click.secho("\nthe demo is incomplete: " + "; ".join(problems), fg="red")
        url = f"http://{host}:{port}/"
        click.secho(f"\nOpen {url}\n  user:     {DEMO_USER}\n  password: {password}\n"
                    "(the password is new on every run and stored only as a hash)", fg="green")
        if no_serve:
            if problems:
                sys.exit(1)
            return
        app = create_app({"STORE": store, "MASHGRAPH_DB": settings.db, "MASHGRAPH_USERS_DB": str(users_db)})
        click.echo("Ctrl+C stops the server")
        _run_server(app, host, port)
