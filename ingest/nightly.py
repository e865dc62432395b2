"""The nightly cycle: one day's delta ingest, incremental resolution, facts of the touched people.

A MASH receives each agency's new and changed rows every night (``mashgraph synth
--days N`` writes such deltas, ``synth/days.py``). :func:`run_night` is one night:

1. **ingest** the night's job file (``run_job`` without its whole-graph refresh),
   keeping the keys of the records, events and households its rows named;
2. **resolve** incrementally (``resolve_records(incremental=True)``): only new and
   changed records are linked; it falls back to a full run when it must;
3. **facts**: ``refresh_facts`` for the events the rows named, the persons those records
   and events belong to,
   before and after resolution, and the persons resolution wrote, then their
   households (``graph/analytics.py``); equal to a full refresh, in a fraction of the time;
4. **linked risk** only when asked (``linked_risk=True``): the networkx analysis is
   whole-graph (16 s at 100,000 people, docs/benchmarks.md), so the nightly cycle
   defers it; ``mashgraph analytics run`` (or the replay's ``--linked-risk-every``)
   runs it, and every person's ``risk_as_of`` says how old it is;
5. **alerts** (``alerts=True``, and the setting ``alerts_refresh`` on): every alert
   query (``graph/alerts.py``), as of the night's date (``as_of``; default the
   ``today`` setting).

:func:`replay` runs nights ``1..N`` of a ``synth --days`` folder in order.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigError
from ..graph.analytics import FactsReport, refresh_facts, touched_persons
from .jobs import JobReport, run_job
from .resolve.config import ResolveSettings
from .resolve.pipeline import ResolveReport, resolve_records
from .synth.days import day_dir, iter_days

__all__ = ["NightReport", "run_night", "replay", "read_manifest", "RESOLVED_PERSONS_CYPHER"]

# The persons a resolution run wrote (WRITE_PERSONS_CYPHER stamps its run key on them).
RESOLVED_PERSONS_CYPHER = "MATCH (p:Person) WHERE p.run = $run RETURN p.key AS key"


@dataclass
class NightReport:
    """What one night did, with the time of each part (seconds)."""
    job: str
    ingest: JobReport
    resolve: ResolveReport
    facts: FactsReport
    linked_risk: Any = None
    timings: dict[str, float] = field(default_factory=dict)
    as_of: str | None = None
    alerts: Any = None

    @property
    def elapsed(self) -> float:
        return sum(self.timings.values())

    def line(self) -> str:
        totals = self.ingest.totals()
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items())
        linked = self.resolve.fresh_records if self.resolve.mode.startswith("incremental") else self.resolve.records
        alerts = ""
        if self.alerts is not None:
            c = self.alerts.counts
            alerts = (f", {sum(self.alerts.matches.values())} alert matches ({c['opened']} new, "
                      f"{c['no_longer_matching']} no longer matching)")
        return (f"{self.job}: {totals['loaded']:,} rows loaded ({totals['quarantined']:,} quarantined), "
                f"{linked:,} records resolved ({self.resolve.mode}), facts of "
                f"{self.facts.persons:,} persons and {self.facts.households:,} households{alerts}; {parts}; "
                f"total {self.elapsed:.1f} s")

    def to_dict(self) -> dict[str, Any]:
        return {"job": self.job, "as_of": self.as_of, "timings": self.timings, "elapsed": round(self.elapsed, 3),
                "ingest": self.ingest.to_dict(), "resolve": self.resolve.as_dict(),
                "facts": {"persons": self.facts.persons, "households": self.facts.households},
                "linked_risk": None if self.linked_risk is None else self.linked_risk.summary(),
                "alerts": None if self.alerts is None else self.alerts.to_dict()}


def run_night(store: Any, job_file: str | Path, *, settings: ResolveSettings | None = None,
              linked_risk: bool = False, as_of: str | None = None, alerts: bool = True) -> NightReport:
    """Run one nightly cycle for ``job_file`` (see the module docstring)."""
    timings: dict[str, float] = {}

    def timed(name: str, action: Callable[[], Any]) -> Any:
        t = time.perf_counter()
        out = action()
        timings[name] = round(time.perf_counter() - t, 3)
        return out

    ingest = timed("ingest", lambda: run_job(store, job_file, refresh=False))
    touched = ingest.touched()
    before = timed("facts", lambda: touched_persons(store, touched))
    resolved = timed("resolve", lambda: resolve_records(store, settings, incremental=True, refresh=False))
    t = time.perf_counter()
    persons = before | touched_persons(store, touched)
    persons |= set(store.read(RESOLVED_PERSONS_CYPHER, {"run": resolved.run}, timeout=600).column("key"))
    facts = refresh_facts(store, persons=persons, events=touched)
    timings["facts"] = round(timings["facts"] + time.perf_counter() - t, 3)
    risk = timed("linked-risk", lambda: _linked_risk(store)) if linked_risk else None
    found = timed("alerts", lambda: _alerts(store, as_of)) if alerts and _alerts_on(store) else None
    return NightReport(str(job_file), ingest, resolved, facts, risk, timings, as_of, found)


def _alerts_on(store: Any) -> bool:
    settings = getattr(store, "settings", None)
    return settings is None or settings.alerts_refresh


def _alerts(store: Any, as_of: str | None) -> Any:
    from ..graph.alerts import run_alerts

    return run_alerts(store, dt.date.fromisoformat(as_of) if as_of else None)


def _linked_risk(store: Any) -> Any:
    from ..graph.linked_risk import load_weights
    from ..graph.risk_facts import run_analytics

    settings = getattr(store, "settings", None)
    return run_analytics(store, load_weights(settings.risk_weights if settings is not None else None))


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """``FOLDER/days/manifest.json`` as ``synth --days`` wrote it, or a ConfigError saying what to do."""
    path = Path(folder) / "days" / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist: {folder} holds no nightly deltas",
                          hint="write them with `mashgraph synth ... --days N --out FOLDER`") from None
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path} cannot be read: {err}", hint="write the folder again with `mashgraph synth --days`")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("days"), int):
        raise ConfigError(f"{path} is not a `synth --days` manifest", hint="write it again with `mashgraph synth`")
    return manifest


def replay(store: Any, folder: str | Path, days: str, *, settings: ResolveSettings | None = None,
           linked_risk_every: int = 0, alerts: bool = True,
           on_night: Callable[[int, NightReport], None] | None = None) -> list[NightReport]:
    """Run the nights ``days`` (e.g. ``"1-30"``) of a ``synth --days`` folder in order.

    ``linked_risk_every``: also run the linked-risk analysis on every k-th night (0 = never).
    Each night's alert run stands for the night's last date (``as_of`` in ``days/manifest.json``).
    Nights must ascend: a delta assumes the nights before it are loaded.
    """
    manifest = read_manifest(folder)
    try:
        nights = list(iter_days(days, manifest["days"]))
    except ValueError as err:
        raise ConfigError(str(err), hint="e.g. --days 1-30") from None
    if nights != sorted(set(nights)):
        raise ConfigError(f"nights {days!r} are not in ascending order without repeats",
                          hint="replay nights in the order they were received, e.g. --days 1-30")
    as_of = {n["day"]: n["as_of"] for n in manifest.get("nights", [])}
    out = []
    for day in nights:
        job = Path(folder) / "days" / day_dir(day) / "job.yml"
        every = linked_risk_every > 0 and day % linked_risk_every == 0
        report = run_night(store, job, settings=settings, linked_risk=every, as_of=as_of.get(day), alerts=alerts)
        out.append(report)
        if on_night is not None:
            on_night(day, report)
    return out

