"""Login enforcement, roles, CSRF tokens, security headers and the audit helper.

Every request except the login page and static files needs a signed-in,
enabled user. Every POST must carry the session's CSRF token. Every response
carries a strict Content-Security-Policy: scripts, styles and connections from
this server only, no inline script, no framing.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from typing import Any, Callable, Iterable

from flask import Flask, abort, g, redirect, request, session, url_for

from .accounts import MAX_NAME_LENGTH, MAX_PASSWORD_LENGTH
from .services import get_accounts, get_settings

__all__ = ["CONTENT_SECURITY_POLICY", "init_app", "admin_required", "needs_reason", "audit",
           "csrf_token", "current_reason"]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

# Endpoints a visitor may reach without signing in.
PUBLIC_ENDPOINTS = {"auth.login", "static"}

# Every form field and query parameter is refused above its limit (before it can reach the audit log).
MAX_FIELD_LENGTH = 1000
FIELD_LIMITS = {"username": MAX_NAME_LENGTH, "password": MAX_PASSWORD_LENGTH, "reason": 200, "q": 200,
                "user": MAX_NAME_LENGTH, "next": 2000, "statement": 5000, "params": 2000}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def init_app(app: Flask) -> None:
    app.before_request(_check_lengths)
    app.before_request(_load_user)
    app.before_request(_check_csrf)
    app.after_request(_set_headers)
    app.context_processor(lambda: {"csrf_token": csrf_token, "current_user": g.get("user"),
                                   "current_reason": current_reason()})


def csrf_token() -> str:
    """This session's CSRF token (made on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def current_reason() -> str:
    """The reason for access the user gave for this session ('' if none)."""
    return str(session.get("reason") or "")


def _load_user() -> Any:
    g.user = None
    token = session.get("sid")
    if token:
        settings = get_settings()
        # Server-side sessions: sign-out, disabling, a new password or idling ends them for good.
        g.user = get_accounts().session_user(str(token), settings.session_idle_minutes,
                                             settings.session_minutes)
        if g.user is None:
            session.clear()
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.endpoint is None:
            return None  # unknown URL: let Flask answer 404 (the page itself shows nothing)
        if request.path.endswith(".json"):
            return {"error": "sign in first", "hint": "open the login page"}, 401
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    return None


def _check_lengths() -> Any:
    """Refuse any form field or query parameter longer than its limit before anything reads it."""
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            limit = FIELD_LIMITS.get(name, MAX_FIELD_LENGTH)
            if len(name) > MAX_FIELD_LENGTH or len(value) > limit:
                abort(400, description=f"The field {name[:40]!r} is longer than {limit} characters. "
                                       "Shorten it and try again.")
    return None


def _check_csrf() -> Any:
    if request.method not in UNSAFE_METHODS:
        return None
    sent = request.form.get("csrf_token", "") or request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf", "")
    if not expected or not sent or not hmac.compare_digest(str(sent), str(expected)):
        abort(400, description="The form had expired or did not come from this site. Reload the page and try again.")
    return None


def _set_headers(response: Any) -> Any:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        # Pages hold personal data: never keep them in a browser or proxy cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None or not g.user.is_admin:
            abort(403, description="This page is for administrators.")
        return view(*args, **kwargs)
    return wrapper


def needs_reason(view: Callable[..., Any]) -> Callable[..., Any]:
    """When ``require_reason`` is on, send the user to state a reason before this view."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if get_settings().require_reason and not current_reason():
            return redirect(url_for("auth.reason", next=request.full_path if request.query_string else request.path))
        return view(*args, **kwargs)
    return wrapper


def audit(action: str, what: str, person_keys: Iterable[str] = ()) -> None:
    """Record that the signed-in user did ``action`` on ``what`` touching ``person_keys``."""
    get_accounts().audit(g.user.name, action, what, person_keys, current_reason(),
                         request.remote_addr or "")
