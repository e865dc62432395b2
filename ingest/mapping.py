"""Declarative source mappings: one YAML file per extract format, under ``ingest/mappings/``.

A mapping says how to read the file (format, encoding, delimiter), which
columns are which fields (type, date formats, code lists, required), and which
nodes and relationships of the graph model (DESIGN.md) each row makes, with
their key templates. The full reference is ``docs/ingestion.md``; a short one::

    name: people
    format: auto                 # csv | jsonl | xlsx | auto (by extension)
    encoding: utf-8              # any ASCII-compatible codec, e.g. cp1252
    delimiter: ","               # or auto
    constants: {kind: other}     # values every row gets, usable like fields
    fields:
      record_id: {type: string, required: true}
      dob: {type: date, formats: ["%Y-%m-%d", "%d/%m/%Y"]}
      nhs_number: nhs_number     # short form: just the type
    nodes:
      record:
        label: Record
        key: "{agency}:{record_id}"
        props: {local_id: record_id, dob: dob, nhs_number: nhs_number}
      agency: {label: Agency, key: "{agency}"}
    edges:
      - {type: HELD_BY, from: record, to: agency}

Labels come from ``graph/model.py`` and relationship types from the DESIGN
model (:data:`mashgraph.graph.model.RELATIONSHIPS`); a mapping cannot introduce others. Everything
is checked when the mapping loads and a problem raises ``MappingError``
naming the file and the field.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import MappingError
from ..graph.model import LOADABLE_LABELS, RELATIONSHIPS
from .readers import FORMATS
from .validate import CHECKERS, CODE_LISTS, FieldRule, checker_for, is_empty

__all__ = [
    "MAPPINGS_DIR", "FIELD_TYPES", "SourceMapping", "FieldSpec", "NodeSpec", "EdgeSpec", "Props",
    "KeyTemplate", "load_mapping", "available_mappings", "mapping_path",
]

MAPPINGS_DIR = Path(__file__).parent / "mappings"

FIELD_TYPES = tuple(sorted({*CHECKERS, "date", "datetime", "code"}))
PROVENANCE_PROPS = ("source", "line", "run")
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_ALIAS = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = {"name", "description", "format", "encoding", "delimiter", "quotechar", "sheet",
             "constants", "fields", "nodes", "edges", "null_values"}
_FIELD_KEYS = {"column", "type", "required", "formats", "format", "codes", "map", "upper", "split",
               "default", "description", "null_values"}
_NODE_KEYS = {"label", "key", "props", "optional", "provenance", "each", "description",
              "when", "unless", "requires"}
_EDGE_KEYS = {"type", "from", "to", "props", "description"}


@dataclass(frozen=True)
class KeyTemplate:
    """A key built from fields: ``"{agency}:{record_id}"``. ``fields`` are the names it uses."""

    text: str
    fields: tuple[str, ...]

    def render(self, row: dict[str, Any]) -> str | None:
        """The key for ``row``, or ``None`` when a field it needs is empty."""
        for name in self.fields:
            if is_empty(row.get(name)):
                return None
        return self.text.format_map(row)

    def render_get(self, get: Any) -> str | None:
        """:meth:`render` with a ``row.get`` function."""
        values = {}
        for name in self.fields:
            value = get(name)
            if is_empty(value):
                return None
            values[name] = value
        return self.text.format_map(values)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    column: str | None
    type: str
    required: bool
    formats: tuple[str, ...] = ()
    split: str | None = None
    key: bool = False


@dataclass(frozen=True)
class Props:
    """Where each property's value comes from: a field, a literal, or a template of fields."""

    fields: dict[str, str] = field(default_factory=dict)
    literals: dict[str, Any] = field(default_factory=dict)
    templates: dict[str, KeyTemplate] = field(default_factory=dict)

    def names(self) -> list[str]:
        return [*self.fields, *self.literals, *self.templates]

    def __bool__(self) -> bool:
        return bool(self.fields or self.literals or self.templates)


@dataclass(frozen=True)
class NodeSpec:
    """A node each row makes: label, key template, properties, and when it is made.

    A node is skipped on a row when ``optional`` and a key field is empty, when
    a ``when`` condition fails or an ``unless`` condition holds (field ->
    allowed values), or when a ``requires`` field is empty. Relationships
    touching a skipped node are skipped too.
    """

    alias: str
    label: str
    key: KeyTemplate
    props: Props
    optional: bool
    provenance: bool
    each: str | None = None
    when: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    unless: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    requires: tuple[str, ...] = ()

    def applies(self, row: dict[str, Any]) -> bool:
        """Whether ``row`` makes this node (conditions only; the key is checked separately)."""
        for name, allowed in self.when.items():
            if row.get(name) not in allowed:
                return False
        for name, refused in self.unless.items():
            if row.get(name) in refused:
                return False
        for name in self.requires:
            if is_empty(row.get(name)):
                return False
        return True

    def used_fields(self) -> set[str]:
        return {*self.key.fields, *self.props.fields.values(),
                *(f for t in self.props.templates.values() for f in t.fields),
                *self.when, *self.unless, *self.requires}


