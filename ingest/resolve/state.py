"""The state a run leaves for the next incremental run (see ``incremental.py``).

A run ends by saving the cleaned linking table of every record with the person
it resolved to and the ingestion run that last wrote it, next to its model:
``<model dir>/state.parquet`` and ``state.json`` (``{"run", "model_path"}``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..private_files import open_private
from ..identifiers import STRONG_IDENTIFIERS
from .model import MODEL_COLUMNS

__all__ = ["STATE_TABLE", "STATE_META", "save_state", "load_state", "READ_RECORD_RUNS_CYPHER",
           "READ_NEWER_RECORD_RUNS_CYPHER", "COUNT_RECORDS_CYPHER", "record_runs",
           "READ_LINKS_CYPHER", "changed_rows"]

STATE_TABLE = "state.parquet"
STATE_META = "state.json"

READ_RECORD_RUNS_CYPHER = """
MATCH (r:Record)
RETURN r.key AS key, r.run AS ingest_run
"""

# Records written by an ingestion run the saved state has not seen (new, or written again),
# and how many records there are: enough to find what changed without reading every key.
READ_NEWER_RECORD_RUNS_CYPHER = """
MATCH (r:Record)
WHERE r.run IS NULL OR NOT r.run IN $runs
RETURN r.key AS key, r.run AS ingest_run
"""

COUNT_RECORDS_CYPHER = "MATCH (r:Record) RETURN count(r) AS records"

# The current link of records that move to another person without a new link of their own.
READ_LINKS_CYPHER = """
UNWIND $keys AS k
MATCH (r:Record {key: k})-[x:RESOLVES_TO]->(:Person)
RETURN r.key AS record, x.probability AS probability, x.method AS method, x.evidence AS evidence
"""

# What decides whether a record written again has changed for linking.
_LINKING_COLUMNS = [c for c in MODEL_COLUMNS if c != "unique_id"] + list(STRONG_IDENTIFIERS)


def save_state(model_dir: Path, run: str, model_path: str | None, table: pd.DataFrame,
               assignment: dict[str, str]) -> None:
    """Save the linking table with each record's person for the next incremental run."""
    model_dir.mkdir(parents=True, exist_ok=True)
    frame = table.assign(person=[assignment[k] for k in table["unique_id"]])
    tmp = model_dir / (STATE_TABLE + ".tmp")
    frame.to_parquet(tmp, index=False)
    os.chmod(tmp, 0o600)
    os.replace(tmp, model_dir / STATE_TABLE)
    meta_tmp = model_dir / (STATE_META + ".tmp")
    with open_private(meta_tmp) as fh:
        fh.write(json.dumps({"run": run, "model_path": model_path}))
    os.replace(meta_tmp, model_dir / STATE_META)


def load_state(model_dir: Path, latest_run: str | None) -> tuple[dict[str, Any], pd.DataFrame] | None:
    """The saved state if it is that of ``latest_run`` and its model is still there, else None."""
    try:
        meta = json.loads((model_dir / STATE_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    model_path = meta.get("model_path")
    if meta.get("run") != latest_run or not model_path or not Path(model_path).exists():
        return None
    try:
        table = pd.read_parquet(model_dir / STATE_TABLE)
    except (OSError, ValueError):
        return None
    for column in ("given_groups", "given_all", "family_parts", "address_words"):
        table[column] = table[column].map(lambda v: list(v) if v is not None else [])
    table = table.astype({"dob_is_default": bool}).astype(object)
    table = table.where(table.notna(), None)
    return meta, table


def record_runs(store: Any, state: pd.DataFrame, timeout: float) -> dict[str, Any]:
    """Record key -> ingestion run, for every record written since ``state`` was saved and
    for the state's records still in the store (those unchanged are taken from the state).

    Only records of ingestion runs the state has not seen are read, unless records were
    deleted since (the store then holds fewer than the state's plus the new ones): then
    every key is read.
    """
    known = state["ingest_run"].tolist()
    seen = sorted({r for r in known if r is not None})
    newer = dict(store.read(READ_NEWER_RECORD_RUNS_CYPHER, {"runs": seen}, timeout=timeout).rows)
    in_state = set(state["unique_id"])
    added = sum(1 for k in newer if k not in in_state)
    if store.read(COUNT_RECORDS_CYPHER, timeout=timeout).value() != len(in_state) + added:
        return dict(store.read(READ_RECORD_RUNS_CYPHER, timeout=timeout).rows)
    runs = dict(zip(state["unique_id"], known))
    runs.update(newer)
    return runs


def changed_rows(old: pd.DataFrame, new: pd.DataFrame) -> set[str]:
    """Keys of ``new`` rows whose linking values differ from the ``old`` row of the same key."""
    before = old.set_index("unique_id")
    out = set()
    for row in new.to_dict("records"):
        key = row["unique_id"]
        if key not in before.index:
            out.add(key)
            continue
        prior = before.loc[key]
        if any(_norm(row[c]) != _norm(prior[c]) for c in _LINKING_COLUMNS):
            out.add(key)
    return out


def _norm(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return tuple(value.tolist() if hasattr(value, "tolist") else value)
    return value
