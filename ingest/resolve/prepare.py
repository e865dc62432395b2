"""Read ``Record`` nodes from the store and turn them into one clean table for linking.

Cleaning is deliberately plain and documented (docs/resolution.md): names are
lower-cased letters, given names get their nickname groups, dates of birth get
their day/month-transposed form and a flag for the 01/01 default, postcodes are
normalised to ``OUTWARD INWARD``, and strong identifiers are kept only when
valid.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from ...graph.store import GraphStore
from ..identifiers import STRONG_IDENTIFIERS, normalise_identifier

__all__ = ["READ_RECORDS_CYPHER", "READ_ADDRESSES_CYPHER", "READ_SOME_RECORDS_CYPHER",
           "READ_SOME_ADDRESSES_CYPHER", "load_records", "clean_records", "nickname_groups", "soundex",
           "NICKNAMES_FILE"]

NICKNAMES_FILE = Path(__file__).with_name("nicknames.csv")

# Records, then their addresses (one row per LIVES_AT), joined in pandas: two
# plain scans are several times faster than one ordered, optional-matching read.
_RECORD_RETURN = """
RETURN r.key AS key, r.agency AS agency, r.given_name AS given_name,
       r.preferred_name AS preferred_name, r.family_name AS family_name, r.dob AS dob,
       r.sex AS sex, r.nhs_number AS nhs_number, r.upn AS upn, r.ni_number AS ni_number,
       r.pnc_id AS pnc_id, r.postcode AS record_postcode, r.address AS record_address,
       r.run AS ingest_run
"""
_ADDRESS_RETURN = """
RETURN r.key AS key, a.postcode AS postcode, a.text AS address, a.uprn AS uprn,
       a.key AS address_key, l.from AS lived_from, l.to AS lived_to
