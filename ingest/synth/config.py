"""Every tunable figure of the generator in one place: calibration targets,
background event rates and per-agency data-quality rates.

Calibration targets with a source are from ``DOMAIN.md`` (DfE Children in
need statistics); the rest are labelled *assumption* and documented in
``docs/synthetic-data.md``. ``tests/test_synth.py`` checks generated shares
against :data:`CALIBRATION` within 3 percentage points.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

__all__ = [
    "SOURCE_SHARES", "SOURCE_GROUPS", "FACTORS", "Calibration", "CALIBRATION",
    "AgencyQuality", "QUALITY", "EventRates", "SynthConfig", "DQ_RATE_NAMES",
]

# CIN source of referral code -> share of contacts. Groups: police 29%, schools 20%
# (2A 19 + 2B 1), health 14%, LA services 12%, individuals 9% (DOMAIN.md "recent years");
# the split inside groups and the remaining 16% are assumptions.
SOURCE_SHARES: dict[str, float] = {
    "6": 0.29,
    "2A": 0.19, "2B": 0.01,
    "3A": 0.04, "3B": 0.02, "3C": 0.01, "3D": 0.01, "3E": 0.04, "3F": 0.02,
    "5A": 0.05, "5B": 0.03, "5C": 0.02, "5D": 0.02,
    "1A": 0.04, "1B": 0.02, "1C": 0.01, "1D": 0.02,
    "4": 0.02, "7": 0.03, "8": 0.07, "9": 0.01, "10": 0.03,
}

# Calibrated source groups: name -> (codes, target share of contacts).
SOURCE_GROUPS: dict[str, tuple[tuple[str, ...], float]] = {
    "police": (("6",), 0.29),
    "schools": (("2A", "2B"), 0.20),
    "health": (("3A", "3B", "3C", "3D", "3E", "3F"), 0.14),
    "la_services": (("5A", "5B", "5C", "5D"), 0.12),
    "individuals": (("1A", "1B", "1C", "1D"), 0.09),
}

# Factor group -> (codes, share of contacts with any of them, weights of the codes,
# calibrated?). Calibrated prevalences: DfE Characteristics of children in need 2015-16
# (DOMAIN.md); the others are assumptions.
FACTORS: dict[str, tuple[tuple[str, ...], float, tuple[float, ...], bool]] = {
    "domestic_abuse": (("3A", "3B", "3C"), 0.496, (0.10, 0.75, 0.15), True),
    "mental_health": (("4A", "4B", "4C"), 0.366, (0.12, 0.80, 0.08), True),
    "drug_misuse": (("2A", "2B", "2C"), 0.193, (0.08, 0.80, 0.12), True),
    "emotional_abuse": (("17A",), 0.193, (1.0,), True),
    "alcohol_misuse": (("1A", "1B", "1C"), 0.184, (0.06, 0.82, 0.12), True),
    "neglect": (("16A",), 0.175, (1.0,), True),
    "physical_abuse": (("18B", "18C"), 0.140, (0.15, 0.85), True),
    "self_harm": (("15A",), 0.043, (1.0,), True),
    "cse": (("11A",), 0.039, (1.0,), True),
    "missing": (("10A",), 0.027, (1.0,), True),
    "gangs": (("13A",), 0.012, (1.0,), True),
    "cce": (("24A",), 0.020, (1.0,), False),
    "learning_disability": (("5A", "5B", "5C"), 0.050, (0.6, 0.3, 0.1), False),
    "physical_disability": (("6A", "6B", "6C"), 0.040, (0.5, 0.4, 0.1), False),
    "young_carer": (("7A",), 0.010, (1.0,), False),
    "unacceptable_behaviour": (("14A",), 0.030, (1.0,), False),
    "sexual_abuse": (("19B", "19C"), 0.040, (0.3, 0.7), False),
    "uasc": (("9A",), 0.005, (1.0,), False),
    "trafficking": (("12A",), 0.003, (1.0,), False),
    "fgm": (("22A",), 0.001, (1.0,), False),
    "faith": (("23A",), 0.001, (1.0,), False),
    "other": (("20",), 0.050, (1.0,), False),
}


@dataclass(frozen=True)
class Calibration:
    """Targets the generated CSC contacts must meet (shares of contacts)."""
    re_referral: float = 0.22          # DfE CIN 2024: re-referrals within 12 months
    # Outcome shares of MASH contacts: assumption (DOMAIN.md gives no national figure).
    outcomes: dict[str, float] = field(default_factory=lambda: {
        "nfa": 0.40, "advice_signpost": 0.15, "early_help": 0.15,
        "s17_assessment": 0.20, "s47_strategy": 0.08, "immediate_protection": 0.02,
    })
    rag: dict[str, float] = field(default_factory=lambda: {"RED": 0.15, "AMBER": 0.35, "GREEN": 0.50})

    @property
    def nfa_share(self) -> float:
        return self.outcomes["nfa"]


CALIBRATION = Calibration()


@dataclass(frozen=True)
class AgencyQuality:
    """Share of an agency's records with each defect (see docs/synthetic-data.md)."""
    nickname: float = 0.03
    typo: float = 0.02
    swapped_names: float = 0.005
    transposed_dob: float = 0.01
    default_dob: float = 0.005
    missing_dob: float = 0.0
    stale_address: float = 0.10
    # identifier -> share of records holding it, among people who have one
    identifiers: dict[str, float] = field(default_factory=dict)


