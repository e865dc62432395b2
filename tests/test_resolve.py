"""Entity resolution end to end: people CSV -> `people` mapping -> resolve -> graph.

The data is a small synthetic population (a few hundred people, written by
``_population`` below with a fixed seed) so the model has something to learn
from, plus hand-written cases whose right answer a reader can check:
exact links, an NHS-number conflict, a nickname with a transposed date of
birth, twins, a default date of birth, and both sides of each guard: twins whose
names are close, one name split, shortened or misspelt, date-of-birth typos, and a
father and son of one name joined through a record without a date of birth.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from mashgraph.cli import cli
from mashgraph.errors import ConfigError, ValidationError
from mashgraph.graph import open_store
from mashgraph.ingest.jobs import run_source
from mashgraph.ingest.resolve import (ResolveSettings, explain_person, export_assignments,
                                      record_decision, resolve_records, review_pairs)
from mashgraph.ingest.identifiers import normalise_identifier
from mashgraph.ingest.resolve.cluster import ConstrainedClusters, assign_person_keys, new_person_key
from mashgraph.ingest.resolve.guards import dates_far_apart
from mashgraph.settings import load_settings

COLUMNS = ["record_id", "agency", "given_name", "family_name", "dob", "sex", "postcode", "address",
           "nhs_number", "upn", "pnc_id", "ni_number"]

ASSIGNMENTS_CYPHER = """
MATCH (r:Record)-[x:RESOLVES_TO]->(p:Person)
RETURN r.key AS record, p.key AS person, x.method AS method, x.probability AS probability
"""
RECORD_COUNT_CYPHER = "MATCH (r:Record) RETURN count(r) AS n"
PERSON_COUNT_CYPHER = "MATCH (p:Person) RETURN count(p) AS n"
LINKS_PER_RECORD_CYPHER = """
MATCH (r:Record)
WITH r, size([(r)-[:RESOLVES_TO]->(p:Person) | p]) AS n
RETURN max(n) AS most, min(n) AS least
"""
DECISIONS_CYPHER = """
MATCH (d:MatchDecision)
RETURN d.record_a AS a, d.record_b AS b, d.decision AS decision, d.reason AS reason,
       d.decided_by AS by, d.decided_at AS at
"""
RUN_CYPHER = "MATCH (run:ResolveRun) RETURN run.key AS key, run.model_path AS model_path, run.model_json AS model_json"

GIVEN = {"F": ["Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Grace", "Freya", "Poppy",
               "Ella", "Evie", "Sienna", "Daisy", "Willow", "Catherine", "Rebecca", "Elizabeth",
               "Margaret", "Hannah", "Zara", "Phoebe", "Esme", "Imogen", "Harriet", "Megan"],
         "M": ["Noah", "Oliver", "George", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie",
               "Henry", "Freddie", "Jack", "Charlie", "Thomas", "William", "James", "Alexander",
               "Daniel", "Michael", "Joshua", "Samuel", "Edward", "Reuben", "Felix", "Ezra", "Toby"]}
NICK = {"Catherine": "Katie", "Rebecca": "Becky", "Elizabeth": "Liz", "Margaret": "Maggie",
        "William": "Bill", "James": "Jim", "Alexander": "Alex", "Daniel": "Danny", "Michael": "Mike",
        "Joshua": "Josh", "Samuel": "Sam", "Edward": "Ted", "Thomas": "Tom", "Oliver": "Ollie"}
FAMILY = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
          "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
          "Wood", "Jackson", "Clarke", "Hughes", "Okafor", "Nowak", "Khan", "Ahmed", "Murphy",
          "Kelly", "Fletcher", "Marsh", "Lambert", "Doyle", "Fraser", "Quinn", "Pearce", "Sharma"]
STREETS = ["Wren Close", "Mill Lane", "Church Road", "Station Road", "High Street", "Park Avenue",
           "Victoria Road", "Green Lane", "Manor Road", "Kings Road", "Heron Way", "Orchard Rise"]
AGENCIES = ["health", "police", "csc-la1", "edu-la1", "housing-la1", "asc-la1"]


def nhs(rng: random.Random) -> str:
    """A valid synthetic NHS number (first digit 9: never issued)."""
    while True:
        digits = "9" + "".join(str(rng.randint(0, 9)) for _ in range(8))
        total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1)))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            return digits + str(check)


def _row(record_id: str, agency: str, given: str, family: str, dob: str | None, sex: str,
         postcode: str, address: str, nhs_number: str = "", **ids: str) -> dict[str, str]:
    return {"record_id": record_id, "agency": agency, "given_name": given, "family_name": family,
            "dob": dob or "", "sex": sex, "postcode": postcode, "address": address,
            "nhs_number": nhs_number, "upn": ids.get("upn", ""), "pnc_id": ids.get("pnc_id", ""),
            "ni_number": ids.get("ni_number", "")}


def _population(n_people: int, seed: int) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Background people with 1-4 records each and realistic defects; returns rows and truth."""
    rng = random.Random(seed)
    rows, truth = [], {}
    for i in range(n_people):
        sex = rng.choice("MF")
        given, family = rng.choice(GIVEN[sex]), rng.choice(FAMILY)
        dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 70 * 365))
        home = (f"QA{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLN')}{rng.choice('PQRSTUWXYZ')}",
                f"{rng.randint(1, 150)} {rng.choice(STREETS)}, Northmoor")
        number = nhs(rng)
        for j, agency in enumerate(rng.sample(AGENCIES, rng.randint(1, 4))):
            g, f, d = given, family, dob
            if g in NICK and rng.random() < 0.2:
                g = NICK[g]
            if rng.random() < 0.05:
                k = rng.randrange(1, len(f) - 1)
                f = f[:k] + f[k + 1:]
            if rng.random() < 0.04 and d.day <= 12 and d.day != d.month:
                d = dt.date(d.year, d.day, d.month)
            elif rng.random() < 0.03:
                d = dt.date(d.year, 1, 1)
            postcode, address = home
            if rng.random() < 0.15:
                postcode = f"QB{rng.randint(1, 9)} {rng.randint(1, 9)}XY"
                address = f"{rng.randint(1, 99)} {rng.choice(STREETS)}, Eastbridge"
            rid = f"BG{i:04d}{j}"
            rows.append(_row(rid, agency, g, f.upper() if agency == "police" else f, d.isoformat(),
                             sex, postcode, address,
                             number if agency == "health" or rng.random() < 0.3 else ""))
            truth[f"{agency}:{rid}"] = f"person{i}"
    return rows, truth


