"""Loading validated rows into the graph: ``UNWIND $rows ... MERGE`` batches.

Every statement is built once, at import time, from the trusted vocabulary:
the labels of ``graph/model.py``, the relationships of the DESIGN model
(:data:`~mashgraph.graph.model.RELATIONSHIPS`) and the date properties of
each (:data:`~mashgraph.graph.model.DATE_PROPS`). A mapping only chooses among these statements; no
Cypher text is ever built from a mapping's or a row's values, and every value
travels as a parameter.

How a batch is written (one transaction per statement):

1. per node alias of the mapping, one ``MERGE`` on ``key`` for all rows of the
   batch (rows with the same key merged first, last value wins, as if the
   rows had been written one by one);
2. per relationship of the mapping, ``MATCH`` both ends by key and ``MERGE``
   the relationship.

Property semantics: a mapped property whose source field is empty is removed
(``SET n += {p: null}``); a property whose field was *invalid* (a warning) is
left as it is in the graph; properties a mapping does not map are never
touched. Date properties are stored as ``date`` values.

Every statement is idempotent, so re-running a file, or resuming a killed
run by running it again, gives the same graph.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..graph.model import DATE_PROPS, LOADABLE_LABELS, RELATIONSHIPS
from .mapping import SourceMapping
from .validate import INVALID, Problem, is_empty

__all__ = [
    "NODE_MERGE_CYPHER", "NODE_UPSERT_CYPHER", "NODE_KEY_CYPHER", "EDGE_MERGE_CYPHER", "EDGE_PLAIN_CYPHER",
    "RUN_START_CYPHER", "RUN_FINISH_CYPHER", "RUN_LOOKUP_CYPHER", "LoadPlan", "Batch", "BatchWriter", "WriteTicket", "WRITE_DEPTH",
    "edge_name", "check_date_props",
]



def _date_sets(var: str, names: tuple[str, ...]) -> str:
    # An ISO text sets the date; '' ("empty in the source") removes it; null ("invalid in the
    # source", or not mapped) keeps what is there. FalkorDB evaluates every CASE branch, so
    # date() must never see '': the inner CASE turns it into null first.
    return "".join(
        f", {var}.`{p}` = CASE WHEN row.`{p}` IS NULL THEN {var}.`{p}` "
        f"ELSE date(CASE WHEN row.`{p}` = '' THEN null ELSE row.`{p}` END) END"
        for p in names)


def edge_name(start: str, type_: str, end: str) -> str:
    """The name of a relationship statement: ``Referral-ABOUT->Record``."""
    return f"{start}-{type_}->{end}"


NODE_MERGE_CYPHER: dict[str, str] = {
    label: ("UNWIND $rows AS row\n"
            f"MERGE (n:{label} {{key: row.k}})\n"
            f"SET n += row.p{_date_sets('n', DATE_PROPS.get(label, ()))}")
    for label in LOADABLE_LABELS
}
"""Per label: merge a node on ``row.k`` and set ``row.p`` plus the label's date properties."""

def _date_creates(var: str, names: tuple[str, ...]) -> str:
    # On a new node there is nothing to keep: an ISO text sets the date, '' or null sets nothing.
    return "".join(f", {var}.`{p}` = date(CASE WHEN row.`{p}` = '' THEN null ELSE row.`{p}` END)"
                   for p in names)


NODE_UPSERT_CYPHER: dict[str, str] = {
    label: ("UNWIND $rows AS row\n"
            f"OPTIONAL MATCH (n:{label} {{key: row.k}})\n"
            "FOREACH (x IN CASE WHEN n IS NULL THEN [1] ELSE [] END |\n"
            f"  CREATE (m:{label}) SET m = row.p, m.key = row.k{_date_creates('m', DATE_PROPS.get(label, ()))})\n"
            "FOREACH (x IN CASE WHEN n IS NULL THEN [] ELSE [1] END |\n"
            f"  SET n += row.p{_date_sets('n', DATE_PROPS.get(label, ()))})")
    for label in LOADABLE_LABELS
}
"""Per label: what :data:`NODE_MERGE_CYPHER` does, as the loader writes it. The node with key
``row.k`` is created with its properties in one step, or updated if it exists. (FalkorDB indexes
a node MERGE creates at once and then re-indexes every property SET on it: on the 100k
benchmark, 0.75 s of server CPU per 20,000 new Records with MERGE, 0.55 s with this; the same
for existing ones. Keys stay unique: the statement is atomic and ``key`` has a unique constraint.)"""

