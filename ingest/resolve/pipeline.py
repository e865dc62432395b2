"""``resolve_records``: link every Record to a Person (see docs/resolution.md)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from functools import partial
from typing import Any, Callable

import pandas as pd

from ...errors import ConfigError
from ..private_files import open_private
from ...graph.analytics import refresh_facts, refresh_linked_risk
from .display import refresh_display_names
from ...graph.store import GraphStore
from . import evidence as ev
from .cluster import ConstrainedClusters, assign_person_keys
from .config import ResolveSettings, pair_key
from ..identifiers import STRONG_IDENTIFIERS, is_conflict_scope
from .decisions import BINDING_DECISIONS
from .guards import model_guard
from .households import resolve_households
from .model import level_labels, load_default_model, predict_with_model, train_and_predict
from .prepare import clean_records, load_records
from .state import save_state
from .storage import read_assignments, read_decisions, write_resolution

__all__ = ["ResolveSettings", "ResolveReport", "resolve_records", "latest_decisions", "pair_key",
           "default_model_dir"]


@dataclass
class ResolveReport:
    """What one ``resolve_records`` run did."""

    run: str
    records: int = 0
    persons: int = 0
    multi_record_persons: int = 0
    exact_links: int = 0
    model_links: int = 0
    decision_links: int = 0
    refused_links: int = 0
    review_pairs: int = 0
    scored_pairs: int = 0
    kept_keys: int = 0
    new_keys: int = 0
    moved_records: int = 0
    ignored_decisions: int = 0
    threshold: float = 0.0
    model_source: str = ""
    model_path: str | None = None
    mode: str = "full"
    fresh_records: int = 0
    households: int = 0
    families: int = 0
    multi_household_families: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        t = ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items())
        return [
            f"resolve run {self.run}: {self.records} records -> {self.persons} persons "
            f"({self.multi_record_persons} with 2+ records) in {self.elapsed:.1f}s",
            f"links: {self.exact_links} by identifier, {self.model_links} by model "
            f"(p >= {self.threshold}), {self.decision_links} by decision; "
            f"{self.refused_links} refused by guards",
            f"keys: {self.kept_keys} kept, {self.new_keys} new; {self.moved_records} records moved; "
            f"{self.review_pairs} pairs to review; {self.ignored_decisions} decisions ignored",
            f"model: {self.model_source or 'none (fewer than two records)'}; saved to "
            f"{self.model_path or '-'}",
            f"households: {self.households} agency household records compared -> {self.families} "
            f"families ({self.multi_household_families} recorded by 2+ household records)",
            f"mode: {self.mode}",
            f"timings: {t}",
        ]


def latest_decisions(decisions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Pair key -> the latest decision about it (decisions come oldest first)."""
    out: dict[str, dict[str, Any]] = {}
    for d in decisions:
        out[pair_key(d["record_a"], d["record_b"])] = d
    return out


def default_model_dir(store: GraphStore) -> Path:
    """``<store dir>/resolve-models`` for a store kept in a local directory, else ``./data/resolve-models``."""
    if store.local_dir is not None:
        return store.local_dir / "resolve-models"
    return Path("data") / "resolve-models"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def resolve_records(store: GraphStore, settings: ResolveSettings | None = None, *,
                    incremental: bool = False, refresh: bool = True) -> ResolveReport:
    """Link every ``Record`` in ``store`` to a ``Person`` and write the result.

    Steps: read records; exact links on shared valid strong identifiers; a Splink
    model trained without labels scores the blocked pairs; links are clustered
    strongest first under the guards of ``cluster.ConstrainedClusters`` (human
    decisions first and always winning); person keys are kept where clusters
    survive; ``Person``, ``RESOLVES_TO`` (with evidence), ``ReviewPair`` and a
    ``ResolveRun`` node are written and stale links removed; the state for the
    next incremental run is saved. Idempotent: a second run on the same records
    changes no key.

    ``incremental=True`` links only new and changed records with the saved model
    (``incremental.py``), and falls back to a full run when it cannot.
    ``refresh=False`` leaves the derived facts and linked risk to the caller (the nightly
    cycle refreshes only the persons it touched, ``ingest/nightly.py``).
    """
    settings = settings or ResolveSettings()
    # Resolution writes nodes a graph loaded by an older release may have no index for yet
    # (Person, Family, ReviewPair...): without one, every page looking them up by key scans them.
    store.ensure_schema()
    run: _Resolution | None = None
    fallback = ""
    if incremental:
        from .incremental import start_increment

        run, fallback = start_increment(store, settings)
    if run is None:
        run = _Resolution(store, settings)
        run.report.mode = "full" + (f" (incremental not possible: {fallback})" if fallback else "")
        run.step("read", run.read_records)
    run.step("exact", run.apply_decisions, run.link_identifiers)
    run.step("model", run.score_pairs)
    run.step("cluster", run.link_model_pairs)
    run.step("prepare-write", run.assign_persons, run.save_model)
    run.step("write", run.write)
    run.step("state", run.save_state)
    # The shown name comes from the most trusted records (display.py), explained on the person
    # page: for the persons this run wrote (every person in a full run, the touched ones nightly).
    run.step("names", lambda: refresh_display_names(store, [p["key"] for p in run.persons]))
    # Households of one family, recorded by several agencies, join into one Family (households.py).
    run.step("households", run.resolve_households)
    # Derived fragmentation facts depend on who is who: recompute them (graph/analytics.py).
    if refresh:
        run.step("facts", lambda: refresh_facts(store))
        run.step("linked-risk", lambda: refresh_linked_risk(store))
    return run.finish()


