"""``mashgraph synth --days N``: nightly delta files (ingest/synth/days.py).

The deltas hold the same rows as the full extracts, each sent no earlier than its
own date; the truth's first-detectable night of each planted instance is the night
the last of its events appears in the delta files.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mashgraph.cli import cli
from mashgraph.ingest.readers import open_extract
from mashgraph.ingest.synth import generate
from mashgraph.ingest.synth.days import ROW_DATES, DayPlan, iter_days, _parse

NIGHTS, LENGTH = 6, 150


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("days") / "w"
    generate(out, 900, seed=11, authorities=2, days=NIGHTS, day_length=LENGTH)
    return out


def _encoding(name: str) -> str:
    return "cp1252" if name == "police_incidents.csv" else "utf-8"


def _rows(path: Path) -> list[dict[str, Any]]:
    with open_extract(path, encoding=_encoding(path.name)) as ex:
        return [row.values for row in ex]


def _frozen(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, default=str)


def _mapping_of(root: Path) -> dict[str, str]:
    """Extract file name -> mapping, from the full job."""
    import yaml

    job = yaml.safe_load((root / "job.yml").read_text())
    return {Path(f).name: s["mapping"] for s in job["sources"] for f in s["files"]}


def _nights(root: Path) -> dict[int, Path]:
    manifest = json.loads((root / "days" / "manifest.json").read_text())
    return {n["day"]: root / "days" / n["folder"] for n in manifest["nights"]}


def _plan(root: Path) -> DayPlan:
    manifest = json.loads((root / "days" / "manifest.json").read_text())
    return DayPlan(manifest["days"], manifest["day_length"], date.fromisoformat(manifest["end"]))


def _date_format(name: str) -> str:
    return {"police_incidents.csv": "dmy", "probation_cases.csv": "dmy"}.get(name) or (
        "dmony" if name.startswith("housing") else "compact" if name.startswith("asc") else "iso")


def _date(values: dict[str, Any], column: str, name: str) -> date | None:
    value = values.get(column)
    if value in (None, ""):
        return None
    if isinstance(value, str) and name.endswith(".xlsx"):
        return date.fromisoformat(value[:10])
    return _parse(value, _date_format(name))


def test_every_night_has_a_job_and_every_file(world: Path) -> None:
    nights = _nights(world)
    assert sorted(nights) == list(range(1, NIGHTS + 1))
    files = sorted(p.name for p in (world / "extracts").iterdir())
    for folder in nights.values():
        assert sorted(p.name for p in folder.iterdir() if p.name != "job.yml") == files
        assert "sources:" in (folder / "job.yml").read_text()
    # the last night ends on the extract date; nights are LENGTH calendar days
    manifest = json.loads((world / "days" / "manifest.json").read_text())
    assert manifest["end"] == "2025-03-31" and manifest["nights"][-1]["to"] == "2025-03-31"
    assert manifest["first"] == "2022-10-14"  # 6 x 150 days end on 2025-03-31
    assert manifest["nights"][0]["to"] == "2023-03-12" and manifest["nights"][1]["from"] == "2023-03-13"


def test_deltas_together_hold_exactly_the_full_extracts(world: Path) -> None:
    mapping = _mapping_of(world)
    nights = _nights(world)
    for full_file in sorted((world / "extracts").iterdir()):
        full = {_frozen(v) for v in _rows(full_file)}
        later = ROW_DATES.get(mapping[full_file.name], ("", ()))[1]
        sent = [v for k in sorted(nights) for v in _rows(nights[k] / full_file.name)]
        complete = {_frozen(v) for v in sent}
        assert full <= complete, f"{full_file.name}: a row of the full extract is never sent whole"
        partial = complete - full
        for text in partial:  # an earlier version: the full row with an update column still blank
            values = json.loads(text)
            blanks = [c for c in later if values.get(c) in ("", None)]
            assert blanks, f"{full_file.name}: a delta row that is in no form in the full extract: {text}"
            assert any(all(json.loads(f).get(c) == v for c, v in values.items() if c not in blanks)
                       for f in full), f"{full_file.name}: {text} is no earlier version of a full row"
        assert len(sent) >= len(full)


def test_no_row_arrives_before_its_dates(world: Path) -> None:
    mapping = _mapping_of(world)
    plan = _plan(world)
    first_seen: dict[tuple[str, str], int] = {}
    for day, folder in sorted(_nights(world).items()):
        last_date = plan.window(day)[1]
        for path in sorted(folder.iterdir()):
            if path.name == "job.yml" or mapping[path.name] not in ROW_DATES:
                continue
            first_col, later = ROW_DATES[mapping[path.name]]
            for values in _rows(path):
                on = _date(values, first_col.split(".")[-1], path.name)
                assert on is None or on <= last_date, f"{path}: a row dated {on} sent on night {day}"
                for column in later:
                    end = _date(values, column, path.name)
                    assert end is None or end <= last_date or end > plan.end, \
                        f"{path}: {column} {end} known on night {day}"
                identity = {k: v for k, v in values.items() if k not in later}
                first_seen.setdefault((path.name, _frozen(identity)), day)
                if on is not None and plan.day_of(on) == day:
                    assert first_seen[(path.name, _frozen(identity))] == day, "a row sent before its night"
    assert len({k for k, d in first_seen.items() if d > 1}) > 100  # the deltas are not all on night 1


_EVENT_IDS = {"police_incidents": ("incident_ref", "police"), "csc_contacts": ("contact_id", "agency"),
              "csc_episodes": ("episode_id", "agency"), "health_events": ("event_id", "health"),
              "education_events": ("event_id", "agency"), "housing_events": ("event_id", "agency"),
              "asc_concerns": ("concern_id", "agency"), "probation_cases": ("supervision_id", "probation")}


def _event_nights(world: Path) -> dict[str, int]:
    """Event key (agency:id) -> the first night an extract row of it is sent."""
    mapping = _mapping_of(world)
    out: dict[str, int] = {}
    for day, folder in sorted(_nights(world).items()):
        for path in sorted(folder.iterdir()):
            spec = _EVENT_IDS.get(mapping.get(path.name, ""))
            if spec is None:
                continue
            column, agency = spec
            for values in _rows(path):
                owner = values.get("agency") if agency == "agency" else agency
                out.setdefault(f"{owner}:{values[column]}", day)
    return out


def test_first_detectable_night_is_the_night_the_last_event_arrives(world: Path) -> None:
    sent = _event_nights(world)
    items = [json.loads(line) for line in (world / "truth" / "patterns.jsonl").read_text().splitlines()]
    instances = [i for i in items if i["kind"] == "instance"]
    assert len(instances) >= 13
    for item in items:
        nights = [sent[key] for key in item["events"]]
        assert item["complete_day"] == max(nights), item["pattern"]
        if item["kind"] == "instance":
            assert item["first_detectable_day"] == max(nights)
            assert 1 <= item["first_detectable_day"] <= NIGHTS
        else:
            assert item["first_detectable_day"] is None
    # the planted stories complete 60-360 days before the extract date: the last two 150-day nights
    assert len({i["first_detectable_day"] for i in instances}) >= 2


def test_same_seed_same_days_and_the_full_extracts_do_not_change(tmp_path: Path, world: Path) -> None:
    generate(tmp_path / "plain", 900, seed=11, authorities=2)
    for path in sorted((world / "extracts").iterdir()):
        assert path.read_bytes() == (tmp_path / "plain" / "extracts" / path.name).read_bytes()
    assert not (tmp_path / "plain" / "days").exists()
    generate(tmp_path / "again", 900, seed=11, authorities=2, days=NIGHTS, day_length=LENGTH)
    for folder in sorted((world / "days").iterdir()):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                assert path.read_bytes() == (tmp_path / "again" / "days" / folder.name / path.name).read_bytes()


def test_cli_days_and_its_errors(tmp_path: Path) -> None:
    ok = CliRunner().invoke(cli, ["synth", "--people", "300", "--seed", "2", "--out", str(tmp_path / "a"),
                                  "--days", "3"])
    assert ok.exit_code == 0, ok.output
    assert "3 nights of deltas in days/" in ok.output
    assert (tmp_path / "a" / "days" / "day-003" / "job.yml").exists()
    bad = CliRunner().invoke(cli, ["synth", "--people", "300", "--out", str(tmp_path / "b"), "--days", "3",
                                   "--bad-rows", "0.01"])
    assert bad.exit_code != 0 and "cannot be combined with --bad-rows" in bad.output
    long = CliRunner().invoke(cli, ["synth", "--people", "300", "--out", str(tmp_path / "c"), "--days", "100",
                                    "--day-length", "30"])
    assert long.exit_code != 0 and "start before the world's window" in long.output


def test_day_ranges() -> None:
    assert list(iter_days("1-3,5", 6)) == [1, 2, 3, 5]
    assert list(iter_days("4", 6)) == [4]
    for bad in ("0-2", "3-7", "x", "5-3"):
        with pytest.raises(ValueError):
            list(iter_days(bad, 6))
