"""The GraphStore contract: one test body per promise, run against every available backend.

The ``store`` fixture (tests/conftest.py) gives an empty graph of each backend:
embedded FalkorDB, a FalkorDB server and Neo4j 5, the servers started for the
session unless FALKORDB_URL / NEO4J_URI name one (docs/stores.md).
"""

from __future__ import annotations

import datetime
import inspect

import pytest

from mashgraph.errors import QueryError, QueryTimeout, ReadOnlyViolation, StoreUnavailable
from mashgraph.graph.backends.embedded import EmbeddedStore
from mashgraph.graph.backends.falkordb import FalkorDialect, FalkorServerStore
from mashgraph.graph.backends.neo4j import Neo4jDialect, Neo4jStore
from mashgraph.graph.concerns import ALL_CONCERNS
from mashgraph.graph import open_store
from mashgraph.graph.store import Dialect, GraphStore
from mashgraph.graph.types import Node, Path, Rel
from mashgraph.settings import load_settings

COUNT_CYPHER = "MATCH (n) RETURN count(n) AS n"
ECHO_CYPHER = "RETURN $v AS v"
SET_PROP_CYPHER = "MERGE (n:Probe {key: 'p'}) SET n.v = $v"
GET_PROP_CYPHER = "MATCH (n:Probe {key: 'p'}) RETURN n.v AS v"
DATES_CYPHER = (
    "RETURN date($d) AS d, [date($d), date('2000-01-01')] AS l, {when: date($d)} AS m")
STORE_DATE_CYPHER = "MERGE (r:Referral {key: 'police:1'}) SET r.date = date($d)"
LOAD_RECORD_CYPHER = """
UNWIND $rows AS row
MERGE (a:Agency {key: row.agency})
MERGE (r:Record {key: row.key})
SET r.given_name = row.given, r.family_name = row.family, r.dob = date(row.dob)
MERGE (r)-[h:HELD_BY]->(a)
SET h.since = row.since
"""
NODE_CYPHER = "MATCH (a:Agency {key: 'police'}) RETURN a"
REL_ONLY_CYPHER = "MATCH (:Record {key: 'police:1'})-[h:HELD_BY]->() RETURN h"
PATH_CYPHER = "MATCH p = (:Record {key: 'police:1'})-[:HELD_BY]->(:Agency) RETURN p"
COLLECT_CYPHER = "MATCH (r:Record) WITH r ORDER BY r.key RETURN collect(r.key) AS keys, count(r) AS n"
NESTED_CYPHER = (
    "MATCH (r:Record {key: 'police:1'})-[h:HELD_BY]->(a:Agency) "
    "RETURN [r, a] AS nodes, {rel: h, agency: a} AS m")
GRAPH_SHAPE_CYPHER = (
    "MATCH (r:Record)-[h:HELD_BY]->(a:Agency) "
    "RETURN count(DISTINCT r) AS records, count(DISTINCT a) AS agencies, count(h) AS held")
SLOW_CYPHER = (
    "UNWIND range(1, 3000) AS a UNWIND range(1, 3000) AS b UNWIND range(1, 3000) AS c "
    "RETURN count(*) AS n")
SYNTAX_ERROR_CYPHER = "MATCH (n) RETRN n"
UNKNOWN_FUNCTION_CYPHER = "RETURN no_such_function(1) AS x"
CONCERNS_CYPHER = "MATCH (c:Concern) RETURN count(c) AS n"
CONCERN_CYPHER = "MATCH (c:Concern {key: $key}) RETURN c.label AS label, c.subject AS subject"
DUPLICATE_AGENCY_CYPHER = "CREATE (:Agency {key: 'police'})"
EXPLAINED_WRITE_CYPHER = "CREATE (:Probe {key: 'explained'})"

