"""The Cypher console (``/console``): analysts who write Cypher run their own read-only statements.

Who: users an administrator granted the ``console`` permission (``mashgraph users grant NAME
console``); everyone else gets 403 and sees no link. Read-only is the engine's doing, not ours:
every statement goes through ``GraphStore.read`` (FalkorDB ``GRAPH.RO_QUERY``; Neo4j a READ
transaction after an EXPLAIN whose query type must be read), so nothing here parses Cypher.
The engine stops a statement after ``query_timeout_ms``; the page shows at most
``console_row_cap`` rows. Results come back as a table and, where nodes, relationships or paths
come back, as a network (web/static/network.js). Parameters are ``NAME=VALUE`` lines, read like
``mashgraph cypher --param``. Each user's statements are kept in the users database (newest first,
their own only) and can be run again. "Save as saved query" downloads a draft ``.cypher`` file
for a developer to review (graph/query_draft.py); nothing is written into ``queries/``.

Every statement is audited (action ``console``): its text, its parameters and what came of it,
with the persons the shown rows name (graph/entities.py ``shown_person_keys``) and the reason.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable

from flask import Blueprint, Response, abort, g, render_template, request

from ..errors import ConfigError, MashgraphError, QueryError, ReadOnlyViolation, SavedQueryError
from ..graph.cli import parse_cli_params
from ..graph.entities import EntityRef, candidate_keys, entity_refs, shown_person_keys
from ..graph.query_draft import check_draft, draft_query, draft_slug
from ..graph.store import one_line
from ..graph.types import Node, Path, Rel, Result
from .security import audit, needs_reason
from .services import get_accounts, get_settings, get_store

bp = Blueprint("console", __name__)

PERMISSION = "console"
# LOAD CSV reads from a URL: the engine allows it in a read-only query, and the graph server then
# connects wherever the URL says, with values from the graph in it (measured on FalkorDB 4.22).
# The engine enforces read-only; this refuses the one read that can send data off the machine.
# Comments between the two words do not hide it.
LOAD_CSV = re.compile(r"\bLOAD(?:\s|/\*.*?\*/|//[^\n]*(?:\n|$))+CSV\b", re.IGNORECASE | re.DOTALL)
LOAD_CSV_REFUSED = "refused: LOAD CSV is not allowed in the console"
MAX_AUDIT_WHAT = 600
NETWORK_GROUPS = {"Person", "Record", "Agency", "Referral", "Incident", "Episode", "Concern", "Address",
                  "Household"}


def may_use_console(user: Any) -> bool:
    """True if an administrator granted ``user`` the console."""
    return user is not None and user.may(PERMISSION)


def console_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not may_use_console(g.get("user")):
            abort(403, description="The Cypher console is for users an administrator granted it "
                                   "(`mashgraph users grant NAME console`).")
        return view(*args, **kwargs)
    return wrapper


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"may_use_console": lambda: may_use_console(g.get("user"))}


@bp.route("/console")
@console_required
def page():
    statement, params = "", ""
    if request.args.get("history"):
        entry = _own_entry(request.args["history"])
        statement, params = entry.statement, entry.params
    return _render(statement, params)


@bp.route("/console", methods=["POST"])
@console_required
@needs_reason
def run():
    statement, params_text = _submitted()
    get_accounts().add_history(g.user, statement, params_text)
    try:
        params = _params(params_text)
        _refuse_load_csv(statement)
        result = get_store().read(statement, params)
    except (QueryError, ConfigError) as err:
        audit("console", _what(statement, params_text, f"failed: {err.message}"))
        return _render(statement, params_text, error=err), err.http_status
    cap = get_settings().console_row_cap
    truncated = len(result.rows) > cap
    shown = Result(result.columns, result.rows[:cap], result.stats)
    refs = entity_refs(get_store(), candidate_keys(shown))
    outcome = f"{len(shown.rows)} rows" + (f" (cut at {cap})" if truncated else "")
    audit("console", _what(statement, params_text, outcome), shown_person_keys(get_store(), shown, refs))
    return _render(statement, params_text, result=shown, truncated=truncated, refs=refs,
                   network=result_network(shown, refs, get_settings().network_limit))


@bp.route("/console/draft.cypher", methods=["POST"])
@console_required
def draft():
    """The statement as a draft saved query, downloaded; it runs nothing and writes nothing here."""
    statement, params_text = _submitted()
    title = request.form.get("title", "")
    try:
        text = draft_query(statement, _params(params_text), title=title,
                           description=request.form.get("description", ""),
                           returns=request.form.get("returns", "table"), author=g.user.name,
                           day=get_settings().today_date().isoformat())
        slug = draft_slug(title)
        check_draft(text, slug)
    except (SavedQueryError, QueryError) as err:
        return _render(statement, params_text, error=err), err.http_status
    return Response(text, mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="{slug}.cypher"'})


def _refuse_load_csv(statement: str) -> None:
    if LOAD_CSV.search(statement):
        raise ReadOnlyViolation(f"{LOAD_CSV_REFUSED}: it reads from a URL, which can send graph data to another machine",
                                hint="load extracts with mashgraph ingest instead")


def _submitted() -> tuple[str, str]:
    """The statement and parameter lines of the form, or of the user's own history entry to run again."""
    if request.form.get("history"):
        entry = _own_entry(request.form["history"])
        return entry.statement, entry.params
    statement = request.form.get("statement", "").strip()
    if not statement:
        abort(400, description="Write a Cypher statement first (e.g. MATCH (p:Person) RETURN p LIMIT 10).")
    return statement, request.form.get("params", "").strip()


