"""A draft saved query from a statement someone ran: the web console's "save as saved query".

The draft is the text of a ``queries/<slug>.cypher`` file (the format of
:mod:`mashgraph.graph.saved_queries`): a ``//`` YAML header with the title and
description given (or words asking the reviewer for them), one parameter per
``$name`` the statement uses, typed from the value it ran with, and
``returns: graph`` when the run drew a network. A developer reviews it and
commits it; nothing here writes into ``queries/``. :func:`check_draft` parses
the draft with the saved-query loader, so a draft that is handed out parses.

>>> text = draft_query("MATCH (p:Person) WHERE p.dob >= date($since) RETURN p.key AS person",
...                    {"since": "2020-01-01"}, title="Born since a date", author="ana", day="2026-12-07")
>>> print(text)  # doctest: +NORMALIZE_WHITESPACE
// title: Born since a date
// description: 'Draft from the Cypher console by ana on 2026-12-07. Review: say what it answers, in words a manager understands.'
// params:
//   since: {type: date, default: '2020-01-01', help: 'Review: what since means (the console ran it with 2020-01-01).'}
// tags: [draft]
// returns: table
MATCH (p:Person) WHERE p.dob >= date($since) RETURN p.key AS person
>>> check_draft(text, draft_slug("Born since a date")).params["since"].type
'date'
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..errors import SavedQueryError
from .saved_queries import RETURNS, SavedQuery, _used_params, load_query

__all__ = ["draft_query", "draft_slug", "check_draft"]

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_SLUG = 60


def draft_slug(title: str) -> str:
    """A file name (without ``.cypher``) for ``title``: lower-case words joined by dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:MAX_SLUG].strip("-")
    return slug or "console-draft"


def draft_query(statement: str, values: Mapping[str, Any], *, title: str = "", description: str = "",
                returns: str = "table", author: str = "", day: str = "") -> str:
    """The draft ``.cypher`` text for ``statement`` run with parameter ``values``."""
    if returns not in RETURNS:
        raise SavedQueryError(f"returns is {returns!r}", hint=f"use one of: {', '.join(RETURNS)}")
    body = statement.strip()
    who = f" by {author}" if author else ""
    header: dict[str, Any] = {
        "title": " ".join(title.split()) or f"Console draft{who}",
        "description": " ".join(description.split()) or (
            f"Draft from the Cypher console{who}{' on ' + day if day else ''}. "
            "Review: say what it answers, in words a manager understands."),
    }
    params = {name: _param_spec(name, values.get(name)) for name in _used_params(body)}
    if params:
        header["params"] = params
    header["tags"] = ["draft"]
    header["returns"] = returns
    lines = yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=10_000,
                           default_flow_style=None).splitlines()
    return "\n".join(f"// {line}" for line in lines) + "\n" + body + "\n"


def _param_spec(name: str, value: Any) -> dict[str, Any]:
    """A header entry for ``$name``, typed from the value the console ran it with."""
    shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    kind = _type_of(value)
    if kind is None:  # not given, or a value saved queries cannot take (a map, null)
        return {"type": "string", "help": f"Review: what {name} means; it has no default, so every run "
                                          f"must give it (the console ran it with {shown})."}
    return {"type": kind, "default": value,
            "help": f"Review: what {name} means (the console ran it with {shown})."}


def _type_of(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "date" if _ISO_DAY.match(value) else "string"
    return None


def check_draft(text: str, slug: str) -> SavedQuery:
    """Parse ``text`` with the saved-query loader as ``<slug>.cypher``; ``SavedQueryError``
    (naming ``<slug>.cypher`` and the line) when the draft would not load."""
    with tempfile.TemporaryDirectory(prefix="mashgraph-draft-") as folder:
        path = Path(folder) / f"{slug}.cypher"
        path.write_text(text, encoding="utf-8")
        try:
            return load_query(path)
        except SavedQueryError as err:
            raise SavedQueryError(err.message.replace(str(path), path.name),
                                  hint=err.hint) from None