# Every kind of write a read must refuse; the engine-specific ones per backend.
WRITES = {
    "create": "CREATE (:Probe {key: 'x'})",
    "merge": "MERGE (:Probe {key: 'x'})",
    "set": "MATCH (a:Agency) SET a.name = 'changed'",
    "remove": "MATCH (a:Agency) REMOVE a.name",
    "delete": "MATCH (a:Agency) DETACH DELETE a",
    "index": "CREATE INDEX FOR (n:Probe) ON (n.key)",
}
WRITE_PROCEDURES = {
    "embedded": "CALL db.idx.fulltext.createNodeIndex('Probe', 'name')",
    "falkordb-server": "CALL db.idx.fulltext.createNodeIndex('Probe', 'name')",
    "neo4j": "CALL db.createLabel('Probe')",
}

ROWS = [{"agency": "police", "key": f"police:{i}", "given": "Ann", "family": f"Smith{i}",
         "dob": "1990-05-17", "since": i} for i in range(1, 26)]


def load_records(store, rows=ROWS, batch_size=10) -> int:
    return store.write_batches(LOAD_RECORD_CYPHER, rows, batch_size=batch_size)


# -- values ------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    "plain", "", "Zoë Ó'Brien \"quoted\" back\\slash\nnew line\ttab 日本 😀",
    0, 42, -(2**53), 2**62, 1.25, -0.5, True, False,
    ["a", "b"], [1, 2, 3], [1.5, 2.5], [True, False], [],
], ids=lambda v: repr(v)[:20])
def test_scalar_and_list_values_round_trip_as_parameter_and_property(store, value):
    assert store.read(ECHO_CYPHER, {"v": value}).value() == value
    store.write(SET_PROP_CYPHER, {"v": value})
    got = store.read(GET_PROP_CYPHER).value()
    if value == []:  # engines differ on storing an empty list: Neo4j keeps [], FalkorDB too
        assert got in ([], None)
    else:
        assert got == value and type(got) is type(value)


@pytest.mark.parametrize("value", [
    None, {"a": 1, "b": "two", "c": [1, 2], "d": {"e": None, "f": True}},
    [1, "mixed", None, [2.5]], {"quote's": "O'Brien", "unicode": "Zoë"},
], ids=["null", "map", "mixed-list", "map-quotes"])
def test_null_maps_and_mixed_lists_round_trip_as_parameters(store, value):
    assert store.read(ECHO_CYPHER, {"v": value}).value() == value


def test_dates_come_back_as_datetime_date_everywhere(store):
    row = store.read(DATES_CYPHER, {"d": "2024-02-29"}).records()[0]
    assert row == {"d": datetime.date(2024, 2, 29),
                   "l": [datetime.date(2024, 2, 29), datetime.date(2000, 1, 1)],
                   "m": {"when": datetime.date(2024, 2, 29)}}
    store.write(STORE_DATE_CYPHER, {"d": "2023-11-05"})
    node = store.read("MATCH (r:Referral) RETURN r").value()
    assert node.props["date"] == datetime.date(2023, 11, 5)


def test_nodes_come_back_keyed_by_their_business_key(store):
    load_records(store)
    agency = store.read(NODE_CYPHER).value()
    assert agency == Node("police", ("Agency",), {"key": "police"})
    assert agency.props == {"key": "police"}


def test_relationships_name_their_ends_by_key_even_when_the_nodes_are_not_returned(store):
    load_records(store)
    rel = store.read(REL_ONLY_CYPHER).value()
    assert rel == Rel("HELD_BY", "police:1", "police", {"since": 1})
    assert rel.props == {"since": 1}


def test_paths_come_back_as_nodes_and_relationships(store):
    load_records(store)
    path = store.read(PATH_CYPHER).value()
    assert isinstance(path, Path)
    assert [n.key for n in path.nodes] == ["police:1", "police"]
    assert path.nodes[0].labels == ("Record",)
    assert path.nodes[0].props["dob"] == datetime.date(1990, 5, 17)
    assert path.rels == (Rel("HELD_BY", "police:1", "police", {"since": 1}),)


def test_nodes_and_relationships_inside_lists_and_maps(store):
    load_records(store)
    row = store.read(NESTED_CYPHER).records()[0]
    assert [n.key for n in row["nodes"]] == ["police:1", "police"]
    assert row["m"]["rel"] == Rel("HELD_BY", "police:1", "police", {"since": 1})
    assert row["m"]["agency"].key == "police"


