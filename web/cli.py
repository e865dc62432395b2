"""``mashgraph serve`` and ``mashgraph users``."""

from __future__ import annotations

import ipaddress
import json
import signal
import sys
from typing import Any

import click

from ..errors import ConfigError
from ..settings import Settings
from .accounts import PERMISSIONS, ROLES, Accounts, random_password

__all__ = ["serve", "users", "run_server"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_server(app: Any, host: str, port: int) -> None:
    """Serve ``app`` with Flask's threaded server until Ctrl+C or SIGTERM."""
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
    from .app import create_app
    from .services import services_of, users_db_path

    app = create_app({"MASHGRAPH_DB": settings.db})
    accounts = services_of(app).accounts
    if not accounts.list_users():
        click.secho(f"note: no users yet in {users_db_path(settings)}: create one with "
                    "`mashgraph users add NAME --role admin`", fg="yellow", err=True)
    click.echo(f"mashgraph explorer on http://{host}:{port}/ (graph: {settings.db}); Ctrl+C stops it")
    run_server(app, host, port)


# -- users ---------------------------------------------------------------------------


def _accounts(settings: Settings) -> Accounts:
    from .services import users_db_path

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
                                "password_changed": u.password_changed, "permissions": list(u.permissions)}
                               for u in rows], indent=2))
        return
    if not rows:
        click.echo(f"no users in {accounts.path}; add one with `mashgraph users add NAME --role admin`")
        return
    width = max(len(u.name) for u in rows)
    for u in rows:
        granted = f"  may: {', '.join(u.permissions)}" if u.permissions else ""
        click.echo(f"{u.name.ljust(width)}  {u.role:<8} {'disabled' if u.disabled else 'active':<8} "
                   f"created {u.created}{granted}")


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


@users.command("grant")
@click.argument("name")
@click.argument("permission", type=click.Choice(sorted(PERMISSIONS)))
@click.pass_obj
def users_grant(settings: Settings, name: str, permission: str) -> None:
    """Give a user a permission on top of their role (console: the read-only Cypher console, /console)."""
    accounts = _accounts(settings)
    try:
        accounts.grant(name, permission)
    finally:
        accounts.close()
    click.echo(f"{name} may now use the {permission} ({PERMISSIONS[permission]})")


@users.command("revoke")
@click.argument("name")
@click.argument("permission", type=click.Choice(sorted(PERMISSIONS)))
@click.pass_obj
def users_revoke(settings: Settings, name: str, permission: str) -> None:
    """Take a permission away from a user (from their next click)."""
    accounts = _accounts(settings)
    try:
        accounts.revoke(name, permission)
    finally:
        accounts.close()
    click.echo(f"{name} may no longer use the {permission}")
