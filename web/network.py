"""Network view (vis-network from local files), its JSON data, and a self-contained HTML export."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template, url_for

from ..graph.explore import Network, Profile, person_network, person_profile, record_profile
from .services import get_settings, get_store
from .security import audit, needs_reason

bp = Blueprint("network", __name__)

STATIC = Path(__file__).parent / "static"
KINDS = {"person": person_profile, "record": record_profile}


def _load(kind: str, key: str) -> tuple[Profile, Network]:
    if kind not in KINDS:
        abort(404)
    profile = KINDS[kind](get_store(), key)
    if profile is None:
        abort(404)
    return profile, person_network(get_store(), profile, get_settings().network_limit)


def _audited_keys(profile: Profile, net: Network) -> list[str]:
    """The centre (a record as the person it resolves to) and everyone drawn around it."""
    return sorted({*profile.shown_person_keys(), *net.person_keys})


@bp.route("/network/<kind>/<path:key>")
@needs_reason
def page(kind: str, key: str):
    if kind not in KINDS:
        abort(404)
    return render_template("network.html", kind=kind, key=key,
                           data_url=url_for("network.data", kind=kind, key=key),
                           export_url=url_for("network.export", kind=kind, key=key))


@bp.route("/network-data/<kind>/<path:key>.json")
@needs_reason
def data(kind: str, key: str):
    profile, net = _load(kind, key)
    audit("view_network", f"network of {kind} {key}", _audited_keys(profile, net))
    return {"title": profile.display_name, **net.as_json()}


@bp.route("/network-export/<kind>/<path:key>.html")
@needs_reason
def export(kind: str, key: str):
    profile, net = _load(kind, key)
    audit("export", f"network of {kind} {key} as HTML", _audited_keys(profile, net))
    html = render_template(
        "network_export.html", title=profile.display_name, kind=kind, key=key,
        data={"title": profile.display_name, **net.as_json()},
        vis_js=(STATIC / "vendor" / "vis-network.min.js").read_text(encoding="utf-8"),
        vis_css=(STATIC / "vendor" / "vis-network.css").read_text(encoding="utf-8"),
        app_js=(STATIC / "network.js").read_text(encoding="utf-8"),
        app_css=(STATIC / "network.css").read_text(encoding="utf-8"),
    )
    safe_name = "".join(c if c.isalnum() or c in "-_" else "-" for c in key)[:80]
    return Response(html, mimetype="text/html", headers={
        "Content-Disposition": f'attachment; filename="mashgraph-network-{kind}-{safe_name}.html"'})
