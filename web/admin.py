"""Administrators: the audit log (filter, page, CSV export) and the list of users."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from .services import get_accounts
from .security import admin_required, audit

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 100
FILTERS = ("user", "person_key", "action", "since", "until")


def _filters() -> dict[str, str]:
    return {k: request.args.get(k, "").strip() for k in FILTERS}


@bp.route("/audit")
@admin_required
def audit_log():
    filters = _filters()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    entries = get_accounts().audit_entries(**filters, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template("audit.html", entries=entries[:PAGE_SIZE], filters=filters, page=page,
                           has_next=len(entries) > PAGE_SIZE,
                           export_args={k: v for k, v in filters.items() if v})


@bp.route("/audit.csv")
@admin_required
def audit_export():
    filters = _filters()
    entries = get_accounts().audit_entries(**filters, limit=None)
    described = ", ".join(f"{k}={v}" for k, v in filters.items() if v) or "all rows"
    audit("export_audit", f"audit log ({described}), {len(entries)} rows",
          sorted({k for e in entries for k in e.person_keys}))
    return Response(get_accounts().audit_csv(entries), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="mashgraph-audit.csv"'})


@bp.route("/users")
@admin_required
def users():
    return render_template("users.html", users=get_accounts().list_users())
