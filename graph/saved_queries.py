"""Saved queries: ``queries/<slug>.cypher`` files with a YAML header, and their runner.

A saved query file is valid Cypher (it pastes into Neo4j Browser as it is): a
header of ``//`` comment lines holding YAML, then one statement::

    // title: People known to many agencies
    // description: >
    //   People whose records are held by at least `min_agencies` agencies.
    // params:
    //   min_agencies: {type: int, default: 3, help: fewest agencies a person is known to}
    // tags: [overview]
    // returns: table
    MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
    WITH p, count(DISTINCT a) AS agencies
    WHERE agencies >= $min_agencies
    RETURN p.key AS person, agencies ORDER BY agencies DESC, person

Header fields: ``title`` and ``description`` (text), ``returns`` (``table`` or
``graph``), optional ``params`` (name -> ``type``, ``help``, optional
``default``; a parameter without a default must be given on every run),
``tags`` (list of words), ``timeout`` (seconds), and the alert fields ``alert``,
``alert_key``, ``severity``, ``alert_params`` (``graph/alert_spec.py``). Parameter types: ``date``
(ISO ``YYYY-MM-DD``, passed as a string for ``date($x)``; the default may be
``today``), ``int``, ``float``, ``string``, ``bool``, ``person`` (a Person key that must exist), ``list`` (comma-separated
text or a JSON array). ``int`` and ``float`` parameters may give ``min`` and
``max``. A value outside the range the engine handles correctly (dates more
than 50 years back or 10 ahead, ints outside 0..2^31-1 or their min/max,
non-finite floats) is refused with one line: see ``graph/param_ranges.py``.

The loader checks every file and names the file and line of the first problem:
missing or unknown header fields, wrong types, defaults that are not of the
declared type, ``$params`` used but not declared and declared but not used.

>>> lib = load_library()
>>> lib["known-to-many-agencies"].params["min_agencies"].type
'int'
>>> coerce_params(lib["known-to-many-agencies"], {"min_agencies": "4"})["min_agencies"]
4

``mashgraph query docs`` prints ``docs/queries.md``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..errors import SavedQueryError
from .alert_spec import ALERT_FIELDS, AlertSpec, parse_alert
from .param_ranges import INT_HIGHEST, INT_LOWEST, out_of_range, range_text
from .types import Result

__all__ = [
    "PARAM_TYPES", "QUERIES_DIR", "QueryParam", "SavedQuery", "load_library", "load_query",
    "find_query", "coerce_params", "run_saved_query", "library_markdown",
]

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
PARAM_TYPES = ("date", "int", "float", "string", "bool", "list", "person")
RETURNS = ("table", "graph")
HEADER_FIELDS = {"title", "description", "params", "tags", "timeout", "returns", *ALERT_FIELDS}
REQUIRED_FIELDS = ("title", "description", "returns")
PARAM_FIELDS = {"type", "default", "help", "min", "max"}
TODAY = "today"

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Strings, comments and backticked names are blanked before looking for $params.
_NOT_CODE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)
_PARAM_USE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class _HeaderLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad date is our error (with a line), not PyYAML's."""


_HeaderLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_FORMS = {
    "date": "an ISO date like 2024-03-31 (or 'today')",
    "int": "a whole number like 12",
    "float": "a number like 0.5",
    "string": "text",
    "bool": "true or false",
    "list": "comma-separated values like a,b,c or a JSON array like [\"a\",\"b\"]",
    "person": "a person key like P3f9a2c1b7d10 (from search results or the person page)",
}

# A `person` parameter must name a Person that exists: an unknown key would
# otherwise look like a person about whom nothing is known.
PERSON_EXISTS_CYPHER = "MATCH (p:Person {key: $key}) RETURN count(p) AS n"


@dataclass(frozen=True)
class QueryParam:
    """One declared parameter. ``default`` is None when the parameter is required."""

    name: str
    type: str
    default: Any
    help: str
    min: int | float | None = None   # int and float only; see graph/param_ranges.py
    max: int | float | None = None

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class SavedQuery:
    """A saved query file: its header fields and the Cypher after the header."""

    slug: str
    title: str
    description: str
    params: dict[str, QueryParam]
    tags: tuple[str, ...]
    timeout: float | None
    returns: str
    cypher: str
    path: Path = field(compare=False)
    alert: AlertSpec | None = None   # set when the header makes the query an alert (graph/alert_spec.py)


