"""The partnership dashboard's figures (graph/partnership.py, queries/partnership-*.cypher)
against figures computed straight from the synthetic data, the planted changes, the page,
its CSV downloads and the report file.

One world of 3,000 people in two local authorities with the partnership changes planted
(``generate(..., partnership=PartnershipPlan())``), and its twin without them (same seed),
are loaded and linked by the truth. Referral figures are recomputed in Python from the
extract files and ``truth/records.csv``; sharing figures from the raw events of the graph
with DESIGN's definition of "knows" written again here (not from the stored facts).
"""

from __future__ import annotations

import csv
import datetime as dt
import glob
import json
import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from mashgraph.cli import cli
from mashgraph.graph import open_store
from mashgraph.graph.partnership import PANELS, Filters, Period, run_panel
from mashgraph.graph.saved_queries import load_library
from mashgraph.ingest.jobs import run_job, run_source
from mashgraph.ingest.synth.generate import generate
from mashgraph.ingest.synth.partnership import PartnershipPlan
from mashgraph.settings import load_settings
from mashgraph.web import create_app
from mashgraph.web.accounts import Accounts
from truth_links import link_by_truth

LIBRARY = load_library()
PEOPLE, SEED = 8000, 11
PASSWORD = "correct horse battery staple"


def _build(root: Path, plan: PartnershipPlan | None):
    generate(root / "synth", PEOPLE, SEED, authorities=2, pattern_rate=0, partnership=plan)
    settings = load_settings(environ={}).with_overrides(linked_risk_refresh=False)
    store = open_store(str(root / "graph"), settings)
    store.ensure_schema()
    run_job(store, root / "synth" / "job.yml", quarantine_dir=root / "q")
    link_by_truth(store, root / "synth" / "truth" / "records.csv")
    return store


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    store = _build(root, PartnershipPlan())
    yield root / "synth", store
    store.close()


@pytest.fixture(scope="module")
def unplanted(tmp_path_factory):
    root = tmp_path_factory.mktemp("unplanted")
    store = _build(root, None)
    yield root / "synth", store
    store.close()


def panel(store, name: str, period: str = "all", la: str = "", agency: str = "") -> list[dict]:
    p = next(p for p in PANELS if p.name == name)
    return run_panel(store, LIBRARY, p, Filters(Period.parse(period), la, agency)).records()


# -- the synthetic data, read straight from the files -------------------------------------------

def _rows(synth: Path, pattern: str) -> list[dict[str, str]]:
    rows = []
    for path in sorted(glob.glob(str(synth / "extracts" / pattern))):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def _day(text: str) -> dt.date:
    text = text[:10]
    return dt.date.fromisoformat(text) if "-" in text else dt.datetime.strptime(text, "%Y%m%d").date()


def contacts(synth: Path) -> dict[str, dict]:
    """Every CSC contact once (a contact about two children has two rows), by referral key."""
    out = {}
    for r in _rows(synth, "csc_contacts_*.csv"):
        out.setdefault(f"{r['agency']}:{r['contact_id']}", {
            "date": _day(r["contact_datetime"]), "maker": r["source_agency"] or "(no agency)",
            "outcome": r["outcome"], "rag": r["rag"], "la": r["agency"].split("-")[1],
            "decision": _day(r["decision_date"]) if r["decision_date"] else None, "records": set()})
        out[f"{r['agency']}:{r['contact_id']}"]["records"].add(f"{r['agency']}:{r['person_id']}")
    return out


def asc_concerns(synth: Path) -> dict[str, dict]:
    return {f"{r['agency']}:{r['concern_id']}": {
        "date": _day(r["received_date"]), "maker": r["source_agency"] or "(no agency)", "rag": "(none)",
        "la": r["agency"].split("-")[1], "decision": _day(r["decision_date"]) if r["decision_date"] else None}
        for r in _rows(synth, "asc_concerns_*.csv")}


def in_period(d: dt.date, period: Period) -> bool:
    return period.since <= d <= period.until


OUTCOMES = ("nfa", "advice_signpost", "early_help", "s17_assessment", "s47_strategy", "immediate_protection")