# The evidence of a record's strongest accepted link, built once at the end (most are never needed).
EvidenceMaker = Callable[[], dict[str, Any]]


class _Resolution:
    """The state of one ``resolve_records`` run; each step method adds to ``report``."""

    def __init__(self, store: GraphStore, settings: ResolveSettings) -> None:
        self.store, self.settings = store, settings
        self.started = _now()
        self._clock = time.perf_counter()
        self.run = "resolve-" + self.started.strftime("%Y%m%dT%H%M%S%fZ")
        self.report = ResolveReport(run=self.run, threshold=settings.threshold)
        self.table = pd.DataFrame()
        self.keys: list[str] = []
        self.known: set[str] = set()
        self.previous: dict[str, str] = {}
        self.decisions: dict[str, dict[str, Any]] = {}
        self.unsure: set[str] = set()
        self.clusters = ConstrainedClusters([])
        self.best: dict[str, EvidenceMaker] = {}  # record -> evidence of its strongest link
        self.review: dict[str, dict[str, Any]] = {}  # pair key -> review-band row
        self.id_pairs: list[tuple[str, str]] = []
        self.model_settings: dict[str, Any] | None = None
        self.pairs = pd.DataFrame()
        self.persons: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []
        self.moved: list[dict[str, Any]] = []
        self.assignment: dict[str, str] = {}

    def step(self, name: str, *actions: Callable[[], Any]) -> None:
        """Run ``actions`` and record their time under ``name`` in the report."""
        t = time.perf_counter()
        for action in actions:
            action()
        self.report.timings[name] = round(time.perf_counter() - t, 2)

    def finish(self) -> ResolveReport:
        self.report.elapsed = round(time.perf_counter() - self._clock, 2)
        return self.report

    def read_records(self) -> None:
        """Read and clean every record, the current assignments and the decisions."""
        self.table = clean_records(load_records(self.store))
        self.previous = read_assignments(self.store)
        self._read_decisions()
        self._start_clusters()

    def _read_decisions(self) -> None:
        latest = latest_decisions(read_decisions(self.store))
        # "unsure" leaves a pair to the model (its review row goes to the back of the queue).
        self.decisions = {pk: d for pk, d in latest.items() if d["decision"] in BINDING_DECISIONS}
        self.unsure = {pk for pk, d in latest.items() if d["decision"] == "unsure"}

    def _start_clusters(self) -> None:
        """Every record its own cluster, with the identifiers and dates the guards check."""
        self.keys = self.table["unique_id"].tolist()
        self.known = set(self.keys)
        self.report.records = len(self.keys)
        conflict_ids: dict[str, dict[str, str]] = {}
        for kind in STRONG_IDENTIFIERS:
            for key, value in zip(self.table["unique_id"], self.table[kind]):
                if isinstance(value, str) and is_conflict_scope(kind, value):
                    conflict_ids.setdefault(key, {})[kind] = value
        t = self.table
        dobs = {k: d for k, d, default in zip(t["unique_id"], t["dob"], t["dob_is_default"])
                if isinstance(d, str) and not default}
        self.clusters = ConstrainedClusters(self.keys, conflict_ids, dobs)

    def _accept(self, a: str, b: str, evidence_a: EvidenceMaker, evidence_b: EvidenceMaker) -> None:
        self.best.setdefault(a, evidence_a)
        self.best.setdefault(b, evidence_b)

    def apply_decisions(self) -> None:
        """Human decisions: "different" become constraints, "same" are forced links."""
        for _pk, d in sorted(self.decisions.items()):
            a, b = d["record_a"], d["record_b"]
            if a not in self.known or b not in self.known:
                self.report.ignored_decisions += 1
            elif d["decision"] == "different":
                self.clusters.forbid(a, b)
        for _pk, d in sorted(self.decisions.items()):
            a, b = d["record_a"], d["record_b"]
            if d["decision"] == "same" and a in self.known and b in self.known:
                self.clusters.link(a, b, force=True)
                self.report.decision_links += 1
                self._accept(a, b, partial(ev.decision_evidence, d, b),
                             partial(ev.decision_evidence, d, a))

    def link_identifiers(self) -> None:
        """Exact links on valid strong identifiers, most reliable identifier first."""
        for kind in STRONG_IDENTIFIERS:
            holders: dict[str, list[str]] = {}
            for key, value in zip(self.table["unique_id"], self.table[kind]):
                if isinstance(value, str):
                    holders.setdefault(value, []).append(key)
            for value in sorted(v for v, m in holders.items() if len(m) > 1 and self._relevant(m)):
                members = sorted(holders[value])
                for other in members[1:]:
                    self._link_identifier(kind, value, members[0], other)

    def _relevant(self, members: list[str]) -> bool:
        """Whether records sharing an identifier need linking in this run (a full run: always)."""
        return True

    def _link_identifier(self, kind: str, value: str, head: str, other: str) -> None:
        if len(self.id_pairs) < 200_000:
            self.id_pairs.append((head, other))
        if self.clusters.link(head, other):
            self.report.exact_links += 1
            self._accept(head, other, partial(ev.exact_evidence, kind, value, other),
                         partial(ev.exact_evidence, kind, value, head))
            return
        self.report.refused_links += 1
        reason = f"same {kind} but {self.clusters.conflict(head, other)}"
        self.review[pair_key(head, other)] = _review_row(
            head, other, 1.0, False, reason, ev.exact_evidence(kind, value, other), self.run,
            threshold=self.settings.threshold, conflict=True)

    def score_pairs(self) -> None:
        """Score the blocked pairs: a model trained on this store, or the bundled one if too small."""
        settings, n = self.settings, len(self.keys)
        default_model = load_default_model()
        if n >= max(2, settings.min_records_to_train) or (n >= 2 and default_model is None):
            trained = train_and_predict(self.table, pd.DataFrame(self.id_pairs, columns=["l", "r"]),
                                        floor=settings.review_low, seed=settings.seed,
                                        u_max_pairs=settings.u_max_pairs, threads=settings.threads)
            self.report.model_source = "trained on this store's records (EM, no labels)"
        elif n >= 2 and default_model is not None:
            trained = predict_with_model(self.table, default_model, floor=settings.review_low,
                                         threads=settings.threads)
            self.report.model_source = (f"bundled pre-trained model ({n} records < "
                                        f"{settings.min_records_to_train}: too few to train on)")
        else:
            return
        self.model_settings, self.pairs = trained.settings, trained.pairs
        self.report.scored_pairs = len(self.pairs)

    def link_model_pairs(self) -> None:
        """Model links from the highest probability down, under the guards; fills the review band."""
        if self.model_settings is not None and not self.pairs.empty:
            scored = _ScoredPairs(self.pairs, self.model_settings)
            for i, (a, b, p) in enumerate(zip(scored.column("unique_id_l"),
                                              scored.column("unique_id_r"),
                                              scored.column("match_probability"))):
                if pair_key(a, b) not in self.decisions:
                    self._consider(scored, i, a, b, float(p))
        self._one_review_row_per_person_pair()

    def _one_review_row_per_person_pair(self) -> None:
        """Mark linked rows; of the unlinked rows between two persons keep only the first.

        Rows come strongest first (identifier conflicts, then model pairs by falling
        probability), and a reviewer decides about two persons once: a "same" decision
        merges them, a "different" one keeps every pair of their records apart.
        """
        seen: set[tuple[str, str]] = set()
        kept: dict[str, dict[str, Any]] = {}
        for pk, item in self.review.items():
            a, b = item["record_a"], item["record_b"]
            item["linked"] = self.clusters.same(a, b)
            item["deferred"] = 1 if item["key"] in self.unsure else 0
            persons = tuple(sorted((self.clusters.find(a), self.clusters.find(b))))
            if item["linked"] or persons not in seen:
                seen.add(persons)
                kept[pk] = item
        self.review = kept

    def _consider(self, scored: "_ScoredPairs", i: int, a: str, b: str, p: float) -> None:
        threshold, pk = self.settings.threshold, pair_key(a, b)

        def row(linked: bool, reason: str, conflict: bool = False) -> dict[str, Any]:
            return _review_row(a, b, p, linked, reason, scored.evidence(i, a), self.run,
                               threshold=threshold, conflict=conflict)

        if p < threshold:
            if not self.clusters.same(a, b):
                self.review[pk] = row(False, f"probability below {threshold}")
            return
        guard = (model_guard(int(scored.column("gamma_given_name")[i]),
                             int(scored.column("gamma_dob")[i]))
                 or self.clusters.dates_conflict(a, b))
        if guard:
            self.report.refused_links += 1
            self.review[pk] = row(False, f"not linked: {guard}", conflict=True)
        elif self.clusters.link(a, b):
            self.report.model_links += 1
            self._accept(a, b, partial(scored.evidence, i, a), partial(scored.evidence, i, b))
            if p < self.settings.review_high:
                self.review[pk] = row(True, f"linked, probability below {self.settings.review_high}")
        else:
            self.report.refused_links += 1
            self.review[pk] = row(False, "not linked: " + str(self.clusters.conflict(a, b)),
                                  conflict=True)

    def assign_persons(self) -> None:
        """Stable person keys for the clusters; the Person rows and RESOLVES_TO links to write."""
        groups, assignment = self._assign()
        info = self._info()
        self.persons = [_person_row(assignment[g[0]], g, info, self.run) for g in groups]
        self.links = [self._link_row(r, assignment) for r in self.keys]

    def _assign(self) -> tuple[list[list[str]], dict[str, str]]:
        groups = self.clusters.clusters()
        assignment = assign_person_keys(groups, self.previous)
        self.assignment = assignment
        old_keys = set(self.previous.values())
        new_keys = {assignment[g[0]] for g in groups}
        report = self.report
        report.persons = len(groups)
        report.multi_record_persons = sum(1 for g in groups if len(g) > 1)
        report.kept_keys = len(new_keys & old_keys)
        report.new_keys = len(new_keys - old_keys)
        self.moved = [{"record": r, "person": assignment[r]} for r in self.keys
                      if r in self.previous and self.previous[r] != assignment[r]]
        report.moved_records = len(self.moved)
        report.review_pairs = len(self.review)
        return groups, assignment

    def _info(self) -> dict[str, tuple[Any, ...]]:
        t = self.table
        return {k: row for k, *row in zip(t["unique_id"], t["display_given"], t["display_family"],
                                          t["dob"], t["dob_is_default"], t["sex"])}

    def _link_row(self, record: str, assignment: dict[str, str]) -> dict[str, Any]:
        make = self.best.get(record)
        e = make() if make is not None else ev.singleton_evidence(self.settings.threshold)
        method = e["method"] if e["method"] != "exact" else f"exact:{e['identifier']}"
        return {"record": record, "person": assignment[record], "probability": float(e["probability"]),
                "method": method, "evidence": ev.dump(e), "run": self.run}

    def _model_dir(self) -> Path:
        return (Path(self.settings.model_dir) if self.settings.model_dir
                else default_model_dir(self.store))

    def save_model(self) -> None:
        """Save the model as Splink JSON; an unwritable folder stops the run before any write."""
        if self.model_settings is None:
            return
        model_path = self._model_dir() / f"{self.run}.json"
        tmp = model_path.with_suffix(".json.tmp")
        try:
            with open_private(tmp) as fh:  # creates model_dir too
                fh.write(json.dumps(self.model_settings, indent=1, default=str))
            os.replace(tmp, model_path)
        except OSError as err:
            raise ConfigError(f"cannot write the trained model to {model_path}: "
                              f"{err.strerror or err}; nothing was written to the graph",
                              hint="choose a writable folder with --model-dir") from None
        self.report.model_path = str(model_path)

    def write(self) -> None:
        """Write persons, links, the review band and the ResolveRun node."""
        report, settings = self.report, self.settings
        run_props = {
            "started": self.started.isoformat(timespec="seconds"),
            "finished": _now().isoformat(timespec="seconds"),
            "records": report.records, "persons": report.persons,
            "exact_links": report.exact_links, "model_links": report.model_links,
            "decision_links": report.decision_links, "refused_links": report.refused_links,
            "review_pairs": report.review_pairs, "threshold": settings.threshold,
            "review_low": settings.review_low, "review_high": settings.review_high,
            "model_path": report.model_path, "model_source": report.model_source,
            "mode": report.mode,
            "model_json": (json.dumps(self.model_settings, default=str)
                           if self.model_settings else None),
        }
        write_resolution(self.store, run=self.run, persons=self.persons, links=self.links,
                         moved=self.moved, review=list(self.review.values()), run_props=run_props,
                         replace_review=self.replaces_review)

    replaces_review = True
    """A full run's review band replaces the last one; an increment adds its pairs."""

    def touched_records(self) -> list[str] | None:
        """The records whose person this run may have changed (None: all of them)."""
        return None

    def resolve_households(self) -> None:
        """Join the household records of one family into one resolved household (``Family``)."""
        done = resolve_households(self.store, self.run, self.touched_records())
        self.report.households, self.report.families = done.households, done.families
        self.report.multi_household_families = done.multi_household_families

    def save_state(self) -> None:
        """Save the linking table and persons for the next incremental run (``state.py``)."""
        if self.report.model_path:
            save_state(self._model_dir(), self.run, self.report.model_path, self.table,
                       self.assignment)