# -- loading -------------------------------------------------------------------

def load_library(folder: str | Path | None = None) -> dict[str, SavedQuery]:
    """Every ``*.cypher`` file of ``folder`` (default: the package's ``queries/``), by slug.

    Raises ``SavedQueryError`` naming the file and line of the first invalid file.
    """
    root = Path(folder) if folder is not None else QUERIES_DIR
    if not root.is_dir():
        raise SavedQueryError(f"saved query folder {root} does not exist",
                              hint="create it or point to the folder holding the .cypher files")
    queries = [load_query(path) for path in sorted(root.glob("*.cypher"))]
    return {q.slug: q for q in queries}


def load_query(path: str | Path) -> SavedQuery:
    """Parse and check one saved query file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SavedQueryError(f"{path}: cannot read: {err}", hint="save the file as UTF-8 text") from err
    slug = path.stem
    if not _SLUG.match(slug):
        raise SavedQueryError(f"{path}:1: file name {slug!r} is not a slug",
                              hint="name the file with lower-case letters, digits and dashes, e.g. repeat-referrals.cypher")
    # Parsing the YAML headers of the whole library took about 100 ms of CPU, and pages
    # load the library on every request (a person page lists the queries about a person).
    # A file is parsed again only when its text changes, so an edit still shows at once.
    cache_key = (str(path), text)
    parsed = _PARSED.get(cache_key)
    if parsed is None:
        parsed = _Parser(path, slug, text).parse()
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[cache_key] = parsed
    return parsed


# (path, text) -> the parsed query; SavedQuery is frozen, so callers share one.
_PARSED: dict[tuple[str, str], SavedQuery] = {}
_PARSED_MAX = 1024


class _Parser:
    def __init__(self, path: Path, slug: str, text: str) -> None:
        self.path, self.slug = path, slug
        self.lines = text.splitlines()

    def fail(self, line: int, message: str, hint: str) -> SavedQueryError:
        return SavedQueryError(f"{self.path}:{line}: {message}", hint=hint)

    def parse(self) -> SavedQuery:
        n_header = 0
        while n_header < len(self.lines) and self.lines[n_header].lstrip().startswith("//"):
            n_header += 1
        if n_header == 0:
            raise self.fail(1, "no header: the file must start with // comment lines holding YAML",
                            "start with '// title: ...', '// description: ...', '// returns: table'")
        header_text = "\n".join(_uncomment(line) for line in self.lines[:n_header])
        body = "\n".join(self.lines[n_header:]).strip()
        if not body:
            raise self.fail(n_header + 1, "no Cypher after the header", "write the query below the // header")
        header, lines = self._yaml(header_text)

        for name in REQUIRED_FIELDS:
            if name not in header:
                raise self.fail(1, f"header field {name!r} is missing",
                                f"add '// {name}: ...' to the header ({', '.join(REQUIRED_FIELDS)} are required)")
        for name in header:
            if name not in HEADER_FIELDS:
                close = difflib.get_close_matches(str(name), HEADER_FIELDS, n=1)
                raise self.fail(lines[(name,)], f"unknown header field {name!r}",
                                f"did you mean {close[0]!r}?" if close
                                else f"allowed fields: {', '.join(sorted(HEADER_FIELDS))}")
        title = self._text(header, lines, "title")
        description = self._text(header, lines, "description")
        returns = header["returns"]
        if returns not in RETURNS:
            raise self.fail(lines[("returns",)], f"returns is {returns!r}", "write 'returns: table' or 'returns: graph'")
        tags = header.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            raise self.fail(lines[("tags",)], "tags must be a list of words", "write 'tags: [fragmentation, weekly]'")
        timeout = header.get("timeout")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                    or timeout <= 0):
            raise self.fail(lines[("timeout",)], f"timeout is {timeout!r}, not a positive number of seconds",
                            "write e.g. 'timeout: 30' or remove the field")
        params = self._params(header.get("params"), lines)

        used = _used_params(body)
        for name, offset in used.items():
            if name not in params:
                raise self.fail(n_header + 1 + offset, f"${name} is used but not declared in params",
                                f"add '{name}: {{type: ..., default: ..., help: ...}}' under params")
        for name in params:
            if name not in used:
                raise self.fail(lines[("params", name)], f"param {name!r} is declared but the query never uses ${name}",
                                f"use ${name} in the query or remove it from params")
        alert = parse_alert(header, lines, params, body, self.fail, _coerce_value)
        return SavedQuery(self.slug, title, description, params, tuple(tags),
                          float(timeout) if timeout is not None else None, returns, body, self.path, alert)

    def _yaml(self, header_text: str) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
        try:
            node = yaml.compose(header_text, Loader=_HeaderLoader)
            header = yaml.load(header_text, Loader=_HeaderLoader)  # noqa: S506 (a SafeLoader)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise self.fail(line, f"header is not valid YAML: {problem}",
                            "each header line is '// ' followed by YAML; check indentation and colons") from None
        if not isinstance(header, dict) or not isinstance(node, yaml.MappingNode):
            raise self.fail(1, "header is not a YAML mapping", "write '// title: ...' lines (name: value)")
        lines: dict[tuple[str, ...], int] = {}
        _key_lines(node, (), lines)
        return header, lines

    def _text(self, header: dict[str, Any], lines: dict[tuple[str, ...], int], name: str) -> str:
        value = header[name]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(lines[(name,)], f"{name} must be non-empty text, got {value!r}",
                            f"write '// {name}: ...' with words a manager understands")
        return " ".join(value.split()) if name == "title" else value.strip()

    def _params(self, raw: Any, lines: dict[tuple[str, ...], int]) -> dict[str, QueryParam]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail(lines[("params",)], "params must be a mapping of name -> {type, default, help}",
                            "write 'params: {since: {type: date, default: 2024-01-01, help: ...}}'")
        params: dict[str, QueryParam] = {}
        for name, spec in raw.items():
            line = lines.get(("params", str(name)), lines[("params",)])
            if not isinstance(name, str) or not _NAME.match(name):
                raise self.fail(line, f"param name {name!r} is not a valid Cypher parameter name",
                                "use letters, digits and underscores, e.g. min_agencies")
            if not isinstance(spec, dict):
                raise self.fail(line, f"param {name!r} must be a mapping with type, default and help",
                                f"write '{name}: {{type: int, default: 3, help: ...}}'")
            for key in spec:
                if key not in PARAM_FIELDS:
                    raise self.fail(lines.get(("params", name, str(key)), line),
                                    f"param {name!r} has unknown field {key!r}",
                                    "a param has only type, default, help, and for numbers min and max")
            ptype = spec.get("type")
            if ptype not in PARAM_TYPES:
                raise self.fail(lines.get(("params", name, "type"), line),
                                f"param {name!r} has type {ptype!r}", f"use one of: {', '.join(PARAM_TYPES)}")
            help_text = spec.get("help")
            if not isinstance(help_text, str) or not help_text.strip():
                raise self.fail(line, f"param {name!r} has no help text",
                                f"add help: to {name!r}, saying what it means to a manager")
            default = spec.get("default")
            if default is not None:
                try:
                    default = _coerce_default(ptype, default)
                except ValueError:
                    raise self.fail(lines.get(("params", name, "default"), line),
                                    f"default of param {name!r} is {spec['default']!r}, not a {ptype}",
                                    f"a {ptype} is {_FORMS[ptype]}") from None
            low, high = self._bounds(name, ptype, spec, lines, line)
            why = out_of_range(ptype, default, low, high) if default is not None and ptype != "date" else None
            if why:
                raise self.fail(lines.get(("params", name, "default"), line),
                                f"default of param {name!r} {why}", "change the default or the min/max")
            params[name] = QueryParam(name, ptype, default, help_text.strip(), low, high)
        return params

    def _bounds(self, name: str, ptype: str, spec: dict[str, Any], lines: dict[tuple[str, ...], int],
                line: int) -> tuple[Any, Any]:
        """The ``min`` and ``max`` of a numeric param (None when not given), checked."""
        bounds = []
        for key in ("min", "max"):
            value = spec.get(key)
            where = lines.get(("params", name, key), line)
            if value is None:
                bounds.append(None)
                continue
            numeric = (int,) if ptype == "int" else (int, float)
            if ptype not in ("int", "float") or isinstance(value, bool) or not isinstance(value, numeric):
                raise self.fail(where, f"param {name!r} has {key} {value!r}",
                                "min and max are numbers, for int and float params only")
            if ptype == "int" and not INT_LOWEST <= value <= INT_HIGHEST:
                raise self.fail(where, f"param {name!r} has {key} {value} beyond 32 bits",
                                f"keep it within {INT_LOWEST:,} to {INT_HIGHEST:,}")
            bounds.append(value)
        if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
            raise self.fail(line, f"param {name!r} has min above max", "swap them")
        return bounds[0], bounds[1]


def _uncomment(line: str) -> str:
    text = line.lstrip()[2:]
    return text[1:] if text.startswith(" ") else text


def _key_lines(node: yaml.Node, prefix: tuple[str, ...], out: dict[tuple[str, ...], int]) -> None:
    """Header line (1-based) of every mapping key, by its path of keys."""
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        path = prefix + (str(key_node.value),)
        out.setdefault(path, key_node.start_mark.line + 1)
        _key_lines(value_node, path, out)


def _used_params(body: str) -> dict[str, int]:
    """``$name`` -> line offset in ``body`` of its first use (strings and comments ignored)."""
    code = _NOT_CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), body)
    used: dict[str, int] = {}
    for match in _PARAM_USE.finditer(code):
        used.setdefault(match.group(1), code.count("\n", 0, match.start()))
    return used


# -- parameters ----------------------------------------------------------------

def _coerce_default(ptype: str, value: Any) -> Any:
    """A header default, which must already be of the declared YAML type (a date may be ISO text)."""
    natural = {"int": (int,), "float": (int, float), "string": (str,), "person": (str,), "bool": (bool,),
               "list": (list,), "date": (dt.date, str)}[ptype]
    if not isinstance(value, natural) or (isinstance(value, bool) and ptype != "bool"):
        raise ValueError(value)
    return _coerce_value(ptype, value)


def _coerce_value(ptype: str, value: Any) -> Any:
    """``value`` (text from a command line or form, or an already typed value) as ``ptype``.

    Raises ValueError when it is not of that form.
    """
    if ptype == "date":
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if not isinstance(value, str):
            raise ValueError(value)
        text = value.strip()
        if text.lower() == TODAY:
            return TODAY
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(value)
        return dt.date.fromisoformat(text).isoformat()
    if ptype == "int":
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
            return int(value)
        raise ValueError(value)
    if ptype == "float":
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
        raise ValueError(value)
    if ptype == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError(value)
    if ptype == "list":
        if isinstance(value, (list, tuple)):
            items = list(value)
        elif isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    items = json.loads(text)
                except json.JSONDecodeError:
                    raise ValueError(value) from None
                if not isinstance(items, list):
                    raise ValueError(value)
            else:
                items = [part.strip() for part in text.split(",") if part.strip()]
        else:
            raise ValueError(value)
        if not all(isinstance(i, (str, int, float)) and not isinstance(i, bool) for i in items):
            raise ValueError(value)
        return items
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueError(value)


def coerce_params(query: SavedQuery, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared parameter of ``query`` as a typed value: from ``raw`` (text or typed), else its default.

    Dates come out as ISO strings (the query converts them with ``date($x)``);
    ``today`` is resolved here. Raises ``SavedQueryError`` for an unknown name,
    a value not of the declared type, or a missing required parameter.
    """
    for name in raw:
        if name not in query.params:
            known = ", ".join(query.params) or "none"
            close = difflib.get_close_matches(name, query.params, n=1)
            raise SavedQueryError(f"{query.slug} has no parameter {name!r}",
                                  hint=(f"did you mean {close[0]!r}? " if close else "")
                                  + f"its parameters: {known}")
    out: dict[str, Any] = {}
    for name, param in query.params.items():
        given = raw.get(name)
        # An empty form field means "not given", except for an optional text parameter.
        if given is not None and not (isinstance(given, str) and not given.strip()
                                      and (param.type != "string" or param.required)):
            try:
                value = _coerce_value(param.type, raw[name])
            except (ValueError, TypeError):
                raise SavedQueryError(
                    f"{query.slug}: parameter {name!r} is {raw[name]!r}, not a {param.type}",
                    hint=f"give {_FORMS[param.type]}, e.g. --param {name}={_example(param)}") from None
        elif param.default is not None:
            value = _coerce_value(param.type, param.default)
        else:
            raise SavedQueryError(f"{query.slug}: parameter {name!r} is required ({param.help})",
                                  hint=f"give it, e.g. --param {name}={_example(param)}")
        if param.type == "date" and value == TODAY:
            value = dt.date.today().isoformat()
        why = out_of_range(param.type, value, param.min, param.max)
        if why:  # the engine would answer wrongly (often with nothing): refuse, saying why
            raise SavedQueryError(f"{query.slug}: parameter {name!r} = {value} {why}",
                                  hint=f"e.g. --param {name}={_example(param)}")
        out[name] = value
    return out