NODE_KEY_CYPHER: dict[str, str] = {
    label: f"UNWIND $rows AS row\nMERGE (n:{label} {{key: row.k}})"
    for label in LOADABLE_LABELS
}
"""Per label: make sure a node with key ``row.k`` exists (a reference to a node another extract fills)."""

EDGE_MERGE_CYPHER: dict[str, str] = {
    edge_name(a, t, b): ("UNWIND $rows AS row\n"
                         f"MATCH (a:{a} {{key: row.a}})\n"
                         f"MATCH (b:{b} {{key: row.b}})\n"
                         f"MERGE (a)-[r:{t}]->(b)\n"
                         f"SET r += row.p{_date_sets('r', DATE_PROPS.get(t, ()))}")
    for a, t, b in sorted(RELATIONSHIPS)
}
"""Per relationship of the model: merge it between two existing nodes and set its properties."""

EDGE_PLAIN_CYPHER: dict[str, str] = {
    edge_name(a, t, b): ("UNWIND $rows AS row\n"
                         f"MATCH (a:{a} {{key: row.a}})\n"
                         f"MATCH (b:{b} {{key: row.b}})\n"
                         f"MERGE (a)-[:{t}]->(b)")
    for a, t, b in sorted(RELATIONSHIPS)
}
"""Per relationship of the model: merge it, without properties."""

RUN_START_CYPHER = """
MERGE (r:IngestRun {key: $key})
SET r.source = $source, r.file = $file, r.sha256 = $sha256, r.mapping = $mapping,
    r.mapping_sha256 = $mapping_sha256, r.started = $started, r.finished = null, r.status = 'running'
"""

RUN_FINISH_CYPHER = """
MATCH (r:IngestRun {key: $key})
SET r.finished = $finished, r.status = 'complete', r.read = $read, r.loaded = $loaded,
    r.quarantined = $quarantined, r.warnings = $warnings,
    r.reasons = $reasons, r.warning_reasons = $warning_reasons
"""

RUN_LOOKUP_CYPHER = """
MATCH (r:IngestRun {key: $key})
RETURN r.status AS status, r.mapping_sha256 AS mapping_sha256, r.read AS read, r.loaded AS loaded,
       r.quarantined AS quarantined, r.warnings AS warnings
"""


def check_date_props(mapping: SourceMapping) -> None:
    """Raise ``MappingError`` when a date field feeds a property that is not a date of the model, or back."""
    from ..errors import MappingError

    def check(where: str, owner: str, props: Any) -> None:
        dates = DATE_PROPS.get(owner, ())
        for prop, fname in props.fields.items():
            spec = mapping.fields.get(fname)
            is_date = spec is not None and spec.type == "date"
            if is_date and prop not in dates:
                raise MappingError(
                    f"{mapping.path}: {where}.props.{prop}: field {fname} is a date but {owner}.{prop} "
                    f"is not a date property of the model",
                    hint=f"date properties of {owner}: {', '.join(dates) or 'none'}; or give the field type: string")
            if prop in dates and not is_date:
                raise MappingError(f"{mapping.path}: {where}.props.{prop}: {owner}.{prop} is a date; "
                                   f"field {fname} must have type: date",
                                   hint="set type: date and formats: on the field")
        for prop in (*props.literals, *props.templates):
            if prop in dates:
                raise MappingError(f"{mapping.path}: {where}.props.{prop}: {owner}.{prop} is a date; "
                                   "map it from a date field", hint="set type: date on a field")

    for alias, node in mapping.nodes.items():
        check(f"nodes.{alias}", node.label, node.props)
    for i, edge in enumerate(mapping.edges):
        check(f"edges[{i}]", edge.type, edge.props)


