"""The partnership dashboard (``/partnership``): is the hub sharing more, and do agencies apply
the same thresholds? For analysts and administrators; every view and download is audited.

The figures are aggregates (no person is shown) from the ``partnership-*`` saved queries
(:mod:`mashgraph.graph.partnership`); the late cases are one click away in ``late-decisions``,
which asks for a reason and audits the people it lists like any saved query.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for

from ..errors import ValidationError
from ..graph.format import format_result
from ..graph.partnership import PANELS, Filters, Period, filter_choices
from ..graph.saved_queries import load_library
from .partnership_view import build_dashboard, cell_text
from .security import audit
from .services import get_store

__all__ = ["bp", "ROLES", "filters_from"]

bp = Blueprint("partnership", __name__)

ROLES = ("analyst", "admin")


def role_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None or g.user.role not in ROLES:
            abort(403, description="The partnership dashboard is for analysts and administrators.")
        return view(*args, **kwargs)
    return wrapper


def filters_from(args: Any) -> tuple[Filters, Period]:
    """The filters of a request's query string (``period``, ``la``, ``agency``, ``matrix_period``)."""
    period = Period.parse(args.get("period", "all"))
    matrix = Period.parse(args["matrix_period"]) if args.get("matrix_period") else period
    return Filters(period, args.get("la", "").strip(), args.get("agency", "").strip()), matrix


def _describe(filters: Filters, matrix: Period) -> str:
    return json.dumps({"period": filters.period.label, "la": filters.la, "agency": filters.agency,
                       "matrix_period": matrix.label}, sort_keys=True)


def _link(slug: str, params: dict[str, str]) -> str:
    return url_for("queries.show", slug=slug, run=1, **params)


@bp.route("/partnership")
@role_required
def page():
    try:
        filters, matrix = filters_from(request.args)
    except ValidationError as err:
        abort(400, description=f"{err.message}: {err.hint}")
    store = get_store()
    library = load_library(current_app.config.get("QUERIES_FOLDER"))
    dashboard = build_dashboard(store, library, filters, matrix, _link)
    audit("view_partnership", f"partnership dashboard {_describe(filters, matrix)}")
    return render_template("partnership.html", d=dashboard, choices=filter_choices(store), cell_text=cell_text,
                           args={"period": filters.period.label, "la": filters.la, "agency": filters.agency,
                                 "matrix_period": matrix.label})


@bp.route("/partnership/<name>.csv")
@role_required
def download(name: str):
    if name not in {p.name for p in PANELS}:
        abort(404)
    try:
        filters, matrix = filters_from(request.args)
    except ValidationError as err:
        abort(400, description=f"{err.message}: {err.hint}")
    library = load_library(current_app.config.get("QUERIES_FOLDER"))
    view = build_dashboard(get_store(), library, filters, matrix, None, only=name).panels[0]
    result = view.results[-1][1]
    audit("export", f"partnership panel {name} {_describe(filters, matrix)} as CSV")
    return Response(format_result(result, "csv") + "\n", mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="partnership-{name}-'
                                                    f'{filters.period.label}.csv"'})
