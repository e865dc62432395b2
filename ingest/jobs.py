"""Ingestion jobs: run every source of a job file, or one mapping over some files.

A job file (YAML) lists the sources of one batch run::

    name: nightly
    quarantine_dir: quarantine          # optional, relative to this file
    max_quarantine_share: 0.05          # optional, see ``JobReport.exit_code``
    sources:
      - mapping: police_incidents       # a mapping name or a path to a .yml
        files: [extracts/police_incidents.csv]   # relative to this file; globs allowed
        name: police                    # optional, default: the mapping name
        encoding: cp1252                # optional reader overrides: format, encoding,
        delimiter: ","                  #   delimiter, sheet
        constants: {agency: police}     # optional, added to the mapping's constants

Each source is independent: a file-level problem (missing file, unknown
format, header without a required column, invalid mapping) fails that source
with one message and the others still run. Every row read is either loaded
or quarantined (``read == loaded + quarantined``).

A file already loaded completely with the same mapping (same file sha256 and
mapping sha256, recorded on its ``IngestRun`` node) is skipped, so re-running
a job after a crash resumes at the first source that had not finished;
``force=True`` loads it again (which changes nothing in the graph: every write
is an idempotent MERGE).
"""

from __future__ import annotations

import datetime as _dt
import glob
import hashlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from ..errors import ConfigError, MappingError, MashgraphError, ValidationError
from ..graph.analytics import TOUCHED_LABELS, refresh_facts, refresh_linked_risk
from .load import RUN_FINISH_CYPHER, RUN_LOOKUP_CYPHER, RUN_START_CYPHER, BatchWriter, LoadPlan, WriteTicket
from .mapping import SourceMapping, load_mapping
from .quarantine import ProblemLog
from .readers import open_extract
from .validate import Problem, RowValidator, unstorable_text

__all__ = ["SourceReport", "JobReport", "JobSource", "run_job", "run_source", "load_job",
           "EXIT_OK", "EXIT_SOURCE_FAILED", "EXIT_QUARANTINE_EXCEEDED", "run_key"]

EXIT_OK = 0
EXIT_SOURCE_FAILED = 10
EXIT_QUARANTINE_EXCEEDED = 11

ProgressFn = Callable[[dict[str, Any]], None]
_READER_OPTIONS = ("format", "encoding", "delimiter", "quotechar", "sheet")
_SOURCE_KEYS = {"mapping", "files", "name", "constants", "description", *_READER_OPTIONS}


@dataclass
class SourceReport:
    """What happened to one source. ``read == loaded + quarantined + unwritten`` always holds.

    ``loaded`` counts only rows whose batch was written; ``unwritten`` is non-zero only
    when a write failed (the source is then ``failed``): valid rows queued, not written.
    """

    name: str
    mapping: str
    files: list[str]
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    unwritten: int = 0
    warnings: int = 0
    failed: bool = False
    error: str = ""
    elapsed: float = 0.0
    skipped_files: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    quarantine_file: str | None = None
    warnings_file: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    warning_reasons: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    # label -> keys of the nodes the rows named (graph/analytics.py TOUCHED_LABELS); not in to_dict
    touched: dict[str, set[str]] = field(default_factory=dict, repr=False)

    @property
    def quarantine_share(self) -> float:
        return self.quarantined / self.read if self.read else 0.0

    @property
    def skipped(self) -> bool:
        """True when every file was already loaded (nothing was written)."""
        return bool(self.files) and len(self.skipped_files) == len(self.files)

    def line(self) -> str:
        """This source in one line: what was read, loaded, quarantined and warned, or why it failed."""
        if self.failed:
            return (f"{self.name}: FAILED: {self.error} (read {self.read:,}, loaded {self.loaded:,}, "
                    f"quarantined {self.quarantined:,}, not written {self.unwritten:,})")
        what = "validated" if self.dry_run else ("already loaded" if self.skipped else "loaded")
        line = (f"{self.name}: read {self.read:,}, {what} {self.loaded:,}, quarantined {self.quarantined:,} "
                f"({self.quarantine_share:.1%}), warnings {self.warnings:,}, {self.elapsed:.1f} s")
        if self.quarantine_file:
            line += f" -> {self.quarantine_file}"
        return line

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("touched")
        out["elapsed"] = round(self.elapsed, 3)
        out["quarantine_share"] = round(self.quarantine_share, 6)
        out["skipped"] = self.skipped
        return out


