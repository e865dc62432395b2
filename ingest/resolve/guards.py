"""Guards: pairs the model alone may not link, however high their probability.

Twins and siblings agree on everything but the given name; a parent and a child
who share a name and an address differ only in the date of birth. Both look like
one person to a model that assumes fields are independent, so such pairs need a
shared identifier or a human decision. The guards fire only on *genuinely*
different values: the comparison levels of ``model.py`` catch spelling variants,
split or joined names, initials, nicknames and date-of-birth typos first, and a
typo lowers the weight instead of vetoing.

>>> model_guard(gamma_given_name=0, gamma_dob=5)
'given names disagree (possible twin or sibling)'
>>> dates_far_apart("1976-06-09", "1967-06-09")   # two digits transposed: a typo
False
>>> dates_far_apart("2012-05-03", "1912-05-03")   # century swapped: a typo
False
>>> dates_far_apart("1976-06-09", "1967-09-05")   # day/month and year digits transposed, a typo
False
>>> dates_far_apart("1984-03-12", "2010-07-30")   # a parent and a child
True
"""

from __future__ import annotations

__all__ = ["model_guard", "dates_far_apart", "DOB_GAP_YEARS"]

DOB_GAP_YEARS = 5
"""Dates of birth further apart than this (and no typo of each other) are two people."""


def model_guard(gamma_given_name: int, gamma_dob: int) -> str | None:
    """Why the model alone may not link a pair even above the threshold (None if it may).

    ``gamma_*`` are Splink's comparison levels: 0 is the last ("else") level, i.e.
    given names that are no variant of each other, or dates of birth more than
    ``DOB_GAP_YEARS`` apart that are no typo of each other.
    """
    if gamma_given_name == 0:
        return "given names disagree (possible twin or sibling)"
    if gamma_dob == 0:
        return f"dates of birth more than {DOB_GAP_YEARS} years apart (possible parent and child)"
    return None


def dates_far_apart(a: str, b: str) -> bool:
    """Whether two ISO dates of birth belong to different people: more than ``DOB_GAP_YEARS``
    apart and no typo of each other (one or two digits, transposed digits, day and month
    transposed, alone or with one or two more typos, century swapped). The same rule as the
    model's last date-of-birth level."""
    if a == b or a[2:] == b[2:] or _edits(a, b) <= 2 or _edits(_day_month_swapped(a), b) <= 2:
        return False
    return abs(int(a[:4]) - int(b[:4])) > DOB_GAP_YEARS


def _day_month_swapped(date: str) -> str:
    """As ``prepare.clean_records``' ``dob_swapped``: only a day that could be a month."""
    return f"{date[:4]}-{date[8:10]}-{date[5:7]}" if int(date[8:10]) <= 12 else date


def _edits(a: str, b: str) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]