def _planted() -> list[dict[str, str]]:
    """Hand-written cases; their record ids say what each test expects."""
    return [
        # Exact link: same NHS number, different surname (married) and a default DOB.
        _row("EX1", "health", "Jane", "Doe", "1980-05-06", "F", "QC1 1AA", "1 Lark Rise, Wrenham",
             "9000000009"),
        _row("EX2", "csc-la1", "Jane", "Fairweather", "1980-01-01", "F", "QC2 2BB",
             "7 Heron Way, Saltmere", "9000000009"),
        # Conflict: identical details, two different valid NHS numbers.
        _row("CF1", "health", "Evangeline", "Thorne", "2012-03-15", "F", "QC3 3CC",
             "9 Elm Grove, Oakhurst", "9000000017"),
        _row("CF2", "health", "Evangeline", "Thorne", "2012-03-15", "F", "QC3 3CC",
             "9 Elm Grove, Oakhurst", "9000000025"),
        _row("CF3", "police", "Evangeline", "THORNE", "2012-03-15", "F", "QC3 3CC",
             "9 Elm Grove, Oakhurst"),
        # The example: nickname, surname variant, transposed DOB, same address.
        _row("KS1", "edu-la1", "Kayleigh", "Smith", "2015-04-03", "F", "QC4 4DD",
             "22 Bracken Walk, Northmoor"),
        _row("KS2", "police", "Kayley", "SMYTH", "2015-03-04", "F", "QC4 4DD",
             "22 Bracken Walk, Northmoor"),
        _row("KH1", "health", "Catherine", "Holland", "1991-11-09", "F", "QC5 5EE",
             "12 Wren Close, Northmoor", "9000000033"),
        _row("KH2", "police", "Katie", "HOLLAND", "1991-11-09", "F", "QC5 5EE",
             "12 Wren Close, Northmoor"),
        # Twins: same family, DOB and address; different given names.
        _row("TW1", "csc-la1", "Ruby", "Okonkwo", "2016-06-03", "F", "QC6 6FF",
             "5 Foxglove Court, Kelverton"),
        _row("TW2", "csc-la1", "Amber", "Okonkwo", "2016-06-03", "F", "QC6 6FF",
             "5 Foxglove Court, Kelverton"),
        _row("TW3", "health", "Ruby", "Okonkwo", "2016-06-03", "F", "QC6 6FF",
             "5 Foxglove Court, Kelverton", "9000000041"),
        _row("TW4", "health", "Amber", "Okonkwo", "2016-06-03", "F", "QC6 6FF",
             "5 Foxglove Court, Kelverton", "9000000068"),
        # Twins whose short names are two letters apart: still two names, never merged.
        _row("EE1", "csc-la1", "Ella", "Brannigan", "2018-09-21", "F", "QC7 7GG",
             "3 Sorrel Way, Kelverton"),
        _row("EE2", "edu-la1", "Emma", "Brannigan", "2018-09-21", "F", "QC7 7GG",
             "3 Sorrel Way, Kelverton"),
        # One name written apart, shortened or misspelt (the twin guard must not fire).
        _row("LY1", "health", "Lydia", "Ferncastle", "2013-02-17", "F", "QC8 8HH",
             "41 Tansy Road, Wrenham"),
        _row("LY2", "police", "Ly Dia", "FERNCASTLE", "2013-02-17", "F", "QC8 8HH",
             "41 Tansy Road, Wrenham"),
        _row("CH1", "health", "Christopher", "Ravensworth", "1999-10-23", "M", "QC9 9JJ",
             "8 Teasel Lane, Oakhurst"),
        _row("CH2", "police", "Chris", "RAVENSWORTH", "1999-10-23", "M", "QC9 9JJ",
             "8 Teasel Lane, Oakhurst"),
        _row("JN1", "health", "Jonathon", "Whitcombe", "2011-01-26", "M", "QD1 1KK",
             "19 Yarrow Close, Saltmere"),
        _row("JN2", "edu-la1", "Johnathan", "Whitcombe", "2011-01-26", "M", "QD1 1KK",
             "19 Yarrow Close, Saltmere"),
        # Date-of-birth typos with name and address agreeing: linked, not vetoed.
        _row("DT1", "health", "Marguerite", "Pennyfeather", "1976-06-09", "F", "QD2 2LL",
             "6 Campion Street, Northmoor"),
        _row("DT2", "police", "Marguerite", "PENNYFEATHER", "1967-06-09", "F", "QD2 2LL",
             "6 Campion Street, Northmoor"),
        _row("DT3", "health", "Rosalind", "Ashdown", "1976-06-09", "F", "QD5 5PP",
             "33 Sedge Walk, Saltmere"),
        _row("DT4", "csc-la1", "Rosalind", "Ashdown", "1967-09-05", "F", "QD5 5PP",
             "33 Sedge Walk, Saltmere"),
        _row("DC1", "health", "Bartholomew", "Quenby", "2012-05-03", "M", "QD3 3MM",
             "27 Burdock Drive, Oakhurst"),
        _row("DC2", "csc-la1", "Bartholomew", "Quenby", "1912-05-03", "M", "QD3 3MM",
             "27 Burdock Drive, Oakhurst"),
        # A father and son of one name at one address, and a record of theirs with no
        # date of birth: it may join one of them, never both.
        _row("FS1", "health", "Carl", "Warrender", "1982-04-14", "M", "QD4 4NN",
             "14 Vetch Row, Wrenham"),
        _row("FS2", "health", "Carl", "Warrender", "2010-07-30", "M", "QD4 4NN",
             "14 Vetch Row, Wrenham"),
        _row("FS3", "housing-la1", "Carl", "Warrender", None, "M", "QD4 4NN",
             "14 Vetch Row, Wrenham"),
    ]


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _load(store, tmp: Path, rows: list[dict[str, str]], name: str) -> None:
    report = run_source(store, "people", [_write_csv(tmp / f"{name}.csv", rows)],
                        quarantine_dir=tmp / "quarantine")
    assert not report.failed, report.error
    assert report.quarantined == 0, report.reasons
    assert report.loaded == len(rows)


