"""Synthetic data generator: determinism, ground truth, calibration, bad rows, data quality."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import date
from functools import partial
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from mashgraph.cli import cli
from mashgraph.graph.concerns import ALL_CONCERNS, REFERRAL_SOURCES
from mashgraph.ingest.synth import generate
from mashgraph.ingest.synth.config import FACTORS, QUALITY, SOURCE_GROUPS, CALIBRATION
from mashgraph.ingest.identifiers import in_normal_form

FIXTURE = Path(__file__).parent / "fixtures" / "synth"

# The generator's identifiers must pass the rules ingestion checks, written in their normal form.
valid_nhs_number = partial(in_normal_form, "nhs_number")
valid_pnc_id = partial(in_normal_form, "pnc_id")
valid_upn = partial(in_normal_form, "upn")

# Local-id column of each text format (Record.key = agency + ":" + local id).
_CSV_FORMATS = {
    "police_incidents": ("cp1252", "nominal_id", "police"),
    "csc_contacts": ("utf-8-sig", "person_id", None),
    "csc_household_members": ("utf-8-sig", "person_id", None),
    "csc_episodes": ("utf-8-sig", "person_id", None),
    "housing_events": ("utf-8", "person_ref", None),
    "asc_concerns": ("utf-8", "person_id", None),
    "probation_cases": ("utf-8", "crn", "probation"),
}


def _files_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _job(root: Path) -> dict[str, list[Path]]:
    job = yaml.safe_load((root / "job.yml").read_text(encoding="utf-8"))
    return {s["mapping"]: [root / f for f in s["files"]] for s in job["sources"]}


def _csv_rows(path: Path, encoding: str) -> list[dict[str, str]]:
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


def _record_keys(root: Path) -> set[str]:
    """Every Record key the extracts of ``root`` hold (good rows only)."""
    keys: set[str] = set()
    for mapping, files in _job(root).items():
        for path in files:
            if mapping in _CSV_FORMATS:
                encoding, column, agency = _CSV_FORMATS[mapping]
                for row in _csv_rows(path, encoding):
                    keys.add(f"{agency or row['agency']}:{row[column]}")
            elif mapping == "health_events":
                for line in path.read_text(encoding="utf-8").splitlines():
                    keys.add("health:" + json.loads(line)["patient"]["patient_id"])
            elif mapping == "education_events":
                ws = load_workbook(path, read_only=True)["Events"]
                rows = ws.iter_rows(values_only=True)
                header = next(rows)
                for row in rows:
                    r = dict(zip(header, row))
                    keys.add(f"{r['agency']}:{r['upn']}")
    return keys


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "small"
    generate(out, 600, seed=5, authorities=2)
    return out


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 12,000 people with a raised contact rate: ~2,000 contacts to calibrate on."""
    out = tmp_path_factory.mktemp("synth") / "large"
    generate(out, 12000, seed=21, authorities=2, pattern_rate=0, contact_chain=0.6)
    return out


def test_same_seed_same_bytes_different_seed_differs(tmp_path: Path) -> None:
    generate(tmp_path / "a", 300, seed=3, authorities=2, bad_rows=0.02)
    generate(tmp_path / "b", 300, seed=3, authorities=2, bad_rows=0.02)
    generate(tmp_path / "c", 300, seed=4, authorities=2, bad_rows=0.02)
    a, b, c = (_files_bytes(tmp_path / x) for x in "abc")
    assert a == b
    assert a.keys() == c.keys()
    assert a["extracts/police_incidents.csv"] != c["extracts/police_incidents.csv"]
    assert a["truth/people.csv"] != c["truth/people.csv"]


def test_job_lists_every_extract(small: Path) -> None:
    job = _job(small)
    listed = sorted(str(p.relative_to(small)) for files in job.values() for p in files)
    on_disk = sorted(str(p.relative_to(small)) for p in (small / "extracts").iterdir())
    assert listed == on_disk
    assert list(job)[0] == "agencies"
    assert set(job) == {"agencies", "police_incidents", "csc_contacts", "csc_household_members", "csc_episodes",
                        "health_events", "education_events", "housing_events", "asc_concerns", "probation_cases"}
    assert [p.name for p in job["csc_contacts"]] == ["csc_contacts_la1.csv", "csc_contacts_la2.csv"]