"""
READ_RECORDS_CYPHER = "MATCH (r:Record)" + _RECORD_RETURN
READ_ADDRESSES_CYPHER = "MATCH (r:Record)-[l:LIVES_AT]->(a:Address)" + _ADDRESS_RETURN
# The same for some records only (an incremental run: new and changed records).
READ_SOME_RECORDS_CYPHER = "UNWIND $keys AS k\nMATCH (r:Record {key: k})" + _RECORD_RETURN
READ_SOME_ADDRESSES_CYPHER = ("UNWIND $keys AS k\nMATCH (r:Record {key: k})-[l:LIVES_AT]->(a:Address)"
                              + _ADDRESS_RETURN)

_RECORD_COLUMNS = ["key", "agency", "given_name", "preferred_name", "family_name", "dob", "sex",
                   "nhs_number", "upn", "ni_number", "pnc_id", "record_postcode", "record_address",
                   "ingest_run"]
_ADDRESS_COLUMNS = ["key", "postcode", "address", "uprn", "address_key", "lived_from", "lived_to"]


def load_records(store: GraphStore, keys: list[str] | None = None) -> pd.DataFrame:
    """Every ``Record`` (or those of ``keys``) with its current address, one row per record
    (raw values)."""
    timeout = store.settings.max_query_timeout_ms / 1000
    if keys is None:
        rows = store.read(READ_RECORDS_CYPHER, timeout=timeout).rows
        links = store.read(READ_ADDRESSES_CYPHER, timeout=timeout).rows
    else:
        rows = store.read(READ_SOME_RECORDS_CYPHER, {"keys": keys}, timeout=timeout).rows
        links = store.read(READ_SOME_ADDRESSES_CYPHER, {"keys": keys}, timeout=timeout).rows
    records = pd.DataFrame(rows, columns=_RECORD_COLUMNS, dtype=object)
    addresses = pd.DataFrame(links, columns=_ADDRESS_COLUMNS, dtype=object)
    if records.empty:
        return records.assign(postcode=None, address=None, uprn=None)
    return _current_address(records.merge(addresses, on="key", how="left"))
def _current_address(raw: pd.DataFrame) -> pd.DataFrame:
    """Keep one address per record: the one still current (no end date), latest start first."""
    if raw.empty:
        return raw
    raw = raw.copy()
    raw["_open"] = raw["lived_to"].isna()
    raw["_from"] = raw["lived_from"].map(lambda d: d.isoformat() if isinstance(d, dt.date) else (d or ""))
    raw["_has"] = raw["postcode"].notna() | raw["address"].notna() | raw["address_key"].notna()
    # The address key breaks ties (a record with two open addresses and no dates), and the sort
    # is stable: the store returns rows in its own order, which differs between engines.
    raw = raw.sort_values(["key", "_has", "_open", "_from", "address_key"],
                          ascending=[True, False, False, False, True], kind="mergesort", na_position="last")
    out = raw.drop_duplicates("key", keep="first").copy()
    out["postcode"] = out["postcode"].where(out["postcode"].notna(), out["record_postcode"])
    out["address"] = out["address"].where(out["address"].notna(), out["record_address"])
    out["uprn"] = out["uprn"].where(out["uprn"].notna(), out["address_key"])
    return out.drop(columns=["_open", "_from", "_has", "record_postcode", "record_address",
                             "address_key", "lived_from", "lived_to"]).reset_index(drop=True)


@lru_cache(maxsize=1)
def nickname_groups() -> dict[str, tuple[str, ...]]:
    """Given name -> the names of the variant groups it belongs to (from nicknames.csv)."""
    groups: dict[str, set[str]] = {}
    with NICKNAMES_FILE.open(encoding="utf-8") as fh:
        for row in csv.reader(line for line in fh if not line.startswith("#")):
            names = [n.strip().lower() for n in row if n.strip()]
            if not names:
                continue
            for name in names:
                groups.setdefault(name, set()).add(names[0])
    return {name: tuple(sorted(g)) for name, g in groups.items()}


def soundex(name: str | None) -> str | None:
    """American Soundex of a name (letters only), e.g. Smith and Smyth -> S530."""
    if not name:
        return None
    codes = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"),
             **dict.fromkeys("dt", "3"), "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}
    name = name.lower()
    out = name[0].upper()
    last = codes.get(name[0], "")
    for ch in name[1:]:
        code = codes.get(ch, "")
        if code and code != last:
            out += code
        if ch not in "hw":
            last = code
    return (out + "000")[:4]


_NOT_LETTERS = re.compile(r"[^a-z ]+")
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$")


def _name_tokens(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    return list(_tokens(str(value)))


@lru_cache(maxsize=200_000)
def _tokens(text: str) -> tuple[str, ...]:
    from text_unidecode import unidecode

    text = unidecode(text).lower().replace("-", " ")
    return tuple(_NOT_LETTERS.sub("", text.replace("'", "")).split())


def _dob_text(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        return None


def _postcode(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = re.sub(r"\s+", "", str(value)).upper()
    m = _POSTCODE.match(text)
    return f"{m.group(1)} {m.group(2)}" if m else None


def _address(value: Any, postcode: str | None) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).lower()
    if postcode:
        text = text.replace(postcode.lower(), " ").replace(postcode.replace(" ", "").lower(), " ")
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    text = " ".join(text.split())
    return text or None


def _uprn(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text if text.isdigit() else None


def _sex(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip().upper()[:1]
    return text if text in {"M", "F"} else None


def clean_records(raw: pd.DataFrame) -> pd.DataFrame:
    """The linking table: one row per record, ``unique_id`` = record key, cleaned columns.

    Columns: unique_id, agency, given, given_groups (list), given_all (list), given_joined
    (the given-name tokens without spaces), family, family_parts (list),
    family_soundex, dob, dob_swapped, dob_year, dob_is_default, sex, postcode,
    postcode_sector, postcode_district, address, house_number, uprn, plus each valid
    strong identifier (``nhs_number``, ``upn``, ``ni_number``, ``pnc_id``), the display names
    and ``ingest_run`` (the ingestion run that last wrote the record).
    """
    groups = nickname_groups()
    out: dict[str, list[Any]] = {c: [] for c in (
        "unique_id", "agency", "given", "given_groups", "given_all", "given_joined", "given_soundex", "family",
        "family_parts", "family_soundex", "dob", "dob_swapped", "dob_year", "dob_is_default", "sex",
        "postcode", "postcode_sector", "postcode_district", "address", "address_words", "house_number", "uprn",
        *STRONG_IDENTIFIERS, "display_given", "display_family", "ingest_run")}
    columns = list(raw.columns)
    for values in zip(*(raw[c].tolist() for c in columns)):
        r = dict(zip(columns, values))
        given_tokens = _name_tokens(r["given_name"])
        family_tokens = _name_tokens(r["family_name"])
        given = given_tokens[0] if given_tokens else None
        family = "".join(family_tokens) or None
        dob = _dob_text(r["dob"])
        swapped = None
        if dob:
            y, m, d = dob.split("-")
            if int(d) <= 12 and d != m:
                swapped = f"{y}-{d}-{m}"
        postcode = _postcode(r["postcode"])
        address = _address(r["address"], postcode)
        house = None
        if address:
            m_num = re.match(r"^(?:flat \w+ )?(\d+[a-z]?)\b", address)
            house = m_num.group(1) if m_num else None
        out["unique_id"].append(r["key"])
        out["agency"].append(r["agency"])
        out["given"].append(given)
        # A preferred name (schools record the name a child uses) counts as a variant.
        preferred = _name_tokens(r["preferred_name"])[:1]
        names = [n for n in [given, *preferred] if n]
        out["given_groups"].append(sorted({g for n in names for g in groups.get(n, ())}
                                          | ({preferred[0]} if preferred else set())
                                          | ({given} if preferred and given else set())))
        out["given_all"].append(sorted({t for t in given_tokens + preferred if len(t) > 1}))
        out["given_joined"].append("".join(given_tokens) or None)
        out["given_soundex"].append(soundex(given))
        out["family"].append(family)
        out["family_parts"].append(family_tokens)
        out["family_soundex"].append(soundex(family))
        out["dob"].append(dob)
        out["dob_swapped"].append(swapped)
        out["dob_year"].append(dob[:4] if dob else None)
        out["dob_is_default"].append(bool(dob and dob.endswith("-01-01")))
        out["sex"].append(_sex(r["sex"]))
        out["postcode"].append(postcode)
        out["postcode_sector"].append(postcode[:-2] if postcode else None)
        out["postcode_district"].append(postcode.split()[0] if postcode else None)
        out["address"].append(address)
        out["address_words"].append(address.split() if address else [])
        out["house_number"].append(house)
        out["uprn"].append(_uprn(r["uprn"]))
        for kind in STRONG_IDENTIFIERS:
            out[kind].append(normalise_identifier(kind, r[kind]))
        out["display_given"].append(_display(r["given_name"]))
        out["display_family"].append(_display(r["family_name"]))
        out["ingest_run"].append(r.get("ingest_run"))
    return pd.DataFrame(out)


def _display(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = " ".join(str(value).split())
    return text or None