# -- per-mapping plan ----------------------------------------------------------

class _Op:
    """One node alias or relationship of a mapping, with what a row needs precomputed."""

    def __init__(self, spec: Any, cypher: str, full: bool, dates: tuple[str, ...]) -> None:
        self.spec = spec
        self.cypher = cypher
        self.full = full
        self.dates = dates
        props = spec.props
        self.plain = tuple((p, f) for p, f in props.fields.items() if p not in dates)
        self.date_fields = tuple((p, props.fields.get(p)) for p in dates)
        self.literals = dict(props.literals)
        self.templates = tuple(props.templates.items())
        # The fields whose values decide what this op writes (its signature).
        self.sig_fields = tuple(dict.fromkeys(
            [*props.fields.values(), *(f for _p, t in self.templates for f in t.fields)]))
        # key -> signature of what was last queued for it in this run (see LoadPlan.add_row).
        self.sent: dict[Any, Any] = {}

    def values(self, get: Callable[[str], Any]) -> dict[str, Any]:
        """The statement row for this op (without its key): ``{"p": {...}, <date props>}``."""
        p = {prop: value for prop, fname in self.plain if (value := get(fname)) is not INVALID}
        if self.literals:
            p.update(self.literals)
        for prop, tmpl in self.templates:
            p[prop] = tmpl.render_get(get)
        out: dict[str, Any] = {"p": p}
        for prop, fname in self.date_fields:
            if fname is None:
                out[prop] = None  # not mapped: keep
            else:
                value = get(fname)
                out[prop] = None if value is INVALID else (value or "")
        return out


class _NodeOp(_Op):
    def __init__(self, alias: str, node: Any, cypher: str, full: bool, dates: tuple[str, ...]) -> None:
        super().__init__(node, cypher, full, dates)
        self.alias = alias
        self.label = node.label
        self.conditional = bool(node.when or node.unless or node.requires)
        self.each = node.each
        self.optional = node.optional
        self.provenance = node.provenance
        self.key_text = node.key.text
        self.key_fields = node.key.fields
        # "{field}" keys (most of them) need no formatting.
        self.key_field = node.key.fields[0] if node.key.text == "{" + node.key.fields[0] + "}" else None


class _EdgeOp(_Op):
    def __init__(self, edge: Any, cypher: str, full: bool, dates: tuple[str, ...],
                 start_index: int, end_index: int) -> None:
        super().__init__(edge, cypher, full, dates)
        # Positions in LoadPlan.node_ops of the nodes the relationship joins.
        self.start_index, self.end_index = start_index, end_index


@dataclass
class Batch:
    """Rows of one batch, grouped per statement: node rows by alias, edge rows by index."""

    nodes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    edges: list[dict[tuple[str, str], dict[str, Any]]] = field(default_factory=list)
    rows: int = 0

    def statements(self, plan: "LoadPlan", *, merge: bool = False) -> list[tuple[str, list[dict[str, Any]]]]:
        """``(cypher, rows)`` in the order they must run: nodes first, then relationships.

        ``merge=True``: nodes with properties by :data:`NODE_MERGE_CYPHER` (the same result as the
        loader's :data:`NODE_UPSERT_CYPHER`; the benchmark's naive loop uses it)."""
        out: list[tuple[str, list[dict[str, Any]]]] = []
        for op in plan.node_ops:
            rows = self.nodes.get(op.alias)
            if rows:
                cypher = NODE_MERGE_CYPHER[op.label] if merge and op.full else op.cypher
                out.append((cypher, list(rows.values())))
        for op, rows in zip(plan.edge_ops, self.edges):
            if rows:
                out.append((op.cypher, list(rows.values())))
        return out