def _assignments(store) -> dict[str, dict]:
    return {row["record"]: row for row in store.read(ASSIGNMENTS_CYPHER).records()}


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    """One store with the population + planted cases, resolved once."""
    tmp = tmp_path_factory.mktemp("resolve")
    rows, truth = _population(260, seed=5)
    store = open_store(str(tmp / "graph"), load_settings(environ={}))
    _load(store, tmp, rows + _planted(), "people")
    # ~650 records: train on them (the default would use the bundled model below 1,000)
    report = resolve_records(store, ResolveSettings(model_dir=str(tmp / "models"),
                                                    min_records_to_train=300))
    assert report.model_source.startswith("trained")
    yield store, report, truth, tmp
    store.close()


def test_every_record_resolves_to_exactly_one_person(resolved):
    store, report, _truth, _tmp = resolved
    n_records = store.read(RECORD_COUNT_CYPHER).value()
    assert report.records == n_records
    assert store.read(LINKS_PER_RECORD_CYPHER).records() == [{"most": 1, "least": 1}]
    assert store.read(PERSON_COUNT_CYPHER).value() == report.persons


def test_exact_link_on_shared_nhs_number(resolved):
    store, report, _truth, _tmp = resolved
    a = _assignments(store)
    assert a["health:EX1"]["person"] == a["csc-la1:EX2"]["person"]
    assert {a["health:EX1"]["method"], a["csc-la1:EX2"]["method"]} == {"exact:nhs_number"}
    assert report.exact_links >= 1


def test_two_different_nhs_numbers_never_merge(resolved):
    store, _report, _truth, _tmp = resolved
    a = _assignments(store)
    assert a["health:CF1"]["person"] != a["health:CF2"]["person"]
    # The police record without an NHS number may join one of them, never both.
    assert a["police:CF3"]["person"] in {a["health:CF1"]["person"], a["health:CF2"]["person"]}


