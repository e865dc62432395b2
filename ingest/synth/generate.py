"""``generate()``: build the world, plant patterns, write extracts, truth and job.yml."""

from __future__ import annotations

import csv
import importlib
import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from . import activity, badrows, days as daily, population, writers
from .config import SynthConfig
from .partnership import PartnershipPlan, plant_partnership
from .world import World

__all__ = ["generate", "SynthSummary"]


@dataclass
class SynthSummary:
    """What one ``generate()`` run wrote."""
    out_dir: Path
    seed: int
    people: int
    authorities: int
    records: int
    events: int
    rows: dict[str, int] = field(default_factory=dict)     # extract file -> data rows
    bad_rows: int = 0
    pattern_instances: int = 0
    elapsed: float = 0.0
    days: int = 0                                          # nights of delta files under days/ (--days)

    @property
    def files(self) -> list[str]:
        return sorted(self.rows)

    def lines(self) -> list[str]:
        """The run in one line, for a person reading a terminal."""
        return [f"{self.people:,} people (seed {self.seed}, {self.authorities} authorit"
                f"{'y' if self.authorities == 1 else 'ies'}): {self.records:,} agency records, "
                f"{self.events:,} events, {self.pattern_instances} planted pattern instances, "
                f"{self.bad_rows} bad rows, {len(self.rows)} extract files"]


def _load_patterns() -> Any:
    try:
        return importlib.import_module(f"{__package__}.patterns")
    except ModuleNotFoundError as err:
        if err.name != f"{__package__}.patterns":
            raise
        return None


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _d(d: date | None) -> str:
    return d.isoformat() if d else ""