def test_result_shape_columns_rows_records_value_column(store):
    load_records(store)
    res = store.read(COLLECT_CYPHER)
    assert res.columns == ["keys", "n"]
    assert res.rows == [[sorted(r["key"] for r in ROWS), 25]]
    assert res.records() == [{"keys": sorted(r["key"] for r in ROWS), "n": 25}]
    assert res.column("n") == [25]


def test_a_query_naming_unknown_labels_and_properties_logs_no_warning(store, caplog):
    # Neo4j sends a notification for each; the driver logged every one at WARNING.
    with caplog.at_level("INFO"):
        assert store.read("MATCH (n:NoSuchLabel) RETURN n.no_such_property AS v").rows == []
    assert [r for r in caplog.records if r.levelname in {"WARNING", "ERROR"}] == []


# -- writes ------------------------------------------------------------------------
def test_write_batches_sends_every_row_in_batches_and_counts_them(store):
    assert load_records(store, batch_size=10) == 25
    assert store.read(GRAPH_SHAPE_CYPHER).records() == [{"records": 25, "agencies": 1, "held": 25}]
    assert store.write_batches(LOAD_RECORD_CYPHER, [], batch_size=10) == 0
    # A generator works too (ingestion streams rows).
    assert store.write_batches(LOAD_RECORD_CYPHER, (r for r in ROWS[:3]), batch_size=2) == 3


def test_write_reports_common_write_counters(store):
    res = store.write(LOAD_RECORD_CYPHER, {"rows": ROWS[:2]})
    assert res.stats["nodes_created"] == 3
    assert res.stats["relationships_created"] == 2
    assert res.stats["properties_set"] > 0
    again = store.write(LOAD_RECORD_CYPHER, {"rows": ROWS[:2]})
    assert "nodes_created" not in again.stats and "relationships_created" not in again.stats


def test_merge_twice_gives_the_same_graph(store):
    load_records(store)
    first = store.read(GRAPH_SHAPE_CYPHER).records()
    load_records(store)
    assert store.read(GRAPH_SHAPE_CYPHER).records() == first
    assert store.read(COUNT_CYPHER).value() == 26


# -- read-only -----------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(WRITES) + ["procedure"])
def test_read_refuses_every_kind_of_write_and_changes_nothing(store, kind):
    load_records(store, ROWS[:1])
    schema_before = store.schema().rows
    cypher = WRITE_PROCEDURES[store.backend_kind] if kind == "procedure" else WRITES[kind]
    with pytest.raises(ReadOnlyViolation) as info:
        store.read(cypher)
    assert "\n" not in info.value.one_line()
    assert store.read(COUNT_CYPHER).value() == 2
    assert store.read("MATCH (a:Agency) RETURN a.key AS k, a.name AS name").records() == [
        {"k": "police", "name": None}]
    assert store.read("MATCH (p:Probe) RETURN count(p)").value() == 0
    assert store.schema().rows == schema_before


# -- timeouts and errors -----------------------------------------------------------
def test_a_read_past_its_timeout_raises_query_timeout(store):
    with pytest.raises(QueryTimeout) as info:
        store.read(SLOW_CYPHER, timeout=0.3)
    assert isinstance(info.value, QueryError)
    assert "timed out" in info.value.one_line()
    assert store.read(COUNT_CYPHER).value() == 0  # the store still answers


@pytest.mark.parametrize("cypher", [SYNTAX_ERROR_CYPHER, UNKNOWN_FUNCTION_CYPHER])
def test_bad_cypher_raises_query_error_as_one_line(store, cypher):
    with pytest.raises(QueryError) as info:
        store.read(cypher)
    err = info.value
    assert type(err) is QueryError
    assert "\n" not in err.one_line() and err.hint
    assert "Traceback" not in err.one_line()


def test_a_duplicate_key_is_refused_once_the_schema_is_applied(store):
    store.ensure_schema()
    load_records(store, ROWS[:1])
    with pytest.raises(QueryError):
        store.write(DUPLICATE_AGENCY_CYPHER)
    assert store.read("MATCH (a:Agency) RETURN count(a)").value() == 1


