"""Field checks for extract rows: identifiers, dates, codes, numbers.

Each field type is a *checker*: a function from the raw text to the clean
value, raising :class:`FieldProblem` (a reason code plus a message) when the
text is not a valid value of that type. :func:`validate_row` applies a
mapping's fields to one row and decides what happens to a problem:

- a problem in a required field (or a key field) rejects the row: it goes to
  quarantine with that field and reason;
- a problem in an optional field empties the field, keeps the row and
  records a warning.

Identifiers are checked by the rules of ``ingest/identifiers.py`` (documented
in ``docs/ingestion.md``):

>>> nhs_number("943 476 5919"), pnc_id("2002/12345Y"), ni_number("ab 12 34 56 c")
('9434765919', '02/0012345Y', 'AB123456C')
>>> try:
...     upn("B123456789012")
... except FieldProblem as err:
...     print(err.reason, "-", err.message)
invalid_upn - check letter is B, expected A
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..graph.concerns import ADULT_RISKS, AGENCY_KINDS, ALL_CONCERNS, CIN_FACTORS, REFERRAL_SOURCES
from .identifiers import IDENTIFIERS, InvalidIdentifier

__all__ = [
    "FieldProblem", "Problem", "CHECKERS", "CODE_LISTS", "checker_for", "validate_row",
    "nhs_number", "upn", "ni_number", "pnc_id", "postcode", "uprn", "parse_date", "date_parser",
    "INVALID", "is_empty", "FieldRule", "RowValidator", "unstorable_text",
]


class _Invalid:
    """The value of an optional field whose text was invalid (a warning was recorded).

    The loader leaves such a property as it is in the graph instead of
    erasing it: a bad value on one row says nothing about the true value.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "INVALID"

    def __bool__(self) -> bool:
        return False


INVALID = _Invalid()


def is_empty(value: Any) -> bool:
    """True for a value that gives nothing: ``None``, ``""``, ``[]`` or ``INVALID``."""
    return value is None or value is INVALID or value == "" or value == []


class FieldProblem(ValueError):
    """A field's text is not a valid value; ``reason`` is a short code (``bad_date``)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a row: which field, which reason code, what it says, the value."""

    field: str
    reason: str
    message: str
    value: str = ""


# -- text the graph store cannot keep ------------------------------------------------

# Text the graph store refuses (measured on FalkorDB 4.22 through our encoder): NUL, which
# would cut a query short, and lone surrogates (a JSON "\\ud800" escape), which are not
# Unicode. Either one used to fail the whole batch, and so the whole source.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable_text(raw_text: str, values: dict[str, Any]) -> Problem | None:
    """The first field holding a character the store cannot keep (NUL, a lone surrogate) as a Problem, else None.

    ``raw_text`` is the row as read: a row without such a character in it (nor a JSON
    ``\\u`` escape that could make one) is passed after three substring checks.
    """
    if "\x00" not in raw_text and "\\u" not in raw_text and (
            raw_text.isascii() or _SURROGATE.search(raw_text) is None):
        return None  # the common case, without a regular expression for an ASCII row
    for column, value in values.items():
        for text in (value if isinstance(value, list) else [value]):
            found = _UNSTORABLE.search(text if isinstance(text, str) else str(text))
            if found is not None:
                return Problem(str(column), "unstorable_character",
                               f"{column} holds the character U+{ord(found.group()):04X} (NUL or a lone "
                               "surrogate), which the graph store cannot keep; remove it from the extract",
                               _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text)))
    return None


# -- identifiers ---------------------------------------------------------------

def _identifier_checker(kind: str) -> Callable[[str], str]:
    """The checker of one strong identifier: its rules live in ``ingest/identifiers.py``."""
    parse = IDENTIFIERS[kind].parse

    def check(text: str) -> str:
        try:
            return parse(text)
        except InvalidIdentifier as err:
            raise FieldProblem(err.reason, err.message) from None
    check.__name__ = check.__qualname__ = kind
    check.__doc__ = f"{IDENTIFIERS[kind].label} in its normal form; ``FieldProblem('invalid_{kind}')`` if invalid."
    return check


nhs_number = _identifier_checker("nhs_number")
upn = _identifier_checker("upn")
ni_number = _identifier_checker("ni_number")
pnc_id = _identifier_checker("pnc_id")


_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$")


def postcode(text: str) -> str:
    """A UK postcode, upper case with one space before the inward code."""
    value = re.sub(r"\s", "", text).upper()
    m = _POSTCODE.match(value)
    if not m:
        raise FieldProblem("invalid_postcode", f"{text!r} is not a UK postcode")
    return f"{m.group(1)} {m.group(2)}"