def _write_truth(world: World, truth: Path, used: set[str], bad: list[tuple[str, int, str]],
                 instances: list[dict[str, Any]], summary: dict[str, Any]) -> int:
    records = sorted((k, r.person.pid) for k, r in world.records.items() if k in used)
    _csv(truth / "records.csv", ["record_key", "true_person_id"], [list(r) for r in records])
    _csv(truth / "people.csv",
         ["person_id", "given_name", "family_name", "sex", "dob", "nhs_number", "upn", "pnc_id", "ni_number",
          "twin_of", "doppelganger_of"],
         [[p.pid, p.given, p.family, p.sex, _d(p.dob), p.nhs_number or "", p.upn or "", p.pnc_id or "",
           p.ni_number or "", p.twin_of or "", p.doppelganger_of or ""] for p in world.people])
    _csv(truth / "addresses.csv", ["uprn", "address", "postcode", "la"],
         [[a.uprn, a.text, a.postcode, f"la{a.la}"] for a in world.addresses])
    _csv(truth / "households.csv", ["household_id", "uprn", "from", "to"],
         [[h.hid, s.address.uprn, _d(s.start), _d(s.end)] for h in world.households for s in h.stays])
    _csv(truth / "memberships.csv", ["household_id", "person_id", "role", "from", "to"],
         [[h.hid, m.person.pid, m.role, _d(m.start), _d(m.end)] for h in world.households for m in h.members])
    _csv(truth / "relationships.csv", ["person_id", "related_person_id", "type", "from", "to"],
         [[r.a.pid, r.b.pid, r.type, _d(r.start), _d(r.end)] for r in world.relationships])
    _csv(truth / "data_quality.csv", ["record_key", "field", "kind"],
         [[k, f, kind] for k, _ in records for f, kind in world.records[k].defects])
    _csv(truth / "events.csv", ["event_key", "format", "type", "date", "people", "planted"],
         [[e.key, e.fmt, e.type, _d(e.date), ";".join(f"{i.person.pid}:{i.role}" for i in e.people),
           "Y" if e.planted else "N"] for e in world.events])
    _csv(truth / "bad_rows.csv", ["file", "line", "kind"], [list(b) for b in bad])
    with open(truth / "patterns.jsonl", "w", encoding="utf-8") as fh:
        for item in instances:
            fh.write(json.dumps(item, sort_keys=True, default=str) + "\n")
    (truth / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return len(records)


def _job_yaml(seed: int, people: int, authorities: int, sources: list[tuple[str, list[str]]]) -> str:
    lines = [f"# mashgraph ingestion job written by `mashgraph synth` (seed {seed}, {people} people, "
             f"{authorities} authorit{'y' if authorities == 1 else 'ies'})",
             f"name: synth-seed-{seed}", "sources:"]
    for mapping, files in sources:
        lines.append(f"  - mapping: {mapping}")
        lines.append(f"    files: [{', '.join(files)}]")
    return "\n".join(lines) + "\n"


def _day_plan(cfg: SynthConfig, days: int, day_length: int, bad_rows: float) -> daily.DayPlan | None:
    if not days:
        return None
    if bad_rows:
        raise ConfigError("--days writes the nightly files without malformed rows, so it cannot be combined "
                          "with --bad-rows", hint="generate the two data sets separately")
    try:
        return daily.check_plan(days, day_length, (cfg.window_start, cfg.window_end))
    except ValueError as err:
        raise ConfigError(str(err)) from None


def generate(out_dir: str | Path, people: int, seed: int, authorities: int = 1, bad_rows: float = 0.0,
             *, pattern_rate: float = 1.0, config: SynthConfig | None = None, days: int = 0, day_length: int = 1,
             partnership: PartnershipPlan | None = None, **rates: float) -> SynthSummary:
    """Generate a synthetic multi-agency data set into ``out_dir``.

    Writes ``out_dir/extracts/`` (one file per agency format, docs/data-dictionary.md),
    ``out_dir/truth/`` (``records.csv`` = ``record_key,true_person_id`` and the rest of
    the ground truth) and ``out_dir/job.yml``. Same arguments -> same bytes.
    ``rates`` override ``EventRates`` fields (e.g. ``contact_chain=0.05``) or scale
    data-quality defect kinds (e.g. ``typo=2.0``, ``missing_identifier=0``).
    ``pattern_rate`` is passed to ``ingest/synth/patterns.py`` ``plant()`` if present.
    ``days`` > 0 also writes ``out_dir/days/``: the same rows as ``days`` nightly delta
    files per extract, ``day_length`` calendar days a night (``days.py``), and gives each
    planted instance its ``first_detectable_day``.
    ``partnership`` plants the changes of ``ingest/synth/partnership.py`` and writes
    ``truth/partnership.json``; without it nothing of that is written or drawn.
    """
    started = time.perf_counter()
    if people < 1:
        raise ConfigError(f"--people must be at least 1 (got {people})", hint="ask for 400 or more people")
    if not 1 <= authorities <= 99:
        raise ConfigError(f"--authorities must be 1..99 (got {authorities})")
    if not 0.0 <= bad_rows < 1.0:
        raise ConfigError(f"--bad-rows is a share of rows in [0, 1) (got {bad_rows})", hint="e.g. --bad-rows 0.01")
    if pattern_rate < 0:
        raise ConfigError(f"--pattern-rate must not be negative (got {pattern_rate})")
    try:
        cfg = (config or SynthConfig()).with_overrides(**rates)
    except TypeError as err:
        raise ConfigError(str(err)) from None
    plan = _day_plan(cfg, days, day_length, bad_rows)
    out = Path(out_dir)
    extracts, truth = out / "extracts", out / "truth"
    try:
        if (out / "days").exists():
            shutil.rmtree(out / "days")
        for folder in (extracts, truth):
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
    except OSError as err:
        raise ConfigError(f"cannot write the output directory {out}: {err.strerror or err}",
                          hint="choose a writable folder with --out") from None

    world = World(seed, authorities, cfg)
    population.build_population(world, people)
    population.simulate_changes(world)
    activity.generate_activity(world)
    instances: list[dict[str, Any]] = []
    patterns = _load_patterns()
    if patterns is not None and pattern_rate > 0:
        with world.planting():
            instances = list(patterns.plant(world, world.stream("patterns"), pattern_rate) or [])
    planted_changes = plant_partnership(world, partnership) if partnership is not None else None
    world.finalise()

    text_files, sheet_files, used = writers.render_all(world)
    bad: list[tuple[str, int, str]] = []
    rng = world.stream("bad_rows")
    rows: dict[str, int] = {}
    sources: dict[str, list[str]] = {}
    for f in text_files:
        lines = badrows.render_lines(f, bad_rows, rng, bad)
        writers.write_text_file(extracts / f.name, f, lines)
        rows[f"extracts/{f.name}"] = len(f.rows)
        sources.setdefault(f.mapping, []).append(f"extracts/{f.name}")
    for s in sheet_files:
        rows[f"extracts/{s.name}"] = len(s.rows)
        badrows.inject_sheet(s, bad_rows, rng, bad)
        writers.write_xlsx(extracts / s.name, s)
        sources.setdefault(s.mapping, []).append(f"extracts/{s.name}")
    order = ["agencies", "police_incidents", "csc_contacts", "csc_household_members", "csc_episodes",
             "health_events", "education_events", "housing_events", "asc_concerns", "probation_cases"]
    job = [(m, sources[m]) for m in order if m in sources]
    (out / "job.yml").write_text(_job_yaml(seed, people, authorities, job), encoding="utf-8")
    if plan is not None:
        daily.write_days(out, text_files, sheet_files, order, plan, f"synth-seed-{seed}")
        daily.detectable_days(plan, instances, {e.key: e.date for e in world.events})

    summary = {
        "seed": seed, "people": len(world.people), "requested_people": people, "authorities": authorities,
        "bad_rows_rate": bad_rows, "pattern_rate": pattern_rate, "window": [_d(world.start), _d(world.end)],
        "events": len(world.events), "rows": rows, "bad_rows": len(bad), "pattern_instances": len(instances),
        "rates": {k: v for k, v in sorted(rates.items())},
    }
    if plan is not None:
        summary["days"] = {"days": plan.days, "day_length": plan.length, "first": _d(plan.first)}
    n_records = _write_truth(world, truth, used, bad, instances, summary)
    if planted_changes is not None:
        (truth / "partnership.json").write_text(json.dumps(planted_changes, indent=2, sort_keys=True) + "\n",
                                                encoding="utf-8")
    return SynthSummary(out, seed, len(world.people), authorities, n_records, len(world.events), rows,
                        len(bad), len(instances), time.perf_counter() - started, plan.days if plan else 0)