def test_explain_plans_without_running(store):
    plan = store.explain(EXPLAINED_WRITE_CYPHER)
    assert isinstance(plan, str) and plan.strip()
    assert "Create" in plan or "CREATE" in plan.upper()
    assert store.read(COUNT_CYPHER).value() == 0


# -- schema and full-text ------------------------------------------------------------
def test_ensure_schema_twice_is_harmless_and_seeds_every_concern(store):
    first = store.ensure_schema()
    second = store.ensure_schema()
    assert first == second and first
    assert store.read(CONCERNS_CYPHER).value() == len(ALL_CONCERNS)
    label, subject = ALL_CONCERNS["1A"]
    assert store.read(CONCERN_CYPHER, {"key": "1A"}).records() == [{"label": label, "subject": subject}]
    shown = store.schema()
    assert shown.columns == ["kind", "label", "properties", "types"]
    constrained = {r[1] for r in shown.rows if r[0] == "constraint"}
    assert {"Agency", "Record", "Person", "Concern"} <= constrained


NAMES = [
    {"agency": "police", "key": "police:1", "given": "Siobhan", "family": "O'Brien", "dob": "2010-01-02", "since": 1},
    {"agency": "police", "key": "police:2", "given": "Mary-Jane", "family": "Smith-Jones", "dob": "2011-03-04", "since": 1},
    {"agency": "health", "key": "health:7", "given": "Zoë", "family": "Smith", "dob": "2012-05-06", "since": 1},
    {"agency": "health", "key": "health:8", "given": "John", "family": "Smithers", "dob": "1980-07-08", "since": 1},
]


@pytest.mark.parametrize("text, expected", [
    ("Smith", {"health:7"}),
    ("smith", {"health:7"}),
    ("O'Brien", {"police:1"}),
    ("Siobhan O'Brien", {"police:1"}),
    ("Smith-Jones", {"police:2"}),
    ("Mary-Jane Smith-Jones", {"police:2"}),
    ("Zoë", {"health:7"}),
    ("smith*", {"health:7", "health:8"}),
    ("Nobody", set()),
    ("j* Smithers", {"health:8"}),
    ("(", set()),
    ("", set()),
])
def test_search_names_finds_records_from_plain_words(store, text, expected):
    store.ensure_schema()
    load_records(store, NAMES)
    res = store.search_names(text)
    assert res.columns == ["node", "score"]
    found = {row[0].key for row in res.rows}
    # "Smith" is also a word of "Smith-Jones" on engines that split on hyphens.
    if text.lower() in {"smith", "smith*"}:
        found.discard("police:2")
    assert found == expected


def test_search_names_refuses_a_label_without_a_full_text_index(store):
    with pytest.raises(QueryError):
        store.search_names("Smith", label="Agency")


# -- opening -------------------------------------------------------------------------
def test_a_closed_store_says_so(store):
    store.close()
    with pytest.raises(StoreUnavailable) as info:
        store.read(COUNT_CYPHER)
    assert "closed" in info.value.one_line()
    store.close()  # closing twice is harmless


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1", "falkor://127.0.0.1:1", "bolt://127.0.0.1:1"])
def test_an_unreachable_server_raises_store_unavailable(url):
    with pytest.raises(StoreUnavailable) as info:
        open_store(url, load_settings(environ={}))
    assert "\n" not in info.value.one_line() and info.value.hint


def test_every_backend_implements_the_whole_contract():
    public = {name for name, _ in inspect.getmembers(GraphStore, callable) if not name.startswith("_")}
    assert {"read", "write", "write_batches", "ensure_schema", "schema", "explain",
            "search_names", "close"} <= public
    for cls in (EmbeddedStore, FalkorServerStore, Neo4jStore):
        assert not inspect.isabstract(cls), f"{cls.__name__} misses {cls.__abstractmethods__}"
        for name in public:
            assert callable(getattr(cls, name)), f"{cls.__name__}.{name}"
            assert inspect.signature(getattr(cls, name)) == inspect.signature(getattr(GraphStore, name))
        assert isinstance(cls.dialect, Dialect)
    for dialect in (FalkorDialect, Neo4jDialect):
        assert not inspect.isabstract(dialect)


