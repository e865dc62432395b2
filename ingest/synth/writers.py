"""Render the world's events and records as agency extracts (docs/data-dictionary.md).

Each text writer returns an :class:`ExtractFile`: header + rows of strings (or
JSON objects) plus what the bad-row injector needs to know (encoding, which
columns hold dates / NHS numbers / names, the file's date format). The
education writer produces :class:`SheetFile` rows written as ``.xlsx``.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

from .world import Address, Event, Household, Involvement, Person, Record, World, la_of_agency

__all__ = ["ExtractFile", "SheetFile", "render_all", "write_text_file", "write_xlsx", "DATE_FORMATS"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _dmy(d: date | None) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if d else ""


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def _dmony(d: date | None) -> str:
    return f"{d.day:02d}-{_MONTHS[d.month - 1]}-{d.year}" if d else ""


def _compact(d: date | None) -> str:
    return f"{d.year}{d.month:02d}{d.day:02d}" if d else ""


# Format name -> (date formatter, an impossible date in that format for bad rows).
DATE_FORMATS: dict[str, tuple[Callable[[date | None], str], str]] = {
    "dmy": (_dmy, "31/02/2024"),
    "iso": (_iso, "2024-02-30"),
    "dmony": (_dmony, "31-Feb-2024"),
    "compact": (_compact, "20240231"),
}


@dataclass
class ExtractFile:
    """One text extract before encoding: CSV rows or JSON objects."""
    name: str                              # path under extracts/
    mapping: str
    header: list[str] | None               # None for JSON lines
    rows: list[Any] = field(default_factory=list)
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"
    date_format: str = "iso"
    date_columns: tuple[str, ...] = ()     # CSV: column names; JSON: dotted paths
    nhs_column: str | None = None
    name_column: str | None = None


@dataclass
class SheetFile:
    name: str
    mapping: str
    sheet: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    date_columns: tuple[str, ...] = ()


def _join(values: list[str]) -> str:
    return ";".join(values)


class _Context:
    """Lookups shared by the writers; every random choice comes from ``world.stream``."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.by_uprn: dict[int, Address] = {a.uprn: a for a in world.addresses}
        self.rng = world.stream("writers")
        self.used: set[str] = set()             # keys of records written to an extract

    def address(self, rec: Record, person: Person, on: date) -> Address | None:
        if rec.stale:
            prev = self.world.previous_address(person, on)
            if prev is not None:
                return prev
        return self.world.address_of(person, on)

    def record(self, event: Event, inv: Involvement) -> Record:
        rec = self.world.record_for(event, inv)
        self.used.add(rec.key)
        return rec

    def main(self, agency: str, person: Person) -> Record:
        rec = self.world.main_record(agency, person)
        self.used.add(rec.key)
        return rec

    def keep(self, share: float) -> bool:
        return self.rng.random() < share


def _ref_cols(inv: Involvement, fmt: Callable[[date | None], str]) -> list[str]:
    ref = inv.referral
    if ref is None:
        return ["", "", ""]
    return [ref.agency, fmt(ref.date), ref.key]


def _share_cols(event: Event, inv: Involvement, fmt: Callable[[date | None], str]) -> list[str]:
    if not (inv.shared and event.shared_with):
        return ["", ""]
    return [_join(event.shared_with), fmt(event.shared_date)]


# --- agencies -------------------------------------------------------------------------------
_AGENCY_NAMES = {
    "police": ("Police", "police"),
    "health": ("Health (GP, A&E, health visiting, midwifery, school nursing)", "health"),
    "probation": ("Probation Service", "probation"),
    "csc": ("Children's Social Care", "childrens_social_care"),
    "asc": ("Adult Social Care", "adult_social_care"),
    "edu": ("Schools", "education"),
    "housing": ("Housing", "housing"),
}


def agencies_file(world: World) -> ExtractFile:
    f = ExtractFile("agencies.csv", "agencies", ["agency_key", "name", "kind", "la"])
    towns = world._street_pool.towns
    for key in world.agency_keys():
        kind = key.split("-")[0]
        name, agency_kind = _AGENCY_NAMES[kind]
        la = la_of_agency(key)
        f.rows.append([key, f"{name}, {towns[la]}" if la else name, agency_kind, f"la{la}" if la else ""])
    return f


