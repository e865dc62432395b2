"""``mashgraph ingest``: run an ingestion job, or one mapping over some files.

Exit codes: 0 all sources loaded within the quarantine share; 10 a source
failed (a file-level problem or an invalid mapping); 11 a source quarantined
more than ``--max-quarantine-share`` of its rows; the usual mashgraph codes for
a bad job file or option (2) or an unreachable store (3).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from ..errors import ConfigError
from ..settings import Settings
from .jobs import JobReport, SourceReport, run_job, run_source
from .mapping import available_mappings

__all__ = ["ingest"]


class _Progress:
    """A one-line progress display on a terminal; plain log lines (every few seconds) otherwise."""

    def __init__(self, stream: Any, tty: bool, log_every: float = 5.0) -> None:
        self.stream = stream
        self.tty = tty
        self.log_every = log_every
        self._last_log = 0.0
        self._last_draw = 0.0
        self._started = time.monotonic()
        self._shown = False

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "source_done":
            self._clear()
            click.echo(_summary_line(event["report"]), file=self.stream)
            return
        if kind == "file_skipped":
            self._clear()
            click.echo(f"{event['source']}: {Path(event['file']).name} already loaded, skipped", file=self.stream)
            return
        if kind not in ("rows", "file_done"):
            return
        fraction = float(event.get("fraction") or 0.0)
        if self.tty:
            if kind == "rows" and time.monotonic() - self._last_draw < 0.1:
                return
            self._last_draw = time.monotonic()
            width = 30
            filled = int(width * fraction)
            bar = "#" * filled + "-" * (width - filled)
            text = (f"\r{event['source']:<24} [{bar}] {fraction:5.1%} "
                    f"{event['read']:>10,} rows  {time.monotonic() - self._started:6.1f}s")
            self.stream.write(text)
            self.stream.flush()
            self._shown = True
        elif kind == "rows" and time.monotonic() - self._last_log >= self.log_every:
            self._last_log = time.monotonic()
            click.echo(f"{_now()} {event['source']}: {event['read']:,} rows read ({fraction:.0%} of "
                       f"{Path(event['file']).name})", file=self.stream)

    def _clear(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\r" + " " * 90 + "\r")
            self._shown = False


def _now() -> str:
    return time.strftime("%H:%M:%S")


def _summary_line(s: SourceReport) -> str:
    return click.style(s.line(), fg="red") if s.failed else s.line()


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--mapping", "-m", "mapping", metavar="NAME",
              help="Load FILE... with this mapping (a name from ingest/mappings/ or a .yml path) "
                   "instead of running a job file.")
@click.option("--name", "source_name", metavar="NAME", help="Source name with --mapping (default: the mapping name).")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a JSON report (per source: read, loaded, quarantined, warnings, elapsed).")
@click.option("--dry-run", is_flag=True, help="Read and validate everything; write nothing to the store.")
@click.option("--max-quarantine-share", type=click.FloatRange(0.0, 1.0), default=None, metavar="SHARE",
              help="Exit 11 when a source quarantines more than this share of its rows (e.g. 0.05). "
                   "Default: the job's max_quarantine_share, else no limit.")
@click.option("--quarantine-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where quarantine and warning files go (a sub-directory per run). "
                   "Default: the job's quarantine_dir, else quarantine/ next to the job file (or here).")
@click.option("--force", is_flag=True, help="Load files again even when already loaded completely.")
@click.option("--batch-size", type=click.IntRange(1), default=None,
              help="Source rows per write batch (default: MASHGRAPH_BATCH_SIZE, 10000).")
@click.option("--log-every", type=click.FloatRange(0.0), default=5.0, show_default=True, metavar="SECONDS",
              help="When not on a terminal: a progress log line at most every SECONDS (0: every batch).")
@click.option("--list-mappings", is_flag=True, help="List the mappings shipped with mashgraph and exit.")
@click.option("--no-alerts", is_flag=True,
              help="Do not run the alert queries at the end (they run unless MASHGRAPH_ALERTS_REFRESH is off).")
@click.pass_obj
def ingest(settings: Settings, paths: tuple[Path, ...], mapping: str | None, source_name: str | None,
           report_file: Path | None, dry_run: bool, max_quarantine_share: float | None,
           quarantine_dir: Path | None, force: bool, batch_size: int | None, log_every: float,
           list_mappings: bool, no_alerts: bool) -> None:
    """Load agency extracts: `mashgraph ingest JOB.yml` or `mashgraph ingest --mapping NAME FILE...`.

    Every row is validated; bad rows go to a quarantine file with file, line,
    field and reason, and the rest loads. Re-running is safe: writes are
    idempotent MERGEs and completely loaded files are skipped.
    """
    if list_mappings:
        for name in available_mappings():
            click.echo(name)
        return
    if not paths:
        raise ConfigError("nothing to ingest", hint="give a job file, or --mapping NAME and the files to load")
    if mapping is None and len(paths) != 1:
        raise ConfigError(f"one job file expected, got {len(paths)} paths",
                          hint="to load files with one mapping, add --mapping NAME")
    if report_file is not None:  # before loading anything, not after an hour's run
        _writable_parent(report_file, "report")
    tty = sys.stderr.isatty()
    progress = _Progress(sys.stderr if tty else sys.stdout, tty, log_every)
    if dry_run:
        report = _run(None, paths, mapping, source_name, quarantine_dir, force, progress, batch_size, dry_run)
    else:
        from ..graph import open_store

        from ..graph.alerts_cli import run_after_load

        with open_store(settings.db, settings) as store:
            report = _run(store, paths, mapping, source_name, quarantine_dir, force, progress, batch_size, dry_run)
            run_after_load(store, settings, enabled=not no_alerts)
    if max_quarantine_share is not None:
        report.max_quarantine_share = max_quarantine_share
    click.echo(report.summary())
    for s in report.over_share():
        click.secho(f"{s.name}: quarantined {s.quarantine_share:.1%} of its rows, above the limit "
                    f"{report.max_quarantine_share:.1%}", fg="red", err=True)
    if report_file is not None:
        try:
            report_file.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
        except OSError as err:
            raise ConfigError(f"cannot write the report {report_file}: {err.strerror or err}",
                              hint="choose a writable path with --report") from None
    code = report.exit_code()
    if code:
        sys.exit(code)


def _writable_parent(path: Path, what: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot create the folder of the {what} {path}: {err.strerror or err}",
                          hint=f"choose a writable path with --{what}") from None


def _run(store: Any, paths: tuple[Path, ...], mapping: str | None, source_name: str | None,
         quarantine_dir: Path | None, force: bool, progress: _Progress, batch_size: int | None,
         dry_run: bool) -> JobReport:
    if mapping is None:
        return run_job(store, paths[0], dry_run=dry_run, quarantine_dir=quarantine_dir, force=force,
                       progress=progress, batch_size=batch_size)
    from .jobs import _stamp

    started = time.perf_counter()
    name = source_name or Path(mapping).stem
    qdir = (quarantine_dir or Path("quarantine")) / f"{name}-{_stamp()}"
    source = run_source(store, mapping, list(paths), dry_run=dry_run, name=name, quarantine_dir=qdir,
                        force=force, progress=progress, batch_size=batch_size)
    return JobReport(name, [source], time.perf_counter() - started, dry_run, quarantine_dir=str(qdir))
