"""Reference codes seeded as ``Concern`` nodes: Children in Need census factors
(DfE; the letter says whom it concerns) and Care Act 2014 adult risk types.

``subject`` is ``child``, ``parent``, ``household`` (another person in the
household), ``any`` or ``adult``.
"""

from __future__ import annotations

__all__ = ["CIN_FACTORS", "ADULT_RISKS", "ALL_CONCERNS", "NO_FACTORS", "REFERRAL_SOURCES", "AGENCY_KINDS"]

_SUBJECT = {"A": "child", "B": "parent", "C": "household"}

_ABC = {
    "1": "alcohol misuse",
    "2": "drug misuse",
    "3": "domestic abuse",
    "4": "mental health",
    "5": "learning disability",
    "6": "physical disability or illness",
}

CIN_FACTORS: dict[str, tuple[str, str]] = {}
for _n, _label in _ABC.items():
    for _l in "ABC":
        CIN_FACTORS[f"{_n}{_l}"] = (f"{_label} ({_SUBJECT[_l]})", _SUBJECT[_l])
CIN_FACTORS.update({
    "7A": ("young carer", "child"),
    "8B": ("privately fostered (overseas, intends to return)", "child"),
    "8C": ("privately fostered (overseas, intends to stay)", "child"),
    "8D": ("privately fostered (UK, education)", "child"),
    "8E": ("privately fostered (UK, parents' choice)", "child"),
    "8F": ("privately fostered (other)", "child"),
    "9A": ("unaccompanied asylum-seeking child", "child"),
    "10A": ("missing", "child"),
    "11A": ("child sexual exploitation", "child"),
    "12A": ("trafficking", "child"),
    "13A": ("gangs", "child"),
    "14A": ("socially unacceptable behaviour", "child"),
    "15A": ("self-harm", "child"),
    "16A": ("neglect", "child"),
    "17A": ("emotional abuse", "child"),
    "18B": ("physical abuse (child on child)", "child"),
    "18C": ("physical abuse (adult on child)", "child"),
    "19B": ("sexual abuse (child on child)", "child"),
    "19C": ("sexual abuse (adult on child)", "child"),
    "20": ("other", "any"),
    "21": ("no factors identified", "any"),
    "22A": ("female genital mutilation", "child"),
    "23A": ("abuse linked to faith or belief", "child"),
    "24A": ("child criminal exploitation", "child"),
})

ADULT_RISKS: dict[str, tuple[str, str]] = {
    f"ASC-{slug.upper()}": (label, "adult")
    for slug, label in [
        ("physical", "physical abuse"),
        ("sexual", "sexual abuse"),
        ("psychological", "psychological abuse"),
        ("financial", "financial or material abuse"),
        ("discriminatory", "discriminatory abuse"),
        ("organisational", "organisational abuse"),
        ("neglect", "neglect and acts of omission"),
        ("domestic", "domestic abuse"),
        ("sexual-exploitation", "sexual exploitation"),
        ("modern-slavery", "modern slavery"),
        ("self-neglect", "self-neglect"),
    ]
}

ALL_CONCERNS: dict[str, tuple[str, str]] = {**CIN_FACTORS, **ADULT_RISKS}

# "No factors identified": an assessment outcome, not a concern that can be siloed.
NO_FACTORS = "21"

REFERRAL_SOURCES: dict[str, str] = {
    "1A": "individual: family member", "1B": "individual: acquaintance",
    "1C": "individual: self", "1D": "individual: other",
    "2A": "schools", "2B": "education services",
    "3A": "health: GP", "3B": "health: health visitor", "3C": "health: school nurse",
    "3D": "health: other primary health", "3E": "health: A&E", "3F": "health: other",
    "4": "housing",
    "5A": "LA services: social care", "5B": "LA services: other internal",
    "5C": "LA services: external", "5D": "LA services: other",
    "6": "police", "7": "other legal agency", "8": "other", "9": "anonymous", "10": "unknown",
}

AGENCY_KINDS = (
    "police", "health", "education", "childrens_social_care",
    "adult_social_care", "housing", "probation", "other",
)
