"""Name tables for the synthetic population.

Family names and their frequencies come from Faker's ``en_GB`` person provider
(static data shipped with the package: nothing is downloaded, and Faker's own
random generator is not used, so our seeded streams decide everything).
Given names are Faker's ``en_GB`` lists weighted by rank, plus a small set of
names common in England's minority communities (some with characters outside
cp1252, which the police extract's legacy encoding cannot hold).
"""

from __future__ import annotations

import itertools
import random

from faker.providers.person.en_GB import Provider as _GB

__all__ = [
    "FAMILY_NAMES", "GIVEN_NAMES", "NICKNAMES", "STREET_WORDS", "STREET_SUFFIXES", "TOWNS",
    "NamePicker", "nickname_of", "typo",
]

_EXTRA_FAMILY = [
    ("Khan", 0.20), ("Patel", 0.20), ("Begum", 0.12), ("Ahmed", 0.12), ("Hussain", 0.12),
    ("Ali", 0.12), ("Singh", 0.12), ("Kaur", 0.08), ("Nowak", 0.05), ("Kowalski", 0.04),
    ("Wiśniewski", 0.03), ("O'Brien", 0.06), ("O'Connor", 0.05), ("Okafor", 0.03),
    ("Adeyemi", 0.03), ("Mensah", 0.03), ("Nguyen", 0.03), ("Kaya", 0.02), ("Silva", 0.03),
    ("Müller", 0.01),
]

FAMILY_NAMES: list[tuple[str, float]] = list(_GB.last_names.items()) + _EXTRA_FAMILY

_EXTRA_GIVEN = {
    "F": ["Olivia", "Amelia", "Isla", "Ava", "Mia", "Ruby", "Poppy", "Aisha", "Fatima", "Amira",
          "Siân", "Zoë", "Chloë", "Zuzanna", "Precious", "Renée", "Catherine", "Katherine",
          "Kathryn", "Alexandra", "Abigail", "Eleanor", "Jennifer", "Elizabeth"],
    "M": ["Oliver", "Noah", "Harry", "Oscar", "Charlie", "Alfie", "Mohammed", "Muhammad", "Ali",
          "Jakub", "Łukasz", "Kacper", "Oluwaseun", "Seán", "Tomás", "Dylan", "Nicholas",
          "Jonathan", "Edward", "Terence", "Kenneth"],
}


def _weighted(names: tuple[str, ...], extra: list[str]) -> list[tuple[str, float]]:
    out = {name: 1.0 / (rank + 5) for rank, name in enumerate(names)}
    for name in extra:
        out.setdefault(name, 0.02)
    return list(out.items())


GIVEN_NAMES: dict[str, list[tuple[str, float]]] = {
    "F": _weighted(_GB.first_names_female, _EXTRA_GIVEN["F"]),
    "M": _weighted(_GB.first_names_male, _EXTRA_GIVEN["M"]),
}

# Formal name -> informal variants (used both ways: a record may hold either).
NICKNAMES: dict[str, list[str]] = {
    "Catherine": ["Kate", "Katie", "Cath", "Cathy"], "Katherine": ["Kate", "Katie", "Kathy", "Kath"],
    "Kathryn": ["Kate", "Katie", "Kathy"], "Elizabeth": ["Liz", "Beth", "Lizzie", "Betty"],
    "Margaret": ["Maggie", "Peggy", "Maggie"], "Rebecca": ["Becky", "Becca"],
    "Victoria": ["Vicky", "Tori"], "Samantha": ["Sam", "Sammy"], "Jacqueline": ["Jackie"],
    "Deborah": ["Debbie", "Debs"], "Patricia": ["Pat", "Trish", "Patsy"], "Christine": ["Chris", "Chrissie"],
    "Nicola": ["Nicky", "Nikki"], "Jessica": ["Jess", "Jessie"], "Charlotte": ["Lottie", "Charlie"],
    "Alexandra": ["Alex", "Lexi"], "Joanne": ["Jo", "Jo-Anne"], "Susan": ["Sue", "Susie"],
    "Jennifer": ["Jen", "Jenny"], "Abigail": ["Abbie", "Abby"], "Olivia": ["Liv", "Livvy"],
    "Amelia": ["Millie", "Amy"], "Eleanor": ["Ellie", "Nell"], "Michelle": ["Shelley"],
    "Samuel": ["Sam", "Sammy"], "William": ["Will", "Bill", "Billy"], "Robert": ["Rob", "Bob", "Bobby"],
    "Richard": ["Rich", "Richie", "Dick"], "James": ["Jim", "Jimmy", "Jamie"], "Thomas": ["Tom", "Tommy"],
    "Christopher": ["Chris", "Kit"], "Michael": ["Mike", "Mick", "Mikey"], "Daniel": ["Dan", "Danny"],
    "Anthony": ["Tony", "Ant"], "Matthew": ["Matt"], "Joseph": ["Joe", "Joey"], "Benjamin": ["Ben", "Benny"],
    "Alexander": ["Alex", "Xander"], "Jonathan": ["Jon", "Jonny"], "Nicholas": ["Nick", "Nicky"],
    "Stephen": ["Steve", "Stevie"], "Steven": ["Steve", "Stevie"], "Andrew": ["Andy", "Drew"],
    "Peter": ["Pete"], "David": ["Dave", "Davey"], "Edward": ["Ed", "Eddie", "Ted"], "Joshua": ["Josh"],
    "Philip": ["Phil"], "Kenneth": ["Ken", "Kenny"], "Gary": ["Gaz"], "Darren": ["Daz"],
    "Terence": ["Terry", "Tel"], "Mohammed": ["Mohammad", "Muhammad", "Mo"], "Muhammad": ["Mohammed", "Mo"],
    "Oliver": ["Ollie"], "Harry": ["Harold"], "Alfie": ["Alfred"], "Charlie": ["Charles"],
    "Zoë": ["Zoe"], "Chloë": ["Chloe"], "Siân": ["Sian"], "Seán": ["Sean", "Shaun"], "Łukasz": ["Lukasz", "Luke"],
    "Dean": ["Deano"], "Lee": ["Leigh"], "Daniella": ["Dani"],
}

