"""The linked-risk network view: a person's neighbourhood, or the people of a saved-query
result, as an explorable vis-network (expand, filter, time slider, path, export), and the
standalone HTML export drawn from the networkx graph with pyvis.

The data of every view and export goes through :func:`audit` with every person it holds.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for

from ..errors import QueryError, SavedQueryError, ValidationError
from ..graph.entities import entity_refs
from ..graph.explore import search_people
from ..graph.linked_network import LinkedNetwork, community_members, linked_network, to_networkx
from ..graph.projection import PATH_MAX_LINKS, link_path
from ..graph.saved_queries import PERSON_EXISTS_CYPHER
from . import queries
from .security import audit, needs_reason
from .services import get_store

bp = Blueprint("linked", __name__)

STATIC = Path(__file__).parent / "static"
MAX_HOPS = 3
LINKED_LIMIT = 1000          # most people one view or export holds
MAX_SEARCH = 200             # longest search text for the path fields
MAX_KEYS = 2000              # most person keys one PNG export may name


def _hops(default: int) -> int:
    raw = request.args.get("hops", str(default))
    if not raw.isdigit() or not 0 <= int(raw) <= MAX_HOPS:
        abort(400, description=f"hops must be a whole number from 0 to {MAX_HOPS}, got {raw[:20]!r}.")
    return int(raw)


def _person_net(key: str, hops: int) -> LinkedNetwork:
    net = linked_network(get_store(), key, hops, LINKED_LIMIT)
    if not net.persons:
        abort(404, description=f"No person with the key {key!r}.")
    return net


def _community_net(key: str) -> LinkedNetwork:
    members = community_members(get_store(), key)
    if not members:
        abort(404, description=f"No community with the key {key!r}: run `mashgraph analytics run` or pick one from "
                               "the exploitation-communities query.")
    return linked_network(get_store(), members[:LINKED_LIMIT], 0, LINKED_LIMIT)


def _query_net(slug: str, hops: int) -> tuple[str, LinkedNetwork, str]:
    """Title, network of the people of the result, and the query with its parameters (for the audit)."""
    query = queries._get(slug)
    try:
        result, _truncated, params = queries._run(query)
    except (SavedQueryError, QueryError) as err:
        abort(400, description=err.message)
    keys = queries.person_keys(result)
    if not keys:
        abort(400, description=f"The result of {slug} holds no people to draw as a network.")
    net = linked_network(get_store(), keys[:LINKED_LIMIT], hops, LINKED_LIMIT)
    return f"{query.title} ({len(keys)} people)", net, queries._describe(query, params)


def network_json(net: LinkedNetwork, title: str) -> dict[str, Any]:
    """vis-network nodes and edges, with what the page filters on (type, agencies, concerns, date)."""
    nodes, edges = [], []
    for key, p in sorted(net.persons.items()):
        dates = [d for _c, d, *_ in p.info.concerns if isinstance(d, dt.date)]
        kind = "child" if p.age is not None and p.age < 18 else "adult"
        nodes.append({
            "id": f"person:{key}", "key": key, "label": p.info.name or key, "kind": kind,
            "title": _person_title(key, p), "score": p.score, "rank": p.rank, "community": p.community,
            "broker": p.broker_children, "agencies": sorted(p.info.agencies),
            "concerns": sorted({c for c, *_ in p.info.concerns}), "date": min(dates).isoformat() if dates else None,
            "paths": p.paths, "reasons": p.reasons})
    for hub in net.hubs:
        hid = f"{hub.kind}:{hub.key}"
        when = hub.date.isoformat() if isinstance(hub.date, dt.date) else None
        nodes.append({"id": hid, "key": hub.key, "label": hub.label + (f" {when}" if when else ""), "kind": hub.kind,
                      "title": f"{hub.kind}: {hub.title}" + (f" ({when})" if when else ""), "date": when,
                      "agencies": [], "concerns": []})
        edges += [{"id": f"{hid}|{m}", "from": f"person:{m}", "to": hid, "kind": hub.kind, "date": when}
                  for m in hub.members]
    for a, b, rel_type in net.relatives:
        edges.append({"id": f"rel|{a}|{b}|{rel_type}", "from": f"person:{a}", "to": f"person:{b}",
                      "kind": "relative", "label": str(rel_type or ""), "date": None})
    return {"title": title, "center": [f"person:{k}" for k in net.center], "nodes": nodes, "edges": edges,
            "truncated": net.truncated}


def _person_title(key: str, p: Any) -> str:
    score = f"{p.score:.2f} (rank {p.rank})" if p.score is not None else "not scored yet"
    lines = [f"{p.info.name} ({key})", f"linked risk {score}"]
    if p.community:
        lines.append(f"community {p.community}")
    if p.broker_children:
        lines.append(f"broker: linked to {p.broker_children} children")
    lines += p.reasons
    return "\n".join(lines)


@bp.route("/linked/person/<path:key>")
@needs_reason
def person_page(key: str):
    return _page(f"person {key}", url_for("linked.person_data", key=key, hops=_hops(2)),
                 url_for("linked.person_export", key=key, hops=_hops(2)), person=key)


@bp.route("/linked/query/<slug>")
@needs_reason
def query_page(slug: str):
    queries._get(slug)
    args = {k: v for k, v in request.args.items() if k != "hops"}
    return _page(f"saved query {slug}", url_for("linked.query_data", slug=slug, hops=_hops(0), **args),
                 url_for("linked.query_export", slug=slug, hops=_hops(0), **args))


@bp.route("/linked/community/<path:key>")
@needs_reason
def community_page(key: str):
    return _page(f"community {key}", url_for("linked.community_data", key=key),
                 url_for("linked.community_export", key=key))


@bp.route("/linked-data/community/<path:key>.json")
@needs_reason
def community_data(key: str):
    net = _community_net(key)
    audit("view_network", f"linked network of community {key}", net.person_keys)
    return network_json(net, f"community {key} ({len(net.persons)} people)")


@bp.route("/linked-export/community/<path:key>.html")
@needs_reason
def community_export(key: str):
    net = _community_net(key)
    audit("export", f"linked network of community {key} as HTML", net.person_keys)
    return export_response(net, f"community {key}", f"community-{key}")


def _page(what: str, data_url: str, export_url: str, person: str | None = None):
    return render_template("linked.html", what=what, data_url=data_url, export_url=export_url, person=person,
                           expand_url=url_for("linked.person_data", key="KEY", hops=1))


@bp.route("/linked-data/person/<path:key>.json")
@needs_reason
def person_data(key: str):
    net = _person_net(key, _hops(2))
    audit("view_network", f"linked network of person {key}", net.person_keys)
    return network_json(net, net.persons[key].info.name or key)


@bp.route("/linked-data/query/<slug>.json")
@needs_reason
def query_data(slug: str):
    title, net, described = _query_net(slug, _hops(0))
    audit("view_network", f"linked network of saved query {described}", net.person_keys)
    return network_json(net, title)


@bp.route("/linked-export/person/<path:key>.html")
@needs_reason
def person_export(key: str):
    net = _person_net(key, _hops(2))
    audit("export", f"linked network of person {key} as HTML", net.person_keys)
    return export_response(net, net.persons[key].info.name or key, f"person-{key}")


@bp.route("/linked-export/query/<slug>.html")
@needs_reason
def query_export(slug: str):
    title, net, described = _query_net(slug, _hops(0))
    audit("export", f"linked network of saved query {described} as HTML", net.person_keys)
    return export_response(net, title, f"query-{slug}")


@bp.route("/linked-data/people.json")
@needs_reason
def people_search():
    """People whose names start with the words of ``q`` (or whose identifier or key it is), for the
    path fields: anyone in the graph, not only the people drawn."""
    q = request.args.get("q", "").strip()[:MAX_SEARCH]
    if not q:
        raise ValidationError("type part of a name, an identifier or a person key", hint="q=...")
    people = [{"key": h.person, "name": h.display_name} for h in search_people(get_store(), q, limit=20) if h.person]
    audit("search", f"path search {q}", [p["key"] for p in people])
    return {"people": people}


@bp.route("/linked-data/path.json")
@needs_reason
def path_data():
    """The people on a shortest chain of links between two people anywhere in the graph, with the
    households, addresses and incidents they share, and the chain in order (``path``)."""
    a, b = (request.args.get(k, "").strip()[:MAX_SEARCH] for k in ("from", "to"))
    if not a or not b:
        raise ValidationError("choose two people: from=KEY&to=KEY", hint="pick them from the search list")
    store = get_store()
    for key in (a, b):
        if not store.read(PERSON_EXISTS_CYPHER, {"key": key}).value():
            raise ValidationError(f"no person with the key {key!r}", hint="pick the person from the search list")
    keys = link_path(store, a, b)
    if keys is None:
        audit("view_network", f"path between {a} and {b}: none", [a, b])
        return {"error": f"No chain of at most {PATH_MAX_LINKS} links (shared households, addresses, "
                         f"incidents or relationships) joins {a} and {b}."}, 404
    net = linked_network(store, keys, 0, LINKED_LIMIT)
    audit("view_network", f"path between {a} and {b}", net.person_keys)
    data = network_json(net, f"path between {a} and {b}")
    data["path"] = [f"person:{k}" for k in keys]
    return data


@bp.route("/linked-export/png", methods=["POST"])
@needs_reason
def png_export():
    """Records that the user saved the drawn network as a PNG (the browser draws the file): the
    people it shows are sent by the page, and those the graph knows are audited."""
    keys = [k for k in request.form.get("people", "").split()[:MAX_KEYS] if k]
    known = sorted(k for k, ref in entity_refs(get_store(), keys).items() if ref.kind == "person")
    what = request.form.get("what", "")[:MAX_SEARCH]
    audit("export", f"linked network of {what} as PNG", known)
    return {"audited": len(known)}


def standalone_html(net: LinkedNetwork, title: str) -> str:
    """A self-contained page of the network: pyvis builds the nodes and edges from the networkx
    graph (``from_nx``), our template draws them; every value goes in as escaped JSON or text."""
    from pyvis.network import Network as PyvisNetwork

    pv = PyvisNetwork()
    pv.from_nx(to_networkx(net))
    data = {"title": title, "nodes": pv.nodes, "edges": [{"from": e["from"], "to": e["to"], "title": e.get("title", "")}
                                                           for e in pv.edges]}
    return render_template(
        "linked_export.html", title=title, data=data,
        vis_js=(STATIC / "vendor" / "vis-network.min.js").read_text(encoding="utf-8"),
        vis_css=(STATIC / "vendor" / "vis-network.css").read_text(encoding="utf-8"),
        app_js=(STATIC / "linked_export.js").read_text(encoding="utf-8"))


def export_response(net: LinkedNetwork, title: str, name: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:80]
    return Response(standalone_html(net, title), mimetype="text/html", headers={
        "Content-Disposition": f'attachment; filename="mashgraph-linked-{safe}.html"'})