def test_nickname_surname_variant_and_transposed_dob_link(resolved):
    store, _report, _truth, _tmp = resolved
    a = _assignments(store)
    assert a["edu-la1:KS1"]["person"] == a["police:KS2"]["person"]
    assert a["edu-la1:KS1"]["method"] == "model"
    assert a["health:KH1"]["person"] == a["police:KH2"]["person"]


def test_twins_are_not_merged(resolved):
    store, _report, _truth, _tmp = resolved
    a = _assignments(store)
    ruby = {a["csc-la1:TW1"]["person"], a["health:TW3"]["person"]}
    amber = {a["csc-la1:TW2"]["person"], a["health:TW4"]["person"]}
    assert len(ruby) == 1 and len(amber) == 1
    assert ruby != amber


def test_twin_guard_fires_only_on_genuinely_different_given_names(resolved):
    store, _report, _truth, _tmp = resolved
    a = _assignments(store)
    assert a["csc-la1:EE1"]["person"] != a["edu-la1:EE2"]["person"]
    refused = [p for p in review_pairs(store, limit=1000)
               if {p["record_a"], p["record_b"]} == {"csc-la1:EE1", "edu-la1:EE2"}]
    assert refused and "given names disagree" in refused[0]["reason"]
    for x, y in (("health:LY1", "police:LY2"), ("health:CH1", "police:CH2"),
                 ("health:JN1", "edu-la1:JN2")):
        assert a[x]["person"] == a[y]["person"], (x, y)


def test_date_of_birth_typos_link_but_parent_and_child_do_not(resolved):
    store, _report, _truth, _tmp = resolved
    a = _assignments(store)
    assert a["health:DT1"]["person"] == a["police:DT2"]["person"]  # 1976 / 1967
    assert a["health:DT3"]["person"] == a["csc-la1:DT4"]["person"]  # 1976-06-09 / 1967-09-05
    assert a["health:DC1"]["person"] == a["csc-la1:DC2"]["person"]  # 2012 / 1912
    father, son = a["health:FS1"]["person"], a["health:FS2"]["person"]
    assert father != son
    assert a["housing-la1:FS3"]["person"] in {father, son}
    reasons = [p["reason"] for p in review_pairs(store, limit=1000)
               if "housing-la1:FS3" in (p["record_a"], p["record_b"]) or
               {p["record_a"], p["record_b"]} == {"health:FS1", "health:FS2"}]
    assert any("dates of birth" in r for r in reasons), reasons


def test_background_population_is_resolved_accurately(resolved):
    store, _report, truth, _tmp = resolved
    a = _assignments(store)
    by_truth, by_person = defaultdict(set), defaultdict(set)
    for record, person in truth.items():
        by_truth[person].add(record)
    for record, row in a.items():
        by_person[row["person"]].add(record)

    def pairs(groups):
        return {(x, y) for g in groups.values() for x in g for y in g if x < y}

    true_pairs = pairs(by_truth)
    found = {p for p in pairs(by_person) if p[0] in truth and p[1] in truth}
    precision = len(found & true_pairs) / len(found)
    recall = len(found & true_pairs) / len(true_pairs)
    assert precision >= 0.99, precision
    assert recall >= 0.95, recall


def test_model_json_is_saved_and_referenced_from_the_run(resolved):
    store, report, _truth, tmp = resolved
    runs = store.read(RUN_CYPHER).records()
    assert [r["key"] for r in runs] == [report.run]
    path = Path(runs[0]["model_path"])
    assert path.parent == tmp / "models" and path.exists()
    model = json.loads(path.read_text())
    assert {c["output_column_name"] for c in model["comparisons"]} == {
        "given_name", "family_name", "dob", "sex", "address"}
    assert json.loads(runs[0]["model_json"])["comparisons"] == model["comparisons"]
    # trained: agreeing is evidence for a match, disagreeing against, in every comparison
    for comparison in model["comparisons"]:
        levels = {lv["label_for_charts"]: lv for lv in comparison["comparison_levels"]}
        same = levels["same address" if comparison["output_column_name"] == "address" else "same"]
        different = comparison["comparison_levels"][-1]  # the "else" level
        assert same["m_probability"] > same["u_probability"], comparison["output_column_name"]
        assert different["m_probability"] < different["u_probability"], comparison["output_column_name"]


def test_evidence_is_readable_and_explain_prints_it(resolved):
    store, _report, _truth, _tmp = resolved
    a = _assignments(store)
    person = a["police:KS2"]["person"]
    text = "\n".join(explain_person(store, person))
    assert f"Person {person}" in text
    assert "edu-la1:KS1" in text and "police:KS2" in text
    assert "day and month transposed" in text
    assert "nickname or variant" in text
    exact = "\n".join(explain_person(store, a["health:EX1"]["person"]))
    assert "same NHS number 9000000009" in exact
    with pytest.raises(ValidationError, match="no Person"):
        explain_person(store, "Pnotaperson")