def _example(param: QueryParam) -> str:
    if param.default is not None:
        value = param.default
        if isinstance(value, list):
            return ",".join(str(v) for v in value) or "a,b"
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)
    return {"date": "2024-03-31", "int": "3", "float": "0.5", "string": "VALUE",
            "bool": "true", "list": "a,b", "person": "P3f9a2c1b7d10"}[param.type]


# -- running -------------------------------------------------------------------

def find_query(library: Mapping[str, SavedQuery], slug: str) -> SavedQuery:
    """The query called ``slug``, or a ``SavedQueryError`` suggesting close names."""
    if slug in library:
        return library[slug]
    close = difflib.get_close_matches(slug, library, n=3)
    raise SavedQueryError(f"no saved query called {slug!r}",
                          hint=(f"did you mean {', '.join(close)}? " if close else "")
                          + "run `mashgraph query list` to see them all")


def run_saved_query(store: Any, query: SavedQuery, params: Mapping[str, Any] | None = None,
                    row_cap: int | None = None) -> tuple[Result, bool]:
    """Run ``query`` read-only with its timeout; keep at most ``row_cap`` rows.

    ``params`` may be raw text or typed values; missing ones take their
    defaults (see ``coerce_params``). ``row_cap`` defaults to the store's
    ``settings.row_cap``. Returns the result and whether rows were cut.
    """
    values = coerce_params(query, dict(params or {}))
    for name, param in query.params.items():
        key = values.get(name)
        if param.type == "person" and key is not None and not store.read(PERSON_EXISTS_CYPHER, {"key": key}).value():
            raise SavedQueryError(f"{query.slug}: no Person with key {key!r} (parameter {name!r})",
                                  hint="copy the key from search results or the person page")
    result = store.read(query.cypher, values, timeout=query.timeout)
    cap = row_cap if row_cap is not None else store.settings.row_cap
    if cap is not None and cap >= 0 and len(result.rows) > cap:
        return Result(result.columns, result.rows[:cap], result.stats), True
    return result, False