STREET_WORDS = [
    "Wren", "Mill", "Church", "Station", "Park", "Victoria", "Albert", "Oak", "Elm", "Ash", "Beech",
    "Willow", "Meadow", "Orchard", "Chapel", "School", "Queen", "King", "Manor", "Grange", "Hill",
    "Valley", "Bridge", "Brook", "Field", "Garden", "Cedar", "Hazel", "Rowan", "Heather", "Primrose",
    "Foxglove", "Kingfisher", "Swallow", "Lark", "Heron", "Falcon", "Badger", "Holly", "Laurel",
    "Juniper", "Maple", "Poplar", "Sycamore", "Chestnut", "Windsor", "York", "Stanley", "Nelson",
    "Gladstone", "Wellington", "Milton", "Shelley", "Keats", "Byron", "Tennyson", "Wordsworth",
    "Canal", "Forge", "Tannery", "Weaver", "Cooper", "Mason", "Thornfield", "Bracken", "Clover",
]
STREET_SUFFIXES = [
    "Road", "Street", "Close", "Avenue", "Lane", "Drive", "Way", "Crescent", "Grove", "Court",
    "Gardens", "Terrace", "Place", "Walk", "Rise", "View", "Mews",
]
TOWNS = [
    "Northmoor", "Eastbridge", "Wrenham", "Kelverton", "Ashcombe", "Harrowfield", "Saltmere",
    "Oakhurst", "Fenwick Vale", "Lindenford", "Brackenby", "Stoneleigh Cross",
]

_NICK_REVERSE: dict[str, list[str]] = {}
for _formal, _variants in NICKNAMES.items():
    for _v in _variants:
        _NICK_REVERSE.setdefault(_v, []).append(_formal)


class NamePicker:
    """Draws names by frequency with precomputed cumulative weights (fast for 1M people)."""

    def __init__(self) -> None:
        self._family = [n for n, _ in FAMILY_NAMES]
        self._family_cum = list(itertools.accumulate(w for _, w in FAMILY_NAMES))
        self._given = {s: [n for n, _ in GIVEN_NAMES[s]] for s in GIVEN_NAMES}
        self._given_cum = {s: list(itertools.accumulate(w for _, w in GIVEN_NAMES[s])) for s in GIVEN_NAMES}

    def family(self, rng: random.Random) -> str:
        return rng.choices(self._family, cum_weights=self._family_cum)[0]

    def given(self, rng: random.Random, sex: str) -> str:
        return rng.choices(self._given[sex], cum_weights=self._given_cum[sex])[0]

    def common_family(self, rng: random.Random) -> str:
        """One of the 20 most frequent family names."""
        return rng.choice(sorted(FAMILY_NAMES, key=lambda x: -x[1])[:20])[0]


def nickname_of(name: str, rng: random.Random) -> str | None:
    """An informal (or, for an informal name, the formal) variant of ``name``, or None."""
    if name in NICKNAMES:
        return rng.choice(NICKNAMES[name])
    if name in _NICK_REVERSE:
        return rng.choice(_NICK_REVERSE[name])
    return None


_KEYBOARD_NEIGHBOURS = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "r": "et", "s": "ad",
    "t": "ry", "u": "yi", "v": "cb", "w": "qe", "y": "tu", "z": "x",
}


def typo(name: str, rng: random.Random) -> str:
    """One keying error: swap two adjacent letters, drop, double or mistype a letter."""
    if len(name) < 3:
        return name + name[-1]
    i = rng.randrange(1, len(name) - 1)
    kind = rng.randrange(4)
    if kind == 0 and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if kind == 1:
        return name[:i] + name[i + 1:]
    if kind == 2:
        return name[:i] + name[i] + name[i:]
    near = _KEYBOARD_NEIGHBOURS.get(name[i].lower())
    if near:
        return name[:i] + rng.choice(near) + name[i + 1:]
    return name[:i] + name[i + 1:]