@dataclass(frozen=True)
class EdgeSpec:
    """A relationship each row makes between two of its nodes (by alias)."""

    type: str
    start: str
    end: str
    props: Props


@dataclass
class SourceMapping:
    """A loaded, checked mapping. ``rules`` are the field checks in column order."""

    name: str
    path: Path
    description: str
    format: str
    encoding: str
    delimiter: str
    quotechar: str
    sheet: str | None
    constants: dict[str, Any]
    fields: dict[str, FieldSpec]
    nodes: dict[str, NodeSpec]
    edges: list[EdgeSpec]
    rules: list[FieldRule] = field(default_factory=list)
    digest: str = ""

    @property
    def required_columns(self) -> list[str]:
        """Columns the header must contain: those of required and key fields."""
        return [f.column for f in self.fields.values() if (f.required or f.key) and f.column is not None]

    @property
    def date_fields(self) -> set[str]:
        return {n for n, f in self.fields.items() if f.type == "date"}

    def with_options(self, **options: Any) -> "SourceMapping":
        """A copy with reader options (encoding, delimiter, format, sheet) or constants overridden by a job."""
        import copy

        clone = copy.copy(self)
        for name in ("format", "encoding", "delimiter", "quotechar", "sheet"):
            if options.get(name) is not None:
                setattr(clone, name, options[name])
        if options.get("constants"):
            extra = options["constants"]
            if not isinstance(extra, dict):
                raise MappingError(f"{self.path}: constants given by the job must be a mapping",
                                   hint="write constants: {agency: police}")
            clone.constants = {**self.constants, **{str(k): _const(v) for k, v in extra.items()}}
        return clone


def mapping_path(name_or_path: str | Path) -> Path:
    """The YAML file of a mapping given by name (``people``) or path."""
    p = Path(name_or_path)
    if p.suffix in (".yml", ".yaml") or p.exists():
        return p
    return MAPPINGS_DIR / f"{name_or_path}.yml"


def available_mappings() -> list[str]:
    """Names of the mappings shipped in ``ingest/mappings/``."""
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yml"))


def load_mapping(name_or_path: str | Path) -> SourceMapping:
    """Load and check a mapping by name (``people``) or path; ``MappingError`` names file and field."""
    path = mapping_path(name_or_path)
    if not path.exists():
        names = ", ".join(available_mappings()) or "none"
        raise MappingError(f"no mapping {str(name_or_path)!r} ({path} does not exist)",
                           hint=f"use one of: {names}, or give the path of a .yml mapping")
    text = path.read_text(encoding="utf-8")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise MappingError(f"{path}: not valid YAML: {err}".replace("\n", " "),
                           hint="fix the YAML syntax (indentation, quotes)") from None
    return _build(path, doc, hashlib.sha256(text.encode()).hexdigest())


