"""Streaming readers for agency extracts: delimited text, JSON lines, Excel.

Every reader yields :class:`RawRow` values one at a time (a file larger than
memory works), each with the physical line number where the row starts and the
original text of the row, so a rejected row can be written to quarantine
exactly as it came.

A problem that spoils one row (undecodable bytes, wrong column count, a JSON
line that is not an object) is reported on that row (``RawRow.problem``) and
reading goes on. A problem that spoils the whole file (missing, unknown format,
no header) raises :class:`~mashgraph.errors.ValidationError` from
:func:`open_extract` before any row is read.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
>>> _ = p.write_bytes(b"\\xef\\xbb\\xbfid;name\\n1;Ann\\n2;Bob;extra\\n")
>>> with open_extract(p, delimiter=";") as ex:
...     print(ex.columns)
...     for row in ex:
...         print(row.line, row.values, row.problem)
['id', 'name']
2 {'id': '1', 'name': 'Ann'} None
3 {'id': '2', 'name': 'Bob'} wrong_column_count
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from ..errors import ValidationError

__all__ = ["RawRow", "Extract", "open_extract", "detect_format", "FORMATS", "EXTENSIONS"]

FORMATS = ("csv", "jsonl", "xlsx")
EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".psv": "csv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
}
# Python's csv module refuses fields past 128 KiB by default; free-text notes can be longer.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(slots=True)
class RawRow:
    """One row as read: ``values`` maps column name to text (a list for a JSON array).

    ``problem`` is a reason code when the row cannot be used as a whole
    (``encoding_error``, ``wrong_column_count``, ``blank_line``, ``bad_json``,
    ``not_an_object``, ``csv_syntax``) and ``detail`` says more; such rows go to
    quarantine. Blank lines count as rows only between other rows (trailing
    blank lines at the end of a file are ignored).
    """

    line: int
    raw: str
    values: dict[str, Any]
    problem: str | None = None
    detail: str = ""


def detect_format(path: Path, declared: str = "auto") -> str:
    """The reader for ``path``: the declared format, else the one its extension implies."""
    if declared and declared != "auto":
        if declared not in FORMATS:
            raise ValidationError(f"{path}: unknown format {declared!r}",
                                  hint=f"use one of {', '.join(FORMATS)} or auto")
        return declared
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise ValidationError(
            f"{path}: unknown format (extension {path.suffix or 'none'!r})",
            hint=f"name the file .csv, .jsonl or .xlsx, or set format: in the mapping or job")
    return fmt


class Extract:
    """An open extract: ``columns`` (the header) and iteration over :class:`RawRow`.

    Use as a context manager; it closes the file.
    """

    columns: list[str]

    def __init__(self, path: Path) -> None:
        self.path = path
        self.columns = []

    def __iter__(self) -> Iterator[RawRow]:  # pragma: no cover - abstract
        raise NotImplementedError

    def fraction(self) -> float:
        """How far reading has got, 0..1 (for progress bars)."""
        return 0.0

    def close(self) -> None:
        """Release the file."""

    def __enter__(self) -> "Extract":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_extract(path: str | Path, *, fmt: str = "auto", encoding: str = "utf-8",
                 delimiter: str = ",", sheet: str | None = None, quotechar: str = '"') -> Extract:
    """Open ``path`` for streaming; raises ``ValidationError`` for a file-level problem.

    ``encoding`` applies to text formats (``utf-8`` also strips a byte-order
    mark; any ASCII-compatible codec such as ``cp1252`` or ``latin-1`` works).
    ``delimiter`` may be ``auto`` to sniff it from the header line.
    """
    path = Path(path)
    if not path.exists():
        raise ValidationError(f"{path}: file not found", hint="check the path in the job file or command line")
    if not path.is_file():
        raise ValidationError(f"{path}: not a file", hint="give the path of an extract file")
    kind = detect_format(path, fmt)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValidationError(f"{path}: unknown encoding {encoding!r}",
                              hint="use a Python codec name such as utf-8, cp1252 or latin-1") from None
    if kind == "csv":
        return _CsvExtract(path, encoding, delimiter, quotechar)
    if kind == "jsonl":
        return _JsonLinesExtract(path, encoding)
    return _XlsxExtract(path, sheet)


def _decoder(encoding: str):
    """A function decoding one line's bytes; a UTF-8 byte-order mark is dropped."""
    name = codecs.lookup(encoding).name
    if name == "utf-8":
        name = "utf-8-sig"  # the BOM can only be on line 1; utf-8-sig strips it there and is utf-8 after
    return name