# Agency kind -> rates. Police take names as given (nicknames, swapped names, guessed DOBs).
QUALITY: dict[str, AgencyQuality] = {
    "police": AgencyQuality(nickname=0.12, typo=0.04, swapped_names=0.02, transposed_dob=0.02,
                            default_dob=0.015, missing_dob=0.03, stale_address=0.15,
                            identifiers={"pnc_id": 0.92}),
    "health": AgencyQuality(nickname=0.02, typo=0.01, swapped_names=0.003, transposed_dob=0.004,
                            default_dob=0.002, stale_address=0.12, identifiers={"nhs_number": 0.97}),
    "csc": AgencyQuality(nickname=0.05, typo=0.03, swapped_names=0.005, transposed_dob=0.01,
                         default_dob=0.005, stale_address=0.08, identifiers={"nhs_number": 0.45}),
    "asc": AgencyQuality(nickname=0.04, typo=0.02, swapped_names=0.005, transposed_dob=0.01,
                         default_dob=0.01, stale_address=0.08,
                         identifiers={"ni_number": 0.60, "nhs_number": 0.50}),
    "edu": AgencyQuality(nickname=0.0, typo=0.015, swapped_names=0.003, transposed_dob=0.005,
                         default_dob=0.0, stale_address=0.10, identifiers={"upn": 0.97}),
    "housing": AgencyQuality(nickname=0.06, typo=0.03, swapped_names=0.01, transposed_dob=0.015,
                             default_dob=0.02, missing_dob=0.08, stale_address=0.05,
                             identifiers={"ni_number": 0.45}),
    "probation": AgencyQuality(nickname=0.03, typo=0.02, swapped_names=0.01, transposed_dob=0.01,
                               default_dob=0.005, stale_address=0.10, identifiers={"pnc_id": 0.98}),
}

# Overridable through generate(**rates): a global multiplier per defect kind.
DQ_RATE_NAMES = ("nickname", "typo", "swapped_names", "transposed_dob", "default_dob",
                 "missing_dob", "stale_address", "missing_identifier")


@dataclass(frozen=True)
class EventRates:
    """Background events per person (or household) per year, before the risk multiplier."""
    contact_chain: float = 0.034       # CSC contact chains started per child per year
    domestic_abuse: float = 0.030      # per couple household
    violence: float = 0.008            # per adult 16-45
    missing_child: float = 0.012       # per child 12-17 (a run of 1-3 episodes)
    drugs: float = 0.004               # per adult 18-50
    asb: float = 0.006                 # per person 12-30
    cse_intel: float = 0.0015          # per child 12-17
    cce_intel: float = 0.0015
    health_concern: float = 0.010      # per person
    ae_child: float = 0.040            # A&E attendances per child
    ae_adult: float = 0.010
    school_concern: float = 0.020      # per pupil
    exclusion: float = 0.012
    persistent_absence: float = 0.050
    missing_education: float = 0.002
    social_tenancy: float = 0.17       # share of households in social housing
    housing_asb: float = 0.020         # per social tenancy household
    arrears: float = 0.050
    eviction_notice: float = 0.006
    asc_concern: float = 0.010         # per adult 18-74
    asc_concern_old: float = 0.030     # per adult 75+
    probation_start: float = 0.060     # per adult with a PNC id
    twins: float = 0.016               # share of births that are twins
    doppelgangers: float = 0.002       # unrelated same-name-same-DOB pairs per person
    separation: float = 0.035          # per couple per year
    new_partner: float = 0.060         # per lone parent per year
    household_move: float = 0.070      # per household per year
    move_other_la: float = 0.20        # share of moves to another authority (K > 1)
    births: float = 0.050              # per couple household with a woman 18-42


@dataclass(frozen=True)
class SynthConfig:
    window_start: date = date(2022, 4, 1)
    window_end: date = date(2025, 3, 31)
    calibration: Calibration = CALIBRATION
    rates: EventRates = EventRates()
    quality: dict[str, AgencyQuality] = field(default_factory=lambda: dict(QUALITY))
    # multiplier per defect kind (DQ_RATE_NAMES), e.g. {"typo": 2.0}; 0 turns a kind off
    quality_scale: dict[str, float] = field(default_factory=dict)
    bad_rows: float = 0.0
    pattern_rate: float = 1.0

    def with_overrides(self, **rates: Any) -> "SynthConfig":
        """Apply ``generate(**rates)`` keywords: ``EventRates`` field names set a rate,
        ``DQ_RATE_NAMES`` (or ``<name>_rate``) scale a data-quality defect kind."""
        event_fields = {f.name for f in fields(EventRates)}
        ev: dict[str, float] = {}
        dq = dict(self.quality_scale)
        for name, value in rates.items():
            key = name[:-5] if name.endswith("_rate") and name[:-5] in DQ_RATE_NAMES else name
            if key in event_fields:
                ev[key] = float(value)
            elif key in DQ_RATE_NAMES:
                dq[key] = float(value)
            else:
                raise TypeError(f"unknown rate {name!r}: use an EventRates field "
                                f"or one of {', '.join(DQ_RATE_NAMES)}")
        return replace(self, rates=replace(self.rates, **ev), quality_scale=dq)