def uprn(text: str) -> str:
    """A Unique Property Reference Number: an integer of up to 12 digits, kept as text."""
    value = text.strip()
    if value.endswith(".0"):
        value = value[:-2]
    if not value.isdigit() or len(value) > 12:
        raise FieldProblem("invalid_uprn", f"{text!r} is not a UPRN (up to 12 digits)")
    return value.lstrip("0") or "0"


# -- dates ---------------------------------------------------------------------

_FAST_DATE = {
    "%Y-%m-%d": re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    "%d/%m/%Y": re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"),
    "%d-%m-%Y": re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$"),
    "%d.%m.%Y": re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"),
    "%Y%m%d": re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    "%m/%d/%Y": re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"),
}
_ORDER = {"%Y-%m-%d": (0, 1, 2), "%d/%m/%Y": (2, 1, 0), "%d-%m-%Y": (2, 1, 0),
          "%d.%m.%Y": (2, 1, 0), "%Y%m%d": (0, 1, 2), "%m/%d/%Y": (2, 0, 1)}
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_DAY_MON_YEAR = re.compile(r"^(\d{1,2})[- ]([A-Za-z]{3})[- ](\d{4})$")


def date_parser(fmt: str) -> Callable[[str], _dt.date]:
    """A function parsing text in the ``strptime`` format ``fmt`` to a date (fast paths for common ones).

    A date-time format (``%Y-%m-%dT%H:%M:%S``) keeps the date part.
    """
    if fmt in ("%d-%b-%Y", "%d %b %Y"):
        def day_mon_year(text: str) -> _dt.date:
            match = _DAY_MON_YEAR.match(text)
            if not match or match.group(2).lower() not in _MONTHS:
                raise ValueError(text)
            return _dt.date(int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)))
        return day_mon_year
    pattern = _FAST_DATE.get(fmt)
    if pattern is not None:
        y, m, d = _ORDER[fmt]

        def fast(text: str) -> _dt.date:
            match = pattern.match(text)
            if not match:
                raise ValueError(text)
            parts = match.groups()
            return _dt.date(int(parts[y]), int(parts[m]), int(parts[d]))
        return fast

    def slow(text: str) -> _dt.date:
        return _dt.datetime.strptime(text, fmt).date()
    return slow


def parse_date(text: str, formats: Iterable[str] = ("%Y-%m-%d",)) -> _dt.date:
    """``text`` as a date, trying each format in turn; ``FieldProblem('bad_date')`` if none fits."""
    for fmt in formats:
        try:
            return date_parser(fmt)(text.strip())
        except ValueError:
            continue
    raise FieldProblem("bad_date", f"{text!r} is not a date in {' or '.join(formats)}")


# -- code lists ----------------------------------------------------------------

CODE_LISTS: dict[str, frozenset[str]] = {
    "cin_factors": frozenset(CIN_FACTORS),
    "adult_risks": frozenset(ADULT_RISKS),
    "concerns": frozenset(ALL_CONCERNS),
    "referral_sources": frozenset(REFERRAL_SOURCES),
    "agency_kinds": frozenset(AGENCY_KINDS),
}
"""Named code lists a mapping can refer to (``codes: cin_factors``), from ``graph/concerns.py``."""


# -- checkers ------------------------------------------------------------------

def _string(text: str) -> str:
    return text


def _integer(text: str) -> int:
    try:
        return int(text.replace(",", "")) if "." not in text else int(float(text))
    except ValueError:
        raise FieldProblem("bad_integer", f"{text!r} is not a whole number") from None


def _number(text: str) -> float:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        raise FieldProblem("bad_number", f"{text!r} is not a number") from None


_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def _boolean(text: str) -> bool:
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise FieldProblem("bad_boolean", f"{text!r} is not true/false (yes/no, 1/0, y/n)")


CHECKERS: dict[str, Callable[[str], Any]] = {
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "nhs_number": nhs_number,
    "upn": upn,
    "ni_number": ni_number,
    "pnc_id": pnc_id,
    "postcode": postcode,
    "uprn": uprn,
}
"""Field types besides ``date``, ``datetime`` and ``code`` (which take options)."""