@dataclass
class JobReport:
    """The reports of every source of a job, in job order."""

    name: str
    sources: list[SourceReport] = field(default_factory=list)
    elapsed: float = 0.0
    dry_run: bool = False
    max_quarantine_share: float | None = None
    quarantine_dir: str | None = None

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if s.failed]

    def over_share(self, share: float | None = None) -> list[SourceReport]:
        """Sources whose quarantined share of rows read is above ``share``."""
        limit = self.max_quarantine_share if share is None else share
        if limit is None:
            return []
        return [s for s in self.sources if not s.failed and s.quarantine_share > limit]

    def exit_code(self, max_quarantine_share: float | None = None) -> int:
        """0 when fine; 10 when a source failed; 11 when a source quarantined more than the share."""
        if self.failed:
            return EXIT_SOURCE_FAILED
        if self.over_share(max_quarantine_share):
            return EXIT_QUARANTINE_EXCEEDED
        return EXIT_OK

    def touched(self) -> dict[str, set[str]]:
        """Label -> keys of the nodes every source's rows named (files skipped as already loaded name none)."""
        out: dict[str, set[str]] = {}
        for source in self.sources:
            for label, keys in source.touched.items():
                out.setdefault(label, set()).update(keys)
        return out

    def totals(self) -> dict[str, int]:
        keys = ("read", "loaded", "quarantined", "unwritten", "warnings")
        return {k: sum(getattr(s, k) for s in self.sources) for k in keys}

    def summary(self) -> str:
        """The whole job in one line."""
        totals = self.totals()
        return (f"{self.name}: {len(self.sources)} source(s), read {totals['read']:,}, "
                f"{'validated' if self.dry_run else 'loaded'} {totals['loaded']:,}, quarantined "
                f"{totals['quarantined']:,}, warnings {totals['warnings']:,} in {self.elapsed:.1f} s")

    def lines(self) -> list[str]:
        """The job's summary, then one line per source (:meth:`SourceReport.line`)."""
        return [self.summary(), *(s.line() for s in self.sources)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "job": self.name, "dry_run": self.dry_run, "elapsed": round(self.elapsed, 3),
            "max_quarantine_share": self.max_quarantine_share, "quarantine_dir": self.quarantine_dir,
            "totals": self.totals(), "exit_code": self.exit_code(),
            "sources": [s.to_dict() for s in self.sources],
        }


@dataclass
class JobSource:
    """One source of a job file, paths resolved."""

    name: str
    mapping: str
    files: list[str]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Job:
    name: str
    path: Path
    sources: list[JobSource]
    quarantine_dir: Path | None
    max_quarantine_share: float | None


def _utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _stamp() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def run_key(source: str, sha256: str) -> str:
    """The ``IngestRun.key`` (and every loaded Record's ``run``) of a file loaded by a source.

    It depends on the file's content, not on the clock, so loading the same
    extract again, or resuming a killed load, writes exactly the same values.
    """
    return f"{source}@{sha256[:16]}"


# -- job files -----------------------------------------------------------------