def thresholds_from_files(synth: Path, period: Period, la: str = "") -> dict[str, tuple]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for c in contacts(synth).values():
        if in_period(c["date"], period) and (not la or c["la"] == la):
            for who in (c["maker"], "(hub)"):
                counts[who].update(["referrals", c["outcome"], c["rag"]])
    return {who: tuple(n[k] for k in ("referrals",) + OUTCOMES + ("RED", "AMBER", "GREEN"))
            for who, n in counts.items()}


def working_days(start: dt.date, end: dt.date) -> int:
    return sum(1 for i in range(1, (end - start).days + 1) if (start + dt.timedelta(days=i)).weekday() < 5)


def timeliness_from_files(synth: Path, period: Period) -> dict[tuple, tuple[int, int]]:
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for c in list(contacts(synth).values()) + list(asc_concerns(synth).values()):
        if c["decision"] is None or c["decision"] < c["date"] or not in_period(c["date"], period):
            continue
        cell = out[(c["maker"], c["rag"] or "(none)", f"{c['date']:%Y-%m}")]
        cell[0] += 1
        cell[1] += working_days(c["date"], c["decision"]) <= 1
    return {k: tuple(v) for k, v in out.items()}


def plus_12_months(d: dt.date) -> dt.date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


def re_referrals_from_files(synth: Path, period: Period) -> dict[str, tuple[int, int]]:
    with open(synth / "truth" / "records.csv", encoding="utf-8") as fh:
        person_of = {r["record_key"]: r["true_person_id"] for r in csv.DictReader(fh)}
    by_person: dict[str, list[tuple[dt.date, str, str]]] = defaultdict(list)
    for key, c in contacts(synth).items():
        for person in {person_of[rec] for rec in c["records"]}:
            by_person[person].append((c["date"], key, c["outcome"]))
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for refs in by_person.values():
        refs.sort()
        firsts = [r for r in refs if in_period(r[0], period)]
        if not firsts:
            continue
        first = firsts[0]
        again = any(first[0] < d <= plus_12_months(first[0]) for d, _, _ in refs)
        out[first[2]][0] += 1
        out[first[2]][1] += again
    return {k: tuple(v) for k, v in out.items()}


# -- the figures against the files ------------------------------------------------------------

@pytest.mark.parametrize("period, la", [("all", ""), ("2024", ""), ("2025Q1", "la2")])
def test_thresholds_match_the_extracts(planted, period, la):
    synth, store = planted
    rows = panel(store, "thresholds", period, la)
    got = {r["agency"]: (r["referrals"],) + tuple(r[o] for o in OUTCOMES) + (r["red"], r["amber"], r["green"])
           for r in rows}
    assert got == thresholds_from_files(synth, Period.parse(period), la)
    assert rows[-1]["agency"] == "(hub)" and rows[-1]["below_vs_hub"] == pytest.approx(0)


@pytest.mark.parametrize("period", ["all", "2023Q4"])
def test_timeliness_matches_the_extracts(planted, period):
    synth, store = planted
    got = {(r["agency"], r["rag"], r["month"]): (r["decided"], r["on_time"]) for r in panel(store, "timeliness", period)}
    assert got == timeliness_from_files(synth, Period.parse(period))
    # the background decides within a working day; the planted backlog of December 2023 does not
    planted_late = json.loads((synth / "truth" / "partnership.json").read_text())["late_decisions"]
    assert sum(d - on_time for d, on_time in got.values()) == planted_late > 0


@pytest.mark.parametrize("period", ["all", "2023"])
def test_re_referrals_match_the_extracts_and_truth(planted, period):
    synth, store = planted
    got = {r["first_outcome"]: (r["children"], r["re_referred"]) for r in panel(store, "rereferrals", period)}
    assert got == re_referrals_from_files(synth, Period.parse(period))
    assert sum(n for n, _ in got.values()) > 20


# -- sharing: the stored facts and queries against DESIGN's "knows", recomputed from raw events ---

RAW_INVOLVED = """
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
RETURN p.key AS person, collect(DISTINCT a.key) AS involved
"""
RAW_EVENTS = """
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT|INVOLVES|FOR]-(x)-[:RAISES]->(c:Concern)
WITH DISTINCT p, c, x
OPTIONAL MATCH (x)<-[:MADE|RECORDED|RUNS]-(ra:Agency)
OPTIONAL MATCH (x)-[:TO|SHARED_WITH]->(ta:Agency)
RETURN p.key AS person, c.key AS concern, coalesce(x.date, x.start) AS d,
       collect(DISTINCT ra.key) AS raisers, collect(DISTINCT ta.key) AS told
"""


