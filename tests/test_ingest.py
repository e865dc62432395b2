"""Ingestion framework: readers, validation, mappings, loading semantics, jobs and the CLI.

Small hand-written extracts in tmp_path, loaded into a real embedded FalkorDB.
The synthetic fixture set (conservation, injected bad rows, resume after
kill -9) is in tests/test_ingest_synth.py.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from mashgraph.cli import cli
from mashgraph.errors import MappingError, StoreUnavailable, ValidationError
from mashgraph.ingest.jobs import EXIT_QUARANTINE_EXCEEDED, EXIT_SOURCE_FAILED, run_job, run_source
from mashgraph.ingest.load import (
    EDGE_MERGE_CYPHER, EDGE_PLAIN_CYPHER, NODE_KEY_CYPHER, NODE_MERGE_CYPHER, NODE_UPSERT_CYPHER, LoadPlan,
)
from mashgraph.ingest.mapping import available_mappings, load_mapping
from mashgraph.ingest.readers import open_extract
from mashgraph.ingest.identifiers import pnc_check_letter, upn_check_letter
from mashgraph.ingest.validate import FieldProblem, nhs_number, ni_number, pnc_id, postcode, upn

PEOPLE_HEADER = "record_id,agency,given_name,family_name,dob,sex,postcode,address,nhs_number,upn,pnc_id,ni_number"


def write(path: Path, text: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def rows_of(path: Path, **kw):
    with open_extract(path, **kw) as ex:
        return ex.columns, list(ex)


def graph_dump(store) -> tuple[list, list]:
    nodes = store.read("MATCH (n) WHERE NOT n:Concern RETURN labels(n)[0] AS l, properties(n) AS p").rows
    edges = store.read("MATCH (a)-[r]->(b) RETURN a.key, type(r), b.key, properties(r)").rows
    return (sorted(repr((l, sorted(p.items()))) for l, p in nodes),
            sorted(repr((a, t, b, sorted(p.items()))) for a, t, b, p in edges))


# -- readers -------------------------------------------------------------------

def test_csv_with_bom_semicolons_quoted_newline_and_line_numbers(tmp_path):
    p = write(tmp_path / "x.csv", 'id;note\r\n1;"two\r\nlines"\r\n2;plain\r\n', bom=True)
    columns, rows = rows_of(p, delimiter=";")
    assert columns == ["id", "note"]
    assert [(r.line, r.values["id"], r.values["note"]) for r in rows] == [(2, "1", "two\r\nlines"), (4, "2", "plain")]
    assert rows[0].raw == '1;"two\r\nlines"'


def test_csv_delimiter_sniffed_and_tab(tmp_path):
    p = write(tmp_path / "x.txt", "a|b\n1|2\n")
    assert rows_of(p, delimiter="auto")[1][0].values == {"a": "1", "b": "2"}
    t = write(tmp_path / "x.tsv", "a\tb\n1\t2\n")
    assert rows_of(t, delimiter="\\t")[1][0].values == {"a": "1", "b": "2"}


def test_cp1252_file_decodes_and_undecodable_line_is_one_bad_row(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes("id,name\n1,Zoë\n".encode("cp1252") + b"2,Bad\x81name\n3,Ok\n")
    _, rows = rows_of(p, encoding="cp1252")
    assert rows[0].values["name"] == "Zoë" and rows[0].problem is None
    assert (rows[1].line, rows[1].problem) == (3, "encoding_error")
    assert rows[2].values == {"id": "3", "name": "Ok"}


def test_utf8_invalid_bytes_and_wrong_column_count_and_blank_lines(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"a,b\n1,\xe9x\n2\n\n3,4\n\n\n")
    _, rows = rows_of(p)
    assert [(r.line, r.problem) for r in rows] == [
        (2, "encoding_error"), (3, "wrong_column_count"), (4, "blank_line"), (5, None)]  # trailing blanks ignored


def test_jsonl_nested_objects_arrays_nulls_and_bad_lines(tmp_path):
    p = write(tmp_path / "x.jsonl",
              '{"id": "1", "p": {"dob": null, "a": {"uprn": 901}}, "codes": ["3B", "4B"], "ok": true}\n'
              "not json\n[1, 2]\n")
    columns, rows = rows_of(p)
    assert columns == ["id", "p.dob", "p.a.uprn", "codes", "ok"]
    assert rows[0].values == {"id": "1", "p.dob": "", "p.a.uprn": "901", "codes": ["3B", "4B"], "ok": "true"}
    assert [(r.line, r.problem) for r in rows[1:]] == [(2, "bad_json"), (3, "not_an_object")]


def test_xlsx_dates_numbers_blank_rows(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Events"
    ws.append(["id", "when", "n"])
    ws.append(["a", dt.datetime(2024, 1, 19), 901000000417])
    ws.append([None, None, None])
    ws.append(["b", "31/02/2024", 2.5])
    wb.save(tmp_path / "x.xlsx")
    columns, rows = rows_of(tmp_path / "x.xlsx", sheet="Events")
    assert columns == ["id", "when", "n"]
    assert [(r.line, r.problem, r.values) for r in rows] == [
        (2, None, {"id": "a", "when": "2024-01-19", "n": "901000000417"}),
        (3, "blank_line", {}),
        (4, None, {"id": "b", "when": "31/02/2024", "n": "2.5"})]


def test_file_level_problems_raise_one_clear_error(tmp_path):
    with pytest.raises(ValidationError, match="file not found"):
        open_extract(tmp_path / "missing.csv")
    with pytest.raises(ValidationError, match="unknown format"):
        open_extract(write(tmp_path / "x.parquet", "a"))
    with pytest.raises(ValidationError, match="empty"):
        open_extract(write(tmp_path / "e.csv", ""))
    with pytest.raises(ValidationError, match="no worksheet named 'Nope'"):
        wb = openpyxl.Workbook()
        wb.save(tmp_path / "w.xlsx")
        open_extract(tmp_path / "w.xlsx", sheet="Nope")


# -- identifiers and values ----------------------------------------------------

def test_nhs_number_modulus_11():
    assert nhs_number("943 476 5919") == "9434765919"
    for bad in ("9434765918", "123", "943476591X"):
        with pytest.raises(FieldProblem) as err:
            nhs_number(bad)
        assert err.value.reason == "invalid_nhs_number"


def test_upn_check_letter_permanent_and_temporary():
    body = "991012345678"
    good = upn_check_letter(body) + body
    assert upn(good.lower()) == good
    temp_body = "99101234567A"
    temp = upn_check_letter(temp_body) + temp_body
    assert upn(temp) == temp
    wrong = ("B" if good[0] != "B" else "C") + body
    with pytest.raises(FieldProblem, match="check letter"):
        upn(wrong)
    with pytest.raises(FieldProblem):
        upn("I" + body)  # I, O and S are never used


def test_pnc_id_check_letter_and_canonical_form():
    letter = pnc_check_letter("08", "9012345")
    assert pnc_id(f"08/9012345{letter}") == f"08/9012345{letter}"
    assert pnc_id(f"2008/9012345{letter}") == f"08/9012345{letter}"
    other = "A" if letter != "A" else "B"
    with pytest.raises(FieldProblem) as err:
        pnc_id(f"08/9012345{other}")
    assert err.value.reason == "invalid_pnc_id"


def test_ni_number_shape_and_postcode():
    assert ni_number("qh 48 20 13 c") == "QH482013C"
    with pytest.raises(FieldProblem):
        ni_number("Q1482013C")
    assert postcode("qa32lb") == "QA3 2LB"
    with pytest.raises(FieldProblem):
        postcode("not a postcode")


# -- mappings --------------------------------------------------------------------

def test_every_shipped_mapping_loads_and_plans():
    names = available_mappings()
    assert {"people", "agencies", "police_incidents", "csc_contacts", "csc_household_members", "csc_episodes",
            "health_events", "education_events", "housing_events", "asc_concerns", "probation_cases"} <= set(names)
    for name in names:
        plan = LoadPlan(load_mapping(name))
        # Every statement is one of the constants built at import time from the model vocabulary.
        for op in plan.node_ops:
            assert op.cypher in (NODE_UPSERT_CYPHER[op.label], NODE_KEY_CYPHER[op.label])
        for op in plan.edge_ops:
            assert op.cypher in (*EDGE_MERGE_CYPHER.values(), *EDGE_PLAIN_CYPHER.values())


@pytest.mark.parametrize("yaml_text, where", [
    ("fields: {id: string}\nnodes: {r: {label: Recrd, key: '{id}'}}", "nodes.r.label"),
    ("fields: {id: string}\nnodes: {r: {label: Record, key: '{idd}'}}", "nodes.r.key"),
    ("fields: {id: dat}\nnodes: {r: {label: Record, key: '{id}'}}", "fields.id.type"),
    ("fields: {id: string}\nnodes: {r: {label: Record, key: '{id}'}, a: {label: Agency, key: '{id}'}}\n"
     "edges: [{type: KNOWS, from: r, to: a}]", "edges[0].type"),
    ("fields: {id: string}\nnodes: {r: {label: Record, key: '{id}'}, a: {label: Agency, key: '{id}'}}\n"
     "edges: [{type: HELD_BY, from: a, to: r}]", "edges[0].type"),
    ("fields: {id: string, c: {type: code}}\nnodes: {r: {label: Record, key: '{id}'}}", "fields.c.codes"),
    ("fields: {id: string, d: date}\nnodes: {r: {label: Record, key: '{id}', props: {seen: d}}}", "nodes.r.props.seen"),
    ("fields: {id: string}\nnodes: {r: {label: Record, key: '{id}', props: {key: id}}}", "nodes.r.props.key"),
    ("fields: [id]\nnodes: {}", "fields"),
])
def test_mapping_errors_name_file_and_field(tmp_path, yaml_text, where):
    path = write(tmp_path / "bad.yml", yaml_text)
    with pytest.raises(MappingError) as err:
        LoadPlan(load_mapping(path))
    assert str(path) in err.value.message and where in err.value.message


def test_unknown_mapping_name_is_a_mapping_error():
    with pytest.raises(MappingError, match="no mapping 'nope'"):
        load_mapping("nope")


# -- loading ---------------------------------------------------------------------

def people_file(tmp_path: Path, name: str, lines: list[str]) -> Path:
    return write(tmp_path / name, PEOPLE_HEADER + "\n" + "\n".join(lines) + "\n")


def test_people_load_quarantine_warnings_and_conservation(embedded_store, tmp_path):
    f = people_file(tmp_path, "people.csv", [
        "1,police,Ann,Smith,2001-02-03,F,qa3 2lb,\"1 Road, Town\",9434765919,,,",
        "2,police,Bob,Jones,31/12/1990,Male,,,9434765918,,,QH482013C",   # bad NHS number: warning
        ",police,No,Id,,,,,,,,",                                          # no record_id: quarantine
        "3,police,Too,Many,,,,,,,,,extra",                                # wrong column count
    ])
    rep = run_source(embedded_store, "people", [f], quarantine_dir=tmp_path / "q")
    assert (rep.read, rep.loaded, rep.quarantined, rep.warnings) == (4, 2, 2, 1)
    assert rep.read == rep.loaded + rep.quarantined
    assert rep.reasons == {"missing_required": 1, "wrong_column_count": 1}
    ann = embedded_store.read("MATCH (r:Record {key: 'police:1'})-[:HELD_BY]->(a:Agency) "
                              "RETURN properties(r) AS p, a.key AS a").records()[0]
    assert ann["a"] == "police"
    p = ann["p"]
    assert (p["given_name"], p["dob"], p["sex"], p["postcode"], p["nhs_number"]) == (
        "Ann", dt.date(2001, 2, 3), "F", "QA3 2LB", "9434765919")
    assert (p["source"], p["line"], p["run"]) == ("people.csv", 2, rep.runs[0])
    bob = embedded_store.read("MATCH (r:Record {key: 'police:2'}) RETURN r.nhs_number, r.sex, r.dob").rows[0]
    assert bob == [None, "M", dt.date(1990, 12, 31)]
    q = (tmp_path / "q" / "people.quarantine.csv").read_text().splitlines()
    assert q[0] == '"file","line","field","reason","message","value","original"'  # every field quoted
    assert q[1].startswith('"people.csv","4","record_id","missing_required",')
    assert q[2].startswith('"people.csv","5","","wrong_column_count",') and q[2].endswith('"3,police,Too,Many,,,,,,,,,extra"')
    w = (tmp_path / "q" / "people.warnings.csv").read_text().splitlines()
    # Rejected rows are personal data as sent: owner-only files.
    assert {(tmp_path / "q" / f"people.{kind}.csv").stat().st_mode & 0o777
            for kind in ("quarantine", "warnings")} == {0o600}
    assert w[1].startswith('"people.csv","3","nhs_number","invalid_nhs_number",')
    run = embedded_store.read("MATCH (r:IngestRun) RETURN r.status, r.read, r.loaded, r.quarantined, r.warnings").rows
    assert run == [["complete", 4, 2, 2, 1]]


def test_rerun_changes_nothing_and_later_extract_updates(embedded_store, tmp_path):
    first = people_file(tmp_path, "day1.csv", [
        "1,police,Ann,Smith,2001-02-03,F,QA3 2LB,,,,,",
        "2,police,Bob,Jones,1990-12-31,M,,,,,,"])
    run_source(embedded_store, "people", [first], quarantine_dir=tmp_path / "q")
    before = graph_dump(embedded_store)
    again = run_source(embedded_store, "people", [first], quarantine_dir=tmp_path / "q")
    assert again.skipped and again.read == 2 and again.loaded == 2
    forced = run_source(embedded_store, "people", [first], quarantine_dir=tmp_path / "q", force=True)
    assert forced.stats.get("nodes_created", 0) == 0 and forced.stats.get("relationships_created", 0) == 0
    assert without_run_times(graph_dump(embedded_store)) == without_run_times(before)

    later = people_file(tmp_path, "day2.csv", [
        "1,police,Ann,Smith-Jones,2001-02-03,F,,,,,,",    # name changed, postcode now empty
        "2,police,Bob,Jones,1990-12-32,M,,,,,,",           # invalid dob: keep the known one
        "3,police,Cy,New,2005-05-05,U,,,,,,"])
    rep = run_source(embedded_store, "people", [later], quarantine_dir=tmp_path / "q")
    assert (rep.loaded, rep.warnings) == (3, 1)
    got = embedded_store.read("MATCH (r:Record) RETURN r.key, r.family_name, r.postcode, r.dob, r.source "
                              "ORDER BY r.key").rows
    assert got == [["police:1", "Smith-Jones", None, dt.date(2001, 2, 3), "day2.csv"],
                   ["police:2", "Jones", None, dt.date(1990, 12, 31), "day2.csv"],
                   ["police:3", "New", None, dt.date(2005, 5, 5), "day2.csv"]]
    assert embedded_store.read("MATCH (:Record)-[r:HELD_BY]->(:Agency) RETURN count(r)").value() == 3
    assert embedded_store.read("MATCH (r:IngestRun) RETURN count(r)").value() == 2


def without_run_times(dump):
    nodes, edges = dump
    return [n for n in nodes if "IngestRun" not in n], edges


def test_rows_with_same_key_in_one_batch_merge_like_sequential_writes(embedded_store, tmp_path):
    f = people_file(tmp_path, "dup.csv", [
        "1,police,Ann,Smith,2001-02-03,F,,,,,,",
        "1,police,Ann,Smith,2001-99-03,F,,,,,,",     # invalid dob on the later row: keep the earlier
        "1,police,Anne,Smith,,F,,,,,,"])            # dob empty: removed; name updated
    run_source(embedded_store, "people", [f], quarantine_dir=tmp_path / "q", batch_size=2)
    assert embedded_store.read("MATCH (r:Record) RETURN r.given_name, r.dob, r.line").rows == [["Anne", None, 4]]


def test_node_upsert_writes_what_merge_writes(embedded_store):
    # The loader creates-or-updates nodes with NODE_UPSERT_CYPHER; it must leave exactly the graph
    # NODE_MERGE_CYPHER leaves, for new and existing nodes, empty ('' removes) and invalid (null
    # keeps) dates, and properties set to null (removed).
    def rows(prefix, batch):
        return [{"k": f"{prefix}:{r['k']}", "p": r["p"], "dob": r["dob"]} for r in batch]

    batches = [
        [{"k": 1, "p": {"given_name": "Ann", "sex": "F", "upn": None}, "dob": "2001-02-03"},
         {"k": 2, "p": {"given_name": "Bob"}, "dob": ""},
         {"k": 3, "p": {}, "dob": None}],
        [{"k": 1, "p": {"given_name": "Anne", "sex": None}, "dob": None},   # dob kept, sex removed
         {"k": 2, "p": {"given_name": "Bob", "family_name": "Jones"}, "dob": "1990-12-31"},
         {"k": 3, "p": {"given_name": "Cy"}, "dob": ""},
         {"k": 4, "p": {"given_name": "Dee"}, "dob": "2010-10-10"}],
    ]
    for batch in batches:
        embedded_store.write(NODE_MERGE_CYPHER["Record"], {"rows": rows("m", batch)})
        embedded_store.write(NODE_UPSERT_CYPHER["Record"], {"rows": rows("u", batch)})
    got = {}
    for key, props in embedded_store.read("MATCH (r:Record) RETURN r.key, properties(r)").rows:
        prefix, _, k = key.partition(":")
        got.setdefault(prefix, {})[k] = {p: v for p, v in props.items() if p != "key"}
    assert got["u"] == got["m"]
    assert got["u"] == {"1": {"given_name": "Anne", "dob": dt.date(2001, 2, 3)},
                        "2": {"given_name": "Bob", "family_name": "Jones", "dob": dt.date(1990, 12, 31)},
                        "3": {"given_name": "Cy"}, "4": {"given_name": "Dee", "dob": dt.date(2010, 10, 10)}}
    assert embedded_store.read("MATCH (r:Record) RETURN count(r)").value() == 8


def test_failed_source_does_not_stop_the_job(embedded_store, tmp_path):
    good = people_file(tmp_path, "good.csv", ["1,police,Ann,Smith,,,,,,,,"])
    write(tmp_path / "nohdr.csv", "given_name,family_name\nAnn,Smith\n")
    job = write(tmp_path / "job.yml", """