# -- documentation ---------------------------------------------------------------

WRITING_A_QUERY = """
## Writing a saved query

Add `queries/<slug>.cypher` (lower-case slug with dashes). The file starts with
`//` comment lines holding YAML, then one Cypher statement; it stays valid
Cypher, so it pastes into Neo4j Browser as it is.

```cypher
// title: People known to many agencies
// description: >
//   People whose records are held by at least `min_agencies` agencies.
// params:
//   min_agencies: {type: int, default: 3, help: fewest agencies that hold a record of the person}
// tags: [overview]
// returns: table
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH p, count(DISTINCT a) AS agencies
WHERE agencies >= $min_agencies
RETURN p.key AS person, agencies
ORDER BY agencies DESC, person
```

- Header fields: `title`, `description` (words a manager understands) and
  `returns` (`table`, or `graph` when rows hold paths for the network view)
  are required; `params`, `tags` and `timeout` (seconds; default the
  `query_timeout_ms` setting) are optional.
- `alert: true` makes the query an alert that `mashgraph alerts run` runs
  every night ([alerts](alerts.md)): `alert_key` names the result column(s)
  that identify one match (e.g. `person`, or `[person, man]`), `severity` is
  `high`, `medium` or `low`, and `alert_params` gives parameter values for
  the nightly run (e.g. `{limit: 100000}`, so that no match is cut off).
- Each parameter has a `type` (`date`, `int`, `float`, `string`, `bool`,
  `list`, `person`), a `help` text and usually a `default` of that type; one
  without a default must be given on every run. Dates are ISO (`2024-03-31`)
  or `today` and reach the query as text: write `date($since)`. Lists are
  given as `a,b,c` or a JSON array. A `person` is a Person key; the runner
  refuses a key that names no Person, so an unknown key never reads as a
  person about whom nothing is known.
- Values the engine would answer wrongly are refused with a one-line reason,
  before the query runs: a date more than 50 years back or 10 years ahead
  (FalkorDB compares dates more than 68 years apart the wrong way, which
  reads as an empty answer), an `int` outside 0 to 2,147,483,647 (`LIMIT`
  wraps at 2^32; a negative limit is an engine error), a float that is not
  finite. An `int` or `float` parameter may narrow its range with `min` and
  `max` (e.g. `window_months: {type: int, default: 12, max: 240, help: ...}`):
  give one to every window that is added to a date, as a huge one overflows
  the engine's date arithmetic.
- Every `$param` the query uses must be declared and every declared one used;
  the loader names the file and line of any problem.
- Write portable Cypher (see DESIGN.md "Portable Cypher"): it must run on
  FalkorDB and pass `make lint-cypher` as Neo4j Cypher 5. Parameters are for
  values only, never for labels or variable-length bounds. End with an
  `ORDER BY` that makes the order deterministic (a key last).
- FalkorDB 4.22 compares two dates wrongly when they are more than about 68
  years apart (`date('2024-01-01') > date('1900-01-01')` is false): keep date
  defaults recent (we use `2000-01-01` for "since the beginning"). Stored
  dates suffer too: `date('1937-11-18') > date('2024-01-10') - duration({years: 18})`
  is true, so a man of 86 passed for a child. Every age check therefore also
  compares years: a child is `x.dob > d - duration({years: 18}) AND x.dob.year > d.year - 80`,
  an adult `(x.dob <= d - duration({years: 18}) OR x.dob.year <= d.year - 80)`
  (a test fails on an age check without it).
- FalkorDB reads `a + b IN s` as `a + (b IN s)`: compute the value first
  (`[e IN xs | e.a + ': ' + e.b] AS labels`) or parenthesise `(a + b) IN s`.
- Then regenerate this page:
  `mashgraph query docs > docs/queries.md`
  (a test fails while it is stale) and run
  `.venv/bin/python -m pytest tests/test_saved_queries.py`, which runs every
  query in the folder.
"""