def sharing_from_raw_events(store):
    """(person -> involved agencies, (person, concern) -> knowers, (person, concern, raiser) -> first YYYYMM)."""
    involved = {r["person"]: set(r["involved"]) for r in store.read(RAW_INVOLVED).records()}
    knowers: dict[tuple, set] = defaultdict(set)
    first: dict[tuple, int] = {}
    for r in store.read(RAW_EVENTS).records():
        knowers[(r["person"], r["concern"])].update(r["raisers"] + r["told"])
        if r["d"] is not None:
            for raiser in r["raisers"]:
                key, month = (r["person"], r["concern"], raiser), r["d"].year * 100 + r["d"].month
                first[key] = min(first.get(key, month), month)
    return involved, knowers, first


def trend_from_raw(store, period: Period, agency: str = "") -> dict[str, tuple[int, int]]:
    involved, knowers, first = sharing_from_raw_events(store)
    months: dict[tuple, int] = {}
    for (person, concern, raiser), month in first.items():
        if not agency or raiser == agency:
            months[(person, concern)] = min(months.get((person, concern), month), month)
    lo, hi = period.since.year * 100 + period.since.month, period.until.year * 100 + period.until.month
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (person, concern), month in months.items():
        if not lo <= month <= hi:
            continue
        for a in involved.get(person, ()):
            if a != agency:
                cell = out[f"{month // 100}-{month % 100:02d}"]
                cell[0] += 1
                cell[1] += a in knowers[(person, concern)]
    return {k: tuple(v) for k, v in out.items()}


def matrix_from_raw(store, period: Period) -> dict[tuple, tuple[int, int]]:
    involved, knowers, first = sharing_from_raw_events(store)
    lo, hi = period.since.year * 100 + period.since.month, period.until.year * 100 + period.until.month
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for (person, concern, raiser), month in first.items():
        agencies = involved.get(person, set())
        if lo <= month <= hi and raiser in agencies and len(agencies) >= 2:
            for b in agencies - {raiser}:
                out[(raiser, b)][0] += 1
                out[(raiser, b)][1] += b in knowers[(person, concern)]
    return {k: tuple(v) for k, v in out.items()}


@pytest.mark.parametrize("period, agency", [("all", ""), ("2024", ""), ("all", "police"), ("2023Q2", "health")])
def test_sharing_trend_matches_knows_recomputed_from_raw_events(planted, period, agency):
    _, store = planted
    got = {r["month"]: (r["pairs"], r["known"]) for r in panel(store, "sharing", period, agency=agency)}
    assert got == trend_from_raw(store, Period.parse(period), agency)
    assert got


@pytest.mark.parametrize("period", ["all", "2024Q4"])
def test_sharing_matrix_matches_knows_recomputed_from_raw_events(planted, period):
    _, store = planted
    got = {(r["raised_by"], r["known_to"]): (r["concerns"], r["known"]) for r in panel(store, "matrix", period)}
    assert got == matrix_from_raw(store, Period.parse(period))
    assert got


def test_sharing_matrix_over_all_time_is_the_stored_agency_sharing_matrix(unplanted):
    """Over every month, the period matrix is agency-sharing-matrix (where no event is undated)."""
    _, store = unplanted
    undated = store.read("MATCH (x)-[:RAISES]->(:Concern) WHERE coalesce(x.date, x.start) IS NULL "
                         "RETURN count(x) AS n").value()
    assert undated == 0
    from mashgraph.graph.saved_queries import run_saved_query
    whole, _ = run_saved_query(store, LIBRARY["agency-sharing-matrix"], {}, row_cap=-1)
    expected = {(r["raised_by"], r["known_to"]): (r["concerns"], r["known"]) for r in whole}
    got = {(r["raised_by"], r["known_to"]): (r["concerns"], r["known"]) for r in panel(store, "matrix")}
    assert got == expected


# -- the planted changes show on the dashboard ---------------------------------------------------

def _pooled(rows: list[dict], before: str) -> tuple[float, float]:
    """Share known before the month ``before`` and from it on."""
    def share(sel):
        return sum(r["known"] for r in sel) / sum(r["pairs"] for r in sel)
    return share([r for r in rows if r["month"] < before]), share([r for r in rows if r["month"] >= before])


