"""Quarantine and warning files: what was rejected or changed, row by row.

Per source per run, in the run's quarantine directory:

- ``<source>.quarantine.csv``: ``file, line, field, reason, message, value, original``:
  every row that was not loaded, with its original text exactly as read
  (``line`` is the physical line where it starts; for ``.xlsx`` the sheet row).
- ``<source>.warnings.csv``: ``file, line, field, reason, message, value``:
  every optional field that was emptied because its value was invalid; the
  row itself was loaded.

A file is created only when there is something to write into it, readable by
its owner only (mode 0600): it holds rows of personal data as the agency sent them.
Every field is quoted and a cell a spreadsheet would run as a formula gets a
leading ``'`` (``mashgraph.safe_csv``): strip it to get the text as read.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from .private_files import open_private
from ..errors import ConfigError
from ..safe_csv import SafeCsvWriter
from .validate import Problem

__all__ = ["QUARANTINE_COLUMNS", "WARNING_COLUMNS", "ProblemLog"]

QUARANTINE_COLUMNS = ("file", "line", "field", "reason", "message", "value", "original")
WARNING_COLUMNS = ("file", "line", "field", "reason", "message", "value")


class _LazyCsv:
    def __init__(self, path: Path, header: tuple[str, ...]) -> None:
        self.path = path
        self._header = header
        self._fh: IO[str] | None = None
        self._writer: Any = None
        self.count = 0

    def write(self, values: list[Any]) -> None:
        if self._writer is None:
            try:
                self._fh = open_private(self.path)
            except OSError as err:
                raise ConfigError(f"cannot write the quarantine file {self.path}: {err.strerror or err}",
                                  hint="choose a writable folder with --quarantine-dir or the job's "
                                       "quarantine_dir") from None
            self._writer = SafeCsvWriter(self._fh, lineterminator="\r\n")
            self._writer.writerow(self._header)
        self._writer.writerow(values)
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    @property
    def written(self) -> str | None:
        return str(self.path) if self.count else None


class ProblemLog:
    """Counts rejected rows and warnings of one source and, unless ``directory`` is None, writes them."""

    def __init__(self, directory: Path | None, source: str) -> None:
        self.directory = directory
        self.quarantined = 0
        self.warnings = 0
        self.reasons: dict[str, int] = {}
        self.warning_reasons: dict[str, int] = {}
        self._q = _LazyCsv(directory / f"{source}.quarantine.csv", QUARANTINE_COLUMNS) if directory else None
        self._w = _LazyCsv(directory / f"{source}.warnings.csv", WARNING_COLUMNS) if directory else None

    def quarantine_row(self, file: str, line: int, problem: Problem, original: str) -> None:
        """Record a row that will not be loaded."""
        self.quarantined += 1
        self.reasons[problem.reason] = self.reasons.get(problem.reason, 0) + 1
        if self._q is not None:
            self._q.write([file, line, problem.field, problem.reason, problem.message, problem.value, original])

    def warn(self, file: str, line: int, problem: Problem) -> None:
        """Record an optional field that was emptied (the row is loaded)."""
        self.warnings += 1
        self.warning_reasons[problem.reason] = self.warning_reasons.get(problem.reason, 0) + 1
        if self._w is not None:
            self._w.write([file, line, problem.field, problem.reason, problem.message, problem.value])

    @property
    def quarantine_file(self) -> str | None:
        return self._q.written if self._q else None

    @property
    def warnings_file(self) -> str | None:
        return self._w.written if self._w else None

    def close(self) -> None:
        for f in (self._q, self._w):
            if f is not None:
                f.close()