def _own_entry(raw_id: str) -> Any:
    """One of the signed-in user's history entries; 404 for anyone else's (or none)."""
    entry = get_accounts().history_entry(g.user, int(raw_id)) if raw_id.isdigit() and len(raw_id) < 16 else None
    if entry is None:
        abort(404)
    return entry


def _params(text: str) -> dict[str, Any]:
    """``NAME=VALUE`` lines, read as ``mashgraph cypher --param`` reads them (VALUE is JSON if it parses)."""
    try:
        return parse_cli_params(tuple(line for line in text.splitlines() if line.strip()))
    except ConfigError as err:
        raise QueryError(f"parameters: {err.message.replace('--param ', 'the line ')}",
                         hint="write one NAME=VALUE a line, e.g. since=2024-01-01") from None


def _what(statement: str, params_text: str, outcome: str) -> str:
    params = json.dumps(params_text.splitlines()) if params_text else ""
    return one_line(f"{statement} {params} -> {outcome}", MAX_AUDIT_WHAT)


def _render(statement: str, params: str, **result: Any) -> str:
    return render_template("console.html", statement=statement, params=params,
                           history=get_accounts().history(g.user), cap=get_settings().console_row_cap,
                           timeout_s=get_settings().query_timeout_ms / 1000, **result)


# -- the network of a result -------------------------------------------------------------


def result_network(result: Result, refs: dict[str, EntityRef], limit: int) -> dict[str, Any] | None:
    """vis-network data for the nodes, relationships and paths of ``result`` (None when it has none)."""
    net = _Network(refs, limit)
    for row in result.rows:
        for value in row:
            net.add(value)
    net.link()
    if not net.nodes:
        return None
    return {"nodes": net.nodes, "edges": net.edges, "truncated": net.truncated}


class _Network:
    """Nodes as they come; relationships once every node is in (``link``), so a relationship's
    end is drawn as its node when the result has it, else as the key it names."""

    def __init__(self, refs: dict[str, EntityRef], limit: int) -> None:
        self.refs, self.limit = refs, limit
        self.nodes: list[dict[str, str]] = []
        self.edges: list[dict[str, str]] = []
        self.rels: list[Rel] = []
        self._ids: set[str] = set()
        self._edge_ids: set[tuple[str, str, str]] = set()
        self.truncated = False

    def add(self, value: Any) -> None:
        if isinstance(value, Node) and value.key is not None:
            self.node(str(value.key), _label(value, self.refs), _group(value.labels))
        elif isinstance(value, Rel) and value.start_key is not None and value.end_key is not None:
            self.rels.append(value)
        elif isinstance(value, Path):
            for item in (*value.nodes, *value.rels):
                self.add(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                self.add(item)

    def link(self) -> None:
        for rel in self.rels:
            ends = (str(rel.start_key), str(rel.end_key))
            for key in ends:
                ref = self.refs.get(key)
                self.node(key, ref.name if ref else key, ref.kind if ref else "other")
            if set(ends) <= self._ids and (*ends, rel.type) not in self._edge_ids:
                self._edge_ids.add((*ends, rel.type))
                self.edges.append({"from": ends[0], "to": ends[1], "label": rel.type})

    def node(self, key: str, label: str, group: str) -> None:
        if key in self._ids:
            return
        if len(self._ids) >= self.limit:
            self.truncated = True
            return
        self._ids.add(key)
        self.nodes.append({"id": key, "label": label, "group": group, "title": f"{label} ({key})"})


def _label(node: Node, refs: dict[str, EntityRef]) -> str:
    ref = refs.get(str(node.key))
    if ref is not None:
        return ref.name
    kind = node.labels[0] if node.labels else "node"
    name = node.props.get("name") or node.props.get("label")
    return f"{kind} {name or node.key}"


def _group(labels: tuple[str, ...]) -> str:
    known = [label for label in labels if label in NETWORK_GROUPS]
    return known[0].lower() if known else "other"