def test_export_writes_every_record(resolved):
    store, report, _truth, tmp = resolved
    out = tmp / "export" / "assignments.csv"
    n = export_assignments(store, out)
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert n == len(rows) == report.records
    assert list(rows[0]) == ["record_key", "person_key", "probability"]
    a = _assignments(store)
    assert {r["record_key"]: r["person_key"] for r in rows} == {k: v["person"] for k, v in a.items()}
    assert all(0.0 < float(r["probability"]) <= 1.0 for r in rows)
    with pytest.raises(ConfigError):
        export_assignments(store, tmp / "assignments.txt")
    (tmp / "a-file").write_text("not a folder")
    with pytest.raises(ConfigError, match="cannot write the export file"):
        export_assignments(store, tmp / "a-file" / "assignments.csv")


def test_review_band_lists_uncertain_pairs(resolved):
    store, report, _truth, _tmp = resolved
    pairs = review_pairs(store, limit=1000)
    assert len(pairs) == report.review_pairs > 0
    for p in pairs:
        assert p["record_a"] < p["record_b"]
        assert p["reason"]
        assert 0.5 <= p["probability"] <= 1.0
    # the twins' pairs are held back for review, never linked
    twins = [p for p in pairs if {p["record_a"], p["record_b"]} == {"csc-la1:TW1", "csc-la1:TW2"}]
    assert twins and not twins[0]["linked"] and "given names disagree" in twins[0]["reason"]


@pytest.mark.parametrize("a, b, far", [
    ("1980-03-12", "1980-03-12", False),   # same
    ("1980-03-12", "1980-12-03", False),   # day and month transposed
    ("1976-06-09", "1967-06-09", False),   # two digits transposed (9 years)
    ("1985-04-17", "1955-04-17", False),   # one digit (30 years)
    ("2012-05-03", "1912-05-03", False),   # century swapped
    ("1976-06-09", "1967-09-05", False),   # day/month and year digits transposed, a typo
    ("1980-03-12", "1984-11-30", False),   # within 5 years: the model weighs it
    ("1984-03-12", "2010-07-30", True),    # a parent and a child
    ("1950-01-20", "1975-08-02", True),
])
def test_dates_far_apart_both_sides(a, b, far):
    assert dates_far_apart(a, b) is far
    assert dates_far_apart(b, a) is far


def test_clusters_refuse_dates_of_birth_of_two_people():
    c = ConstrainedClusters(["father", "son", "undated"],
                            dates_of_birth={"father": "1982-04-14", "son": "2010-07-30"})
    assert c.dates_conflict("father", "undated") is None
    assert c.link("father", "undated")
    assert "1982-04-14 and 2010-07-30" in c.dates_conflict("undated", "son")
    typo = ConstrainedClusters(["a", "b"], dates_of_birth={"a": "1976-06-09", "b": "1967-06-09"})
    assert typo.dates_conflict("a", "b") is None


def test_identifier_normalisation():
    assert normalise_identifier("nhs_number", "900 000 0009") == "9000000009"
    assert normalise_identifier("nhs_number", "9000000008") is None
    assert normalise_identifier("ni_number", "qa 12 34 56 c") == "QA123456C"
    assert normalise_identifier("ni_number", "TN123456A") is None


def test_person_keys_rule():
    previous = {"a": "P1", "b": "P1", "c": "P1", "d": "P2"}
    # a cluster of two of P1's records keeps P1; the split-off record gets a new key
    keys = assign_person_keys([["a", "b"], ["c"], ["d", "e"]], previous)
    assert keys["a"] == keys["b"] == "P1"
    assert keys["d"] == keys["e"] == "P2"
    assert keys["c"] == new_person_key("c")
    # a brand-new cluster's key comes from its smallest record key
    assert assign_person_keys([["y", "x"]], {}) == {"x": new_person_key("y"), "y": new_person_key("y")}


def _small_store(tmp: Path, name: str):
    rows, _truth = _population(180, seed=11)
    store = open_store(str(tmp / name), load_settings(environ={}))
    _load(store, tmp, rows + _planted(), name)
    return store, rows


