"""Incremental resolution for the nightly cycle: link only what is new or changed.

``resolve_records(store, settings, incremental=True)`` (``mashgraph resolve run
--incremental``) starts from the state the latest run saved (``state.py``):

1. it reads the keys of the records written by ingestion runs the state has not seen
   (every key only when records were deleted since), and in full only those records;
   a record written again with the same linking values counts as unchanged;
2. every existing person stays as it is; changed records are detached from theirs;
3. new and changed records are linked by shared identifiers and scored with the
   saved model (no training) against the candidates the blocking rules find among
   all records (``model.predict_increment``): existing pairs are never rescored;
4. links are clustered under the same guards, decisions win, person keys are
   kept, and only the persons and links that changed are written; the review band
   gains this run's pairs;
5. only the household records these records can relink are resolved again into families
   (``households.households_in_scope``).

It falls back to a full run when there is no saved state, when the state is not
that of the latest run, or when a human decided since that two records of one
existing person are different people (only a full run splits a person).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from ...graph.store import GraphStore
from .config import ResolveSettings
from .model import predict_increment
from .pipeline import _person_row, _Resolution
from .prepare import clean_records, load_records
from .state import READ_LINKS_CYPHER, changed_rows, load_state, record_runs
from .storage import LATEST_RUN_CYPHER

__all__ = ["start_increment"]


def start_increment(store: GraphStore, settings: ResolveSettings) -> tuple["_Increment | None", str]:
    """An incremental run that has read its records, or ``(None, why not)``."""
    latest = store.read(LATEST_RUN_CYPHER).records()
    run = _Increment(store, settings)
    state = load_state(run._model_dir(), latest[0]["key"] if latest else None)
    if state is None:
        return None, "no saved state from the latest run"
    run.meta, run.state = state
    run.step("read", run.read_records)
    conflict = run.contradicted_person()
    if conflict:
        return None, conflict
    return run, ""


class _Increment(_Resolution):
    """A ``_Resolution`` over the saved state plus the new and changed records."""

    replaces_review = False

    def __init__(self, store: GraphStore, settings: ResolveSettings) -> None:
        super().__init__(store, settings)
        self.meta: dict[str, Any] = {}
        self.state = pd.DataFrame()
        self.fresh: set[str] = set()

    def read_records(self) -> None:
        """Read keys and ingestion runs; in full only records written since the last run."""
        timeout = self.store.settings.max_query_timeout_ms / 1000
        runs = record_runs(self.store, self.state, timeout)
        state = self.state[self.state["unique_id"].isin(runs.keys())]
        before = dict(zip(state["unique_id"], state["ingest_run"]))
        rewritten = sorted(k for k, r in runs.items() if k not in before or before[k] != r)
        fresh = clean_records(load_records(self.store, rewritten)) if rewritten else None
        kept = state.drop(columns=["person"])
        if fresh is not None and not fresh.empty:
            self.fresh = changed_rows(state, fresh)
            kept = kept[~kept["unique_id"].isin(fresh["unique_id"])]
            kept = pd.concat([kept, fresh.astype(object)], ignore_index=True)
        self.table = kept.sort_values("unique_id", kind="mergesort").reset_index(drop=True)
        self.previous = dict(zip(state["unique_id"], state["person"]))
        self._read_decisions()
        self._start_clusters()
        members: dict[str, list[str]] = defaultdict(list)
        for record, person in sorted(self.previous.items()):
            if record not in self.fresh:
                members[person].append(record)
        for group in members.values():  # existing persons stay as they are
            for other in group[1:]:
                self.clusters.link(group[0], other, force=True)
        self.report.fresh_records = len(self.fresh)
        self.report.mode = f"incremental ({len(self.fresh)} new or changed records)"

    def contradicted_person(self) -> str | None:
        """Why this run cannot be incremental: a "different" decision inside one person."""
        for d in self.decisions.values():
            a, b = d["record_a"], d["record_b"]
            if (d["decision"] == "different" and a not in self.fresh and b not in self.fresh
                    and a in self.previous and self.previous.get(a) == self.previous.get(b)):
                return f"a human decided {a} and {b} are different people, who are one person now"
        return None

    def _relevant(self, members: list[str]) -> bool:
        return any(m in self.fresh for m in members)

    def score_pairs(self) -> None:
        """Score fresh records against all records with the saved model."""
        model = json.loads(Path(self.meta["model_path"]).read_text(encoding="utf-8"))
        self.model_settings = model
        self.report.model_path = self.meta["model_path"]
        self.report.model_source = f"saved model of {self.meta['run']} (no training)"
        if self.fresh:
            self.pairs = predict_increment(self.table, self.fresh, model,
                                           floor=self.settings.review_low, threads=self.settings.threads)
        self.report.scored_pairs = len(self.pairs)

    def save_model(self) -> None:
        """Nothing to save: the model is the saved one."""

    def touched_records(self) -> list[str] | None:
        """Only new, changed and moved records can relink households."""
        return sorted(self.fresh | {m["record"] for m in self.moved})

    def assign_persons(self) -> None:
        """Person rows and links only for what changed: fresh records and moved ones."""
        groups, assignment = self._assign()
        touched = self.fresh | {m["record"] for m in self.moved}
        persons = {assignment[r] for r in touched} | {self.previous[r] for r in touched
                                                      if r in self.previous}
        info = self._info()
        self.persons = [_person_row(assignment[g[0]], g, info, self.run) for g in groups
                        if assignment[g[0]] in persons]
        carried = self._current_links(sorted(r for r in touched if r not in self.best
                                             and r not in self.fresh))
        self.links = [carried[r] | {"person": assignment[r]} if r in carried
                      else self._link_row(r, assignment) for r in sorted(touched)]

    def _current_links(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The stored link of records that move with their person (no new link of their own)."""
        if not keys:
            return {}
        rows = self.store.read(READ_LINKS_CYPHER, {"keys": keys}).records()
        return {r["record"]: {"record": r["record"], "probability": r["probability"],
                              "method": r["method"], "evidence": r["evidence"], "run": self.run}
                for r in rows}
