"""The Flask app factory: settings, services (see ``services``), blueprints and the error handlers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from ..errors import MashgraphError
from ..settings import PREFIX, load_settings
from . import (admin, alerts, auth, console, filters, linked, network, partnership, people, queries, review, search,
               security, summary, timing)
from .accounts import Accounts
from .services import init_services, users_db_path

__all__ = ["create_app"]


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
    if settings.behind_proxy:  # the client's address (throttling, audit) from the proxy's X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    init_services(app, settings, accounts, injected_store)

    timing.init_app(app)  # first, so its time covers the other hooks
    security.init_app(app)
    filters.init_app(app)
    for module in (auth, search, people, summary, network, linked, queries, alerts, console, review, partnership, admin):
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