def test_every_record_in_extracts_is_in_truth(small: Path) -> None:
    truth = {r["record_key"]: r["true_person_id"] for r in _csv_rows(small / "truth" / "records.csv", "utf-8")}
    people = {r["person_id"] for r in _csv_rows(small / "truth" / "people.csv", "utf-8")}
    in_extracts = _record_keys(small)
    assert in_extracts == set(truth)
    assert set(truth.values()) <= people
    agencies = {r["agency_key"] for r in _csv_rows(small / "extracts" / "agencies.csv", "utf-8")}
    assert agencies == {"police", "health", "probation"} | {f"{k}-la{n}" for k in ("csc", "asc", "edu", "housing")
                                                           for n in (1, 2)}
    assert {k.split(":")[0] for k in truth} <= agencies


def test_referral_links_point_at_real_contacts(small: Path) -> None:
    contacts = {}
    for path in _job(small)["csc_contacts"]:
        for row in _csv_rows(path, "utf-8-sig"):
            contacts[f"{row['agency']}:{row['contact_id']}"] = row
    police = _csv_rows(small / "extracts" / "police_incidents.csv", "cp1252")
    referred = [r for r in police if r["referral_key"].startswith("csc-")]
    assert referred, "some police incidents were referred to children's social care"
    for row in referred:
        contact = contacts[row["referral_key"]]
        assert contact["source_agency"] == "police" and contact["source_ref"] == row["incident_ref"]
        assert row["referred_to"] == contact["agency"]
    police_refs = {r["incident_ref"] for r in police}
    for contact in contacts.values():
        assert contact["source_code"] in REFERRAL_SOURCES
        assert all(code in ALL_CONCERNS for code in contact["factor_codes"].split(";") if code)
        if contact["source_agency"] == "police" and contact["source_ref"]:
            assert contact["source_ref"] in police_refs


