"""Read the result back: explain a person, export every record's person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..private_files import open_private
from ...errors import ConfigError, ValidationError
from ...safe_csv import SafeCsvWriter
from ...graph.store import GraphStore
from .evidence import render
from .storage import EXPORT_CYPHER, READ_PERSON_CYPHER

__all__ = ["explain_person", "export_assignments", "EXPORT_COLUMNS"]

EXPORT_COLUMNS = ("record_key", "person_key", "probability")


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def explain_person(store: GraphStore, person_key: str) -> list[str]:
    """Why each record resolves to ``person_key``, as readable lines."""
    rows = store.read(READ_PERSON_CYPHER, {"key": person_key}).records()
    if not rows:
        raise ValidationError(f"no Person with key {person_key!r}",
                              hint="person keys look like P3f9a2c1b7d10; see `mashgraph resolve export`")
    first = rows[0]
    lines = [f"Person {person_key}: {_text(first['display_name'])}, born {_text(first['person_dob'])}, "
             f"sex {_text(first['person_sex'])}; {len(rows)} record(s)"]
    for row in rows:
        lines.append("")
        lines.append(f"  {row['record']} ({_text(row['agency'])}): {_text(row['given_name'])} "
                     f"{_text(row['family_name'])}, born {_text(row['dob'])}, sex {_text(row['sex'])}")
        lines.append(f"    method {_text(row['method'])}, probability {_text(row['probability'])}")
        lines.extend("    " + line for line in render(row["evidence"]))
    return lines


def export_assignments(store: GraphStore, out: str | Path) -> int:
    """Write ``record_key,person_key,probability`` for every record; returns the row count.

    Records not yet resolved have an empty person key and probability.
    """
    path = Path(out)
    if path.suffix.lower() != ".csv":
        raise ConfigError(f"export file {path} must end in .csv", hint="use --out assignments.csv")
    result = store.read(EXPORT_CYPHER, timeout=store.settings.max_query_timeout_ms / 1000)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open_private(tmp) as fh:
            writer = SafeCsvWriter(fh, lineterminator="\r\n")
            writer.writerow(EXPORT_COLUMNS)
            for record_key, person_key, probability in result.rows:
                writer.writerow([record_key, person_key or "",
                                 "" if probability is None else f"{float(probability):.6f}"])
        tmp.replace(path)
    except OSError as err:
        raise ConfigError(f"cannot write the export file {path}: {err.strerror or err}",
                          hint="choose a writable path with --out") from None
    return len(result.rows)