def test_keys_are_stable_across_runs_and_after_adding_records(tmp_path):
    store, rows = _small_store(tmp_path, "stable")
    with store:
        settings = ResolveSettings(model_dir=str(tmp_path / "models"))
        resolve_records(store, settings)
        first = {k: v["person"] for k, v in _assignments(store).items()}
        again = resolve_records(store, settings)
        assert {k: v["person"] for k, v in _assignments(store).items()} == first
        assert again.new_keys == 0 and again.moved_records == 0

        # New records: one more record of the Kayleigh Smith child, and a new person.
        extra = [_row("KS3", "health", "Kayleigh", "Smith", "2015-04-03", "F", "QC4 4DD",
                      "22 Bracken Walk, Northmoor", "9000000076"),
                 _row("NEW1", "housing-la1", "Bartholomew", "Quigley", "1975-08-19", "M",
                      "QC9 9ZZ", "3 Tannery Mews, Saltmere")]
        _load(store, tmp_path, extra, "extra")
        report = resolve_records(store, settings)
        after = {k: v["person"] for k, v in _assignments(store).items()}
        assert {k: after[k] for k in first} == first            # every old key kept
        assert after["health:KS3"] == first["edu-la1:KS1"]      # joined the existing person
        assert after["housing-la1:NEW1"] not in set(first.values())
        assert report.new_keys == 1 and report.moved_records == 0


def test_decisions_win_over_the_model_and_are_kept(tmp_path):
    store, _rows = _small_store(tmp_path, "decide")
    with store:
        settings = ResolveSettings(model_dir=str(tmp_path / "models"))
        resolve_records(store, settings)
        a = _assignments(store)
        assert a["edu-la1:KS1"]["person"] == a["police:KS2"]["person"]
        assert a["health:CF1"]["person"] != a["health:CF2"]["person"]

        record_decision(store, "edu-la1:KS1", "police:KS2", "different",
                        "school confirmed these are cousins", decided_by="analyst1")
        record_decision(store, "health:CF1", "health:CF2", "same",
                        "GP merged the duplicate NHS registration", decided_by="analyst2")
        resolve_records(store, settings)
        a = _assignments(store)
        assert a["edu-la1:KS1"]["person"] != a["police:KS2"]["person"]
        assert a["health:CF1"]["person"] == a["health:CF2"]["person"]   # beats the NHS guard
        assert "decision" in {a["health:CF1"]["method"], a["health:CF2"]["method"]}

        stored = sorted(store.read(DECISIONS_CYPHER).records(), key=lambda d: d["by"])
        assert [(d["a"], d["b"], d["decision"], d["by"]) for d in stored] == [
            ("edu-la1:KS1", "police:KS2", "different", "analyst1"),
            ("health:CF1", "health:CF2", "same", "analyst2")]
        assert stored[0]["reason"] == "school confirmed these are cousins"
        assert dt.datetime.fromisoformat(stored[0]["at"]).tzinfo is not None

        # Still applied on the next run, and decided pairs leave the review band.
        resolve_records(store, settings)
        a = _assignments(store)
        assert a["edu-la1:KS1"]["person"] != a["police:KS2"]["person"]
        assert a["health:CF1"]["person"] == a["health:CF2"]["person"]
        decided = {"edu-la1:KS1|police:KS2", "health:CF1|health:CF2"}
        assert not decided & {p["key"] for p in review_pairs(store, limit=10_000)}

        # A later decision about the same pair supersedes the earlier one.
        record_decision(store, "edu-la1:KS1", "police:KS2", "same", "checked again: same child",
                        decided_by="analyst1")
        resolve_records(store, settings)
        a = _assignments(store)
        assert a["edu-la1:KS1"]["person"] == a["police:KS2"]["person"]

        with pytest.raises(ValidationError, match="no Record"):
            record_decision(store, "edu-la1:KS1", "police:NOPE", "same", "typo", decided_by="x")
        with pytest.raises(ConfigError):
            record_decision(store, "edu-la1:KS1", "police:KS2", "maybe", "unsure", decided_by="x")


