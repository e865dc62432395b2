"""CSV that is safe to open in a spreadsheet: the one home of formula neutralising.

Every CSV that mashgraph writes for a person to open (saved-query and
``mashgraph cypher`` results, the audit log, resolve exports, quarantine and
warning files) goes through this module. Following OWASP's CSV Injection
guidance, a text cell that a spreadsheet would read as a formula or a control
(one that starts with ``=``, ``+``, ``-``, ``@``, tab, carriage return or line
feed, or the full-width ``＝ ＋ － ＠`` that some spreadsheets fold to them) gets
a single quote in front, and every field is quoted (embedded quotes doubled).
Numbers (Python ``int``/``float``) are written as they are. A reader that
wants the exact text back strips one leading ``'`` from a cell that starts
with ``'`` followed by one of those characters.

>>> neutralise("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> neutralise("Amy"), neutralise(-1), neutralise("")
('Amy', -1, '')
>>> to_csv(["name", "n"], [["@SUM(A1)", 3]])
'"name","n"\\n"\\'@SUM(A1)","3"\\n'
"""

from __future__ import annotations

import csv
import io
from typing import IO, Any, Iterable

__all__ = ["FORMULA_STARTS", "neutralise", "SafeCsvWriter", "to_csv"]

# OWASP CSV Injection: = + - @ tab CR LF; and their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20).
FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would treat as a formula."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


class SafeCsvWriter:
    """A ``csv.writer`` over ``fh`` that quotes every field and neutralises every cell."""

    def __init__(self, fh: IO[str], lineterminator: str = "\n") -> None:
        self._writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator=lineterminator)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def to_csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """The whole CSV text (header, then rows), each line ending in ``\\n``."""
    buf = io.StringIO()
    writer = SafeCsvWriter(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()