# --- police ---------------------------------------------------------------------------------
def police_file(ctx: _Context) -> ExtractFile:
    header = ["incident_ref", "incident_date", "incident_time", "incident_type", "flag_codes",
              "location_address", "location_postcode", "location_uprn", "nominal_id", "role", "surname",
              "forename", "dob", "sex", "pnc_id", "home_address", "home_postcode", "home_uprn",
              "referred_to", "referred_date", "referral_key", "shared_with", "shared_date"]
    f = ExtractFile("police_incidents.csv", "police_incidents", header, encoding="cp1252", newline="\r\n",
                    date_format="dmy", date_columns=("incident_date", "dob"), name_column="forename")
    world = ctx.world
    for ev in world.iter_events("police_incident"):
        loc = ctx.by_uprn.get(ev.uprn) if ev.uprn else None
        # Planted pattern incidents keep their UPRN: the ground truth depends on where they happened.
        loc_cols = ([loc.text, loc.postcode, str(loc.uprn) if ev.planted or ctx.keep(0.95) else ""]
                    if loc else ["", "", ""])
        time = ev.attrs.get("time") or "12:00"
        for inv in ev.people:
            rec = ctx.record(ev, inv)
            home = ctx.address(rec, inv.person, ev.date)
            home_cols = ([home.text, home.postcode, str(home.uprn) if ctx.keep(0.7) else ""]
                         if home else ["", "", ""])
            f.rows.append([ev.eid, _dmy(ev.date), time, ev.type, _join(ev.codes), *loc_cols, rec.local_id,
                           inv.role, rec.family.upper(), rec.given, _dmy(rec.dob), rec.sex, rec.pnc_id or "",
                           *home_cols, *_ref_cols(inv, _dmy), *_share_cols(ev, inv, _dmy)])
    return f


# --- children's social care -----------------------------------------------------------------
_SEX_CSC = {"M": "Male", "F": "Female"}
_CSC_ROLE = {"parent": "parent", "step_parent": "step_parent", "partner": "partner", "grandparent": "grandparent",
             "adult": "other_adult", "child": "child", "other_adult": "other_adult"}


@dataclass
class _CscHousehold:
    hid: str
    true: Household
    members: dict[str, list[Any]] = field(default_factory=dict)  # pid -> [person, role, from, to, address]