def test_cli_run_review_decide_explain_export(tmp_path):
    store, _rows = _small_store(tmp_path, "cli")
    store.close()
    db = str(tmp_path / "cli")
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db, "resolve", "run", "--model-dir", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert "records ->" in result.output and "persons" in result.output

    result = runner.invoke(cli, ["--db", db, "resolve", "review", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "Decide with: mashgraph resolve decide" in result.output

    result = runner.invoke(cli, ["--db", db, "resolve", "decide", "csc-la1:TW1", "csc-la1:TW2",
                                 "different", "--reason", "twins, checked school roll", "--by", "amy"])
    assert result.exit_code == 0, result.output
    assert "different people" in result.output and "amy" in result.output

    result = runner.invoke(cli, ["--db", db, "resolve", "decide", "csc-la1:TW1", "csc-la1:NOPE",
                                 "same", "--reason", "x"])
    assert result.exit_code != 0 and "no Record" in result.output

    out = tmp_path / "export.csv"
    result = runner.invoke(cli, ["--db", db, "resolve", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    person = next(r["person_key"] for r in rows if r["record_key"] == "police:KH2")
    result = runner.invoke(cli, ["--db", db, "resolve", "explain", person])
    assert result.exit_code == 0, result.output
    assert "health:KH1" in result.output and "police:KH2" in result.output

    result = runner.invoke(cli, ["--db", db, "resolve", "run", "--threshold", "0.3"])
    assert result.exit_code == 2 and "review_low" in result.output

    # bare `mashgraph resolve` is `resolve run`; the stored decision is applied, not ignored
    result = runner.invoke(cli, ["--db", db, "resolve"])
    assert result.exit_code == 0, result.output
    assert "records ->" in result.output and "0 decisions ignored" in result.output


@pytest.mark.parametrize("min_records_to_train", [1000, 300], ids=["bundled-model", "trained"])
def test_synthetic_extracts_resolve_against_truth(tmp_path, min_records_to_train):
    """All ten synthetic agency formats, ingested with their mappings, resolved and scored."""
    from mashgraph.ingest.jobs import run_job
    from mashgraph.ingest.synth import generate

    generate(tmp_path / "synth", 1000, 3)
    with open_store(str(tmp_path / "graph"), load_settings(environ={})) as store:
        job = run_job(store, tmp_path / "synth" / "job.yml", quarantine_dir=tmp_path / "q")
        assert not [s.name for s in job.sources if s.failed]
        report = resolve_records(store, ResolveSettings(model_dir=str(tmp_path / "models"),
                                                        min_records_to_train=min_records_to_train))
        assignment = {k: v["person"] for k, v in _assignments(store).items()}
    assert report.model_source.startswith("trained" if min_records_to_train == 300 else "bundled")
    with (tmp_path / "synth" / "truth" / "records.csv").open(newline="") as fh:
        truth = {row["record_key"]: row["true_person_id"] for row in csv.DictReader(fh)}
    assert set(truth) == set(assignment)

    def pairs(mapping):
        groups = defaultdict(list)
        for record, who in mapping.items():
            groups[who].append(record)
        return {(x, y) for g in groups.values() for x in g for y in g if x < y}

    true_pairs, found = pairs(truth), pairs(assignment)
    assert len(found & true_pairs) / len(found) >= 0.99
    assert len(found & true_pairs) / len(true_pairs) >= 0.95


def test_resolve_on_every_backend(store, tmp_path):
    """The same small run on each store (embedded, FalkorDB server, Neo4j)."""
    rows = _planted()
    _load(store, tmp_path, rows, "planted")
    report = resolve_records(store, ResolveSettings(model_dir=str(tmp_path / "models")))
    assert report.records == len(rows)
    a = _assignments(store)
    assert len(a) == len(rows)
    assert a["health:EX1"]["person"] == a["csc-la1:EX2"]["person"]
    assert a["health:CF1"]["person"] != a["health:CF2"]["person"]
    again = resolve_records(store, ResolveSettings(model_dir=str(tmp_path / "models")))
    assert again.new_keys == 0


def test_an_unwritable_model_folder_is_a_clear_error_and_writes_nothing(tmp_path):
    from mashgraph.errors import ConfigError

    store, _rows = _small_store(tmp_path, "nomodel")
    (tmp_path / "a-file").write_text("not a folder")
    with store:
        with pytest.raises(ConfigError) as info:
            resolve_records(store, ResolveSettings(model_dir=str(tmp_path / "a-file" / "models")))
        assert "cannot write the trained model" in info.value.one_line()
        assert store.read("MATCH (p:Person) RETURN count(p) AS n").value() == 0


def _people_by_record(path: Path) -> dict[str, str]:
    with open(path, newline="") as fh:
        return {row["record_key"]: row["person_key"] for row in csv.DictReader(fh)}


def _same_person_pairs(assignment: dict[str, str]) -> set[tuple[str, str]]:
    groups = defaultdict(list)
    for record, person in assignment.items():
        groups[person].append(record)
    return {(x, y) for g in groups.values() for x in g for y in g if x < y}


def test_thirty_nightly_increments_end_in_the_persons_of_one_full_run(tmp_path):
    """A full run on 70% of the records, then 30 nightly increments (one re-sends
    changed records), against one full run on the final data (which trains its own model)."""
    rows, _truth = _population(300, seed=11)
    random.Random(3).shuffle(rows)
    base, rest = rows[:int(len(rows) * 0.7)], rows[int(len(rows) * 0.7):]
    moved = [dict(r, postcode="QZ9 9ZZ", address="1 New Street, Farhaven") for r in base[:5]]
    settings = ResolveSettings(model_dir=str(tmp_path / "models"), min_records_to_train=300)
    with open_store(str(tmp_path / "graph"), load_settings(environ={})) as store:
        _load(store, tmp_path, base, "base")
        first = resolve_records(store, settings)
        assert first.mode == "full"
        keys_before = _assignments(store)
        for day in range(30):
            _load(store, tmp_path, rest[day::30] + (moved if day == 10 else []), f"day{day}")
            report = resolve_records(store, settings, incremental=True)
            assert report.mode.startswith("incremental"), report.mode
            assert report.model_source.startswith("saved model of")  # no training
            assert report.fresh_records == len(rest[day::30]) + (5 if day == 10 else 0)
        after = _assignments(store)
        # existing persons keep their keys unless their records changed
        kept = [r for r in keys_before if after[r]["person"] == keys_before[r]["person"]]
        assert len(kept) >= len(keys_before) - 10
        export_assignments(store, tmp_path / "incremental.csv")
        full = resolve_records(store, settings)
        assert full.mode == "full"
        export_assignments(store, tmp_path / "full.csv")
    incremental = _same_person_pairs(_people_by_record(tmp_path / "incremental.csv"))
    complete = _same_person_pairs(_people_by_record(tmp_path / "full.csv"))
    agreement = len(incremental & complete) / len(incremental | complete)
    assert agreement >= 0.999, (agreement, sorted(incremental ^ complete))


def test_an_increment_falls_back_to_a_full_run_when_it_cannot_split_a_person(tmp_path):
    rows, _truth = _population(40, seed=2)
    settings = ResolveSettings(model_dir=str(tmp_path / "models"))
    with open_store(str(tmp_path / "graph"), load_settings(environ={})) as store:
        _load(store, tmp_path, rows, "people")
        assert "no saved state" in resolve_records(store, settings, incremental=True).mode
        resolve_records(store, settings)
        person = next(p for p in _people_by_groups(store) if len(p) > 1)
        record_decision(store, person[0], person[1], "different", "checked: two people")
        report = resolve_records(store, settings, incremental=True)
        assert report.mode.startswith("full (incremental not possible: a human decided")
        after = _assignments(store)
        assert after[person[0]]["person"] != after[person[1]]["person"]
        assert resolve_records(store, settings, incremental=True).mode.startswith("incremental")


def _people_by_groups(store) -> list[list[str]]:
    groups = defaultdict(list)
    for record, row in sorted(_assignments(store).items()):
        groups[row["person"]].append(record)
    return list(groups.values())
# -- display names (issue 10, item 15) --------------------------------------------------------

def test_display_name_comes_from_the_most_trusted_records_case_insensitively():
    from mashgraph.ingest.resolve.display import NameVote, pick_display_name

    # Police's capitals lose to the same name as children's social care writes it.
    choice = pick_display_name([NameVote("Simon PORTER", "police", "2025-01-02", "Police"),
                                NameVote("simon porter", "housing", "2025-02-01", "Housing"),
                                NameVote("Simon Porter", "childrens_social_care", "2024-05-01", "CSC"),
                                NameVote("Si Porter", "health", "2023-01-01", "Health")])
    assert choice.name == "Simon Porter"   # 1 + 2 + 4 = 7 beats health's 5 for 'Si Porter'
    assert "the name on 3 of 4 records" in choice.evidence and "next 'Si Porter' with trust 5" in choice.evidence
    assert "written as CSC writes it" in choice.evidence
    # A tie on trust goes to the most recently loaded record, not to the alphabet.
    later = pick_display_name([NameVote("Zoe Able", "police", "2025-03-01"), NameVote("Anna Able", "police", "2024-01-01")])
    assert later.name == "Zoe Able" and "loaded more recently" in later.evidence
    # Then to the most trusted single record; the alphabet only when everything is equal.
    trusted = pick_display_name([NameVote("Zoe Able", "health", "x"), NameVote("Anna Able", "police", "x"),
                                 NameVote("Anna Able", "police", "x"), NameVote("Anna Able", "police", "x"),
                                 NameVote("Anna Able", "police", "x"), NameVote("Anna Able", "police", "x")])
    assert trusted.name == "Zoe Able" and "more trusted record" in trusted.evidence
    assert pick_display_name([NameVote("", "police")]).name is None


def test_resolution_stores_the_display_name_and_its_evidence(resolved):
    store, _report, _truth, _tmp = resolved
    rows = store.read("MATCH (p:Person) RETURN p.display_name AS n, p.display_name_evidence AS e").records()
    assert rows and all(r["e"] and r["e"].startswith("shown as '") for r in rows if r["n"])
    # No shown name is written in capitals (police: 'Ann SMITH') when a record of the same person
    # writes the same name properly.
    from mashgraph.ingest.resolve.display import _well_written

    names = defaultdict(set)
    for r in store.read("MATCH (p:Person)<-[:RESOLVES_TO]-(r:Record) RETURN p.key AS p, p.display_name AS shown, "
                        "r.given_name + ' ' + r.family_name AS held").records():
        names[(r["p"], r["shown"])].add(r["held"])
    capitals = [(shown, held) for (_p, shown), held in names.items()
                if not _well_written(shown) and any(h.casefold() == shown.casefold() and _well_written(h) for h in held)]
    assert capitals == []
    assert any(not _well_written(h) for held in names.values() for h in held), "the data should hold capitals"