class LoadPlan:
    """The statements of one mapping and how each validated row feeds them."""

    def __init__(self, mapping: SourceMapping, *, merge: bool = False) -> None:
        """``merge``: nodes with properties by :data:`NODE_MERGE_CYPHER` instead of the upsert,
        for an engine whose dialect says it is the cheaper way (``Dialect.upsert_by_merge``)."""
        check_date_props(mapping)
        self.mapping = mapping
        self.node_ops: list[_NodeOp] = []
        upsert = NODE_MERGE_CYPHER if merge else NODE_UPSERT_CYPHER
        for alias, node in mapping.nodes.items():
            full = bool(node.props) or node.provenance
            cypher = upsert[node.label] if full else NODE_KEY_CYPHER[node.label]
            self.node_ops.append(_NodeOp(alias, node, cypher, full, DATE_PROPS.get(node.label, ())))
        self.edge_ops: list[_EdgeOp] = []
        index = {op.alias: i for i, op in enumerate(self.node_ops)}
        for edge in mapping.edges:
            name = edge_name(mapping.nodes[edge.start].label, edge.type, mapping.nodes[edge.end].label)
            full = bool(edge.props)
            self.edge_ops.append(_EdgeOp(edge, EDGE_MERGE_CYPHER[name] if full else EDGE_PLAIN_CYPHER[name],
                                         full, DATE_PROPS.get(edge.type, ()), index[edge.start], index[edge.end]))

    def new_batch(self) -> Batch:
        return Batch({op.alias: {} for op in self.node_ops}, [{} for _ in self.edge_ops])

    def sent_keys(self, labels: tuple[str, ...]) -> dict[str, set[str]]:
        """Label -> keys of the ``labels`` nodes this file's rows named since :meth:`forget`
        (written, or already queued unchanged): what a nightly facts refresh starts from."""
        out: dict[str, set[str]] = {}
        for op in self.node_ops:
            if op.label in labels and op.sent:
                out.setdefault(op.label, set()).update(op.sent)
        return out

    def forget(self) -> None:
        """Forget what was queued (call before each file: a new run writes everything once)."""
        for op in (*self.node_ops, *self.edge_ops):
            op.sent.clear()

    def add_row(self, batch: Batch, row: dict[str, Any], provenance: dict[str, Any]) -> Problem | None:
        """Add one validated row to ``batch``; a ``Problem`` (and nothing added) if a node key is missing.

        A node or relationship whose properties are exactly what this plan
        already queued for it earlier in the file is not queued again: the
        write would change nothing. (Its provenance stays the line that last
        changed it, the same in a resumed run, which replays the file from its
        start with an empty memory.)
        """
        get = row.get
        found: list[tuple[_NodeOp, list[str]]] = []
        keys: list[list[str] | None] = [None] * len(self.node_ops)
        for i, op in enumerate(self.node_ops):
            if op.conditional and not op.spec.applies(row):
                continue
            if op.each is not None:
                items = get(op.each)
                if items:
                    if op.key_field is None:
                        fmt = op.key_text.format_map
                        items = [fmt({**row, op.each: item}) for item in items]
                    keys[i] = items
                    found.append((op, items))
                continue
            if op.key_field is not None:
                key = get(op.key_field)
                if key is None or key is INVALID or key == "":
                    key = None
                elif key.__class__ is not str:
                    key = str(key)
            else:
                key = op.spec.key.render(row)
            if key is None:
                if op.optional:
                    continue
                missing = next(f for f in op.key_fields if is_empty(get(f)))
                return Problem(missing, "missing_key",
                               f"{missing} is empty, so the {op.label} node ({op.key_text}) has no key")
            keys[i] = [key]
            found.append((op, keys[i]))
        nodes = batch.nodes
        for op, node_keys in found:
            target = nodes[op.alias]
            sent = op.sent
            if not op.full:
                for k in node_keys:
                    if k not in sent:
                        sent[k] = True
                        target[k] = {"k": k}
                continue
            sig = tuple(map(get, op.sig_fields))
            for k in node_keys:
                if sent.get(k) == sig:
                    continue
                sent[k] = sig
                values = op.values(get)
                if op.provenance:
                    values["p"].update(provenance)
                values["k"] = k
                _merge_into(target, k, values, op.dates)
        for op, target in zip(self.edge_ops, batch.edges):
            starts = keys[op.start_index]
            if not starts:
                continue
            ends = keys[op.end_index]
            if not ends:
                continue
            sent = op.sent
            sig = tuple(map(get, op.sig_fields)) if op.full else True
            for a in starts:
                for b in ends:
                    if sent.get((a, b)) == sig:
                        continue
                    sent[(a, b)] = sig
                    if not op.full:
                        target[(a, b)] = {"a": a, "b": b}
                        continue
                    values = op.values(get)
                    values["a"], values["b"] = a, b
                    _merge_into(target, (a, b), values, op.dates)
        batch.rows += 1
        return None