def load_job(job_file: str | Path) -> _Job:
    """Read and check a job file; paths become absolute (relative ones are to the job file)."""
    path = Path(job_file)
    if not path.is_file():
        raise ConfigError(f"job file {path} not found", hint="give the path of a job .yml file")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}".replace("\n", " "),
                          hint="fix the YAML syntax of the job file") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("sources"), list) or not doc["sources"]:
        raise ConfigError(f"{path}: a job needs sources: (a list of mapping + files)",
                          hint="see docs/ingestion.md, 'Job files'")
    extra = sorted(set(doc) - {"name", "sources", "quarantine_dir", "max_quarantine_share", "description"})
    if extra:
        raise ConfigError(f"{path}: unknown key {extra[0]!r}",
                          hint="job keys: name, description, sources, quarantine_dir, max_quarantine_share")
    base = path.parent
    sources: list[JobSource] = []
    names: set[str] = set()
    for i, raw in enumerate(doc["sources"]):
        where = f"{path}: sources[{i}]"
        if not isinstance(raw, dict) or not raw.get("mapping"):
            raise ConfigError(f"{where}: each source needs mapping: and files:", hint="see docs/ingestion.md")
        unknown = sorted(set(raw) - _SOURCE_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}",
                              hint=f"source keys: {', '.join(sorted(_SOURCE_KEYS))}")
        files = raw.get("files")
        if isinstance(files, str):
            files = [files]
        if not isinstance(files, list) or not files:
            raise ConfigError(f"{where}: files: must list at least one file", hint="files: [extracts/x.csv]")
        mapping = str(raw["mapping"])
        if mapping.endswith((".yml", ".yaml")) and not Path(mapping).is_absolute():
            mapping = str(base / mapping)
        name = str(raw.get("name") or Path(mapping).stem)
        if name in names:
            raise ConfigError(f"{where}: two sources are named {name!r}",
                              hint="give each source that shares a mapping its own name:")
        names.add(name)
        options = {k: raw[k] for k in (*_READER_OPTIONS, "constants") if raw.get(k) is not None}
        paths = [found for pattern in files for found in _resolve(base, str(pattern))]
        sources.append(JobSource(name, mapping, paths, options))
    qdir = doc.get("quarantine_dir")
    share = doc.get("max_quarantine_share")
    if share is not None:
        try:
            share = float(share)
        except (TypeError, ValueError):
            raise ConfigError(f"{path}: max_quarantine_share must be a number between 0 and 1",
                              hint="e.g. max_quarantine_share: 0.05") from None
    return _Job(str(doc.get("name") or path.stem), path, sources,
                None if qdir is None else base / str(qdir), share)


def _resolve(base: Path, pattern: str) -> list[str]:
    """The files ``pattern`` names, relative to ``base``: a glob's matches in order, or the
    path itself (a pattern that matches nothing stays, so loading it reports the missing file)."""
    p = Path(pattern)
    full = p if p.is_absolute() else base / p
    if any(ch in pattern for ch in "*?["):
        return sorted(glob.glob(str(full))) or [str(full)]
    return [str(full)]


# -- running -------------------------------------------------------------------

def run_job(store: Any, job_file: str | Path, *, dry_run: bool = False,
            quarantine_dir: str | Path | None = None, force: bool = False,
            progress: ProgressFn | None = None, batch_size: int | None = None,
            refresh: bool = True) -> JobReport:
    """Run every source of ``job_file`` in order; a failed source does not stop the others.

    ``store`` may be ``None`` for a dry run (validation only, nothing written).
    Quarantine files go to ``quarantine_dir`` (default: the job's
    ``quarantine_dir``, else ``quarantine/`` next to the job file), in a
    sub-directory per run named ``<job>-<UTC time>``.

    One writer thread serves the whole job, so the next source is read and
    validated while the previous one's last batches are written; a source's
    report (and its ``source_done`` progress event) is final once its writes are.

    ``refresh=False`` leaves the derived facts and linked risk to the caller: the nightly
    cycle (``nightly.py``) refreshes only the persons :meth:`JobReport.touched` names.
    """
    job = load_job(job_file)
    started = time.perf_counter()
    base = Path(quarantine_dir) if quarantine_dir is not None else (job.quarantine_dir or job.path.parent / "quarantine")
    qdir = base / f"{job.name}-{_stamp()}"
    report = JobReport(job.name, dry_run=dry_run, max_quarantine_share=job.max_quarantine_share,
                       quarantine_dir=str(qdir))
    if store is not None and not dry_run:
        store.ensure_schema()
    writer = _writer_for(store) if store is not None and not dry_run else None
    loads: list[_SourceLoad] = []
    try:
        for src in job.sources:
            load = _start_source(
                store, src.mapping, src.files, dry_run=dry_run, name=src.name, options=src.options,
                quarantine_dir=qdir, force=force, progress=progress, batch_size=batch_size, schema=False,
                writer=writer)
            loads.append(load)
            report.sources.append(load.report)
            _finish_ready(loads, progress)
    finally:
        if writer is not None:
            writer.close()
    for load in loads:
        load.finish(progress)
    if store is not None and not dry_run and refresh:
        # New events change who knows what about people already resolved (graph/analytics.py),
        # and the linked risk that travels from them (graph/risk_facts.py).
        refresh_facts(store)
        refresh_linked_risk(store)
    report.elapsed = time.perf_counter() - started
    return report