class _ScoredPairs:
    """Splink's scored pairs, strongest first, as columns (fast row access) with their evidence."""

    def __init__(self, pairs: pd.DataFrame, model_settings: dict[str, Any]) -> None:
        self.labels = level_labels(model_settings)
        lam = float(model_settings.get("probability_two_random_records_match", 1e-4))
        self.prior = math.log2(lam / (1 - lam))
        pairs = pairs.sort_values(["match_probability", "unique_id_l", "unique_id_r"],
                                  ascending=[False, True, True], kind="mergesort")
        self._columns = {c: pairs[c].tolist() for c in pairs.columns}

    def column(self, name: str) -> list[Any]:
        return self._columns[name]

    def evidence(self, i: int, this: str) -> dict[str, Any]:
        row = {c: values[i] for c, values in self._columns.items()}
        return ev.model_evidence(row, this, self.labels, self.prior)


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def _review_row(a: str, b: str, p: float, linked: bool, reason: str, evidence: dict[str, Any],
                run: str, *, threshold: float, conflict: bool = False) -> dict[str, Any]:
    """A review-band row; ``priority`` 0 for guard conflicts, else the distance (in match
    weight) from the threshold, so the least certain pairs come first."""
    x, y = sorted((a, b))
    priority = 0.0 if conflict else round(abs(_logit(p) - _logit(threshold)), 3) + 0.001
    return {"key": pair_key(a, b), "record_a": x, "record_b": y, "probability": round(p, 6),
            "linked": linked, "reason": reason, "evidence": ev.dump(evidence), "run": run,
            "priority": priority, "deferred": 0}


def _most_common(values: list[Any]) -> Any:
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not values:
        return None
    counts = Counter(values)
    top = max(counts.values())
    return min(v for v, n in counts.items() if n == top)


def _person_row(key: str, members: list[str], info: dict[str, tuple[Any, ...]],
                run: str) -> dict[str, Any]:
    rows = [info[m] for m in members]
    names = [" ".join(p for p in (g, f) if isinstance(p, str)) or None for g, f, _d, _x, _s in rows]
    dobs = [d for _g, _f, d, default, _s in rows if not default]
    return {
        "key": key,
        "display_name": _most_common(names),
        "dob": _most_common(dobs) or _most_common([r[2] for r in rows]),
        "sex": _most_common([r[4] for r in rows]),
        "records": len(members),
        "run": run,
    }
