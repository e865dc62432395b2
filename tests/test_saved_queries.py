"""Saved queries: the loader's checks, parameter parsing, the runner, every query
in ``queries/`` on embedded FalkorDB, and the generated docs.

The query results are checked against a small graph written out below
(``GRAPH_CYPHER``); every expected figure is worked out by hand from it in the
comments, so a reader can check them without running anything.

The graph (agencies: police, health, school, csc = children's social care, housing)::

    person  name  records (agency:local id)                       household
    P1      Amy   police:A1 health:H1 school:S1 csc:C1            hh1 (C1)
    P2      Ben   police:A2                                       hh1 (A2)
    P3      Cara  police:A3 health:H3 housing:U3                  hh1 (H3)
    P4      Dan   health:H4                                       hh2 (H4)
    P5      Eve   csc:C5                                          -
    P6      Fay   health:H6                                       -

    links: H3 -parent_of-> C1 (Cara is Amy's mother); H4 -partner_of- H6;
           C1, H3, U3 live at ad1; A2 and H4 live at ad2; incident I2 is at ad1.

    item  kind      made/recorded/run by   about       sent TO / SHARED_WITH  raises  date        decided
    R1    referral  police                 A1 (Amy)    TO csc                 3A      2024-01-10  2024-01-11
    R2    referral  school                 S1 (Amy)    TO csc, SHARED health  16A     2024-06-03  2024-06-12
    R4    referral  school                 S1 (Amy)    TO csc                 16A     2025-03-01  2025-03-03
    E1    episode   csc                    C1 (Amy)    -                      16A     (child in need)
    I1    incident  police                 A1 (Amy)    -                      10A     2024-03-05
    SH1   share     police (about I1)      A1 (Amy)    SHARED_WITH school     10A     2024-03-05  -
    R3    referral  health                 H3 (Cara)   TO csc                 4B      2024-02-23  2024-02-26
    R5    referral  health                 H3 (Cara)   TO csc                 4B      2022-12-30  2023-01-04
    I2    incident  police                 A3 (Cara), A2 (Ben)                3B      2024-04-01
    R6    referral  police                 H4 (Dan)    -                      -       2024-02-28  2024-03-01
"""

from __future__ import annotations

import csv
import re

import datetime as dt
import subprocess
import sys
import textwrap
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from mashgraph.errors import SavedQueryError
from mashgraph.graph.analytics import refresh_facts
from mashgraph.graph import open_store
from mashgraph.graph.saved_queries import (
    QUERIES_DIR, SavedQuery, coerce_params, library_markdown, load_library, load_query,
    run_saved_query,
)
from mashgraph.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent

AGENCIES_CYPHER = """
UNWIND [['police', 'Police', 'police'], ['health', 'Health', 'health'],
        ['school', 'Hill Primary School', 'education'],
        ['csc', "Children's social care", 'childrens_social_care'],
        ['housing', 'Housing', 'housing']] AS a
CREATE (:Agency {key: a[0], name: a[1], kind: a[2]})
"""

PEOPLE_CYPHER = """
UNWIND [['P1', 'Amy', 'csc', 'C1'], ['P1', 'Amy', 'police', 'A1'], ['P1', 'Amy', 'health', 'H1'],
        ['P1', 'Amy', 'school', 'S1'], ['P2', 'Ben', 'police', 'A2'], ['P3', 'Cara', 'police', 'A3'],
        ['P3', 'Cara', 'health', 'H3'], ['P3', 'Cara', 'housing', 'U3'], ['P4', 'Dan', 'health', 'H4'],
        ['P5', 'Eve', 'csc', 'C5'], ['P6', 'Fay', 'health', 'H6']] AS row
MATCH (a:Agency {key: row[2]})
MERGE (p:Person {key: row[0]})
SET p.display_name = row[1]
CREATE (r:Record {key: row[2] + ':' + row[3], agency: row[2], local_id: row[3], given_name: row[1]})
CREATE (r)-[:HELD_BY]->(a)
CREATE (r)-[:RESOLVES_TO {probability: 1.0, method: 'test'}]->(p)
"""

PLACES_CYPHER = """
MATCH (c1:Record {key: 'csc:C1'}), (h3:Record {key: 'health:H3'}), (u3:Record {key: 'housing:U3'}),
      (a2:Record {key: 'police:A2'}), (h4:Record {key: 'health:H4'}), (h6:Record {key: 'health:H6'})
CREATE (hh1:Household {key: 'hh1'}), (hh2:Household {key: 'hh2'}),
       (ad1:Address {key: 'ad1', postcode: 'ZZ1 1AA'}), (ad2:Address {key: 'ad2', postcode: 'ZZ1 2BB'})
CREATE (c1)-[:MEMBER_OF {role: 'child'}]->(hh1), (h3)-[:MEMBER_OF {role: 'parent'}]->(hh1),
       (a2)-[:MEMBER_OF {role: 'partner'}]->(hh1), (h4)-[:MEMBER_OF {role: 'adult'}]->(hh2)
CREATE (h3)-[:RELATED_TO {type: 'parent_of'}]->(c1), (h4)-[:RELATED_TO {type: 'partner_of'}]->(h6)
CREATE (c1)-[:LIVES_AT]->(ad1), (h3)-[:LIVES_AT]->(ad1), (u3)-[:LIVES_AT]->(ad1),
       (a2)-[:LIVES_AT]->(ad2), (h4)-[:LIVES_AT]->(ad2)
"""

