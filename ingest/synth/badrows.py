"""Malformed-row injection (``--bad-rows RATE``) with ground truth.

Each data row is made bad with probability ``rate``, with one kind chosen
uniformly among those the format allows:

- ``wrong_column_count`` (CSV): the last field dropped or an extra one added;
- ``bad_date``: an impossible date (``31/02/2024`` in the file's own format);
- ``invalid_nhs_number``: an NHS number whose check digit is wrong;
- ``encoding_error``: bytes that are not valid in the file's encoding
  (``0xE9`` followed by ASCII in UTF-8 files, ``0x81`` in cp1252 files);
- ``blank_line``: an empty line inserted before the row;
- ``duplicate_row``: the row written twice (the second copy is the bad one).

``truth/bad_rows.csv`` gets ``file,line,kind`` with the 1-based physical line
of the bad line (header = line 1; for ``.xlsx`` the sheet row).
"""

from __future__ import annotations

import copy
import random
from typing import Any

from .writers import DATE_FORMATS, ExtractFile, SheetFile, csv_line, encode_line, json_line

__all__ = ["render_lines", "inject_sheet", "BAD_KINDS"]

BAD_KINDS = ("wrong_column_count", "bad_date", "invalid_nhs_number", "encoding_error", "blank_line",
             "duplicate_row")


def _kinds(f: ExtractFile) -> list[str]:
    kinds = ["blank_line", "duplicate_row"]
    if f.date_columns:
        kinds.insert(0, "bad_date")
    if f.name_column:
        kinds.insert(0, "encoding_error")
    if f.header is not None:
        kinds.insert(0, "wrong_column_count")
    if f.nhs_column:
        kinds.append("invalid_nhs_number")
    return kinds


def _break_nhs(value: str | None, rng: random.Random) -> str:
    if not value or len(value) != 10:
        value = f"9{rng.randrange(10**8):08d}0"
    return value[:9] + str((int(value[9]) + rng.randint(1, 9)) % 10)


def _get(obj: dict[str, Any], path: str) -> Any:
    for part in path.split(".")[:-1]:
        obj = obj[part]
    return obj.get(path.split(".")[-1])


def _set(obj: dict[str, Any], path: str, value: Any) -> None:
    for part in path.split(".")[:-1]:
        obj = obj[part]
    obj[path.split(".")[-1]] = value


def _to_text(f: ExtractFile, row: Any) -> str:
    return csv_line(row) if f.header is not None else json_line(row)


def render_lines(f: ExtractFile, rate: float, rng: random.Random,
                 truth: list[tuple[str, int, str]]) -> list[bytes]:
    """Encoded lines of ``f`` (header first), with bad rows injected at ``rate``."""
    lines: list[bytes] = []
    if f.header is not None:
        lines.append(encode_line(f, csv_line(f.header)))
    col = {name: i for i, name in enumerate(f.header or [])}
    kinds = _kinds(f)
    bad_date = DATE_FORMATS[f.date_format][1]
    file_name = f"extracts/{f.name}"
    if f.mapping == "agencies":  # reference data every other source depends on: kept clean
        rate = 0.0
    for row in f.rows:
        if rate <= 0 or rng.random() >= rate:
            lines.append(encode_line(f, _to_text(f, row)))
            continue
        kind = rng.choice(kinds)
        if kind == "blank_line":
            lines.append(b"")
            truth.append((file_name, len(lines), kind))
            lines.append(encode_line(f, _to_text(f, row)))
            continue
        if kind == "duplicate_row":
            text = encode_line(f, _to_text(f, row))
            lines.append(text)
            lines.append(text)
            truth.append((file_name, len(lines), kind))
            continue
        bad = copy.deepcopy(row)
        if kind == "wrong_column_count":
            if rng.random() < 0.5:
                bad = bad[:-1]
            else:
                bad = bad + ["EXTRA"]
            line = encode_line(f, _to_text(f, bad))
        elif kind == "bad_date":
            column = rng.choice(f.date_columns)
            if f.header is not None:
                bad[col[column]] = bad_date
            else:
                _set(bad, column, bad_date)
            line = encode_line(f, _to_text(f, bad))
        elif kind == "invalid_nhs_number":
            assert f.nhs_column is not None
            if f.header is not None:
                bad[col[f.nhs_column]] = _break_nhs(bad[col[f.nhs_column]], rng)
            else:
                _set(bad, f.nhs_column, _break_nhs(_get(bad, f.nhs_column), rng))
            line = encode_line(f, _to_text(f, bad))
        else:  # encoding_error: an invalid byte in a name
            assert f.name_column is not None
            name = bad[col[f.name_column]] if f.header is not None else _get(bad, f.name_column)
            marker = "\u0001"
            if f.header is not None:
                bad[col[f.name_column]] = (name or "X")[:1] + marker + (name or "X")[1:]
            else:
                _set(bad, f.name_column, (name or "X")[:1] + marker + (name or "X")[1:])
            invalid = b"\x81" if f.encoding == "cp1252" else b"\xe9"
            line = encode_line(f, _to_text(f, bad)).replace(b"\\u0001", invalid).replace(b"\x01", invalid)
        lines.append(line)
        truth.append((file_name, len(lines), kind))
    return lines


def inject_sheet(f: SheetFile, rate: float, rng: random.Random, truth: list[tuple[str, int, str]]) -> None:
    """Spreadsheet bad rows: text impossible dates, blank rows and duplicated rows."""
    if rate <= 0:
        return
    date_idx = [i for i, h in enumerate(f.header) if h in f.date_columns]
    rows: list[list[Any]] = []
    file_name = f"extracts/{f.name}"
    for row in f.rows:
        if rng.random() >= rate:
            rows.append(row)
            continue
        kind = rng.choice(("bad_date", "blank_line", "duplicate_row"))
        if kind == "blank_line":
            rows.append([None] * len(row))
            truth.append((file_name, len(rows) + 1, kind))
            rows.append(row)
        elif kind == "duplicate_row":
            rows.append(row)
            rows.append(list(row))
            truth.append((file_name, len(rows) + 1, kind))
        else:
            bad = list(row)
            bad[rng.choice(date_idx)] = "31/02/2024"
            rows.append(bad)
            truth.append((file_name, len(rows) + 1, kind))
    f.rows = rows