def run_source(store: Any, mapping_name: str | Path, files: list[str | Path] | tuple[str | Path, ...], *,
               dry_run: bool = False, name: str | None = None, options: dict[str, Any] | None = None,
               quarantine_dir: str | Path | None = None, force: bool = False,
               progress: ProgressFn | None = None, batch_size: int | None = None,
               schema: bool = True) -> SourceReport:
    """Load ``files`` with one mapping; never raises for bad input: the report says ``failed``.

    ``quarantine_dir`` is where ``<name>.quarantine.csv`` and
    ``<name>.warnings.csv`` go (default ``./quarantine/<name>-<UTC time>``).
    """
    writer = _writer_for(store) if store is not None and not dry_run else None
    try:
        load = _start_source(store, mapping_name, files, dry_run=dry_run, name=name, options=options,
                             quarantine_dir=quarantine_dir, force=force, progress=progress,
                             batch_size=batch_size, schema=schema, writer=writer)
    finally:
        if writer is not None:
            writer.close()
    load.finish(progress)
    if store is not None and not dry_run:
        refresh_facts(store)
        refresh_linked_risk(store)
    return load.report


@dataclass
class _SourceLoad:
    """A source read completely whose writes may still be queued on the job's writer."""

    report: SourceReport
    started: float
    read_done: float = 0.0
    tickets: list[WriteTicket] = field(default_factory=list)
    finished: bool = False

    def ready(self) -> bool:
        return all(t.done for t in self.tickets)

    def finish(self, progress: ProgressFn | None) -> None:
        """Fold the writes' outcome into the report (call once every ticket is done)."""
        if self.finished:
            return
        self.finished = True
        report = self.report
        end = self.read_done
        for ticket in self.tickets:
            end = max(end, ticket.finished_at)
            for key, value in ticket.stats.items():
                report.stats[key] = report.stats.get(key, 0) + value
            # Rows of batches that were never written (or failed) are not loaded.
            lost = ticket.rows_queued - ticket.rows_written
            report.loaded -= lost
            report.unwritten += lost
            err = ticket.error
            if err is not None and not report.failed:
                if not isinstance(err, MashgraphError):
                    raise err
                report.failed = True
                report.error = err.one_line()
        report.elapsed = end - self.started
        if progress is not None:
            progress({"event": "source_done", "source": report.name, "report": report})


def _finish_ready(loads: list[_SourceLoad], progress: ProgressFn | None) -> None:
    """Finish, in job order, the sources whose writes are all done."""
    for load in loads:
        if load.finished:
            continue
        if not load.ready():
            return
        load.finish(progress)


def _start_source(store: Any, mapping_name: str | Path, files: list[str | Path] | tuple[str | Path, ...], *,
                  dry_run: bool, name: str | None, options: dict[str, Any] | None,
                  quarantine_dir: str | Path | None, force: bool, progress: ProgressFn | None,
                  batch_size: int | None, schema: bool, writer: BatchWriter | None) -> _SourceLoad:
    """Read, validate and queue the writes of one source; never raises for bad input."""
    started = time.perf_counter()
    files = [str(f) for f in files]
    report = SourceReport(name=name or Path(str(mapping_name)).stem, mapping=str(mapping_name),
                          files=files, dry_run=dry_run)
    load = _SourceLoad(report, started)
    qdir = Path(quarantine_dir) if quarantine_dir is not None else Path("quarantine") / f"{report.name}-{_stamp()}"
    log = ProblemLog(qdir, report.name)
    try:
        mapping = load_mapping(mapping_name)
        if options:
            mapping = mapping.with_options(**options)
        report.mapping = mapping.name
        plan = LoadPlan(mapping, merge=store is not None and store.dialect.upsert_by_merge)
        if not files:
            raise ValidationError(f"source {report.name}: no files given", hint="list the extract files to load")
        if store is not None and not dry_run and schema:
            store.ensure_schema()
        loader = _FileLoader(store, mapping, plan, report, log, writer, load.tickets, dry_run, force,
                             progress, batch_size or _batch_size(store))
        for path in files:
            if any(t.error is not None for t in load.tickets):
                break  # a write of an earlier file failed: the source fails, load no more of it
            loader.load(Path(path))
    except MashgraphError as err:
        report.failed = True
        report.error = err.one_line()
    finally:
        log.close()
        report.quarantined = log.quarantined
        report.warnings = log.warnings
        report.reasons = dict(sorted(log.reasons.items()))
        report.warning_reasons = dict(sorted(log.warning_reasons.items()))
        report.quarantine_file = log.quarantine_file
        report.warnings_file = log.warnings_file
        load.read_done = time.perf_counter()
    return load