REFERRALS_CYPHER = """
UNWIND [['R1', 'police', 'police:A1', 'csc', '', '3A', '2024-01-10', '2024-01-11'],
        ['R2', 'school', 'school:S1', 'csc', 'health', '16A', '2024-06-03', '2024-06-12'],
        ['R4', 'school', 'school:S1', 'csc', '', '16A', '2025-03-01', '2025-03-03'],
        ['R3', 'health', 'health:H3', 'csc', '', '4B', '2024-02-23', '2024-02-26'],
        ['R5', 'health', 'health:H3', 'csc', '', '4B', '2022-12-30', '2023-01-04'],
        ['R6', 'police', 'health:H4', '', '', '', '2024-02-28', '2024-03-01']] AS row
MATCH (maker:Agency {key: row[1]}), (about:Record {key: row[2]})
CREATE (maker)-[:MADE]->(r:Referral {key: row[1] + ':' + row[0], date: date(row[6]),
                                     decision_date: date(row[7]), rag: 'green', outcome: 'nfa'})
CREATE (r)-[:ABOUT {role: 'subject'}]->(about)
WITH r, row
OPTIONAL MATCH (to:Agency {key: row[3]})
OPTIONAL MATCH (shared:Agency {key: row[4]})
OPTIONAL MATCH (c:Concern {key: row[5]})
FOREACH (x IN CASE WHEN to IS NULL THEN [] ELSE [to] END | CREATE (r)-[:TO]->(x))
FOREACH (x IN CASE WHEN shared IS NULL THEN [] ELSE [shared] END | CREATE (r)-[:SHARED_WITH {date: r.date}]->(x))
FOREACH (x IN CASE WHEN c IS NULL THEN [] ELSE [c] END | CREATE (r)-[:RAISES]->(x))
"""

EVENTS_CYPHER = """
MATCH (police:Agency {key: 'police'}), (csc:Agency {key: 'csc'}),
      (a1:Record {key: 'police:A1'}), (a2:Record {key: 'police:A2'}), (a3:Record {key: 'police:A3'}),
      (c1:Record {key: 'csc:C1'}), (ad1:Address {key: 'ad1'}),
      (c10A:Concern {key: '10A'}), (c3B:Concern {key: '3B'}), (c16A:Concern {key: '16A'})
CREATE (police)-[:RECORDED]->(i1:Incident {key: 'police:I1', date: date('2024-03-05'), type: 'missing'}),
       (i1)-[:INVOLVES {role: 'missing person'}]->(a1), (i1)-[:RAISES]->(c10A)
CREATE (police)-[:RECORDED]->(i2:Incident {key: 'police:I2', date: date('2024-04-01'), type: 'domestic'}),
       (i2)-[:INVOLVES {role: 'victim'}]->(a3), (i2)-[:INVOLVES {role: 'perpetrator'}]->(a2),
       (i2)-[:AT]->(ad1), (i2)-[:RAISES]->(c3B)
CREATE (csc)-[:RUNS]->(e1:Episode {key: 'csc:E1', kind: 'child_in_need', start: date('2024-06-20')}),
       (e1)-[:FOR]->(c1), (e1)-[:RAISES]->(c16A)
"""

# Police tell Amy's school about the missing episode I1 (like Operation Encompass): a
# "share referral" with SHARED_WITH and no TO, as the data dictionary maps shared_with.
SHARES_CYPHER = """
MATCH (police:Agency {key: 'police'}), (school:Agency {key: 'school'}), (a1:Record {key: 'police:A1'}),
      (c10A:Concern {key: '10A'})
CREATE (police)-[:MADE]->(s:Referral {key: 'police:SH-I1', date: date('2024-03-05'), outcome: 'shared'}),
       (s)-[:ABOUT {role: 'missing person'}]->(a1), (s)-[:RAISES]->(c10A),
       (s)-[:SHARED_WITH {date: date('2024-03-05')}]->(school)
"""

# Each household is its own resolved household (ingest/resolve/households.py), made by hand like the persons.
FAMILIES_CYPHER = """
MATCH (hh1:Household {key: 'hh1'}), (hh2:Household {key: 'hh2'})
CREATE (hh1)-[:IN_FAMILY {method: 'alone'}]->(:Family {key: 'fam1', households: 1}),
       (hh2)-[:IN_FAMILY {method: 'alone'}]->(:Family {key: 'fam2', households: 1})
"""

GRAPH_CYPHERS = (AGENCIES_CYPHER, PEOPLE_CYPHER, PLACES_CYPHER, FAMILIES_CYPHER, REFERRALS_CYPHER, EVENTS_CYPHER,
                 SHARES_CYPHER)


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    """The graph of the module docstring in a fresh embedded FalkorDB."""
    store = open_store(str(tmp_path_factory.mktemp("saved") / "graph"), load_settings(environ={}))
    store.ensure_schema()
    for statement in GRAPH_CYPHERS:
        store.write(statement)
    refresh_facts(store)  # the fragmentation rankings read these (graph/analytics.py)
    yield store
    store.close()


@pytest.fixture(scope="module")
def library():
    return load_library()


def run(graph, library, slug, **params):
    result, truncated = run_saved_query(graph, library[slug], params)
    assert not truncated
    return result.records()


# -- the loader ------------------------------------------------------------------

