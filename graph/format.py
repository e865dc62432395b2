"""Render a ``Result`` as a text table, CSV or JSON (used by the CLI and the web exports)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..safe_csv import to_csv
from .types import Node, Path, Rel, Result

__all__ = ["FORMATS", "plain", "format_result"]

FORMATS = ("table", "csv", "json")


def plain(value: Any) -> Any:
    """A JSON-ready form of a result value (dates as ISO strings, nodes as dicts)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Node):
        return {"key": value.key, "labels": list(value.labels), "props": plain(value.props)}
    if isinstance(value, Rel):
        return {"type": value.type, "start": value.start_key, "end": value.end_key,
                "props": plain(value.props)}
    if isinstance(value, Path):
        return {"nodes": [plain(n) for n in value.nodes], "rels": [plain(r) for r in value.rels]}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Node):
        return f"({':'.join(value.labels)} {value.key})"
    if isinstance(value, Rel):
        return f"[{value.type} {value.start_key}->{value.end_key}]"
    if isinstance(value, Path):
        return " - ".join(_cell(n) for n in value.nodes)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(plain(value), ensure_ascii=False)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _csv_cell(value: Any) -> Any:
    """A CSV cell: numbers stay numbers (a spreadsheet reads ``-3`` as minus three), the rest is text."""
    if isinstance(value, bool):
        return _cell(value)
    if isinstance(value, float):
        return float(f"{value:.4g}")
    return value if isinstance(value, int) else _cell(value)


def format_result(result: Result, fmt: str = "table", truncated_at: int | None = None) -> str:
    """``result`` as ``table``, ``csv`` or ``json``; ``truncated_at`` adds a note that rows were cut."""
    if fmt == "json":
        doc: dict[str, Any] = {"columns": result.columns,
                               "rows": [dict(zip(result.columns, plain(r))) for r in result.rows]}
        if truncated_at is not None:
            doc["truncated_at"] = truncated_at
        return json.dumps(doc, ensure_ascii=False, indent=2)
    if fmt == "csv":  # every text cell neutralised for spreadsheets (safe_csv)
        return to_csv(result.columns, [[_csv_cell(v) for v in row] for row in result.rows]).rstrip("\n")
    cells = [[_cell(v) for v in row] for row in result.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(result.columns)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(c.ljust(w) for c, w in zip(result.columns, widths)) + " |", line]
    out += ["| " + " | ".join(v.ljust(w) for v, w in zip(r, widths)) + " |" for r in cells]
    out.append(line)
    n = len(result.rows)
    out.append(f"{n} row{'s' if n != 1 else ''}"
               + (f" (truncated at {truncated_at}; narrow the query or raise the cap)" if truncated_at else ""))
    return "\n".join(out)