def library_markdown(library: Mapping[str, SavedQuery]) -> str:
    """``docs/queries.md``: every saved query with its description and parameters."""
    out = [
        "# Saved queries",
        "",
        "<!-- Generated from the headers of queries/*.cypher by",
        "     `mashgraph query docs > docs/queries.md`. Do not edit. -->",
        "",
        "Run one with `mashgraph query run SLUG --param name=value`; "
        "`mashgraph query show SLUG` prints its Cypher.",
        "",
        "| query | what it answers | tags |",
        "| --- | --- | --- |",
    ]
    for q in library.values():
        out.append(f"| [`{q.slug}`](#{q.slug}) | {q.title} | {', '.join(q.tags)} |")
    out += ["", WRITING_A_QUERY.strip()]
    for q in library.values():
        out += ["", f"## {q.slug}", "", f"**{q.title}**", "", q.description, ""]
        facts = [f"returns: {q.returns}"]
        if q.timeout is not None:
            facts.append(f"timeout: {q.timeout:g} s")
        if q.tags:
            facts.append("tags: " + ", ".join(q.tags))
        out += ["; ".join(facts), ""]
        if q.alert is not None:
            out += [_alert_line(q.alert), ""]
        if q.params:
            out += ["| parameter | type | default | meaning |", "| --- | --- | --- | --- |"]
            for p in q.params.values():
                limits = range_text(p.type, p.min, p.max)
                out.append(f"| `{p.name}` | {p.type}{f' ({limits})' if limits else ''} | {_doc_default(p)} "
                           f"| {p.help} |")
        else:
            out.append("No parameters.")
        out += ["", f"File: `queries/{q.path.name}`"]
    return "\n".join(out) + "\n"


def _alert_line(alert: AlertSpec) -> str:
    given = ", ".join(f"`{k}={_doc_value(v)}`" for k, v in alert.params.items())
    return (f"**Alert** ([alerts.md](alerts.md)): one alert per `{', '.join(alert.key)}`; "
            f"severity {alert.severity}" + (f"; the nightly run sets {given}" if given else "") + ".")


def _doc_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _doc_default(p: QueryParam) -> str:
    if p.default is None:
        return "(required)"
    if isinstance(p.default, list):
        return "`" + ",".join(str(v) for v in p.default) + "`" if p.default else "(empty)"
    if isinstance(p.default, bool):
        return f"`{str(p.default).lower()}`"
    if isinstance(p.default, dt.date):
        return f"`{p.default.isoformat()}`"
    return f"`{p.default}`"