GOOD = """\
// title: People known to many agencies
// description: People known to at least `n` agencies.
// params:
//   n: {type: int, default: 3, help: fewest agencies}
// tags: [overview]
// returns: table
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH p, count(DISTINCT a) AS agencies
WHERE agencies >= $n
RETURN p.key AS person, agencies
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_good_file_loads_with_every_header_field(tmp_path):
    q = load_query(write(tmp_path, "many.cypher", GOOD))
    assert (q.slug, q.title, q.returns, q.tags, q.timeout) == (
        "many", "People known to many agencies", "table", ("overview",), None)
    assert q.params["n"].type == "int" and q.params["n"].default == 3 and q.params["n"].help == "fewest agencies"
    assert q.cypher.startswith("MATCH (p:Person)") and q.cypher.endswith("RETURN p.key AS person, agencies")
    assert [f.name for f in fields(SavedQuery)] == [
        "slug", "title", "description", "params", "tags", "timeout", "returns", "cypher", "path", "alert"]
    assert q.alert is None  # no alert fields: not an alert (tests/test_alerts.py covers them)


@pytest.mark.parametrize("text, line, words", [
    # A required field missing: reported at line 1 of the header.
    (GOOD.replace("// returns: table\n", ""), 1, "header field 'returns' is missing"),
    # $m used on body line 3 = file line 9, not declared.
    (GOOD.replace("WHERE agencies >= $n", "WHERE agencies >= $n AND agencies < $m"), 9,
     "$m is used but not declared"),
    # n declared on line 4 but never used.
    (GOOD.replace("WHERE agencies >= $n", "WHERE agencies >= 3"), 4,
     "param 'n' is declared but the query never uses $n"),
    # A param type that does not exist.
    (GOOD.replace("type: int", "type: integer"), 4, "param 'n' has type 'integer'"),
    # A default that is not of the declared type.
    (GOOD.replace("default: 3", "default: three"), 4, "default of param 'n' is 'three', not a int"),
    (GOOD.replace("default: 3", "default: '3'"), 4, "not a int"),
    (GOOD.replace("//   n: {type: int, default: 3, help: fewest agencies}",
                  "//   n: {type: date, default: 2024-02-30, help: fewest agencies}"), 4, "not a date"),
    (GOOD.replace("// returns: table", "// returns: chart"), 6, "returns is 'chart'"),
    (GOOD.replace("// tags: [overview]", "// tags: overview"), 5, "tags must be a list"),
    (GOOD.replace("// tags: [overview]", "// timeout: soon"), 5, "timeout is 'soon'"),
    (GOOD.replace("// tags: [overview]", "// tag: [overview]"), 5, "unknown header field 'tag'"),
    (GOOD.replace(", help: fewest agencies", ""), 4, "param 'n' has no help text"),
    (GOOD.replace("// title: People known to many agencies", "// title: [unclosed"), 2, "not valid YAML"),
    (GOOD.replace("// title: People known to many agencies", "// title: 12"), 1, "title must be non-empty text"),
    ("MATCH (n) RETURN n\n", 1, "no header"),
])
def test_the_loader_names_file_line_and_problem(tmp_path, text, line, words):
    path = write(tmp_path, "bad-query.cypher", text)
    with pytest.raises(SavedQueryError) as err:
        load_query(path)
    assert str(err.value).startswith(f"{path}:{line}: "), str(err.value)
    assert words in str(err.value)
    assert err.value.hint


def test_params_in_strings_and_comments_do_not_count_as_used(tmp_path):
    text = GOOD.replace("RETURN p.key AS person, agencies",
                        "// $ghost in a comment\nRETURN p.key AS person, agencies, '$ghost' AS s")
    q = load_query(write(tmp_path, "ok.cypher", text))
    assert list(q.params) == ["n"]


def test_a_bad_file_name_and_a_missing_folder_are_reported(tmp_path):
    with pytest.raises(SavedQueryError, match="is not a slug"):
        load_query(write(tmp_path, "Bad Name.cypher", GOOD))
    with pytest.raises(SavedQueryError, match="does not exist"):
        load_library(tmp_path / "nowhere")


def test_load_library_reads_a_folder_by_slug(tmp_path):
    write(tmp_path, "b.cypher", GOOD)
    write(tmp_path, "a.cypher", GOOD)
    assert list(load_library(tmp_path)) == ["a", "b"]


# -- parameters --------------------------------------------------------------------

TYPED = """\
// title: Every parameter type
// description: One parameter of each type.
// params:
//   since: {type: date, default: 2024-01-01, help: from this day}
//   until: {type: date, default: today, help: to this day}
//   n: {type: int, default: 3, help: a count}
//   share: {type: float, default: 0.5, help: a share}
//   who: {type: string, help: a person key}
//   open: {type: bool, default: false, help: open cases only}
//   kinds: {type: list, default: [police, health], help: agencies}
// returns: table
RETURN date($since) AS since, date($until) AS until, $n AS n, $share AS share, $who AS who,
       $open AS open, $kinds AS kinds