# -- Neo4j pieces that need no server -------------------------------------------------
def test_neo4j_values_become_the_backend_neutral_shape():
    from neo4j._codec.hydration.v1.hydration_handler import _GraphHydrator
    from neo4j.time import Date

    hydrate = _GraphHydrator()
    record = hydrate.hydrate_node(1, ["Record"], {"key": "police:1", "dob": Date(1990, 5, 17)}, "4:x:1")
    rel = hydrate.hydrate_relationship(7, 1, 2, "HELD_BY", {"since": 1}, "5:x:7", "4:x:1", "4:x:2")
    path = hydrate.hydrate_path([record, hydrate.hydrate_node(2, ["Agency"], {"key": "police"}, "4:x:2")],
                                [hydrate.hydrate_unbound_relationship(7, "HELD_BY", {"since": 1}, "5:x:7")],
                                [1, 1])
    store = object.__new__(Neo4jStore)
    missing: set[str] = set()
    assert store._value(record, missing) == Node("police:1", ("Record",),
                                                 {"key": "police:1", "dob": datetime.date(1990, 5, 17)})
    converted = store._value({"p": path, "dates": [Date(2024, 2, 29)]}, missing)
    assert [n.key for n in converted["p"].nodes] == ["police:1", "police"]
    assert converted["p"].rels == (Rel("HELD_BY", "police:1", "police", {"since": 1}),)
    assert converted["dates"] == [datetime.date(2024, 2, 29)]
    assert missing == set()  # both ends were hydrated in full by the path
    lone = _GraphHydrator().hydrate_relationship(9, 3, 4, "KNOWS", {}, "5:x:9", "4:x:3", "4:x:4")
    assert store._value(lone, missing).type == "KNOWS"
    assert missing == {"4:x:3", "4:x:4"}  # looked up by element id in the same transaction


@pytest.mark.parametrize("code, message, expected", [
    ("Neo.ClientError.Statement.SyntaxError", "Invalid input 'RETRN'\n\"MATCH (n) RETRN n\"\n ^", QueryError),
    ("Neo.ClientError.Statement.AccessMode", "Writing in read access mode not allowed.", ReadOnlyViolation),
    ("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
     "The transaction has not completed within the timeout specified at its start by the client.", QueryTimeout),
    ("Neo.ClientError.Database.DatabaseNotFound", "Database does not exist. Database name: 'nope'.", StoreUnavailable),
    ("Neo.ClientError.Security.Unauthorized", "The client is unauthorized due to authentication failure.",
     StoreUnavailable),
    ("Neo.ClientError.Schema.ConstraintValidationFailed", "Node(1) already exists with label `Agency`", QueryError),
])
def test_neo4j_errors_translate_to_one_line_mashgraph_errors(code, message, expected):
    from neo4j.exceptions import Neo4jError

    from mashgraph.graph.backends.neo4j import _translate

    err = _translate(Neo4jError._hydrate_neo4j(code=code, message=message), "MATCH (n) RETRN n")
    assert type(err) is expected
    assert "\n" not in err.one_line() and err.hint


def test_neo4j_dialect_ddl_and_full_text_queries():
    from mashgraph.graph.model import SCHEMA

    ddl = Neo4jDialect().schema_statements(SCHEMA)
    assert "CREATE CONSTRAINT ingest_run_key IF NOT EXISTS FOR (n:IngestRun) REQUIRE n.key IS UNIQUE" in ddl
    assert "CREATE INDEX record_nhs_number IF NOT EXISTS FOR (n:Record) ON (n.nhs_number)" in ddl
    assert ("CREATE FULLTEXT INDEX record_fulltext IF NOT EXISTS FOR (n:Record) "
            "ON EACH [n.given_name, n.family_name]") in ddl
    assert all("IF NOT EXISTS" in s for s in ddl)
    query = Neo4jDialect().fulltext_query
    assert query("Siobhan O'Brien") == "siobhan AND o'brien"
    assert query("Smith-Jones (AND) OR smi*") == "smith AND jones AND and AND or AND smi*"
    assert query("  ( ) ") is None
    assert query("j* Smith") == "smith"
    assert FalkorDialect().fulltext_query("j* Smith-Jones") == "Smith Jones"