class _CscHouseholds:
    """Households as children's social care recorded them, contact by contact."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.by_agency: dict[str, dict[str, _CscHousehold]] = {}
        self.ids = ctx.world.stream("writers.csc_households")
        self.used: set[str] = set()

    def record(self, agency: str, child: Person, on: date, subject: bool) -> _CscHousehold | None:
        world = self.ctx.world
        true = world.household_of(child, on)
        if true is None:
            return None
        households = self.by_agency.setdefault(agency, {})
        hh = households.get(true.hid)
        if hh is None:
            while True:
                hid = f"H{self.ids.randrange(10**7):07d}"
                if hid not in self.used:
                    self.used.add(hid)
                    break
            hh = households[true.hid] = _CscHousehold(hid, true)
        address = true.address_on(on)
        present = {m.person.pid: m for m in true.members if m.active(on) and (m.declared or m.person is child)}
        for pid, entry in hh.members.items():
            if pid not in present and entry[3] is None:
                entry[3] = on
        for pid, m in present.items():
            entry = hh.members.get(pid)
            role = "subject_child" if (subject and m.person is child) else _CSC_ROLE.get(m.role, "other_adult")
            if entry is None or entry[3] is not None:
                hh.members[pid] = [m.person, role, on, None, address]
            else:
                if role == "subject_child":
                    entry[1] = role
                entry[4] = address
        return hh


def csc_files(ctx: _Context) -> list[ExtractFile]:
    world = ctx.world
    recorded = _CscHouseholds(ctx)
    out: list[ExtractFile] = []
    episodes_by_child: dict[tuple[str, str], list[Event]] = {}
    for ep in world.iter_events("csc_episode"):
        episodes_by_child.setdefault((ep.agency, ep.people[0].person.pid), []).append(ep)
    contacts_by_agency: dict[str, list[Event]] = {}
    for ev in world.iter_events("csc_contact"):
        contacts_by_agency.setdefault(ev.agency, []).append(ev)
    for la in range(1, world.authorities + 1):
        agency = f"csc-la{la}"
        contacts = ExtractFile(
            f"csc_contacts_la{la}.csv", "csc_contacts",
            ["agency", "contact_id", "contact_datetime", "person_id", "given_name", "family_name", "dob", "sex",
             "nhs_number", "address", "postcode", "uprn", "household_id", "source_code", "source_agency",
             "source_ref", "factor_codes", "rag", "outcome", "nfa", "decision_date", "consent", "already_open",
             "shared_with", "shared_date"],
            bom=True, newline="\r\n", date_columns=("dob", "decision_date"), nhs_column="nhs_number",
            name_column="given_name")
        for ev in contacts_by_agency.get(agency, []):
            inv = ev.people[0]
            child = inv.person
            rec = ctx.record(ev, inv)
            hh = recorded.record(agency, child, ev.date, subject=True)
            addr = ctx.address(rec, child, ev.date)
            already = ev.attrs.get("already_open")
            if already is None:
                already = any(ep.date < ev.date and (ep.attrs.get("end") is None or ep.attrs["end"] > ev.date)
                              for ep in episodes_by_child.get((agency, child.pid), []))
            outcome = ev.attrs["outcome"]
            source = ev.source
            contacts.rows.append([
                agency, ev.eid, f"{ev.date.isoformat()} {ev.attrs.get('time') or '10:00'}", rec.local_id,
                rec.given, rec.family, _iso(rec.dob), _SEX_CSC.get(rec.sex, "Unknown"), rec.nhs_number or "",
                addr.text if addr else "", addr.postcode if addr else "",
                str(addr.uprn) if addr and ctx.keep(0.97) else "", hh.hid if hh else "",
                ev.attrs["source_code"], ev.attrs.get("source_agency") or "", source.eid if source else "",
                _join(ev.codes), ev.attrs["rag"], outcome, "Y" if outcome in ("nfa", "advice_signpost") else "N",
                _iso(ev.attrs["decision_date"]), ev.attrs.get("consent") or "given", "Y" if already else "N",
                _join(ev.shared_with), _iso(ev.shared_date)])
        episodes = ExtractFile(
            f"csc_episodes_la{la}.csv", "csc_episodes",
            ["agency", "episode_id", "person_id", "kind", "start_date", "end_date", "category", "factor_codes",
             "referral_key"], bom=True, newline="\r\n", date_columns=("start_date",))
        for ep in world.iter_events("csc_episode", agency):
            inv = ep.people[0]
            rec = ctx.record(ep, inv)
            recorded.record(agency, inv.person, ep.date, subject=False)
            ref = ep.attrs.get("referral")
            episodes.rows.append([agency, ep.eid, rec.local_id, ep.type, _iso(ep.date), _iso(ep.attrs.get("end")),
                                  ep.attrs.get("category") or "", _join(ep.codes), ref.key if ref else ""])
        members = ExtractFile(
            f"csc_household_members_la{la}.csv", "csc_household_members",
            ["agency", "household_id", "person_id", "given_name", "family_name", "dob", "sex", "nhs_number",
             "member_role", "related_person_id", "relationship", "from", "to", "address", "postcode", "uprn"],
            bom=True, newline="\r\n", date_columns=("dob", "from"), nhs_column="nhs_number", name_column="given_name")
        for hh in recorded.by_agency.get(agency, {}).values():
            in_hh = {pid: ctx.main(agency, entry[0]) for pid, entry in hh.members.items()}
            for pid, (person, role, start, end, addr) in hh.members.items():
                rec = in_hh[pid]
                base = [agency, hh.hid, rec.local_id, rec.given, rec.family, _iso(rec.dob),
                        _SEX_CSC.get(rec.sex, "Unknown"), rec.nhs_number or "", role]
                tail = [_iso(start), _iso(end), addr.text if addr else "", addr.postcode if addr else "",
                        str(addr.uprn) if addr else ""]
                related = [(r.type, r.b.pid) for r in world.relations(person)
                           if r.a is person and r.b.pid in in_hh and (r.end is None or r.end > start)]
                if not related:
                    members.rows.append(base + ["", ""] + tail)
                for rtype, other in related:
                    members.rows.append(base + [in_hh[other].local_id, rtype] + tail)
        out += [contacts, members, episodes]
    return out


# --- health ---------------------------------------------------------------------------------
_SEX_HEALTH = {"M": "male", "F": "female"}


def health_file(ctx: _Context) -> ExtractFile:
    world = ctx.world
    f = ExtractFile("health_events.jsonl", "health_events", None, date_format="iso",
                    date_columns=("date", "patient.dob"), nhs_column="patient.nhs_number",
                    name_column="patient.given_name")
    for ev in world.iter_events("health_event"):
        inv = ev.people[0]
        rec = ctx.record(ev, inv)
        addr = ctx.address(rec, inv.person, ev.date)
        ref = inv.referral
        shared = inv.shared and bool(ev.shared_with)
        f.rows.append({
            "event_id": ev.eid, "service": ev.attrs.get("service") or "gp", "event_type": ev.type,
            "date": ev.date.isoformat(),
            "patient": {
                "patient_id": rec.local_id, "nhs_number": rec.nhs_number, "given_name": rec.given,
                "family_name": rec.family, "dob": _iso(rec.dob) or None,
                "sex": _SEX_HEALTH.get(rec.sex, "unknown"),
                "address": {"line": addr.text if addr else None, "postcode": addr.postcode if addr else None,
                            "uprn": addr.uprn if addr and ctx.keep(0.85) else None},
            },
            "concern_codes": list(ev.codes), "injury": ev.attrs.get("injury") if ev.type == "ae_attendance" else None,
            "referred_to": ref.agency if ref else None, "referred_date": ref.date.isoformat() if ref else None,
            "referral_key": ref.key if ref else None,
            "shared_with": list(ev.shared_with) if shared else [],
            "shared_date": _iso(ev.shared_date) or None if shared else None,
        })
    return f


# --- education ------------------------------------------------------------------------------
_PRIMARY = ("Primary School", "Church of England Primary School", "Junior School", "Primary Academy")
_SECONDARY = ("Academy", "High School", "School", "Community College")


def _school(world: World, la: int, person: Person, on: date) -> tuple[int, str, str]:
    age_sept = on.year - person.dob.year - (1 if (on.month, on.day) < (9, 1) else 0)
    age_sept -= 1 if (person.dob.month, person.dob.day) >= (9, 1) else 0
    year = age_sept - 4
    year_group = "R" if year <= 0 else str(min(year, 13))
    secondary = year >= 7
    n = int(person.pid[1:]) if person.pid[1:].isdigit() else 0
    idx = (n // 7) % (12 if not secondary else 4)
    town = world._street_pool.towns[la].split()[0]
    words = ("Wren", "Oak", "St Mary's", "Meadow", "Holy Trinity", "Brook", "Castle", "Park", "Hill", "Valley",
             "St John's", "Riverside")
    name = f"{words[idx]} {_PRIMARY[idx % 4]}" if not secondary else f"{town} {words[idx]} {_SECONDARY[idx % 4]}"
    urn = 990000 + la * 100 + (idx + (50 if secondary else 0))
    return urn, name, year_group


def education_files(ctx: _Context) -> list[SheetFile]:
    world = ctx.world
    header = ["agency", "event_id", "upn", "surname", "forename", "preferred_forename", "dob", "sex", "school_urn",
              "school_name", "year_group", "address", "postcode", "uprn", "event_date", "event_type",
              "concern_codes", "exclusion_days", "attendance_pct", "referred_to", "referred_date", "referral_key",
              "shared_with", "shared_date"]
    out = []
    for la in range(1, world.authorities + 1):
        agency = f"edu-la{la}"
        f = SheetFile(f"education_events_la{la}.xlsx", "education_events", "Events", header,
                      date_columns=("dob", "event_date"))
        for ev in world.iter_events("education_event", agency):
            inv = ev.people[0]
            rec = ctx.record(ev, inv)
            addr = ctx.address(rec, inv.person, ev.date)
            urn, school, year_group = _school(world, la, inv.person, ev.date)
            ref = inv.referral
            shared = inv.shared and bool(ev.shared_with)
            f.rows.append([
                agency, ev.eid, rec.local_id, rec.family, rec.given, rec.preferred_given, rec.dob, rec.sex,
                urn, school, year_group, addr.text if addr else None, addr.postcode if addr else None,
                addr.uprn if addr else None, ev.date, ev.type, _join(ev.codes) or None,
                ev.attrs.get("exclusion_days"), ev.attrs.get("attendance_pct"),
                ref.agency if ref else None, ref.date if ref else None, ref.key if ref else None,
                _join(ev.shared_with) if shared else None, ev.shared_date if shared else None])
        out.append(f)
    return out


# --- housing --------------------------------------------------------------------------------
def housing_files(ctx: _Context) -> list[ExtractFile]:
    world = ctx.world
    header = ["agency", "event_id", "event_type", "event_date", "uprn", "address", "postcode", "tenancy_ref",
              "tenancy_start", "tenancy_end", "person_ref", "given_name", "family_name", "dob", "sex", "ni_number",
              "role", "concern_codes", "referred_to", "referred_date", "referral_key", "shared_with", "shared_date"]
    out = []
    for la in range(1, world.authorities + 1):
        agency = f"housing-la{la}"
        f = ExtractFile(f"housing_events_la{la}.csv", "housing_events", header, date_format="dmony",
                        date_columns=("event_date", "dob"), name_column="given_name")
        for ev in world.iter_events("housing_event", agency):
            addr = ctx.by_uprn.get(ev.uprn) if ev.uprn else None
            if addr is None:
                continue
            for inv in ev.people:
                rec = ctx.record(ev, inv)
                f.rows.append([agency, ev.eid, ev.type, _dmony(ev.date), str(addr.uprn), addr.text, addr.postcode,
                               ev.attrs.get("tenancy_ref") or "", _dmony(ev.attrs.get("tenancy_start")),
                               _dmony(ev.attrs.get("tenancy_end")), rec.local_id, rec.given, rec.family,
                               _dmony(rec.dob), rec.sex, rec.ni_number or "", inv.role, _join(ev.codes),
                               *_ref_cols(inv, _dmony), *_share_cols(ev, inv, _dmony)])
        out.append(f)
    return out


# --- adult social care ----------------------------------------------------------------------
def asc_files(ctx: _Context) -> list[ExtractFile]:
    world = ctx.world
    header = ["agency", "concern_id", "received_date", "person_id", "given_name", "family_name", "dob", "sex",
              "ni_number", "nhs_number", "address", "postcode", "uprn", "risk_types", "risk_location",
              "source_agency", "source_ref", "outcome", "nfa", "decision_date", "s42_enquiry", "enquiry_start",
              "enquiry_end", "shared_with", "shared_date"]
    out = []
    for la in range(1, world.authorities + 1):
        agency = f"asc-la{la}"
        f = ExtractFile(f"asc_concerns_la{la}.csv", "asc_concerns", header, date_format="compact",
                        date_columns=("received_date", "dob"), nhs_column="nhs_number", name_column="given_name")
        for ev in world.iter_events("asc_concern", agency):
            inv = ev.people[0]
            rec = ctx.record(ev, inv)
            addr = ctx.address(rec, inv.person, ev.date)
            outcome = ev.attrs["outcome"]
            s42 = bool(ev.attrs.get("s42"))
            decision = ev.attrs["decision_date"]
            f.rows.append([agency, ev.eid, _compact(ev.date), rec.local_id, rec.given, rec.family, _compact(rec.dob),
                           rec.sex, rec.ni_number or "", rec.nhs_number or "", addr.text if addr else "",
                           addr.postcode if addr else "", str(addr.uprn) if addr else "", _join(ev.codes),
                           ev.attrs.get("risk_location") or "other", ev.attrs.get("source_agency") or "",
                           ev.source.eid if ev.source else "", outcome,
                           "Y" if outcome in ("nfa", "advice_signpost") else "N", _compact(decision),
                           "Y" if s42 else "N", _compact(decision) if s42 else "",
                           _compact(ev.attrs.get("enquiry_end")) if s42 else "",
                           _join(ev.shared_with), _compact(ev.shared_date)])
        out.append(f)
    return out


# --- probation ------------------------------------------------------------------------------
def probation_file(ctx: _Context) -> ExtractFile:
    world = ctx.world
    header = ["crn", "pnc_id", "surname", "forename", "dob", "sex", "address", "postcode", "supervision_id",
              "order_type", "offence_category", "supervision_start", "supervision_end", "risk_level",
              "mappa_category", "mappa_level", "marac", "marac_date", "concern_codes", "shared_with", "shared_date"]
    f = ExtractFile("probation_cases.csv", "probation_cases", header, date_format="dmy",
                    date_columns=("dob", "supervision_start"), name_column="forename")
    for ev in world.iter_events("probation_case"):
        inv = ev.people[0]
        rec = ctx.record(ev, inv)
        addr = ctx.address(rec, inv.person, ev.date)
        a = ev.attrs

        def opt(v: Any) -> str:
            return "" if v is None else str(v)

        f.rows.append([rec.local_id, rec.pnc_id or "", rec.family, rec.given, _dmy(rec.dob), rec.sex,
                       addr.text if addr else "", addr.postcode if addr else "", ev.eid,
                       a.get("order_type") or "community_order", a.get("offence_category") or "other",
                       _dmy(ev.date), _dmy(a.get("end")), a.get("risk_level") or "medium",
                       opt(a.get("mappa_category")), opt(a.get("mappa_level")), "Y" if a.get("marac") else "N",
                       _dmy(a.get("marac_date")), _join(ev.codes), *_share_cols(ev, inv, _dmy)])
    return f


def render_all(world: World) -> tuple[list[ExtractFile], list[SheetFile], set[str]]:
    """Every extract of the world, in job order, and the keys of the records they hold."""
    ctx = _Context(world)
    text: list[ExtractFile] = [agencies_file(world), police_file(ctx)]
    text += csc_files(ctx)
    text.append(health_file(ctx))
    sheets = education_files(ctx)
    text += housing_files(ctx)
    text += asc_files(ctx)
    text.append(probation_file(ctx))
    return text, sheets, ctx.used


# --- encoding and files ---------------------------------------------------------------------
def csv_line(values: list[str]) -> str:
    """One RFC 4180 line (without terminator)."""
    out = []
    for v in values:
        if "," in v or '"' in v or "\n" in v or "\r" in v:
            v = '"' + v.replace('"', '""') + '"'
        out.append(v)
    return ",".join(out)


def json_line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


def encode_line(f: ExtractFile, line: str) -> bytes:
    # cp1252 cannot hold every name (e.g. Polish letters): legacy systems store "?".
    return line.encode(f.encoding, errors="replace")


def write_text_file(path: Path, f: ExtractFile, lines: list[bytes]) -> None:
    nl = f.newline.encode("ascii")
    with open(path, "wb") as out:
        if f.bom:
            out.write(b"\xef\xbb\xbf")
        for line in lines:
            out.write(line)
            out.write(nl)


_ZIP_TIME = (2025, 4, 1, 6, 0, 0)
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_XML_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})

_XLSX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '</Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/>'
        '</Relationships>'),
    "docProps/core.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>mashgraph synth</dc:creator>'
        '<dcterms:created xsi:type="dcterms:W3CDTF">2025-04-01T06:00:00Z</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2025-04-01T06:00:00Z</dcterms:modified>'
        '</cp:coreProperties>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'styles" Target="styles.xml"/>'
        '</Relationships>'),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>'),
}


def _column_letters(n: int) -> list[str]:
    out = []
    for i in range(n):
        name, k = "", i + 1
        while k:
            k, rem = divmod(k - 1, 26)
            name = chr(65 + rem) + name
        out.append(name)
    return out


def _cell(ref: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="1"><v>{value.toordinal() - _EXCEL_EPOCH}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    text = str(value).translate(_XML_ESCAPE)
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def write_xlsx(path: Path, f: SheetFile) -> None:
    """Write a one-sheet workbook (dates as date cells formatted dd/mm/yyyy).

    A small SpreadsheetML writer of our own: byte-identical output for
    identical rows (fixed zip times, no "now" in the properties) and much
    faster than a general library for large extracts.
    """
    cols = _column_letters(len(f.header))
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{cols[-1]}{len(f.rows) + 1}"/><sheetData>'
    ]
    for number, row in enumerate([f.header, *f.rows], start=1):
        cells = "".join(_cell(f"{col}{number}", value) for col, value in zip(cols, row))
        parts.append(f'<row r="{number}">{cells}</row>')
    parts.append("</sheetData></worksheet>")
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{f.sheet.translate(_XML_ESCAPE)}" sheetId="1" r:id="rId1"/></sheets></workbook>')
    entries = dict(_XLSX_STATIC)
    entries["xl/workbook.xml"] = workbook
    entries["xl/worksheets/sheet1.xml"] = "".join(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "xl/workbook.xml",
                     "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zf.writestr(info, entries[name].encode("utf-8"))