class _LineSource:
    """Physical lines of a binary file, decoded one by one, counted from 1.

    Decoding per line confines undecodable bytes to the row that holds them.
    ``consumed`` collects the original text of the lines the csv parser has
    pulled since the last :meth:`take`.
    """

    def __init__(self, fh: BinaryIO, encoding: str) -> None:
        self._fh = fh
        self._encoding = _decoder(encoding)
        self._first_encoding = self._encoding
        self._rest_encoding = "utf-8" if self._encoding == "utf-8-sig" else self._encoding
        self.line_no = 0
        self.consumed: list[str] = []
        self.bad_line: int | None = None

    def __iter__(self) -> "_LineSource":
        return self

    def __next__(self) -> str:
        data = self._fh.readline()
        if not data:
            raise StopIteration
        self.line_no += 1
        enc = self._first_encoding if self.line_no == 1 else self._rest_encoding
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            text = data.decode(enc, errors="backslashreplace")
            if self.bad_line is None:
                self.bad_line = self.line_no
        self.consumed.append(text)
        return text

    def take(self) -> tuple[str, int | None]:
        raw = "".join(self.consumed)
        self.consumed = []
        bad, self.bad_line = self.bad_line, None
        return raw.rstrip("\r\n"), bad


class _CsvExtract(Extract):
    def __init__(self, path: Path, encoding: str, delimiter: str, quotechar: str) -> None:
        super().__init__(path)
        self.encoding = encoding
        self._fh = path.open("rb")
        self._lines = _LineSource(self._fh, encoding)
        if delimiter in ("auto", "", None):
            delimiter = self._sniff_delimiter()
        if delimiter in ("\\t", "tab"):
            delimiter = "\t"
        if len(delimiter) != 1:
            self._fh.close()
            raise ValidationError(f"{path}: delimiter must be one character, not {delimiter!r}",
                                  hint="set delimiter: to ',', ';', '|', '\\t' or auto")
        self._reader = csv.reader(self._lines, delimiter=delimiter, quotechar=quotechar, strict=False)
        try:
            header = next(self._reader)
        except StopIteration:
            self._fh.close()
            raise ValidationError(f"{path}: the file is empty (no header line)",
                                  hint="an extract starts with a header line naming its columns") from None
        except csv.Error as err:
            self._fh.close()
            raise ValidationError(f"{path}: line 1: cannot read the header: {err}",
                                  hint="check the delimiter and quoting") from None
        _raw, bad = self._lines.take()
        if bad is not None:
            self._fh.close()
            raise ValidationError(f"{path}: line 1: the header is not valid {encoding}",
                                  hint="set encoding: (for example cp1252) in the mapping or job")
        self.columns = [h.strip() for h in header]
        if not any(self.columns):
            self._fh.close()
            raise ValidationError(f"{path}: line 1: the header is blank",
                                  hint="an extract starts with a header line naming its columns")

    def _sniff_delimiter(self) -> str:
        first = self._fh.readline()
        self._fh.seek(0)
        text = first.decode("latin-1")
        counts = {d: text.count(d) for d in (",", ";", "\t", "|")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","

    def __iter__(self) -> Iterator[RawRow]:
        columns = self.columns
        width = len(columns)
        lines = self._lines
        reader = self._reader
        blanks = _Blanks()
        start = lines.line_no + 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                raw, _bad = lines.take()
                yield from blanks.flush()
                yield RawRow(start, raw, {}, "csv_syntax", str(err))
                start = lines.line_no + 1
                continue
            raw, bad = lines.take()
            line = start
            start = lines.line_no + 1
            if not fields and not raw.strip():
                blanks.hold(line, raw)
                continue
            yield from blanks.flush()
            if bad is not None:
                yield RawRow(line, raw, {}, "encoding_error",
                             f"bytes that are not valid {self.encoding} on line {bad}")
                continue
            if len(fields) != width:
                values = dict(zip(columns, fields))
                yield RawRow(line, raw, values, "wrong_column_count",
                             f"{len(fields)} fields, the header has {width}")
                continue
            yield RawRow(line, raw, dict(zip(columns, fields)))

    def close(self) -> None:
        self._fh.close()

    def fraction(self) -> float:
        return _file_fraction(self._fh, self.path)


def _file_fraction(fh: BinaryIO, path: Path) -> float:
    try:
        size = path.stat().st_size
        return min(1.0, fh.tell() / size) if size else 1.0
    except (OSError, ValueError):
        return 1.0


class _JsonLinesExtract(Extract):
    """One JSON object per line. Columns are the keys of the first object."""

    def __init__(self, path: Path, encoding: str) -> None:
        super().__init__(path)
        self.encoding = encoding
        self._fh = path.open("rb")
        self._lines = _LineSource(self._fh, encoding)
        # JSON lines have no header: the first object's (flattened) keys stand for one.
        pos = self._fh.tell()
        columns: list[str] = []
        for text in self._lines:
            text = text.strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                columns = list(_flatten(obj))
                break
        self._fh.seek(pos)
        self._lines = _LineSource(self._fh, encoding)
        self.columns = columns

    def __iter__(self) -> Iterator[RawRow]:
        lines = self._lines
        blanks = _Blanks()
        for text in lines:
            raw, bad = lines.take()
            line = lines.line_no
            if not text.strip():
                blanks.hold(line, raw)
                continue
            yield from blanks.flush()
            if bad is not None:
                yield RawRow(line, raw, {}, "encoding_error", f"bytes that are not valid {self.encoding}")
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as err:
                yield RawRow(line, raw, {}, "bad_json", f"not valid JSON: {err.msg} at column {err.colno}")
                continue
            if not isinstance(obj, dict):
                yield RawRow(line, raw, {}, "not_an_object", "the line is JSON but not an object {...}")
                continue
            yield RawRow(line, raw, _flatten(obj))

    def close(self) -> None:
        self._fh.close()

    def fraction(self) -> float:
        return _file_fraction(self._fh, self.path)


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted names: ``{"patient": {"dob": ..}}`` -> ``{"patient.dob": ..}``."""
    out: dict[str, Any] = {}
    for k, v in obj.items():
        cls = v.__class__
        if cls is str:
            out[prefix + k] = v
        elif v is None:
            out[prefix + k] = ""
        elif cls is dict:
            out.update(_flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = _json_value(v)
    return out


class _Blanks:
    """Holds blank lines until a later row shows they were inside the file, not trailing."""

    def __init__(self) -> None:
        self._held: list[tuple[int, str]] = []

    def hold(self, line: int, raw: str) -> None:
        self._held.append((line, raw))

    def flush(self) -> Iterator[RawRow]:
        if self._held:
            held, self._held = self._held, []
            for line, raw in held:
                yield RawRow(line, raw, {}, "blank_line", "a blank line between rows")


def _json_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return str(v) if not isinstance(v, str) else v
    if isinstance(v, list):
        return [_json_value(x) for x in v]
    return json.dumps(v, ensure_ascii=False)


class _XlsxExtract(Extract):
    """The first (or named) worksheet; row 1 is the header; line = spreadsheet row number."""

    def __init__(self, path: Path, sheet: str | None) -> None:
        super().__init__(path)
        try:
            import openpyxl
        except ImportError as err:  # pragma: no cover - a dependency
            raise ValidationError("reading .xlsx needs openpyxl", hint="pip install openpyxl") from err
        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as err:
            raise ValidationError(f"{path}: not a readable .xlsx workbook: {err}",
                                  hint="save the extract as Excel .xlsx (not .xls) or CSV") from None
        if sheet is not None and sheet not in self._book.sheetnames:
            names = ", ".join(self._book.sheetnames)
            self._book.close()
            raise ValidationError(f"{path}: no worksheet named {sheet!r} (it has {names})",
                                  hint="fix sheet: in the mapping or job")
        ws = self._book[sheet] if sheet is not None else self._book.worksheets[0]
        self._max_row = ws.max_row or 0
        self._row = 1
        self._rows = ws.iter_rows(values_only=True)
        try:
            header = next(self._rows)
        except StopIteration:
            self._book.close()
            raise ValidationError(f"{path}: the worksheet is empty (no header row)",
                                  hint="row 1 must name the columns") from None
        self.columns = [("" if h is None else str(h)).strip() for h in header]
        while self.columns and not self.columns[-1]:
            self.columns.pop()

    def __iter__(self) -> Iterator[RawRow]:
        columns = self.columns
        width = len(columns)
        blanks = _Blanks()
        for number, cells in enumerate(self._rows, start=2):
            self._row = number
            texts = [_cell_text(c) for c in cells]
            while len(texts) > width and texts[-1] == "":
                texts.pop()
            if not any(texts):
                blanks.hold(number, "")
                continue
            yield from blanks.flush()
            raw = _csv_line(texts)
            if len(texts) > width:
                yield RawRow(number, raw, dict(zip(columns, texts)), "wrong_column_count",
                             f"{len(texts)} cells, the header has {width}")
                continue
            texts += [""] * (width - len(texts))
            yield RawRow(number, raw, dict(zip(columns, texts)))

    def close(self) -> None:
        self._book.close()

    def fraction(self) -> float:
        return min(1.0, self._row / self._max_row) if self._max_row else 0.0


def _cell_text(value: Any) -> str:
    """A cell as the text a CSV export would hold (whole numbers without '.0', dates ISO)."""
    if value is None:
        return ""
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip() if isinstance(value, str) else str(value)


def _csv_line(values: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(values)
    return buf.getvalue()