def test_planted_sharing_improvement_shows_in_the_agency_trend(planted, unplanted):
    synth, store = planted
    truth = json.loads((synth / "truth" / "partnership.json").read_text())
    agency, start = truth["plan"]["sharing_agency"], truth["plan"]["sharing_from"][:7]
    assert (agency, start) == ("police", "2024-01") and truth["events_shared"] > 30
    before, after = _pooled(panel(store, "sharing", agency=agency), start)
    assert after - before > 0.4          # measured: 0.30 -> 0.79
    twin_before, twin_after = _pooled(panel(unplanted[1], "sharing", agency=agency), start)
    assert abs(twin_after - twin_before) < 0.1   # without the plant: 0.28 -> 0.25
    assert not (unplanted[0] / "truth" / "partnership.json").exists()


def test_planted_lower_threshold_shows_against_the_hub(planted, unplanted):
    synth, store = planted
    truth = json.loads((synth / "truth" / "partnership.json").read_text())
    agency = truth["plan"]["threshold_agency"]
    rows = {r["agency"]: r for r in panel(store, "thresholds")}
    twin = {r["agency"]: r for r in panel(unplanted[1], "thresholds")}
    assert rows[agency]["referrals"] - twin[agency]["referrals"] == truth["extra_contacts"] > 10
    assert rows[agency]["below_vs_hub"] >= 0.15          # measured: +18 points
    assert twin[agency]["below_vs_hub"] < 0.10           # measured: +6 points
    # every other agency's referrals are the same in both worlds
    assert {a: r["referrals"] for a, r in rows.items() if a not in (agency, "(hub)")} == {
        a: r["referrals"] for a, r in twin.items() if a not in (agency, "(hub)")}


# -- the page, its downloads and the report --------------------------------------------------------

@pytest.fixture(scope="module")
def users_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("users") / "users.sqlite"
    accounts = Accounts(path)
    accounts.add_user("ana", PASSWORD, "analyst")
    accounts.close()
    return path


def signed_in(store, users_db, tmp_path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = tmp_path / "users.sqlite"
    shutil.copyfile(users_db, db)
    app = create_app({"TESTING": True, "STORE": store, "MASHGRAPH_USERS_DB": str(db)})
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    assert client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token}).status_code == 302
    return app, client


def test_dashboard_names_the_planted_changes_and_only_them(planted, unplanted, users_db, tmp_path):
    pages = {}
    for name, (_, store) in (("planted", planted), ("unplanted", unplanted)):
        app, client = signed_in(store, users_db, tmp_path / name)
        for query in ("", "?agency=police"):
            page = client.get("/partnership" + query)
            assert page.status_code == 200
            pages[name + query] = page.get_data(as_text=True)
        app.extensions["mashgraph"].accounts.close()
    police = pages["planted?agency=police"]
    assert "police&#39;s concerns" in police and police.count("<svg") == len(PANELS)
    named = r"health: \d+% of its \d+ referrals ended in no further action or advice, \d+ points more than the hub"
    assert re.search(named, pages["planted"]) and not re.search(named, pages["unplanted"])


def test_page_is_audited_and_late_cases_are_one_click_away(planted, users_db, tmp_path):
    _, store = planted
    app, client = signed_in(store, users_db, tmp_path)
    page = client.get("/partnership?period=2023Q4&la=la1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    entries = app.extensions["mashgraph"].accounts.audit_entries(action="view_partnership")
    assert len(entries) == 1 and '"period": "2023Q4"' in entries[0].what and '"la": "la1"' in entries[0].what
    late = [r for r in panel(store, "timeliness", "2023Q4", "la1") if r["late"]]
    links = re.findall(r'href="(/queries/late-decisions\?[^"]+)"', html)
    assert len(links) == len(late) > 0
    client.post("/reason", data={"reason": "board report", "next": "/", "csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/reason").get_data(as_text=True))[1]})
    listed = client.get(links[0].replace("&amp;", "&")).get_data(as_text=True)
    assert listed.count("<tr>") - 1 == late[0]["late"]   # the late referrals of that agency, RAG and month