name: nightly
sources:
  - {name: missing, mapping: people, files: [nowhere.csv]}
  - {name: header, mapping: people, files: [nohdr.csv]}
  - {name: format, mapping: people, files: [x.parquet]}
  - {name: badmap, mapping: no_such_mapping, files: [good.csv]}
  - {name: ok, mapping: people, files: [good.csv]}
""")
    write(tmp_path / "x.parquet", "x")
    rep = run_job(embedded_store, job, quarantine_dir=tmp_path / "q")
    by = {s.name: s for s in rep.sources}
    assert "file not found" in by["missing"].error
    assert "lacks required columns 'record_id', 'agency'" in by["header"].error
    assert "unknown format" in by["format"].error
    assert "no mapping 'no_such_mapping'" in by["badmap"].error
    assert [s.name for s in rep.failed] == ["missing", "header", "format", "badmap"]
    assert not by["ok"].failed and by["ok"].loaded == 1
    assert rep.exit_code() == EXIT_SOURCE_FAILED
    assert good.exists()


class _StoreFailingWrites:
    """The embedded store, but writes whose rows hold ``marker`` fail as if the store went away."""

    def __init__(self, store, marker: str) -> None:
        self._store, self._marker = store, marker

    def __getattr__(self, name):
        return getattr(self._store, name)

    def write(self, cypher, params=None):
        if self._marker in repr(params):
            raise StoreUnavailable("FalkorDB is not reachable: connection reset", hint="check the store")
        return self._store.write(cypher, params)

    def write_encoded(self, cypher, header):  # batches arrive with their parameters encoded
        if self._marker.encode() in header:
            raise StoreUnavailable("FalkorDB is not reachable: connection reset", hint="check the store")
        return self._store.write_encoded(cypher, header)


def test_a_failed_write_fails_its_source_only_and_sources_finish_in_order(embedded_store, tmp_path):
    # Sources are written on one writer thread while the next is read: a write error must land on
    # the source it belongs to, leave its file 'running' (loaded again next time), and spare the rest.
    write(tmp_path / "a.csv", PEOPLE_HEADER + "\n1,police,Ann,Smith,,,,,,,,\n")
    write(tmp_path / "b.csv", PEOPLE_HEADER + "\n2,health,Bob,Jones,,,,,,,,\n")
    write(tmp_path / "c.csv", PEOPLE_HEADER + "\n3,police,Cy,Brown,,,,,,,,\n")
    job = write(tmp_path / "job.yml", """