"""


@pytest.fixture
def typed(tmp_path):
    return load_query(write(tmp_path, "typed.cypher", TYPED))


def test_coerce_params_parses_every_type_and_fills_defaults(typed):
    got = coerce_params(typed, {"since": "2024-03-31", "n": "12", "share": "0.25", "who": "P1",
                                "open": "yes", "kinds": "police, csc"})
    assert got == {"since": "2024-03-31", "until": dt.date.today().isoformat(), "n": 12, "share": 0.25,
                   "who": "P1", "open": True, "kinds": ["police", "csc"]}
    defaults = coerce_params(typed, {"who": "P2", "kinds": '["a", "b"]'})
    assert defaults["since"] == "2024-01-01" and defaults["n"] == 3 and defaults["open"] is False
    assert defaults["kinds"] == ["a", "b"]
    # Empty form fields take the default.
    assert coerce_params(typed, {"who": "P2", "n": "", "since": ""})["n"] == 3
    # Already-typed values (from Python callers) pass through unchanged.
    assert coerce_params(typed, got) == got


@pytest.mark.parametrize("raw, words", [
    ({"who": "P1", "n": "three"}, "parameter 'n' is 'three', not a int"),
    ({"who": "P1", "since": "31/03/2024"}, "parameter 'since' is '31/03/2024', not a date"),
    ({"who": "P1", "since": "2024-02-30"}, "not a date"),
    ({"who": "P1", "share": "half"}, "not a float"),
    ({"who": "P1", "open": "maybe"}, "not a bool"),
    ({"who": "P1", "kinds": "[unclosed"}, "not a list"),
    ({}, "parameter 'who' is required"),
    ({"who": "  "}, "parameter 'who' is required"),
    ({"who": "P1", "limt": "3"}, "has no parameter 'limt'"),
])
def test_coerce_params_errors_name_the_param_and_the_expected_form(typed, raw, words):
    with pytest.raises(SavedQueryError) as err:
        coerce_params(typed, raw)
    assert words in str(err.value)
    assert "--param" in err.value.hint or "parameters:" in err.value.hint


@pytest.mark.parametrize("raw, words", [
    ({"since": "1950-01-01"}, "parameter 'since' = 1950-01-01 is more than 50 years ago"),
    ({"until": "2200-01-01"}, "parameter 'until' = 2200-01-01 is more than 10 years ahead"),
    ({"n": "-1"}, "parameter 'n' = -1 is outside 0 to 2,147,483,647"),
    ({"n": str(2**31)}, "is outside 0 to 2,147,483,647"),
    ({"n": str(2**32)}, "is outside 0 to 2,147,483,647"),
    ({"n": str(2**63)}, "is outside 0 to 2,147,483,647"),
    ({"n": str(2**64)}, "is outside 0 to 2,147,483,647"),
    ({"share": "nan"}, "parameter 'share' = nan is not a finite number"),
    ({"share": "-inf"}, "is not a finite number"),
])
def test_values_the_engine_mishandles_are_refused_with_one_line(typed, raw, words):
    with pytest.raises(SavedQueryError) as err:
        coerce_params(typed, {"who": "P1", **raw})
    assert words in str(err.value) and "\n" not in err.value.one_line()
    assert "--param" in err.value.hint


def test_the_engine_does_mishandle_those_values(graph):
    """Why the ranges exist (FalkorDB 4.22): if a new engine gets these right, the ranges can widen."""
    assert graph.read("RETURN date('2024-01-01') > date('1955-12-01')").value() is False
    assert graph.read("RETURN date('2024-01-01') < date('2093-01-01')").value() is False
    assert graph.read("UNWIND [1, 2, 3] AS x RETURN x LIMIT $n", {"n": 2**32}).rows == []


def test_min_and_max_narrow_a_numeric_parameter(tmp_path):
    text = TYPED.replace("n: {type: int, default: 3, help: a count}",
                         "n: {type: int, default: 3, min: 1, max: 240, help: a count}")
    q = load_query(write(tmp_path, "ranged.cypher", text))
    assert coerce_params(q, {"who": "P1", "n": "240"})["n"] == 240
    for bad in ("0", "241"):
        with pytest.raises(SavedQueryError, match="is outside 1 to 240"):
            coerce_params(q, {"who": "P1", "n": bad})
    assert "int (1 to 240)" in library_markdown({"ranged": q})


@pytest.mark.parametrize("spec, words", [
    ("{type: string, default: x, min: 1, help: h}", "param 'n' has min 1"),
    ("{type: int, default: 3, min: 5, help: h}", "default of param 'n' is outside 5 to 2,147,483,647"),
    ("{type: int, default: 3, min: 4, max: 2, help: h}", "min above max"),
    ("{type: int, default: 3, max: 9999999999, help: h}", "beyond 32 bits"),
])
def test_the_loader_checks_min_and_max(tmp_path, spec, words):
    text = GOOD.replace("{type: int, default: 3, help: fewest agencies}", spec)
    with pytest.raises(SavedQueryError, match=re.escape(words)):
        load_query(write(tmp_path, "bad-range.cypher", text))


def test_the_cli_refuses_an_out_of_range_parameter(tmp_path):
    from mashgraph.cli import cli

    runner = CliRunner()  # refused before the store is opened (the web form: tests/test_web_hardening.py)
    out = runner.invoke(cli, ["--db", str(tmp_path / "graph"), "query", "run", "known-to-many-agencies",
                              "-p", "limit=-1"])
    assert out.exit_code == 8 and "parameter 'limit' = -1 is outside 0 to 2,147,483,647" in out.output
    assert "Traceback" not in out.output and "operates only on non-negative" not in out.output


def test_the_runner_passes_typed_values_to_the_engine(graph, typed):
    result, truncated = run_saved_query(graph, typed, {"who": "P1", "since": "2024-03-31"})
    assert not truncated
    assert result.records() == [{"since": dt.date(2024, 3, 31), "until": dt.date.today(), "n": 3,
                                 "share": 0.5, "who": "P1", "open": False, "kinds": ["police", "health"]}]


# -- the runner -----------------------------------------------------------------------

def test_the_row_cap_cuts_rows_and_says_so(graph, library):
    query = library["known-to-many-agencies"]
    # Six people hold a record with at least one agency.
    full, truncated = run_saved_query(graph, query, {"min_agencies": "1"})
    assert (len(full.rows), truncated) == (6, False)
    capped, truncated = run_saved_query(graph, query, {"min_agencies": "1"}, row_cap=2)
    assert (capped.rows, truncated) == (full.rows[:2], True)
    exact, truncated = run_saved_query(graph, query, {"min_agencies": "1"}, row_cap=6)
    assert (len(exact.rows), truncated) == (6, False)


def test_the_runner_is_read_only_and_uses_the_query_timeout(graph, tmp_path):
    writer = load_query(write(tmp_path, "sneaky.cypher", """\
        // title: A query that writes
        // description: Must be refused.
        // returns: table
        CREATE (:Person {key: 'intruder'}) RETURN 1
        """))
    with pytest.raises(Exception) as err:
        run_saved_query(graph, writer, {})
    assert type(err.value).__name__ == "ReadOnlyViolation"

    class Spy:
        settings = Settings()

        def read(self, cypher, params, timeout=None):
            self.timeout = timeout
            return graph.read(cypher, params, timeout=timeout)

    slow = load_query(write(tmp_path, "slow.cypher", "// title: t\n// description: d\n// timeout: 7\n"
                                                      "// returns: table\nRETURN 1 AS one\n"))
    spy = Spy()
    assert run_saved_query(spy, slow, {})[0].rows == [[1]] and spy.timeout == 7.0


# -- every query in queries/ ------------------------------------------------------------

# Values for required parameters, by parameter name.
SAMPLE_PARAMS = {"person": "P1", "from_person": "P1", "to_person": "P2"}


def test_every_query_file_loads_and_runs_on_embedded_falkordb(graph, library):
    assert len(library) >= 9
    for slug, query in library.items():
        params = {}
        for name, param in query.params.items():
            if param.required:
                assert name in SAMPLE_PARAMS, f"{slug}: add a sample value for required param {name!r}"
                params[name] = SAMPLE_PARAMS[name]
        result, _ = run_saved_query(graph, query, params)
        assert result.columns, slug
        assert query.description and query.title, slug


def test_fragmentation_persons(graph, library):
    # Amy (P1): involved police, health, school, csc (4); concerns 3A, 10A, 16A (3): 12 pairs.
    #   3A known to police (made R1), csc (R1 sent to it)    -> unknown: health, school   = 2
    #   10A known to police (recorded I1, made SH1), school (SH1 shared) -> unknown: health, csc = 2
    #   16A known to school (R2, R4), csc (TO, runs E1), health (R2 shared) -> unknown: police = 1
    #   5 of 12 unknown = 0.417
    # Cara (P3): involved police, health, housing (3); concerns 4B, 3B: 6 pairs.
    #   4B known to health (made R3, R5), csc (not involved) -> unknown: police, housing = 2
    #   3B known to police (recorded I2)                     -> unknown: health, housing = 2
    #   4 of 6 unknown = 0.667
    # Ben (P2) is known to one agency only, so min_agencies=2 leaves him out.
    rows = run(graph, library, "fragmentation-persons")
    assert [(r["person"], r["agencies"], r["concerns"], r["pairs"], r["unknown_pairs"]) for r in rows] == [
        ("P3", 3, 2, 6, 4), ("P1", 4, 3, 12, 5)]
    assert [round(r["fragmentation"], 4) for r in rows] == [0.6667, 0.4167]
    # Ben: police only, 3B raised by police itself: 0 of 1 unknown.
    rows = run(graph, library, "fragmentation-persons", min_agencies=1)
    assert [(r["person"], r["fragmentation"]) for r in rows][-1] == ("P2", 0.0)
    assert [r["person"] for r in run(graph, library, "fragmentation-persons", min_score=0.6)] == ["P3"]


def test_fragmentation_households(graph, library):
    # hh1 = Amy, Ben, Cara (3 members); involved: police, health, school, csc, housing (5);
    # concerns about any member: 3A, 10A, 16A, 4B, 3B (5): 25 pairs.
    #   3A  known to police, csc                  -> unknown health, school, housing        = 3
    #   10A known to police, school (SH1)         -> unknown health, csc, housing           = 3
    #   16A known to school, csc, health          -> unknown police, housing                = 2
    #   4B  known to health, csc                  -> unknown police, school, housing        = 3
    #   3B  known to police                       -> unknown health, school, csc, housing   = 4
    #   15 of 25 unknown = 0.6. hh2 has one member (Dan), below min_members=2.
    # The rows are resolved households: fam1 is hh1's family.
    rows = run(graph, library, "fragmentation-households")
    assert rows == [{"household": "fam1", "members": 3, "agencies": 5, "concerns": 5, "pairs": 25,
                     "unknown_pairs": 15, "fragmentation": pytest.approx(0.6)}]


def test_who_knows_what(graph, library):
    rows = run(graph, library, "who-knows-what", person="P1")
    got = [(r["concern"], r["agency"], r["works_with"], r["knows"], r["how"], r["times_raised"]) for r in rows]
    assert got == [
        ("10A", "csc", True, False, "", 2),
        ("10A", "health", True, False, "", 2),
        ("10A", "police", True, True, "made the referral, recorded the incident", 2),
        ("10A", "school", True, True, "referral shared with it", 2),
        ("16A", "police", True, False, "", 3),
        ("16A", "csc", True, True, "runs the episode, referral sent to it", 3),
        ("16A", "health", True, True, "referral shared with it", 3),
        ("16A", "school", True, True, "made the referral", 3),
        ("3A", "health", True, False, "", 1),
        ("3A", "school", True, False, "", 1),
        ("3A", "csc", True, True, "referral sent to it", 1),
        ("3A", "police", True, True, "made the referral", 1),
    ]
    # csc knows Cara's 4B (R3 and R5 were sent to it) but holds no record of her.
    cara = run(graph, library, "who-knows-what", person="P3")
    assert ("4B", "csc", False, True) in [(r["concern"], r["agency"], r["works_with"], r["knows"]) for r in cara]
    # An unknown key is an error naming it, not an empty picture of "nobody known".
    for slug, params in (("who-knows-what", {"person": "nobody"}),
                         ("shortest-link", {"from_person": "P1", "to_person": "nobody"}),
                         ("within-k-hops", {"person": "nobody"})):
        with pytest.raises(SavedQueryError, match="no Person with key 'nobody'"):
            run(graph, library, slug, **params)


def test_agency_sharing_matrix(graph, library):
    # Only Amy and Cara are known to 2+ agencies. For each concern, its raisers and who knows it:
    #   Amy 3A: raised by police; known police, csc    Amy 10A: police (I1, SH1); known police, school
    #   Amy 16A: raised by school and csc; known school, csc, health
    #   Cara 4B: raised by health; known health, csc      Cara 3B: police; known police
    # police -> health: Amy 3A no, Amy 10A no, Cara 3B no = 0 of 3 (2 people)
    # police -> school: Amy 3A no, 10A yes = 1 of 2;  police -> csc: 3A yes, 10A no = 1 of 2
    # police -> housing: Cara 3B no = 0 of 1;  health -> police, health -> housing: Cara 4B no
    # school -> police, csc -> police: Amy 16A no; school <-> csc, school/csc -> health: yes
    rows = run(graph, library, "agency-sharing-matrix")
    got = [(r["raised_by"], r["known_to"], r["people"], r["concerns"], r["known"], r["shared"]) for r in rows]
    assert got == [
        ("police", "health", 2, 3, 0, 0.0),
        ("csc", "police", 1, 1, 0, 0.0),
        ("health", "housing", 1, 1, 0, 0.0),
        ("health", "police", 1, 1, 0, 0.0),
        ("police", "housing", 1, 1, 0, 0.0),
        ("school", "police", 1, 1, 0, 0.0),
        ("police", "csc", 1, 2, 1, 0.5),
        ("police", "school", 1, 2, 1, 0.5),
        ("csc", "health", 1, 1, 1, 1.0),
        ("csc", "school", 1, 1, 1, 1.0),
        ("school", "csc", 1, 1, 1, 1.0),
        ("school", "health", 1, 1, 1, 1.0),
    ]
    assert [(r["raised_by"], r["known_to"]) for r in run(graph, library, "agency-sharing-matrix",
                                                        min_concerns=2)] == [
        ("police", "health"), ("police", "csc"), ("police", "school")]


def test_repeat_referrals(graph, library):
    # Amy: R1 2024-01-10, R2 2024-06-03 (R1 within 12 months before), R4 2025-03-01 (R2 within 12
    # months before, 2024-03-01 .. 2025-02-28): 2 repeats. Cara: R5 2022-12-30, R3 2024-02-23 is
    # 14 months later: no repeat. Dan: one referral. SH1 (2024-03-05) only shared information: it
    # was sent TO no agency, so it is not a referral that can repeat (it would make Amy's repeats 3).
    rows = run(graph, library, "repeat-referrals")
    assert rows == [{"person": "P1", "name": "Amy", "repeats": 2, "first_repeat": dt.date(2024, 6, 3),
                     "last_repeat": dt.date(2025, 3, 1)}]
    # A 6-month window: R4 comes 9 months after R2, so only R2 repeats.
    assert [r["repeats"] for r in run(graph, library, "repeat-referrals", window_months=6)] == [1]
    # Only repeats on or after 2025-01-01: R4.
    assert [r["repeats"] for r in run(graph, library, "repeat-referrals", since="2025-01-01")] == [1]
    # A 15-month window makes Cara's R3 a repeat of R5.
    assert [r["person"] for r in run(graph, library, "repeat-referrals", window_months=15)] == ["P1", "P3"]


def test_late_decisions(graph, library):
    # R1 Wed -> Thu: 1 working day. R3 Fri -> Mon: 1. R4 Sat -> Mon: 1 (on time).
    # R2 Mon 2024-06-03 -> Wed 2024-06-12: Tue-Fri (4) + Mon-Wed (3) = 7 working days, 9 calendar days.
    # R5 Fri 2022-12-30 -> Wed 2023-01-04: Mon 2, Tue 3, Wed 4 = 3 working days, 5 calendar days.
    # R6 Wed 2024-02-28 -> Fri 2024-03-01 (leap year: 29 Feb between): 2 working days, 2 calendar days.
    rows = run(graph, library, "late-decisions")
    assert [(r["referral"], r["working_days"], r["calendar_days"], r["made_by"], r["people"]) for r in rows] == [
        ("school:R2", 7, 9, "school", "P1"), ("health:R5", 3, 5, "health", "P3"),
        ("police:R6", 2, 2, "police", "P4")]
    assert [r["referral"] for r in run(graph, library, "late-decisions", working_days=2)] == [
        "school:R2", "health:R5"]
    assert [r["referral"] for r in run(graph, library, "late-decisions", since="2024-01-01",
                                       until="2024-12-31")] == ["school:R2", "police:R6"]


def test_known_to_many_agencies(graph, library):
    rows = run(graph, library, "known-to-many-agencies")
    assert [(r["person"], r["agencies"], r["records"], r["agency_list"]) for r in rows] == [
        ("P1", 4, 4, "csc, health, police, school"), ("P3", 3, 3, "health, housing, police")]
    assert [r["person"] for r in run(graph, library, "known-to-many-agencies", min_agencies=4)] == ["P1"]


def test_shortest_link(graph, library):
    # Amy - Ben: Amy's csc record and Ben's police record are both members of hh1: 4 steps.
    rows = run(graph, library, "shortest-link", from_person="P1", to_person="P2")
    assert len(rows) == 1 and rows[0]["steps"] == 4
    assert [n.key for n in rows[0]["path"].nodes] == ["P1", "csc:C1", "hh1", "police:A2", "P2"]
    # Amy - Cara: Cara's health record is parent_of Amy's csc record: 3 steps.
    path = run(graph, library, "shortest-link", from_person="P1", to_person="P3")[0]["path"]
    assert [n.key for n in path.nodes] == ["P1", "csc:C1", "health:H3", "P3"]
    # Amy - Fay: hh1 -> Ben's record -> ad2 -> Dan's record -partner_of- Fay's record: 7 steps.
    assert [r["steps"] for r in run(graph, library, "shortest-link", from_person="P1", to_person="P6")] == [7]
    # Eve is linked to nobody; the agencies both hold records of do not count as links.
    assert run(graph, library, "shortest-link", from_person="P1", to_person="P5") == []


def test_within_k_hops(graph, library):
    # Ring 1 of Amy: Ben (hh1), Cara (parent_of, hh1, ad1). Ring 2: Dan (ad2 with Ben).
    # Ring 3: Fay (partner of Dan). Eve is in no ring.
    def rings(k):
        rows = run(graph, library, "within-k-hops", person="P1", k=k)
        return [(r["person"], r["hop"], r["linked_to_previous_ring"]) for r in rows]

    assert rings(1) == [("P2", 1, 1), ("P3", 1, 1)]
    assert rings(2) == [("P2", 1, 1), ("P3", 1, 1), ("P4", 2, 1)]
    assert rings(3) == [("P2", 1, 1), ("P3", 1, 1), ("P4", 2, 1), ("P6", 3, 1)]
    assert rings(9) == rings(3)
    # From Ben: Amy and Cara via hh1 (Cara also via I2), Dan via ad2; Fay at ring 2 from Dan.
    rows = run(graph, library, "within-k-hops", person="P2", k=2)
    assert [(r["person"], r["hop"]) for r in rows] == [("P1", 1), ("P3", 1), ("P4", 1), ("P6", 2)]
    assert run(graph, library, "within-k-hops", person="P5", k=3) == []
    # From Dan: Ben (ad2) and Fay (partner) in ring 1; Amy and Cara via Ben in ring 2; ring 3 finds
    # no one new, which must not empty the result.
    rows = run(graph, library, "within-k-hops", person="P4", k=3)
    assert [(r["person"], r["hop"]) for r in rows] == [("P2", 1), ("P6", 1), ("P1", 2), ("P3", 2)]


# -- the CLI ------------------------------------------------------------------------------

def test_cli_list_show_and_run(graph, library, tmp_path):
    from mashgraph.cli import cli

    runner = CliRunner()
    listed = runner.invoke(cli, ["query", "list"])
    assert listed.exit_code == 0, listed.output
    assert "fragmentation-persons" in listed.output and "within-k-hops" in listed.output

    shown = runner.invoke(cli, ["query", "show", "repeat-referrals"])
    assert shown.exit_code == 0 and "window_months" in shown.output and "MATCH (p:Person)" in shown.output

    missing = runner.invoke(cli, ["query", "show", "repeat-referral"])
    assert missing.exit_code == 8 and "did you mean repeat-referrals" in missing.output


def test_cli_run_formats_and_truncation(tmp_path):
    from mashgraph.cli import cli

    db = str(tmp_path / "graph")
    with open_store(db, load_settings(environ={})) as store:
        store.ensure_schema()
        for statement in GRAPH_CYPHERS:
            store.write(statement)
        refresh_facts(store)  # written by hand, not ingested: the query reads the stored agencies
    runner = CliRunner()
    table = runner.invoke(cli, ["--db", db, "query", "run", "known-to-many-agencies"])
    assert table.exit_code == 0, table.output
    assert "| P1     | Amy  |" in table.output and "2 rows" in table.output

    capped = runner.invoke(cli, ["--db", db, "query", "run", "known-to-many-agencies",
                                 "--param", "min_agencies=1", "--limit", "2"])
    assert "2 rows (truncated at 2" in capped.output

    as_csv = runner.invoke(cli, ["--db", db, "query", "run", "late-decisions", "-p", "working_days=2",
                                 "--format", "csv"])
    assert list(csv.reader(as_csv.output.splitlines()[:3])) == [
        "referral,date,decision_date,working_days,calendar_days,made_by,rag,outcome,people".split(","),
        "school:R2,2024-06-03,2024-06-12,7,9,school,green,nfa,P1".split(","),
        "health:R5,2022-12-30,2023-01-04,3,5,health,green,nfa,P3".split(",")]

    as_json = runner.invoke(cli, ["--db", db, "query", "run", "known-to-many-agencies", "--format", "json",
                                  "-p", "min_agencies=1", "--limit", "1"])
    assert '"truncated_at": 1' in as_json.output

    bad = runner.invoke(cli, ["--db", db, "query", "run", "known-to-many-agencies", "-p", "min_agencies=many"])
    assert bad.exit_code == 8 and "parameter 'min_agencies' is 'many', not a int" in bad.output
    bad = runner.invoke(cli, ["--db", db, "query", "run", "who-knows-what"])
    assert bad.exit_code == 8 and "parameter 'person' is required" in bad.output


# -- documentation ----------------------------------------------------------------------

def test_docs_queries_md_is_generated_from_the_headers_and_current():
    doc = ROOT / "docs" / "queries.md"
    expected = library_markdown(load_library())
    assert doc.exists() and doc.read_text(encoding="utf-8") == expected, (
        "docs/queries.md is stale: run `python -m mashgraph.graph.saved_queries --docs > docs/queries.md`")
    for slug in load_library():
        assert f"## {slug}" in expected


def test_docs_command_prints_the_same_markdown():
    out = subprocess.run([sys.executable, "-m", "mashgraph", "query", "docs"],
                         capture_output=True, text=True, check=True).stdout
    assert out == library_markdown(load_library())


def test_queries_dir_is_the_package_folder():
    assert QUERIES_DIR == ROOT / "queries"


def test_the_person_page_and_the_saved_queries_agree_on_knows_and_fragmentation(graph, library):
    # DESIGN.md: one definition of "knows", "involved" and fragmentation everywhere. The
    # person page computes it in Python (graph/explore.py), the saved queries in Cypher.
    from mashgraph.graph.explore import person_profile

    scores = {r["person"]: r["fragmentation"]
              for r in run(graph, library, "fragmentation-persons", min_agencies=1)}
    assert set(scores) == {"P1", "P2", "P3"}  # Dan, Eve and Fay have no concerns raised about them
    for person in ("P1", "P2", "P3", "P4", "P5", "P6"):
        gap = person_profile(graph, person).gap
        if person not in scores:
            assert gap.fragmentation is None, person
            continue
        assert gap.fragmentation == pytest.approx(scores[person]), person
        rows = run(graph, library, "who-knows-what", person=person)
        unknown = {(r["concern"], r["agency"]) for r in rows if r["works_with"] and not r["knows"]}
        assert unknown == {(c, a) for c, agencies in gap.missing.items() for a in agencies}, person
    # Amy by hand (test_fragmentation_persons): 5 of 12 pairs unknown.
    assert person_profile(graph, "P1").gap.missing == {
        "3A": ["health", "school"], "10A": ["csc", "health"], "16A": ["police"]}


# -- ages across the engine's 68-year date limit ---------------------------------------------

AGES_CYPHER = """
UNWIND [['police', 'police'], ['health', 'health'], ['school', 'education'], ['housing', 'housing'],
        ['csc', 'childrens_social_care']] AS a