class _Checker:
    """Collects the file name so every error names it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str, hint: str = "see docs/ingestion.md for the mapping keys") -> None:
        raise MappingError(f"{self.path}: {where}: {message}", hint=hint)

    def unknown_keys(self, where: str, given: dict, allowed: set[str]) -> None:
        extra = sorted(set(given) - allowed)
        if extra:
            self.fail(where, f"unknown key {extra[0]!r}", hint=f"allowed keys: {', '.join(sorted(allowed))}")


def _const(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def _build(path: Path, doc: Any, digest: str) -> SourceMapping:
    chk = _Checker(path)
    if not isinstance(doc, dict):
        chk.fail("top level", "a mapping is a YAML mapping with fields:, nodes: and edges:")
    chk.unknown_keys("top level", doc, _TOP_KEYS)
    name = str(doc.get("name") or path.stem)
    if not _ALIAS.match(name.replace("-", "_")):
        chk.fail("name", f"{name!r} is not a simple name (letters, digits, _ and -)")
    fmt = str(doc.get("format") or "auto")
    if fmt not in (*FORMATS, "auto"):
        chk.fail("format", f"{fmt!r} is not one of {', '.join(FORMATS)}, auto")
    encoding = str(doc.get("encoding") or "utf-8")
    import codecs
    try:
        codecs.lookup(encoding)
    except LookupError:
        chk.fail("encoding", f"unknown encoding {encoding!r}", hint="use a Python codec name: utf-8, cp1252, latin-1")
    delimiter = str(doc.get("delimiter") if doc.get("delimiter") is not None else ",")
    if delimiter not in ("auto", "tab", "\\t") and len(delimiter) != 1:
        chk.fail("delimiter", f"{delimiter!r} must be one character or auto")
    quotechar = str(doc.get("quotechar") or '"')
    constants = doc.get("constants") or {}
    if not isinstance(constants, dict):
        chk.fail("constants", "must be a mapping of name: value")
    constants = {str(k): _const(v) for k, v in constants.items()}
    null_values = doc.get("null_values") or []
    if not isinstance(null_values, list):
        chk.fail("null_values", "must be a list of texts meaning 'empty' (e.g. [NULL, 'N/A'])")

    raw_fields = doc.get("fields")
    if not isinstance(raw_fields, dict) or not raw_fields:
        chk.fail("fields", "a mapping needs fields: (field name -> type or options)")
    raw_nodes = doc.get("nodes")
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        chk.fail("nodes", "a mapping needs nodes: (alias -> label, key, props)")

    nodes = {alias: _node(chk, alias, spec) for alias, spec in raw_nodes.items()}
    # Fields in the key of a node every row must make are required (missing -> quarantine).
    key_fields = {f for n in nodes.values()
                  if not (n.optional or n.each or n.when or n.unless or n.requires) for f in n.key.fields}

    fields: dict[str, FieldSpec] = {}
    rules: list[FieldRule] = []
    for fname, spec in raw_fields.items():
        fs, rule = _field(chk, str(fname), spec, key_fields, [str(v) for v in null_values])
        if fs.name in constants:
            chk.fail(f"fields.{fs.name}", "a field and a constant share this name")
        fields[fs.name] = fs
        rules.append(rule)

    known = set(fields) | set(constants)
    list_fields = {n for n, f in fields.items() if f.split is not None}
    for node in nodes.values():
        where = f"nodes.{node.alias}"
        for f in node.key.fields:
            if f not in known:
                chk.fail(f"{where}.key", f"{node.key.text!r} uses {{{f}}}, which is not a field or constant")
            if f in list_fields and f != node.each:
                chk.fail(f"{where}.key", f"{{{f}}} is a list field (split:); set each: {f} to make one node per item")
            if f in constants and constants[f] in (None, "") and not node.optional:
                chk.fail(f"{where}.key", f"constant {f} is empty")
        if node.each is not None:
            if node.each not in list_fields:
                chk.fail(f"{where}.each", f"{node.each!r} is not a list field (a field with split:)")
            if node.each not in node.key.fields:
                chk.fail(f"{where}.each", f"the key must use {{{node.each}}} to make one node per item")
        _check_props(chk, f"{where}.props", node.props, known, node.each)
        for cond in ("when", "unless"):
            for fname, values in getattr(node, cond).items():
                if fname not in known:
                    chk.fail(f"{where}.{cond}.{fname}", f"{fname!r} is not a field or constant")
                spec = fields.get(fname)
                if spec is not None and spec.type == "boolean" and not all(isinstance(v, bool) for v in values):
                    chk.fail(f"{where}.{cond}.{fname}", "a boolean field is compared with true or false")
        for fname in node.requires:
            if fname not in known:
                chk.fail(f"{where}.requires", f"{fname!r} is not a field or constant")

    edges: list[EdgeSpec] = []
    for i, spec in enumerate(doc.get("edges") or []):
        edges.append(_edge(chk, i, spec, nodes, known))
    for e in edges:
        if nodes[e.start].each and nodes[e.end].each:
            chk.fail(f"edges[{edges.index(e)}]", "both ends are per-item (each:) nodes; one end must be a single node")

    return SourceMapping(
        name=name, path=path, description=str(doc.get("description") or "").strip(), format=fmt,
        encoding=encoding, delimiter=delimiter, quotechar=quotechar,
        sheet=None if doc.get("sheet") is None else str(doc.get("sheet")),
        constants=constants, fields=fields, nodes=nodes, edges=edges, rules=rules, digest=digest,
    )


def _field(chk: _Checker, name: str, spec: Any, key_fields: set[str],
           null_values: list[str]) -> tuple[FieldSpec, FieldRule]:
    where = f"fields.{name}"
    if not _IDENT.match(name):
        chk.fail(where, "a field name is lower case letters, digits and _ (it is used in key templates)")
    if isinstance(spec, str):
        spec = {"type": spec}
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        chk.fail(where, "must be a type name or a mapping of options (type:, column:, required:, ...)")
    chk.unknown_keys(where, spec, _FIELD_KEYS)
    type_ = str(spec.get("type") or "string")
    if type_ not in FIELD_TYPES:
        chk.fail(f"{where}.type", f"unknown type {type_!r}", hint=f"types: {', '.join(FIELD_TYPES)}")
    column = spec.get("column", name)
    column = None if column is None else str(column)
    formats_raw = spec.get("formats", spec.get("format"))
    if formats_raw is None:
        formats = ("%Y-%m-%d",) if type_ == "date" else ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M")
    else:
        formats = tuple(str(f) for f in (formats_raw if isinstance(formats_raw, list) else [formats_raw]))
    if type_ not in ("date", "datetime") and formats_raw is not None:
        chk.fail(f"{where}.formats", f"formats only apply to date and datetime fields, not {type_}")
    for f in formats:
        if "%" not in f:
            chk.fail(f"{where}.formats", f"{f!r} is not a strptime format such as %d/%m/%Y")
    codes: frozenset[str] | None = None
    raw_codes = spec.get("codes")
    if type_ == "code":
        if raw_codes is None:
            chk.fail(f"{where}.codes", "a code field needs codes: (a list, or one of "
                     f"{', '.join(sorted(CODE_LISTS))})")
        if isinstance(raw_codes, str):
            if raw_codes not in CODE_LISTS:
                chk.fail(f"{where}.codes", f"unknown code list {raw_codes!r}",
                         hint=f"named lists: {', '.join(sorted(CODE_LISTS))}, or write the codes as a list")
            codes = CODE_LISTS[raw_codes]
        elif isinstance(raw_codes, list):
            codes = frozenset(str(c) for c in raw_codes)
        else:
            chk.fail(f"{where}.codes", "must be a list of codes or the name of a code list")
    elif raw_codes is not None:
        chk.fail(f"{where}.codes", "codes: needs type: code")
    code_map = spec.get("map")
    if code_map is not None and (type_ != "code" or not isinstance(code_map, dict)):
        chk.fail(f"{where}.map", "map: (source value -> code) needs type: code and is a mapping")
    code_map = {str(k): str(v) for k, v in (code_map or {}).items()}
    upper = bool(spec.get("upper", False))
    if code_map and upper:
        code_map = {k.upper(): v for k, v in code_map.items()}
    if codes is not None:
        for k, v in code_map.items():
            if v not in codes:
                chk.fail(f"{where}.map.{k}", f"maps to {v!r}, which is not in the field's codes")
    split = spec.get("split")
    if split is not None and (not isinstance(split, str) or not split):
        chk.fail(f"{where}.split", "split: is the separator of a list field, e.g. ';'")
    required = bool(spec.get("required", False))
    default = spec.get("default")
    if column is None and default is None:
        chk.fail(f"{where}.column", "a field without a column needs default: (or use constants:)")
    check = checker_for(type_, formats=formats, codes=codes, code_map=code_map, upper=upper)
    is_key = name in key_fields
    nulls = frozenset(null_values) | frozenset(str(v) for v in (spec.get("null_values") or []))
    fs = FieldSpec(name, column, type_, required, formats, split, is_key)
    rule = FieldRule(name, column, check, required or is_key,
                     None if default is None else str(default), split, nulls, is_key and not required)
    return fs, rule


def _props(chk: _Checker, where: str, raw: Any) -> Props:
    if raw is None:
        return Props()
    if isinstance(raw, list):
        raw = {str(p): str(p) for p in raw}
    if not isinstance(raw, dict):
        chk.fail(where, "props: is a list of field names or a mapping property -> field")
    fields: dict[str, str] = {}
    literals: dict[str, Any] = {}
    templates: dict[str, KeyTemplate] = {}
    for prop, src in raw.items():
        prop = str(prop)
        if not _IDENT.match(prop):
            chk.fail(f"{where}.{prop}", "a property name is lower case letters, digits and _")
        if prop == "key" or prop in PROVENANCE_PROPS:
            chk.fail(f"{where}.{prop}", f"{prop!r} is set by the loader (key template, provenance)")
        if isinstance(src, dict) and set(src) == {"value"}:
            literals[prop] = _const(src["value"])
        elif isinstance(src, dict) and set(src) == {"template"}:
            templates[prop] = _template(chk, f"{where}.{prop}.template", src["template"])
        elif isinstance(src, str):
            fields[prop] = src
        else:
            chk.fail(f"{where}.{prop}", "write a field name, {value: literal} or {template: \"..{field}..\"}")
    return Props(fields, literals, templates)


def _template(chk: _Checker, where: str, text: Any) -> KeyTemplate:
    if not isinstance(text, str) or not text:
        chk.fail(where, "a key template is text such as \"{agency}:{record_id}\"")
    names: list[str] = []
    try:
        for _lit, fname, spec, conv in string.Formatter().parse(text):
            if fname is None:
                continue
            if not fname or spec or conv or not _IDENT.match(fname):
                chk.fail(where, f"{text!r}: placeholders are plain {{field}} names")
            names.append(fname)
    except ValueError as err:
        chk.fail(where, f"{text!r} is not a valid template: {err}")
    if not names:
        chk.fail(where, f"{text!r} uses no field, so every row would get the same key")
    return KeyTemplate(text, tuple(dict.fromkeys(names)))


def _node(chk: _Checker, alias: Any, spec: Any) -> NodeSpec:
    alias = str(alias)
    where = f"nodes.{alias}"
    if not _ALIAS.match(alias):
        chk.fail(where, "a node alias is lower case letters, digits and _")
    if not isinstance(spec, dict):
        chk.fail(where, "must be a mapping with label: and key:")
    chk.unknown_keys(where, spec, _NODE_KEYS)
    label = spec.get("label")
    if label not in LOADABLE_LABELS:
        chk.fail(f"{where}.label", f"{label!r} is not a label of the graph model",
                 hint=f"labels: {', '.join(LOADABLE_LABELS)}")
    key = _template(chk, f"{where}.key", spec.get("key"))
    props = _props(chk, f"{where}.props", spec.get("props"))
    each = spec.get("each")
    # Provenance by default on Records that carry data (not on bare references to a Record).
    provenance = bool(spec.get("provenance", label == "Record" and bool(props)))
    conditions: dict[str, dict[str, tuple[Any, ...]]] = {}
    for cond in ("when", "unless"):
        raw = spec.get(cond) or {}
        if not isinstance(raw, dict):
            chk.fail(f"{where}.{cond}", "must map field -> value or list of values")
        conditions[cond] = {str(k): tuple(v if isinstance(v, list) else [v]) for k, v in raw.items()}
    requires = spec.get("requires") or []
    if isinstance(requires, str):
        requires = [requires]
    if not isinstance(requires, list):
        chk.fail(f"{where}.requires", "must be a list of field names")
    return NodeSpec(alias, str(label), key, props, bool(spec.get("optional", False)), provenance,
                    None if each is None else str(each), conditions["when"], conditions["unless"],
                    tuple(str(r) for r in requires))


def _edge(chk: _Checker, i: int, spec: Any, nodes: dict[str, NodeSpec], known: set[str]) -> EdgeSpec:
    where = f"edges[{i}]"
    if not isinstance(spec, dict):
        chk.fail(where, "an edge is a mapping with type:, from:, to:")
    chk.unknown_keys(where, spec, _EDGE_KEYS)
    type_, start, end = spec.get("type"), spec.get("from"), spec.get("to")
    for role, alias in (("from", start), ("to", end)):
        if alias not in nodes:
            chk.fail(f"{where}.{role}", f"{alias!r} is not a node alias of this mapping",
                     hint=f"aliases: {', '.join(nodes)}")
    triple = (nodes[start].label, type_, nodes[end].label)
    if triple not in RELATIONSHIPS:
        allowed = sorted(f"({a})-[:{t}]->({b})" for a, t, b in RELATIONSHIPS if a == triple[0])
        chk.fail(f"{where}.type", f"({triple[0]})-[:{type_}]->({triple[2]}) is not in the graph model",
                 hint="allowed from this label: " + (", ".join(allowed) or "none"))
    props = _props(chk, f"{where}.props", spec.get("props"))
    _check_props(chk, f"{where}.props", props, known, None)
    return EdgeSpec(str(type_), str(start), str(end), props)


def _check_props(chk: _Checker, where: str, props: Props, known: set[str], each: str | None) -> None:
    for prop, fname in props.fields.items():
        if fname not in known:
            chk.fail(f"{where}.{prop}", f"{fname!r} is not a field or constant")
        if each is not None and fname == each:
            chk.fail(f"{where}.{prop}", "the each: field is the node's key; use another field for props")
    for prop, tmpl in props.templates.items():
        for fname in tmpl.fields:
            if fname not in known:
                chk.fail(f"{where}.{prop}", f"{tmpl.text!r} uses {{{fname}}}, which is not a field or constant")
