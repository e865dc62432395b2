"""The Flask app factory: settings, the store (opened once per process), blueprints, errors."""

from __future__ import annotations

import atexit
import datetime as dt
import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import MashgraphError
from ..graph.store import GraphStore, backend_for_url, open_store
from ..settings import PREFIX, Settings, load_settings
from .accounts import Accounts

__all__ = ["create_app", "get_store", "get_accounts", "get_settings", "users_db_path"]


def users_db_path(settings: Settings) -> Path:
    """Where the users and audit database lives (``users_db``, or beside the graph data)."""
    if settings.users_db:
        return Path(settings.users_db).expanduser()
    if backend_for_url(settings.db) == "embedded":
        return Path(settings.db.removeprefix("file://")).expanduser().resolve().parent / "mashgraph.sqlite"
    return Path("./data/mashgraph.sqlite")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the explorer.

    Settings come from the defaults, then ``MASHGRAPH_*`` environment variables,
    then ``test_config``: keys named like the environment (``MASHGRAPH_DB``)
    override settings, ``STORE`` injects an open ``GraphStore`` (the app will not
    close it), and any other key goes into ``app.config`` (e.g. ``TESTING``).
    """
    test_config = dict(test_config or {})
    overrides = {k.removeprefix(PREFIX).lower(): test_config.pop(k)
                 for k in list(test_config) if k.startswith(PREFIX)}
    settings = load_settings().with_overrides(**overrides)
    injected_store = test_config.pop("STORE", None)

    app = Flask(__name__)
    accounts = Accounts(users_db_path(settings))
    app.config.update(
        SECRET_KEY=settings.secret_key or accounts.secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_NAME="mashgraph_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=settings.session_minutes),
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.config.update(test_config)
    app.extensions["mashgraph"] = _Services(settings, accounts, injected_store)

    from . import admin, auth, filters, network, people, queries, search, security

    security.init_app(app)
    filters.init_app(app)
    for module in (auth, search, people, network, queries, admin):
        app.register_blueprint(module.bp)

    @app.errorhandler(MashgraphError)
    def mashgraph_error(err: MashgraphError):  # one handler maps the error tree to HTTP statuses
        status = err.http_status
        if status >= 500:
            current_app.logger.error("%s: %s", type(err).__name__, err.one_line())
        if request.accept_mimetypes.best == "application/json" or request.path.endswith(".json"):
            return {"error": err.message, "hint": err.hint}, status
        return render_template("error.html", status=status, message=err.message, hint=err.hint), status

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        status = err.code or 500
        message = "There is no such page." if status == 404 else (err.description or err.name)
        if request.path.endswith(".json"):
            return {"error": message}, status
        return render_template("error.html", status=status, message=message, hint=""), status

    return app


class _Services:
    """Settings, accounts and the store of one app; the store is opened on first use, once."""

    def __init__(self, settings: Settings, accounts: Accounts, store: GraphStore | None) -> None:
        self.settings = settings
        self.accounts = accounts
        self._store = store
        self._owns_store = store is None
        self._lock = threading.Lock()

    def store(self) -> GraphStore:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = open_store(self.settings.db, self.settings)
                    atexit.register(self.close)
        return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None and self._owns_store:
                self._store.close()
                self._store = None


def _services() -> _Services:
    return current_app.extensions["mashgraph"]


def get_store() -> GraphStore:
    """The app's graph store (opened on first use, kept for the process)."""
    return _services().store()


def get_accounts() -> Accounts:
    return _services().accounts


def get_settings() -> Settings:
    return _services().settings