MERGE (ag:Agency {key: a[0]}) SET ag.kind = a[1]
WITH count(*) AS agencies
UNWIND [['OLD', '1937-11-18'], ['KID', '2015-04-02']] AS p
MERGE (person:Person {key: p[0]}) SET person.display_name = p[0], person.dob = date(p[1])
MERGE (rec:Record {key: 'csc:' + p[0]}) SET rec.dob = date(p[1])
MERGE (rec)-[:RESOLVES_TO]->(person)
WITH rec, p
UNWIND [['police', '2024-01-10'], ['health', '2024-02-10'], ['school', '2024-03-10'], ['housing', '2024-04-10']] AS c
MATCH (maker:Agency {key: c[0]}), (csc:Agency {key: 'csc'})
MERGE (r:Referral {key: p[0] + '-' + c[1]}) SET r.date = date(c[1]), r.outcome = 'nfa'
MERGE (maker)-[:MADE]->(r) MERGE (r)-[:TO]->(csc) MERGE (r)-[:ABOUT]->(rec)
"""


def test_an_elderly_person_is_never_taken_for_a_child(tmp_path, library):
    """FalkorDB 4.22 compares dates more than 68 years apart the wrong way round, so
    'dob > date - 18 years' held for someone born in 1937: jigsaw listed a man of 86 as a
    child. Every age check now also compares years (see the next test)."""
    with open_store(str(tmp_path / "graph"), load_settings(environ={})) as store:
        store.ensure_schema()
        store.write(AGES_CYPHER)
        assert store.read("RETURN date('1937-11-18') > date('2024-01-10') - duration({years: 18})").value() is True
        result, _ = run_saved_query(store, library["jigsaw"], {"until": "2024-12-31"})
        assert [row["person"] for row in result.records()] == ["KID"]


def test_every_age_check_in_a_saved_query_also_compares_years():
    for path in sorted(QUERIES_DIR.glob("*.cypher")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("//") or "duration({years: 18})" not in line:
                continue
            assert re.search(r"\.dob\.year (>|<=) .*\.year - 80", line), (
                f"{path.name}:{number}: an age check needs the year guard against the 68-year limit")
