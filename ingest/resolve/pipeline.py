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
from ...graph.analytics import refresh_facts
from ...graph.store import GraphStore
from . import evidence as ev
from .cluster import ConstrainedClusters, assign_person_keys
from .config import ResolveSettings, pair_key
from .identifiers import STRONG_IDENTIFIERS, is_conflict_scope
from .model import level_labels, load_default_model, predict_with_model, train_and_predict
from .prepare import clean_records, load_records
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
            f"timings: {t}",
        ]


def latest_decisions(decisions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Pair key -> the latest decision about it (decisions come oldest first)."""
    out: dict[str, dict[str, Any]] = {}
    for d in decisions:
        out[pair_key(d["record_a"], d["record_b"])] = d
    return out


def default_model_dir(store: GraphStore) -> Path:
    """``<store dir>/resolve-models`` for an embedded store, else ``./data/resolve-models``."""
    path = getattr(store, "path", None)
    if path is not None:
        return Path(path) / "resolve-models"
    return Path("data") / "resolve-models"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def resolve_records(store: GraphStore, settings: ResolveSettings | None = None) -> ResolveReport:
    """Link every ``Record`` in ``store`` to a ``Person`` and write the result.

    Steps: read records; exact links on shared valid strong identifiers; a Splink
    model trained without labels scores the blocked pairs; links are clustered
    strongest first under the guards of ``cluster.ConstrainedClusters`` (human
    decisions first and always winning); person keys are kept where clusters
    survive; ``Person``, ``RESOLVES_TO`` (with evidence), ``ReviewPair`` and a
    ``ResolveRun`` node are written and stale links removed. Idempotent: a
    second run on the same records changes no key.
    """
    settings = settings or ResolveSettings()
    started = _now()
    clock = time.perf_counter()
    run = "resolve-" + started.strftime("%Y%m%dT%H%M%S%fZ")
    report = ResolveReport(run=run, threshold=settings.threshold)
    timings = report.timings

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 2)
        return now

    t = clock
    raw = load_records(store)
    table = clean_records(raw)
    previous = read_assignments(store)
    decisions = latest_decisions(read_decisions(store))
    t = lap("read", t)
    keys = table["unique_id"].tolist()
    known = set(keys)
    report.records = len(keys)

    conflict_ids: dict[str, dict[str, str]] = {}
    for kind in STRONG_IDENTIFIERS:
        for key, value in zip(table["unique_id"], table[kind]):
            if isinstance(value, str) and is_conflict_scope(kind, value):
                conflict_ids.setdefault(key, {})[kind] = value
    clusters = ConstrainedClusters(keys, conflict_ids)
    # record -> how to build the evidence of its strongest accepted link (built once, at the end)
    best: dict[str, Callable[[], dict[str, Any]]] = {}
    review: dict[str, dict[str, Any]] = {}

    def accept(a: str, b: str, evidence_a: Callable[[], dict[str, Any]],
               evidence_b: Callable[[], dict[str, Any]]) -> None:
        best.setdefault(a, evidence_a)
        best.setdefault(b, evidence_b)

    # 1. Human decisions: "different" become constraints, "same" are forced links.
    for pk, d in sorted(decisions.items()):
        a, b = d["record_a"], d["record_b"]
        if a not in known or b not in known:
            report.ignored_decisions += 1
            continue
        if d["decision"] == "different":
            clusters.forbid(a, b)
    for pk, d in sorted(decisions.items()):
        a, b = d["record_a"], d["record_b"]
        if d["decision"] == "same" and a in known and b in known:
            clusters.link(a, b, force=True)
            report.decision_links += 1
            accept(a, b, partial(ev.decision_evidence, d, b), partial(ev.decision_evidence, d, a))

    # 2. Exact links on valid strong identifiers, most reliable identifier first.
    id_pairs: list[tuple[str, str]] = []
    for kind in STRONG_IDENTIFIERS:
        holders: dict[str, list[str]] = {}
        for key, value in zip(table["unique_id"], table[kind]):
            if isinstance(value, str):
                holders.setdefault(value, []).append(key)
        for value in sorted(v for v, m in holders.items() if len(m) > 1):
            members = sorted(holders[value])
            head = members[0]
            for other in members[1:]:
                if len(id_pairs) < 200_000:
                    id_pairs.append((head, other))
                if clusters.link(head, other):
                    report.exact_links += 1
                    accept(head, other, partial(ev.exact_evidence, kind, value, other),
                           partial(ev.exact_evidence, kind, value, head))
                else:
                    report.refused_links += 1
                    reason = f"same {kind} but {clusters.conflict(head, other)}"
                    review[pair_key(head, other)] = _review_row(
                        head, other, 1.0, False, reason, ev.exact_evidence(kind, value, other), run,
                        threshold=settings.threshold, conflict=True)
    t = lap("exact", t)

    # 3. The probabilistic model.
    model_settings: dict[str, Any] | None = None
    pairs = pd.DataFrame()
    default_model = load_default_model()
    if len(keys) >= max(2, settings.min_records_to_train) or (len(keys) >= 2 and default_model is None):
        trained = train_and_predict(table, pd.DataFrame(id_pairs, columns=["l", "r"]),
                                    floor=settings.review_low, seed=settings.seed,
                                    u_max_pairs=settings.u_max_pairs, threads=settings.threads)
        model_settings, pairs = trained.settings, trained.pairs
        report.model_source = "trained on this store's records (EM, no labels)"
    elif len(keys) >= 2 and default_model is not None:
        trained = predict_with_model(table, default_model, floor=settings.review_low,
                                     threads=settings.threads)
        model_settings, pairs = trained.settings, trained.pairs
        report.model_source = (f"bundled pre-trained model ({len(keys)} records < "
                               f"{settings.min_records_to_train}: too few to train on)")
    report.scored_pairs = len(pairs)
    t = lap("model", t)

    if model_settings is not None and not pairs.empty:
        labels = level_labels(model_settings)
        lam = float(model_settings.get("probability_two_random_records_match", 1e-4))
        prior = math.log2(lam / (1 - lam))
        pairs = pairs.sort_values(["match_probability", "unique_id_l", "unique_id_r"],
                                  ascending=[False, True, True], kind="mergesort")
        columns = {c: pairs[c].tolist() for c in pairs.columns}

        def pair_row(i: int) -> dict[str, Any]:
            return {c: values[i] for c, values in columns.items()}

        def evidence(i: int, this: str) -> dict[str, Any]:
            return ev.model_evidence(pair_row(i), this, labels, prior)

        for i, (a, b, p, g_given, g_dob) in enumerate(zip(
                columns["unique_id_l"], columns["unique_id_r"], columns["match_probability"],
                columns["gamma_given_name"], columns["gamma_dob"])):
            p = float(p)
            pk = pair_key(a, b)
            if pk in decisions:
                continue
            if p >= settings.threshold:
                guard = _model_guard(int(g_given), int(g_dob))
                if guard:
                    report.refused_links += 1
                    review[pk] = _review_row(a, b, p, False, f"not linked: {guard}",
                                             evidence(i, a), run,
                                             threshold=settings.threshold, conflict=True)
                elif clusters.link(a, b):
                    report.model_links += 1
                    accept(a, b, partial(evidence, i, a), partial(evidence, i, b))
                    if p < settings.review_high:
                        review[pk] = _review_row(a, b, p, True, "linked, probability below "
                                                 f"{settings.review_high}", evidence(i, a), run,
                                                 threshold=settings.threshold)
                else:
                    report.refused_links += 1
                    review[pk] = _review_row(a, b, p, False, "not linked: "
                                             + str(clusters.conflict(a, b)), evidence(i, a), run,
                                             threshold=settings.threshold, conflict=True)
            elif not clusters.same(a, b):
                review[pk] = _review_row(a, b, p, False, f"probability below {settings.threshold}",
                                         evidence(i, a), run, threshold=settings.threshold)
    for item in review.values():
        item["linked"] = clusters.same(item["record_a"], item["record_b"])
    t = lap("cluster", t)

    # 4. Stable keys, persons, links.
    groups = clusters.clusters()
    assignment = assign_person_keys(groups, previous)
    old_keys = set(previous.values())
    new_keys = {assignment[g[0]] for g in groups}
    report.persons = len(groups)
    report.multi_record_persons = sum(1 for g in groups if len(g) > 1)
    report.kept_keys = len(new_keys & old_keys)
    report.new_keys = len(new_keys - old_keys)
    moved = [{"record": r, "person": assignment[r]} for r in keys
             if r in previous and previous[r] != assignment[r]]
    report.moved_records = len(moved)

    info = {k: row for k, *row in zip(table["unique_id"], table["display_given"],
                                      table["display_family"], table["dob"],
                                      table["dob_is_default"], table["sex"])}
    persons = [_person_row(assignment[g[0]], g, info, run) for g in groups]
    singleton = ev.singleton_evidence(settings.threshold)
    links = []
    for r in keys:
        make = best.get(r)
        e = make() if make is not None else singleton
        links.append({"record": r, "person": assignment[r], "probability": float(e["probability"]),
                      "method": e["method"] if e["method"] != "exact" else f"exact:{e['identifier']}",
                      "evidence": ev.dump(e), "run": run})

    model_path = None
    if model_settings is not None:
        model_dir = Path(settings.model_dir) if settings.model_dir else default_model_dir(store)
        model_path = model_dir / f"{run}.json"
        tmp = model_path.with_suffix(".json.tmp")
        try:
            with open_private(tmp) as fh:  # creates model_dir too
                fh.write(json.dumps(model_settings, indent=1, default=str))
            os.replace(tmp, model_path)
        except OSError as err:
            raise ConfigError(f"cannot write the trained model to {model_path}: {err.strerror or err}; "
                              "nothing was written to the graph",
                              hint="choose a writable folder with --model-dir") from None
        report.model_path = str(model_path)
    report.review_pairs = len(review)
    t = lap("prepare-write", t)

    finished = _now()
    run_props = {
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "records": report.records, "persons": report.persons,
        "exact_links": report.exact_links, "model_links": report.model_links,
        "decision_links": report.decision_links, "refused_links": report.refused_links,
        "review_pairs": report.review_pairs, "threshold": settings.threshold,
        "review_low": settings.review_low, "review_high": settings.review_high,
        "model_path": str(model_path) if model_path else None,
        "model_source": report.model_source,
        "model_json": json.dumps(model_settings, default=str) if model_settings else None,
    }
    write_resolution(store, run=run, persons=persons, links=links, moved=moved,
                     review=list(review.values()), run_props=run_props)
    t = lap("write", t)
    # Derived fragmentation facts depend on who is who: recompute them (graph/analytics.py).
    refresh_facts(store)
    lap("facts", t)
    report.elapsed = round(time.perf_counter() - clock, 2)
    return report


def _model_guard(gamma_given_name: int, gamma_dob: int) -> str | None:
    """Why the model alone may not link this pair even above the threshold (None if it may).

    Twins and siblings agree on everything but the given name; a parent and a
    child who share a name and an address differ only in the date of birth.
    Both look like one person to a model that assumes fields are independent,
    so such pairs need an identifier or a human decision.
    """
    if gamma_given_name == 0:
        return "given names disagree (possible twin or sibling)"
    if gamma_dob == 0:
        return "dates of birth more than 5 years apart (possible parent and child)"
    return None


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
            "priority": priority}


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