def _writer_for(store: Any) -> BatchWriter:
    return BatchWriter(store.write, encode=store.encode_params, write_encoded=store.write_encoded)


def _batch_size(store: Any) -> int:
    return int(store.settings.batch_size or 10_000) if store is not None else 10_000


@dataclass
class _FileLoader:
    """Loads the files of one source one at a time; holds what they all share."""

    store: Any
    mapping: SourceMapping
    plan: LoadPlan
    report: SourceReport
    log: ProblemLog
    writer: BatchWriter | None
    tickets: list[WriteTicket]
    dry_run: bool
    force: bool
    progress: ProgressFn | None
    batch_size: int

    @property
    def writes(self) -> bool:
        return self.writer is not None and not self.dry_run

    def load(self, path: Path) -> None:
        """Validate every row of ``path`` and queue the good ones; bad rows go to quarantine."""
        m = self.mapping
        extract = open_extract(path, fmt=m.format, encoding=m.encoding, delimiter=m.delimiter,
                               sheet=m.sheet, quotechar=m.quotechar)
        with extract:
            folded = {c.casefold(): c for c in extract.columns}
            rules = _rules_for_header(m, set(extract.columns), folded, path, self.report)
            sha = file_sha256(path)
            key = run_key(self.report.name, sha)
            self.report.runs.append(key)
            if self.writes and not self.force and self._already_loaded(path, key):
                return
            ticket = self._open_ticket(path, key, sha) if self.writes else None
            self._load_rows(extract, path, key, RowValidator(rules, m.constants), ticket)
        self._emit("file_done", path, read=self.report.read, fraction=1.0)

    def _emit(self, event: str, path: Path, **fields: Any) -> None:
        if self.progress is not None:
            self.progress({"event": event, "source": self.report.name, "file": str(path), **fields})

    def _already_loaded(self, path: Path, key: str) -> bool:
        """True (and the earlier run's counts added to the report) when ``path`` was loaded completely."""
        earlier = self.writer.tickets.get(key)
        if earlier is not None:  # the same file earlier in this job: its outcome decides
            self.writer.wait(earlier)
        done = self.store.read(RUN_LOOKUP_CYPHER, {"key": key}).records()
        if not (done and done[0]["status"] == "complete" and done[0]["mapping_sha256"] == self.mapping.digest):
            return False
        prior, report = done[0], self.report
        report.skipped_files.append(str(path))
        report.read += int(prior["read"] or 0)
        report.loaded += int(prior["loaded"] or 0)
        self.log.quarantined += int(prior["quarantined"] or 0)
        self.log.warnings += int(prior["warnings"] or 0)
        report.notes.append(f"{path.name}: already loaded by run {key}; skipped (use --force to reload)")
        self._emit("file_skipped", path)
        return True

    def _open_ticket(self, path: Path, key: str, sha: str) -> WriteTicket:
        ticket = self.writer.ticket(key)
        self.tickets.append(ticket)
        self.writer.submit(ticket, [(RUN_START_CYPHER, {
            "key": key, "source": self.report.name, "file": str(path), "sha256": sha,
            "mapping": self.mapping.name, "mapping_sha256": self.mapping.digest, "started": _utc_now()})])
        return ticket

    def _load_rows(self, extract: Any, path: Path, key: str, validate: RowValidator,
                   ticket: WriteTicket | None) -> None:
        log, plan, writer, report = self.log, self.plan, self.writer, self.report
        file_read = file_loaded = 0
        q_before, w_before = log.quarantined, log.warnings
        reasons_before, warned_before = dict(log.reasons), dict(log.warning_reasons)
        name = path.name
        plan.forget()
        add_row = plan.add_row
        batch = plan.new_batch()
        seen: set[int] = set()
        try:
            for raw in extract:
                file_read += 1
                if raw.problem is not None:
                    log.quarantine_row(name, raw.line, Problem("", raw.problem, raw.detail), raw.raw)
                    continue
                digest = hash(raw.raw)
                if digest in seen:
                    log.quarantine_row(name, raw.line, Problem("", "duplicate_row",
                                       "the same text as an earlier row of this file"), raw.raw)
                    continue
                seen.add(digest)
                bad_text = unstorable_text(raw.raw, raw.values)
                if bad_text is not None:
                    log.quarantine_row(name, raw.line, bad_text, raw.raw)
                    continue
                clean, problems = validate(raw.values)
                if clean is None:
                    log.quarantine_row(name, raw.line, problems[0], raw.raw)
                    continue
                problem = add_row(batch, clean, {"source": name, "line": raw.line, "run": key})
                if problem is not None:
                    log.quarantine_row(name, raw.line, problem, raw.raw)
                    continue
                for w in problems:
                    log.warn(name, raw.line, w)
                file_loaded += 1
                if batch.rows >= self.batch_size:
                    if ticket is not None:
                        writer.submit_rows(ticket, batch.statements(plan), batch.rows)
                    batch = plan.new_batch()
                    self._emit("rows", path, read=report.read + file_read, fraction=extract.fraction())
            if ticket is not None:
                if batch.rows:
                    writer.submit_rows(ticket, batch.statements(plan), batch.rows)
                counts = {"key": key, "read": file_read, "loaded": file_loaded,
                          "quarantined": log.quarantined - q_before, "warnings": log.warnings - w_before,
                          "reasons": _counted_since(log.reasons, reasons_before),
                          "warning_reasons": _counted_since(log.warning_reasons, warned_before)}
                # Written after every batch of the file, with the time it is written.
                writer.submit(ticket, [(RUN_FINISH_CYPHER, lambda: {**counts, "finished": _utc_now()})])
                writer.seal(ticket)
        except BaseException:
            if ticket is not None:
                writer.abandon(ticket)
            raise
        finally:
            if ticket is not None:
                for label, keys in plan.sent_keys(TOUCHED_LABELS).items():
                    report.touched.setdefault(label, set()).update(keys)
            report.read += file_read
            if ticket is None:
                report.loaded += file_loaded
            else:  # only rows handed to the writer can be loaded; finish() takes off those it did not write
                report.loaded += ticket.rows_queued
                report.unwritten += file_loaded - ticket.rows_queued


def _counted_since(now: dict[str, int], before: dict[str, int]) -> list[str]:
    """``"reason|count"`` for each reason counted since ``before`` (one file's share of a source's counts)."""
    return [f"{reason}|{n - before.get(reason, 0)}" for reason, n in sorted(now.items()) if n > before.get(reason, 0)]


def _rules_for_header(mapping: SourceMapping, present: set[str], folded: dict[str, str], path: Path,
                      report: SourceReport) -> list:
    """The mapping's field rules bound to this file's header; a missing required column fails the file."""
    from dataclasses import replace

    missing = []
    rules = []
    for rule in mapping.rules:
        column = rule.column
        if column is None or column in present:
            rules.append(rule)
            continue
        if column.casefold() in folded:
            rules.append(replace(rule, column=folded[column.casefold()]))
            continue
        if rule.required:
            missing.append(column)
            continue
        report.notes.append(f"{path.name}: no column {column!r}; field {rule.name} is empty on every row")
        rules.append(rule)
    if missing:
        raise ValidationError(
            f"{path}: the header lacks required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)} (mapping {mapping.name})",
            hint="check that the file matches the mapping (delimiter, header line) or fix the extract")
    return rules