def test_formats_encodings_and_identifiers(small: Path) -> None:
    ex = small / "extracts"
    assert (ex / "csc_contacts_la1.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in (ex / "police_incidents.csv").read_bytes()
    police = _csv_rows(ex / "police_incidents.csv", "cp1252")
    assert all(date(int(r["incident_date"][6:]), int(r["incident_date"][3:5]), int(r["incident_date"][:2]))
               for r in police)
    pncs = [r["pnc_id"] for r in police if r["pnc_id"]] + \
        [r["pnc_id"] for r in _csv_rows(ex / "probation_cases.csv", "utf-8") if r["pnc_id"]]
    assert pncs and all(valid_pnc_id(p) for p in pncs)
    nhs = [json.loads(line)["patient"]["nhs_number"] for line in (ex / "health_events.jsonl").read_text().splitlines()]
    assert nhs and all(valid_nhs_number(n) and n.startswith("9") for n in nhs if n)
    upns = [r["upn"] for r in _csv_rows(small / "truth" / "people.csv", "utf-8") if r["upn"]]
    assert upns and all(valid_upn(u) for u in upns)
    housing = _csv_rows(ex / "housing_events_la1.csv", "utf-8")
    assert housing and all(len(r["event_date"]) == 11 and r["event_date"][2] == "-" for r in housing)
    asc = _csv_rows(ex / "asc_concerns_la1.csv", "utf-8") + _csv_rows(ex / "asc_concerns_la2.csv", "utf-8")
    assert all(len(r["received_date"]) == 8 and r["received_date"].isdigit() for r in asc)
    assert all(code.startswith("ASC-") and code in ALL_CONCERNS for r in asc for code in r["risk_types"].split(";"))


def test_calibration_within_three_points(large: Path) -> None:
    truth = {r["record_key"]: r["true_person_id"] for r in _csv_rows(large / "truth" / "records.csv", "utf-8")}
    contacts = [row for path in _job(large)["csc_contacts"] for row in _csv_rows(path, "utf-8-sig")]
    n = len(contacts)
    assert n > 1500
    for group, (codes, target) in SOURCE_GROUPS.items():
        share = sum(r["source_code"] in codes for r in contacts) / n
        assert abs(share - target) <= 0.03, (group, share, target)
    for group, (codes, target, _, calibrated) in FACTORS.items():
        if calibrated:
            share = sum(any(c in codes for c in r["factor_codes"].split(";")) for r in contacts) / n
            assert abs(share - target) <= 0.03, (group, share, target)
    nfa = sum(r["outcome"] == "nfa" for r in contacts) / n
    assert abs(nfa - CALIBRATION.nfa_share) <= 0.03
    dates: dict[str, list[date]] = defaultdict(list)
    for r in contacts:
        dates[truth[f"{r['agency']}:{r['person_id']}"]].append(date.fromisoformat(r["contact_datetime"][:10]))
    re_referrals = sum((b - a).days <= 365 for ds in dates.values() for a, b in zip(sorted(ds), sorted(ds)[1:]))
    assert abs(re_referrals / n - CALIBRATION.re_referral) <= 0.03


def test_data_quality_rates_roughly_as_configured(large: Path) -> None:
    truth = {r["record_key"]: r["true_person_id"] for r in _csv_rows(large / "truth" / "records.csv", "utf-8")}
    people = {r["person_id"]: r for r in _csv_rows(large / "truth" / "people.csv", "utf-8")}
    defects = defaultdict(set)
    for r in _csv_rows(large / "truth" / "data_quality.csv", "utf-8"):
        defects[r["record_key"]].add(r["kind"])
    police_keys = [k for k in truth if k.startswith("police:")]
    assert len(police_keys) > 1000
    q = QUALITY["police"]
    for kind, rate in (("typo", q.typo), ("swapped_names", q.swapped_names), ("missing_dob", q.missing_dob)):
        share = sum(kind in defects[k] for k in police_keys) / len(police_keys)
        assert rate * 0.5 <= share <= rate * 1.5 + 0.005, (kind, share, rate)
    health = [k for k in truth if k.startswith("health:")]
    missing = sum("missing_identifier" in defects[k] for k in health) / len(health)
    assert 0.01 <= missing <= 0.06
    # The defects are really in the extract: check the police rows against the truth.
    for row in _csv_rows(large / "extracts" / "police_incidents.csv", "cp1252"):
        key = f"police:{row['nominal_id']}"
        true = people[truth[key]]
        d = date.fromisoformat(true["dob"])
        if "transposed_dob" in defects[key]:
            assert row["dob"] == f"{d.month:02d}/{d.day:02d}/{d.year}"
        elif "default_dob" in defects[key]:
            assert row["dob"] == f"01/01/{d.year}"
        elif "missing_dob" in defects[key]:
            assert row["dob"] == ""
        else:
            assert row["dob"] == f"{d.day:02d}/{d.month:02d}/{d.year}"
        if "swapped_names" in defects[key]:
            assert row["forename"].upper() != true["given_name"].upper()
        if not defects[key] & {"swapped_names", "nickname", "typo"}:
            assert row["surname"] == true["family_name"].upper().encode("cp1252", "replace").decode("cp1252")
    twins = [p for p in people.values() if p["twin_of"]]
    assert twins and all(people[p["twin_of"]]["dob"] == p["dob"] for p in twins)
    dopp = [p for p in people.values() if p["doppelganger_of"]]
    assert dopp and all((people[p["doppelganger_of"]]["given_name"], people[p["doppelganger_of"]]["dob"])
                        == (p["given_name"], p["dob"]) for p in dopp)


def test_quality_rates_are_configurable(tmp_path: Path) -> None:
    generate(tmp_path, 2000, seed=9, pattern_rate=0, typo=0, nickname=0, swapped_names=0, missing_identifier=0)
    kinds = Counter(r["kind"] for r in _csv_rows(tmp_path / "truth" / "data_quality.csv", "utf-8"))
    assert kinds["typo"] == kinds["nickname"] == kinds["swapped_names"] == kinds["missing_identifier"] == 0
    assert kinds["stale_address"] > 0
    with pytest.raises(Exception, match="unknown rate"):
        generate(tmp_path / "x", 10, seed=1, not_a_rate=1)


def _bad_rows(root: Path) -> dict[tuple[str, int], str]:
    return {(r["file"], int(r["line"])): r["kind"] for r in _csv_rows(root / "truth" / "bad_rows.csv", "utf-8")}


def test_bad_rows_are_recorded_and_really_malformed(tmp_path: Path) -> None:
    summary = generate(tmp_path, 1500, seed=13, bad_rows=0.05)
    bad = _bad_rows(tmp_path)
    assert summary.bad_rows == len(bad) > 30
    seen = Counter(bad.values())
    assert set(seen) == {"wrong_column_count", "bad_date", "invalid_nhs_number", "encoding_error", "blank_line",
                         "duplicate_row"}
    encodings = {"police_incidents.csv": "cp1252", "health_events.jsonl": "utf-8"}
    for path in sorted((tmp_path / "extracts").iterdir()):
        if path.suffix == ".xlsx":
            ws = load_workbook(path, read_only=True)["Events"]
            rows = list(ws.iter_rows(values_only=True))
            for (name, line), kind in bad.items():
                if name == f"extracts/{path.name}":
                    row = rows[line - 1]
                    if kind == "blank_line":
                        assert all(v is None for v in row)
                    elif kind == "duplicate_row":
                        assert row == rows[line - 2]
                    else:
                        assert "31/02/2024" in row
            continue
        encoding = encodings.get(path.name, "utf-8")
        raw = path.read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        lines = raw.split(b"\r\n" if b"\r\n" in raw else b"\n")[:-1]
        width = None if path.suffix == ".jsonl" else len(next(csv.reader([lines[0].decode(encoding)])))
        for number, line in enumerate(lines, start=1):
            kind = bad.get((f"extracts/{path.name}", number))
            if kind == "encoding_error":
                with pytest.raises(UnicodeDecodeError):
                    line.decode(encoding)
                continue
            text = line.decode(encoding)
            if kind == "blank_line":
                assert text == ""
            elif kind == "duplicate_row":
                assert line == lines[number - 2]
            elif kind == "wrong_column_count":
                assert len(next(csv.reader([text]))) != width
            elif kind == "bad_date":
                assert any(b in text for b in ("31/02/2024", "2024-02-30", "31-Feb-2024", "20240231"))
            elif kind == "invalid_nhs_number":
                values = (json.loads(text)["patient"]["nhs_number"],) if width is None else next(csv.reader([text]))
                assert any(len(v) == 10 and v.isdigit() and not valid_nhs_number(v) for v in values if v)
            else:  # a good line: well formed
                assert text != ""
                if width is None:
                    json.loads(text)
                else:
                    assert len(next(csv.reader([text]))) == width
    clean = tmp_path / "clean"
    generate(clean, 1500, seed=13)
    assert not _bad_rows(clean)


def test_truth_households_and_relationships_are_consistent(small: Path) -> None:
    truth = small / "truth"
    people = {r["person_id"] for r in _csv_rows(truth / "people.csv", "utf-8")}
    uprns = {r["uprn"] for r in _csv_rows(truth / "addresses.csv", "utf-8")}
    stays = _csv_rows(truth / "households.csv", "utf-8")
    assert {s["uprn"] for s in stays} <= uprns
    members = _csv_rows(truth / "memberships.csv", "utf-8")
    assert {m["person_id"] for m in members} == people
    assert all(not m["to"] or m["from"] <= m["to"] for m in members)
    rels = _csv_rows(truth / "relationships.csv", "utf-8")
    assert {"parent_of", "sibling_of", "partner_of"} == {r["type"] for r in rels}
    moved = [s for s in stays if s["to"]]
    assert moved, "some households moved"
    summary = json.loads((truth / "summary.json").read_text())
    assert summary["seed"] == 5 and summary["authorities"] == 2


def test_cli_writes_a_data_set(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["synth", "--people", "200", "--seed", "2", "--out", str(tmp_path),
                                      "--bad-rows", "0.01", "--rate", "typo=2"])
    assert result.exit_code == 0, result.output
    assert "people" in result.output and (tmp_path / "job.yml").exists()
    assert (tmp_path / "truth" / "records.csv").exists()
    bad = CliRunner().invoke(cli, ["synth", "--people", "10", "--out", str(tmp_path / "x"), "--rate", "typo"])
    assert bad.exit_code != 0 and "NAME=NUMBER" in bad.output
    # An output folder that cannot be made is one line naming it, not a traceback.
    (tmp_path / "a-file").write_text("not a folder")
    blocked = CliRunner().invoke(cli, ["synth", "--people", "10", "--out", str(tmp_path / "a-file" / "out")])
    assert blocked.exit_code == 2, blocked.output
    assert f"cannot write the output directory {tmp_path / 'a-file' / 'out'}" in blocked.output
    assert "Traceback" not in blocked.output


def test_committed_fixture_matches_generator(tmp_path: Path) -> None:
    """tests/fixtures/synth is exactly what `make fixtures` writes (regenerate it if this fails)."""
    assert FIXTURE.exists(), "tests/fixtures/synth is committed; regenerate it with `make fixtures`"
    generate(tmp_path, 400, seed=7)
    assert _files_bytes(tmp_path) == _files_bytes(FIXTURE)