sources:
  - {name: a, mapping: people, files: [a.csv]}
  - {name: b, mapping: people, files: [b.csv]}
  - {name: c, mapping: people, files: [c.csv]}
""")
    events = []
    rep = run_job(_StoreFailingWrites(embedded_store, "Bob"), job, quarantine_dir=tmp_path / "q",
                  progress=lambda e: events.append((e["event"], e.get("source"))))
    by = {s.name: s for s in rep.sources}
    assert [s.name for s in rep.failed] == ["b"]
    assert by["b"].error.startswith("FalkorDB is not reachable: connection reset")
    # IngestRun + Agency + Record; then IngestRun + Record (the agency exists)
    assert by["a"].stats["nodes_created"] == 3 and by["c"].stats["nodes_created"] == 2
    assert [src for kind, src in events if kind == "source_done"] == ["a", "b", "c"]
    status = dict(embedded_store.read("MATCH (r:IngestRun) RETURN r.source, r.status").rows)
    assert status == {"a": "complete", "b": "running", "c": "complete"}
    assert embedded_store.read("MATCH (r:Record) RETURN r.key ORDER BY r.key").column(0) == ["police:1", "police:3"]

    again = run_job(embedded_store, job, quarantine_dir=tmp_path / "q")   # the store is back
    assert [s.name for s in again.sources if s.skipped] == ["a", "c"] and not again.failed
    assert embedded_store.read("MATCH (r:Record) RETURN count(r)").value() == 3


def test_the_same_file_twice_in_a_job_is_loaded_once(embedded_store, tmp_path):
    f = people_file(tmp_path, "p.csv", ["1,police,Ann,Smith,,,,,,,,"])
    rep = run_source(embedded_store, "people", [f, f], quarantine_dir=tmp_path / "q")
    assert rep.skipped_files == [str(f)] and (rep.read, rep.loaded) == (2, 2)
    assert embedded_store.read("MATCH (r:IngestRun) RETURN r.status, r.read").rows == [["complete", 1]]


def test_dry_run_writes_nothing(embedded_store, tmp_path):
    f = people_file(tmp_path, "p.csv", ["1,police,Ann,Smith,,,,,,,,", ",police,,,,,,,,,,"])
    rep = run_source(None, "people", [f], dry_run=True, quarantine_dir=tmp_path / "q")
    assert (rep.read, rep.loaded, rep.quarantined) == (2, 1, 1)
    assert embedded_store.read("MATCH (n) RETURN count(n)").value() == 0


def test_conditional_nodes_templates_and_per_item_nodes(embedded_store, tmp_path):
    header = ("crn,pnc_id,surname,forename,dob,sex,address,postcode,supervision_id,order_type,offence_category,"
              "supervision_start,supervision_end,risk_level,mappa_category,mappa_level,marac,marac_date,"
              "concern_codes,shared_with,shared_date")
    letter = pnc_check_letter("08", "9012345")
    f = write(tmp_path / "probation_cases.csv", header + "\n"
              f"X482113,08/9012345{letter},Barker,Dean,21/03/1988,M,\"4 Mill Lane\",QA1 5TD,S0044120,community_order,"
              "domestic_abuse,10/05/2024,,high,2,1,Y,28/05/2024,3B,police;health,28/05/2024\n"
              "X000001,,Smith,Al,,M,,,S0000002,licence,other,01/01/2024,,low,,,N,,,,\n")
    rep = run_source(embedded_store, "probation_cases", [f], quarantine_dir=tmp_path / "q")
    assert (rep.loaded, rep.quarantined) == (2, 0)
    episodes = embedded_store.read("MATCH (:Agency {key: 'probation'})-[:RUNS]->(e:Episode)-[:FOR]->(r:Record) "
                                   "RETURN e.key, e.kind, e.category, e.start, r.key ORDER BY e.key").rows
    assert episodes == [
        ["probation:S0000002", "probation_supervision", "licence", dt.date(2024, 1, 1), "probation:X000001"],
        ["probation:S0044120", "probation_supervision", "community_order", dt.date(2024, 5, 10), "probation:X482113"],
        ["probation:S0044120/MAPPA", "mappa", "cat2-level1", dt.date(2024, 5, 10), "probation:X482113"],
        ["probation:S0044120/MARAC", "marac", None, dt.date(2024, 5, 28), "probation:X482113"]]
    shared = embedded_store.read("MATCH (s:Referral)-[w:SHARED_WITH]->(a:Agency) "
                                 "RETURN s.key, s.outcome, a.key, w.date ORDER BY a.key").rows
    assert shared == [["probation:SH-S0044120", "shared", "health", dt.date(2024, 5, 28)],
                      ["probation:SH-S0044120", "shared", "police", dt.date(2024, 5, 28)]]
    raises = embedded_store.read("MATCH (e)-[:RAISES]->(c:Concern {key: '3B'}) RETURN count(e)").value()
    assert raises == 4  # supervision, MAPPA, MARAC and the share referral


# -- CLI ---------------------------------------------------------------------------

def test_cli_mapping_report_exit_codes_and_dry_run(tmp_path):
    f = people_file(tmp_path, "p.csv", ["1,police,Ann,Smith,,,,,,,,", ",police,,,,,,,,,,"])
    db = tmp_path / "graph"
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", str(db), "ingest", "--dry-run", "--mapping", "people", str(f),
                              "--quarantine-dir", str(tmp_path / "q"), "--report", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "r.json").read_text())
    src = report["sources"][0]
    assert (report["dry_run"], src["read"], src["loaded"], src["quarantined"]) == (True, 2, 1, 1)
    assert not db.exists()
    res = runner.invoke(cli, ["--db", str(db), "ingest", "--mapping", "people", str(f),
                              "--quarantine-dir", str(tmp_path / "q"), "--max-quarantine-share", "0.25"])
    assert res.exit_code == EXIT_QUARANTINE_EXCEEDED, res.output
    assert "people: read 2, loaded 1, quarantined 1 (50.0%)" in res.output
    res = runner.invoke(cli, ["--db", str(db), "ingest", "--mapping", "people", str(tmp_path / "none.csv")])
    assert res.exit_code == EXIT_SOURCE_FAILED and "file not found" in res.output
    res = runner.invoke(cli, ["--db", str(db), "ingest", str(tmp_path / "nojob.yml")])
    assert res.exit_code == 2 and "job file" in res.output
    res = runner.invoke(cli, ["ingest", "--list-mappings"])
    assert "people" in res.output.split()
    # Unwritable report or quarantine paths: one line naming the path, no traceback.
    (tmp_path / "a-file").write_text("not a folder")
    blocked = tmp_path / "a-file" / "sub"
    res = runner.invoke(cli, ["--db", str(db), "ingest", "--mapping", "people", str(f),
                              "--report", str(blocked / "r.json")])
    assert res.exit_code == 2 and f"cannot create the folder of the report {blocked / 'r.json'}" in res.output
    res = runner.invoke(cli, ["--db", str(db), "ingest", "--force", "--mapping", "people", str(f),
                              "--quarantine-dir", str(blocked)])
    assert res.exit_code == EXIT_SOURCE_FAILED and "cannot write the quarantine file" in res.output, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


# -- text the store cannot keep, and write failures (issue 10, item 14) ---------------------


def _people_rows(n: int, bad: dict[int, str] | None = None) -> str:
    lines = [PEOPLE_HEADER]
    for i in range(1, n + 1):
        given = (bad or {}).get(i, f"Given{i}")
        lines.append(f"R{i},nul-test,{given},Family{i},2010-01-0{1 + i % 9},F,,,,,,")
    return "\n".join(lines) + "\n"


def _records(store) -> int:
    return store.read("MATCH (r:Record {agency: 'nul-test'}) RETURN count(r)").value()


def test_nul_character_row_is_quarantined_and_the_rest_loads(embedded_store, tmp_path):
    f = write(tmp_path / "people.csv", _people_rows(5, {3: "Am\x00y"}))
    rep = run_source(embedded_store, "people", [f], quarantine_dir=tmp_path / "q")
    assert not rep.failed, rep.error
    assert (rep.read, rep.loaded, rep.quarantined, rep.unwritten) == (5, 4, 1, 0)
    assert rep.reasons == {"unstorable_character": 1}
    assert _records(embedded_store) == 4
    quarantine = (tmp_path / "q" / "people.quarantine.csv").read_text(encoding="utf-8")
    assert "given_name holds the character U+0000" in quarantine and "Am\\u0000y" in quarantine


def test_lone_surrogate_in_json_lines_is_quarantined(embedded_store, tmp_path):
    rows = [{"record_id": f"J{i}", "agency": "nul-test", "given_name": "Ok"} for i in range(3)]
    text = "\n".join(json.dumps(r) for r in rows).replace('"Ok"}', '"B\\ud800d"}', 1) + "\n"
    f = write(tmp_path / "people.jsonl", text)
    rep = run_source(embedded_store, "people", [f], quarantine_dir=tmp_path / "q")
    assert not rep.failed, rep.error
    assert (rep.read, rep.loaded, rep.quarantined) == (3, 2, 1)
    assert rep.reasons == {"unstorable_character": 1}


class _StoreFailingOnBatch:
    """The store, except that the ``fail_at``-th write of Record rows fails (a simulated lost server)."""

    def __init__(self, store, fail_at: int) -> None:
        self._store, self._fail_at, self._record_writes = store, fail_at, 0

    def __getattr__(self, name):
        return getattr(self._store, name)

    def _maybe_fail(self, cypher: str) -> None:
        if cypher in (NODE_UPSERT_CYPHER["Record"], NODE_MERGE_CYPHER["Record"]):
            self._record_writes += 1
            if self._record_writes == self._fail_at:
                from mashgraph.errors import StoreUnavailable
                raise StoreUnavailable("simulated: the graph server went away", hint="restart it")

    def write(self, cypher, params=None):
        self._maybe_fail(cypher)
        return self._store.write(cypher, params)

    def write_encoded(self, cypher, data):
        self._maybe_fail(cypher)
        return self._store.write_encoded(cypher, data)


def test_loaded_equals_what_is_in_the_graph_after_a_write_failure(embedded_store, tmp_path):
    f = write(tmp_path / "people.csv", _people_rows(7))
    failing = _StoreFailingOnBatch(embedded_store, fail_at=2)
    rep = run_source(failing, "people", [f], quarantine_dir=tmp_path / "q", batch_size=2)
    assert rep.failed and "simulated" in rep.error
    assert rep.loaded == _records(embedded_store) == 2  # the first batch of two, nothing more
    assert rep.read == rep.loaded + rep.quarantined + rep.unwritten == 7
    assert rep.unwritten == 5
    again = run_source(embedded_store, "people", [f], quarantine_dir=tmp_path / "q2", batch_size=2)
    assert not again.failed and again.loaded == _records(embedded_store) == 7  # the re-run completes it


def test_failed_source_line_says_what_was_loaded(tmp_path):
    from mashgraph.ingest.jobs import SourceReport

    line = SourceReport("people", "people", [], read=7, loaded=2, unwritten=5, failed=True,
                        error="lost the server").line()
    assert "loaded 2" in line and "not written 5" in line and "FAILED" in line
