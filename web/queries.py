"""Saved queries: list, run with typed parameters, result table, CSV and JSON downloads.

Queries come from the library that the CLI uses (``mashgraph.graph.saved_queries``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request

from ..errors import QueryError, SavedQueryError, StoreUnavailable
from ..graph.entities import EntityRef, candidate_keys, entity_refs, shown_person_keys
from ..graph.format import format_result
from ..graph.types import Result
from .services import get_settings, get_store
from .security import audit, needs_reason

bp = Blueprint("queries", __name__)


def _library() -> Any:
    try:
        from ..graph import saved_queries
    except ImportError as err:
        raise StoreUnavailable("the saved query library is not installed in this build",
                               hint=f"update mashgraph ({err})") from err
    return saved_queries


def _params_of(query: Any) -> list[Any]:
    params = query.params
    return list(params.values()) if isinstance(params, dict) else list(params or [])


def _load() -> dict[str, Any]:
    """The query library: ``app.config["QUERIES_FOLDER"]`` if set, else the library's default folder."""
    return _library().load_library(current_app.config.get("QUERIES_FOLDER"))


def _get(slug: str) -> Any:
    library = _load()
    if slug not in library:
        abort(404)
    return library[slug]


def result_refs(result: Result) -> dict[str, EntityRef]:
    """The keys in ``result`` that name a person, record, household or address (for links and the audit)."""
    return entity_refs(get_store(), candidate_keys(result))


def person_keys(result: Result, refs: dict[str, EntityRef] | None = None) -> list[str]:
    """Every person the result shows, whatever the column (graph/entities.py), for the audit."""
    return shown_person_keys(get_store(), result, refs)


def _raw_params(query: Any) -> dict[str, str]:
    names = {p.name for p in _params_of(query)}
    return {k: v for k, v in request.args.items() if k in names and v.strip() != ""}


def _run(query: Any) -> tuple[Result, bool, dict[str, Any]]:
    lib = _library()
    params = lib.coerce_params(query, _raw_params(query))
    result, truncated = lib.run_saved_query(get_store(), query, params, row_cap=get_settings().row_cap)
    return result, truncated, params


def _describe(query: Any, params: dict[str, Any]) -> str:
    return f"{query.slug} {json.dumps(params, default=str, sort_keys=True)}"


def queries_about_a_person() -> list[tuple[Any, str]]:
    """Saved queries that take one person's key (a parameter named ``person``), with that parameter's name."""
    try:
        library = _load()
    except StoreUnavailable:
        return []
    return sorted(((q, "person") for q in library.values() if "person" in {p.name for p in _params_of(q)}),
                  key=lambda item: item[0].title.lower())


@bp.route("/queries")
def index():
    library = _load()
    return render_template("queries.html", queries=sorted(library.values(), key=lambda q: q.title.lower()))


@bp.route("/queries/<slug>")
@needs_reason
def show(slug: str):
    query = _get(slug)
    values = {p.name: request.args.get(p.name, _default_text(p.default)) for p in _params_of(query)}
    if "run" not in request.args:
        return render_template("query.html", q=query, params=_params_of(query), values=values, result=None)
    try:
        result, truncated, params = _run(query)
    except (SavedQueryError, QueryError) as err:
        # Shown above the form, so the user can fix the parameter and run again.
        return render_template("query.html", q=query, params=_params_of(query), values=values, result=None,
                               error=err), err.http_status
    refs = result_refs(result)
    people = person_keys(result, refs)
    audit("run_query", _describe(query, params), people)
    return render_template("query.html", q=query, params=_params_of(query), values=values,
                           result=result, truncated=truncated, cap=get_settings().row_cap,
                           download_args={**_raw_params(query)}, refs=refs, has_people=bool(people))


@bp.route("/queries/<slug>.<fmt>")
@needs_reason
def download(slug: str, fmt: str):
    if fmt not in ("csv", "json"):
        abort(404)
    query = _get(slug)
    result, truncated, params = _run(query)
    audit("export", f"{_describe(query, params)} as {fmt.upper()}", person_keys(result))
    body = format_result(result, fmt, truncated_at=get_settings().row_cap if truncated else None)
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    return Response(body + ("\n" if fmt == "csv" else ""), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{slug}.{fmt}"'})


def _default_text(default: Any) -> str:
    if default is None:
        return ""
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, (list, tuple)):
        return ",".join(str(v) for v in default)
    return str(default)