def test_csv_download_is_the_panel_and_is_audited(planted, users_db, tmp_path):
    _, store = planted
    app, client = signed_in(store, users_db, tmp_path)
    response = client.get("/partnership/thresholds.csv?period=2024")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith('"agency","referrals","nfa"')
    assert len(lines) == 1 + len(panel(store, "thresholds", "2024"))
    assert app.extensions["mashgraph"].accounts.audit_entries(action="export")
    assert client.get("/partnership/nothing.csv").status_code == 404
    assert client.get("/partnership?period=2025Q5").status_code == 400


def test_dashboard_needs_a_login(planted, users_db, tmp_path):
    db = tmp_path / "users.sqlite"
    shutil.copyfile(users_db, db)
    app = create_app({"TESTING": True, "STORE": planted[1], "MASHGRAPH_USERS_DB": str(db)})
    for path in ("/partnership", "/partnership/sharing.csv"):
        response = app.test_client().get(path)
        assert response.status_code in (302, 401) and "/login" in response.headers.get("Location", "/login")


def test_report_is_one_self_contained_file(planted, tmp_path):
    synth, store = planted
    out = tmp_path / "board.html"
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(synth.parent / "graph"), "report", "partnership", "--period", "2025Q1",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == len(PANELS) and "Partnership report: 2025Q1" in html
    assert not re.search(r"<script|<link|<img|\bsrc=|@import|url\(", html)
    assert re.findall(r'https?://[^"\s<]+', html) == ["http://www.w3.org/2000/svg"] * len(PANELS)
    bad = runner.invoke(cli, ["--db", str(synth.parent / "graph"), "report", "partnership", "--period", "2025Q9",
                              "--out", str(out)])
    assert bad.exit_code != 0 and "2025Q9" in bad.output and len(bad.output.strip().splitlines()) == 1


# -- data quality: runs, reasons, fill rates; hostile names stay text ---------------------------------

PEOPLE_HEADER = "record_id,agency,given_name,family_name,dob,sex,postcode,address,nhs_number,upn,pnc_id,ni_number"


def test_data_quality_panels_count_every_row_and_keep_names_as_text(embedded_store, tmp_path):
    extract = tmp_path / "people.csv"
    extract.write_text(PEOPLE_HEADER + "\n" + "\n".join([
        "1,=HYPERLINK(1),Ann,Smith,2001-02-03,F,QA3 2LB,,9434765919,,,",
        "2,=HYPERLINK(1),Bob,Jones,1990-12-31,M,,,9434765918,,,",       # bad NHS number: warning
        ",=HYPERLINK(1),No,Id,,,,,,,,",                                # no record_id: quarantined
        "3,<script>x</script>,Cy,Lee,1980-01-01,M,,,,,,QH482013C",
    ]) + "\n", encoding="utf-8")
    report = run_source(embedded_store, "people", [extract], quarantine_dir=tmp_path / "q")
    runs = panel(embedded_store, "quality_extracts")
    assert [(r["read"], r["loaded"], r["quarantined"], r["warnings"], r["reasons"], r["warning_reasons"])
            for r in runs] == [(report.read, report.loaded, report.quarantined, report.warnings,
                                "missing_required|1", "invalid_nhs_number|1")] == [(4, 3, 1, 1, "missing_required|1",
                                                                                    "invalid_nhs_number|1")]
    agencies = {r["agency"]: r for r in panel(embedded_store, "quality_agencies")}
    assert agencies["=HYPERLINK(1)"]["records"] == 2 and agencies["=HYPERLINK(1)"]["nhs_number"] == 0.5
    assert agencies["<script>x</script>"]["ni_number"] == 1.0 and agencies["<script>x</script>"]["linked"] == 0.0
    from mashgraph.graph.format import format_result
    from mashgraph.graph.partnership import run_panel as run
    p = next(p for p in PANELS if p.name == "quality_agencies")
    csv_text = format_result(run(embedded_store, LIBRARY, p, Filters(Period.parse("all"))), "csv")
    assert '"\'=HYPERLINK(1)"' in csv_text and '"=HYPERLINK' not in csv_text
    from mashgraph.web.partnership_view import build_dashboard
    from mashgraph.web.report import render_partnership_report
    html = render_partnership_report(build_dashboard(embedded_store, LIBRARY, Filters(Period.parse("all"))))
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