def checker_for(type_: str, *, formats: tuple[str, ...] = ("%Y-%m-%d",),
                codes: frozenset[str] | None = None, code_map: dict[str, str] | None = None,
                upper: bool = False) -> Callable[[str], Any]:
    """The checker of one field type with its options.

    ``date`` returns an ISO date string (the loader writes it with ``date()``);
    ``datetime`` an ISO date-time string; ``code`` the code after ``code_map``
    recoding, which must be in ``codes`` when that is given.
    """
    if type_ == "date":
        parsers = [date_parser(f) for f in formats]
        shown = " or ".join(formats)

        def check_date(text: str) -> str:
            for p in parsers:
                try:
                    return p(text).isoformat()
                except ValueError:
                    continue
            raise FieldProblem("bad_date", f"{text!r} is not a date in {shown}")
        return check_date
    if type_ == "datetime":
        def check_datetime(text: str) -> str:
            for fmt in formats:
                try:
                    return _dt.datetime.strptime(text, fmt).isoformat()
                except ValueError:
                    continue
            try:
                return _dt.datetime.fromisoformat(text).isoformat()
            except ValueError:
                raise FieldProblem("bad_datetime", f"{text!r} is not a date-time in {' or '.join(formats)}") from None
        return check_datetime
    if type_ == "code":
        recode = code_map or {}
        allowed = codes

        def check_code(text: str) -> str:
            value = text.upper() if upper else text
            value = recode.get(value, value)
            if allowed is not None and value not in allowed:
                raise FieldProblem("unknown_code", f"{text!r} is not a known code")
            return value
        return check_code
    try:
        return CHECKERS[type_]
    except KeyError:
        raise ValueError(f"unknown field type {type_!r}") from None


# -- rows ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one mapped field is read and checked (built from a mapping's ``fields:``)."""

    name: str
    column: str | None
    check: Callable[[str], Any]
    required: bool
    default: str | None = None
    split: str | None = None
    null_values: frozenset[str] = frozenset()
    key: bool = False

    def missing(self) -> "Problem":
        """The problem of an empty required or key field."""
        if self.key:
            return Problem(self.name, "missing_key",
                           f"key field {self.name} (column {self.column}) is empty")
        return Problem(self.name, "missing_required",
                       f"required field {self.name} (column {self.column}) is empty")


def validate_row(values: dict[str, Any], rules: Iterable[FieldRule],
                 constants: dict[str, Any] | None = None) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Check one row's ``values`` (column -> text) against ``rules``.

    Returns ``(clean, problems)``. ``clean`` maps field name to its value
    (``None`` when empty, ``INVALID`` when invalid) with ``constants`` added,
    or is ``None`` when the row must be quarantined; then ``problems[0]`` is
    the reason. Otherwise every problem is a warning about an optional field
    that was emptied. (To check many rows, build a :class:`RowValidator` once.)
    """
    return RowValidator(rules, constants)(values)


_UNSEEN = object()
_MEMO = 50_000  # checked texts remembered per field of a file


class RowValidator:
    """:func:`validate_row` with the rules compiled once, for the rows of a whole file."""

    def __init__(self, rules: Iterable[FieldRule], constants: dict[str, Any] | None = None) -> None:
        self.constants = dict(constants or {})
        # Plain tuples: attribute lookups per field per row are the hot path of ingestion.
        # Each checked field keeps the results of the texts it has seen (checkers are pure
        # functions of the text; dates, codes and postcodes repeat a lot): up to _MEMO each.
        self._rules = [(r.name, r.column, None if r.check is _string else r.check, r.required,
                        r.default, r.split, r.null_values, r, {}) for r in rules]

    def __call__(self, values: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Problem]]:
        clean: dict[str, Any] = self.constants.copy()
        warnings: list[Problem] = []
        get = values.get
        for name, column, check, required, default, split, nulls, rule, memo in self._rules:
            raw = get(column, "") if column is not None else ""
            if raw.__class__ is list:
                items = [str(x).strip() for x in raw]
            else:
                text = raw.strip() if raw.__class__ is str else str(raw).strip()
                if nulls and text in nulls:
                    text = ""
                if not text and default is not None:
                    text = default
                if split is None:
                    if not text:
                        if required:
                            return None, [rule.missing()]
                        clean[name] = None
                    elif check is None:
                        clean[name] = text
                    else:
                        value = memo.get(text, _UNSEEN)
                        if value is _UNSEEN:
                            try:
                                value = check(text)
                            except FieldProblem as err:
                                problem = Problem(name, err.reason, err.message, text)
                                if required:
                                    return None, [problem]
                                warnings.append(problem)
                                clean[name] = INVALID
                                continue
                            if len(memo) < _MEMO:
                                memo[text] = value
                        clean[name] = value
                    continue
                items = [t.strip() for t in text.split(split)] if text else []
            # A list field: every item is checked; bad items are dropped (or reject the row if required).
            out = []
            for item in items:
                if not item or item in nulls:
                    continue
                if check is None:
                    out.append(item)
                    continue
                try:
                    out.append(check(item))
                except FieldProblem as err:
                    problem = Problem(name, err.reason, err.message, item)
                    if required:
                        return None, [problem]
                    warnings.append(problem)
            if not out and required:
                return None, [rule.missing()]
            clean[name] = list(dict.fromkeys(out)) if len(out) > 1 else out
        return clean, warnings
