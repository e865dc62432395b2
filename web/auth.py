"""Sign in, sign out, and the reason for access recorded with every audit row."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from .accounts import LOCK_MINUTES
from .services import get_accounts, get_settings
from .security import audit, csrf_token

bp = Blueprint("auth", __name__)

MAX_REASON = 200


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a user to another host after login."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("search.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = ""
    if request.method == "POST":
        error = _sign_in(request.form.get("username", "").strip(), request.form.get("password", ""))
        if not error:
            return redirect(_safe_next(request.form.get("next")))
    return render_template("login.html", error=error, next=request.values.get("next", "")), (401 if error else 200)


def _sign_in(name: str, password: str) -> str:
    """Start a session for ``name`` (and audit it); the error to show, or '' on success."""
    accounts, addr = get_accounts(), request.remote_addr or ""
    if accounts.address_blocked(addr):
        accounts.audit(name or "(blank)", "login_throttled", "login", (), "", addr)
        return (f"Too many failed sign-ins from this address. Try again in {LOCK_MINUTES} minutes, "
                "or ask an administrator.")
    user = accounts.authenticate(name, password, addr)
    if user is None:
        accounts.audit(name or "(blank)", "login_failed", "login", (), "", addr)
        return "Wrong user name or password, or the account is disabled or locked."
    session.clear()
    session.permanent = True
    settings = get_settings()
    session["sid"] = accounts.start_session(user, settings.session_idle_minutes, settings.session_minutes)
    csrf_token()
    g.user = user
    audit("login", "login")
    return ""


@bp.route("/logout", methods=["POST"])
def logout():
    audit("logout", "logout")
    get_accounts().end_session(str(session.get("sid", "")))
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


@bp.route("/reason", methods=["GET", "POST"])
def reason():
    """State (or clear) why you are looking: a case reference, strategy discussion, etc."""
    if request.method == "POST":
        text = " ".join(request.form.get("reason", "").split())[:MAX_REASON]
        session["reason"] = text
        if text:
            audit("set_reason", text)
        return redirect(_safe_next(request.form.get("next")))
    return render_template("reason.html", next=request.args.get("next", ""))