def _merge_into(target: dict, key: Any, values: dict[str, Any], dates: tuple[str, ...]) -> None:
    """Combine rows with the same key as if they had been written one after the other."""
    old = target.get(key)
    if old is None:
        target[key] = values
        return
    old["p"].update(values["p"])
    for prop in dates:
        if values[prop] is not None:
            old[prop] = values[prop]


# -- writing -------------------------------------------------------------------

class _Encoded:
    """Parameters already encoded by the store (see ``BatchWriter(encode=...)``)."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data


WRITE_DEPTH = 3
"""Batches of rows that may wait for the writer thread while the next rows are read."""

# While a writer runs, the interpreter hands the GIL over every 0.5 ms instead of every 5 ms:
# the writer thread needs it briefly after each answer from the store, and the main thread,
# validating rows, would otherwise keep it for up to 5 ms each time (measured on the 100k
# benchmark: the writer's time in store calls fell from 17.5 s to 12.2 s).
_SWITCH_INTERVAL_S = 0.0005
_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.0


def _fast_gil_handoff(on: bool) -> None:
    global _switch_users, _switch_saved
    with _switch_lock:
        if on:
            if _switch_users == 0:
                _switch_saved = sys.getswitchinterval()
                sys.setswitchinterval(min(_switch_saved, _SWITCH_INTERVAL_S))
            _switch_users += 1
        else:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


class WriteTicket:
    """The writes of one file load queued on a :class:`BatchWriter`: its first error, counters, end time."""

    __slots__ = ("name", "error", "stats", "sealed", "done", "finished_at", "abandoned",
                 "rows_queued", "rows_written")

    def __init__(self, name: str) -> None:
        self.name = name
        self.error: BaseException | None = None
        self.stats: dict[str, int] = {}
        self.rows_queued = 0         # source rows in the batches queued ...
        self.rows_written = 0        # ... and in those written completely (every statement succeeded)
        self.sealed = False          # no more items will be queued for it
        self.done = False            # every item queued for it was written (or skipped after an error)
        self.finished_at = 0.0       # time.perf_counter() when done
        self.abandoned = False


class BatchWriter:
    """Writes on one background thread, in the order queued, so reading and validating the next
    rows (of this file or the next) overlaps the store's work. At most ``depth`` batches of rows
    wait (small writes, such as an ``IngestRun`` start or finish, do not count).

    Items belong to a :class:`WriteTicket` (one per file load). An error stops the rest of
    that ticket's items (including its closing ``IngestRun`` write, so the file stays
    'running' and is loaded again next time) but not other tickets'; callers read it from
    ``ticket.error`` once ``ticket.done``.
    """

    def __init__(self, write: Callable[[str, dict[str, Any]], Any], depth: int = WRITE_DEPTH, *,
                 encode: Callable[[dict[str, Any]], Any] | None = None,
                 write_encoded: Callable[[str, Any], Any] | None = None) -> None:
        _fast_gil_handoff(True)
        self._write = write
        # A store that can encode parameters ahead (FalkorDB: the CYPHER prefix text) gets
        # batches encoded on the caller's thread, which has time to spare, not the writer's.
        self._encode = encode if write_encoded is not None else None
        self._write_encoded = write_encoded
        self._queue: queue.Queue = queue.Queue()
        self._slots = threading.Semaphore(depth)  # one per queued batch of rows
        self._cond = threading.Condition()
        self._closed = False
        self.tickets: dict[str, WriteTicket] = {}  # by name (the file's run key), the latest of each
        self._thread = threading.Thread(target=self._run, name="mashgraph-ingest-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            ticket, statements, slot, rows = item
            if statements is None:  # seal: everything before it is written
                with self._cond:
                    ticket.done = True
                    ticket.finished_at = time.perf_counter()
                    self._cond.notify_all()
                continue
            try:
                if ticket.error is None and not ticket.abandoned:
                    self._run_statements(ticket, statements)
                    if ticket.error is None:
                        ticket.rows_written += rows
            finally:
                if slot:
                    self._slots.release()

    def _run_statements(self, ticket: WriteTicket, statements: list[tuple[str, Any]]) -> None:
        try:
            for cypher, params in statements:
                if params.__class__ is _Encoded:
                    result = self._write_encoded(cypher, params.data)
                else:
                    if callable(params):
                        params = params()
                    result = self._write(cypher, params)
                for name, value in (getattr(result, "stats", None) or {}).items():
                    ticket.stats[name] = ticket.stats.get(name, 0) + value
        except BaseException as err:  # reported through the ticket, in the caller's thread
            ticket.error = err

    def ticket(self, name: str) -> WriteTicket:
        """A new ticket for the writes of one file load."""
        ticket = self.tickets[name] = WriteTicket(name)
        return ticket

    def submit_rows(self, ticket: WriteTicket, statements: list[tuple[str, list[dict[str, Any]]]],
                    source_rows: int = 0) -> None:
        """Queue one batch: ``(cypher, rows)`` pairs, each written as ``cypher`` with ``{"rows": rows}``;
        ``source_rows`` (the source rows it holds) count as written once all its statements are.

        Blocks while ``depth`` batches already wait."""
        if ticket.sealed:
            raise RuntimeError(f"write ticket {ticket.name} is sealed")
        encode = self._encode
        if encode is None:
            items = [(cypher, {"rows": rows}) for cypher, rows in statements]
        else:
            items = [(cypher, _Encoded(encode({"rows": rows}))) for cypher, rows in statements]
        self._slots.acquire()
        ticket.rows_queued += source_rows
        self._queue.put((ticket, items, True, source_rows))

    def submit(self, ticket: WriteTicket, statements: list[tuple[str, Any]]) -> None:
        """Queue small writes: ``(cypher, params)`` pairs; ``params`` may be a callable, called just
        before the write. They do not count towards ``depth``."""
        if ticket.sealed:
            raise RuntimeError(f"write ticket {ticket.name} is sealed")
        self._queue.put((ticket, statements, False, 0))

    def seal(self, ticket: WriteTicket) -> None:
        """No more items for ``ticket``; it is ``done`` once the writer reaches this point."""
        ticket.sealed = True
        self._queue.put((ticket, None, False, 0))

    def abandon(self, ticket: WriteTicket) -> None:
        """Skip ``ticket``'s items not yet written (the load failed while reading)."""
        ticket.abandoned = True
        if not ticket.sealed:
            self.seal(ticket)

    def wait(self, ticket: WriteTicket) -> None:
        """Block until ``ticket`` is done (sealed and reached)."""
        with self._cond:
            while not ticket.done:
                self._cond.wait()

    def close(self) -> None:
        """Write everything queued, then stop the thread (errors stay on their tickets)."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
            _fast_gil_handoff(False)
