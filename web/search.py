"""Name and identifier search: the start page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..graph.explore import search_people
from .services import get_store
from .security import audit, needs_reason

bp = Blueprint("search", __name__)

MAX_QUERY = 200


@bp.route("/")
def index():
    return render_template("search.html", q="", hits=None)


@bp.route("/search")
@needs_reason
def results():
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    if not q:
        return render_template("search.html", q="", hits=None)
    hits = search_people(get_store(), q, limit=50)
    audit("search", q, [h.person or f"record:{h.records[0]['key']}" for h in hits])
    return render_template("search.html", q=q, hits=hits)
