"""The FalkorDB parameter encoder (graph/backends/falkordb.py): ``CYPHER name=value ...`` text.

Every value is checked twice: the text the encoder writes, and the value a
real embedded FalkorDB reads back from it (``RETURN $v``). Values the fast
(JSON) path cannot prove right must take the exact path and still come back
unchanged, or raise QueryError naming the parameter.
"""

from __future__ import annotations

import datetime
import random

import pytest

from mashgraph.errors import QueryError
from mashgraph.graph import open_store
from mashgraph.graph.backends.falkordb import _literal, cypher_literal, params_header
from mashgraph.settings import load_settings

ECHO_CYPHER = "RETURN $v AS v"
ECHO_TWO_CYPHER = "RETURN $a AS a, $b AS b"
STORE_CYPHER = "UNWIND $rows AS row MERGE (n:Probe {key: row.k}) SET n += row.p"
FETCH_CYPHER = "MATCH (n:Probe) RETURN n.key AS k, properties(n) AS p ORDER BY k"


@pytest.fixture(scope="module")
def falkor(tmp_path_factory):
    store = open_store(str(tmp_path_factory.mktemp("params") / "graph"), load_settings(environ={}))
    yield store
    store.close()


# What the encoder writes ---------------------------------------------------------

@pytest.mark.parametrize("value, text", [
    (None, "null"), (True, "true"), (False, "false"), (0, "0"), (-42, "-42"), (1.5, "1.5"), (1e-05, "1e-05"),
    ("", '""'), ("plain", '"plain"'),
    ('say "hi"', r'"say \"hi\""'),
    ("back\\slash", r'"back\\slash"'),
    ("C:\\new\\table", r'"C:\\new\\table"'),          # a backslash before n/t is text, not an escape
    ("line\nbreak\ttab\rcr", r'"line\nbreak\ttab\rcr"'),
    ("Zoë Ó'Brien 日本 😀", '"Zoë Ó\'Brien 日本 😀"'),  # non-ASCII travels as UTF-8, never as \\u escapes
    ([1, [2, "3"], []], '[1,[2,"3"],[]]'),
    ({"a": 1, "b c": None, "d": {"e": [True]}}, "{`a`:1,`b c`:null,`d`:{`e`:[true]}}"),
    ((1, "x"), '[1,"x"]'),
    ({}, "{}"),
])
def test_literal_text(value, text):
    assert cypher_literal(value) == text


def test_control_characters_travel_as_themselves_not_as_unicode_escapes():
    # JSON would write \u0001, which FalkorDB keeps as six characters; the exact path writes the character.
    assert cypher_literal("a\x01b\x1fc") == '"a\x01b\x1fc"'
    assert "\\u" not in cypher_literal({"k": ["x\x07"]})


def test_header_names_every_parameter():
    assert params_header({"rows": [{"k": "a"}], "n": 3}) == b'CYPHER rows=[{`k`:"a"}] n=3 '
    assert params_header({}) == b"" and params_header(None) == b""


@pytest.mark.parametrize("params, message", [
    ({"d": datetime.date(2024, 1, 2)}, "$d is a date"),
    ({"rows": [{"when": datetime.datetime(2024, 1, 2, 3, 4)}]}, "$rows[0].when is a date"),
    ({"x": float("nan")}, "$x is nan"),
    ({"x": [float("inf")]}, "$x[0] is inf"),
    ({"x": 2**63}, "$x is an integer outside 64 bits"),
    ({"x": {"n": -(2**63) - 1}}, "$x.n is an integer outside 64 bits"),
    ({"x": "nul\x00byte"}, "$x contains a NUL character"),
    ({"x": {"bad`key": 1}}, "map key 'bad`key'"),
    ({"x": {(1, 2): 1}}, "map key of type tuple"),
    ({"x": {1, 2}}, "$x is a set"),
    ({"bad name": 1}, "parameter name 'bad name'"),
])
def test_values_falkordb_cannot_take_raise_query_error_naming_the_parameter(params, message):
    with pytest.raises(QueryError, match=message.replace("$", r"\$").replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)")):
        params_header(params)


# What FalkorDB reads back ----------------------------------------------------------

TRICKY = [
    'quote " inside', "ends with a backslash \\", '\\"', '"', "\\", "\\n is not a newline", "\\u00e9 is not é",
    "new\nline", "cr\rlf\n", "tab\t", "bell\x07 esc\x1b unit\x1f", "del\x7f", "\u2028 line separator",
    "Zoë", "日本語", "😀 emoji", "", " ", "`backtick`", "{\"k\": 1}", '","', "{", ",", ":", '"\x00:', "12:30",
    "trailing comma,", "{brace", "1234567890123456789012345",
]


@pytest.mark.parametrize("value", TRICKY, ids=lambda v: repr(v)[:24])
def test_tricky_strings_round_trip(falkor, value):
    if "\x00" in value:
        with pytest.raises(QueryError, match="NUL"):
            falkor.read(ECHO_CYPHER, {"v": value})
        return
    assert falkor.read(ECHO_CYPHER, {"v": value}).value() == value
    assert falkor.read(ECHO_CYPHER, {"v": [value, value]}).value() == [value, value]
    assert falkor.read(ECHO_CYPHER, {"v": {"k": value, "l": [value]}}).value() == {"k": value, "l": [value]}


@pytest.mark.parametrize("value", [
    None, True, False, 0, -1, 2**63 - 1, -(2**63), 1.5, -0.25, 1e-300, 1.25e300, 1e22,
    [], [None, True, 1, 2.5, "s"], [[[]]], [["a", "b"], ["c"]], {}, {"a": {"b": {"c": [1, {"d": "e"}]}}},
    {"a b": 1, "é": 2, "1": 3, 'q"uote': 4, "back\\slash": 5, "new\nline": 6, "": 7},
    {"k": "a,", "l": ["x,", "{y", "z"]},  # strings that end like a key opening: the plain-replace path must not fire
], ids=lambda v: repr(v)[:30])
def test_numbers_lists_and_maps_round_trip(falkor, value):
    assert falkor.read(ECHO_CYPHER, {"v": value}).value() == value


def test_two_parameters_and_stored_properties_round_trip(falkor):
    assert falkor.read(ECHO_TWO_CYPHER, {"a": 'x"y', "b": ["\n"]}).records() == [{"a": 'x"y', "b": ["\n"]}]
    rows = [{"k": f"p{i}", "p": {"name": value, "n": i}} for i, value in enumerate(TRICKY) if "\x00" not in value]
    falkor.write(STORE_CYPHER, {"rows": rows})
    got = {r["k"]: r["p"] for r in falkor.read(FETCH_CYPHER).records()}
    assert got == {r["k"]: {"key": r["k"], **r["p"]} for r in rows}


def test_random_nested_values_match_the_exact_encoder_and_round_trip(falkor):
    """Random nests of tricky text: the fast text equals the exact encoder's whenever both are plain JSON,
    and FalkorDB always reads back the value sent."""
    rng = random.Random(20261130)
    alphabet = ['"', "\\", "`", "{", "}", ",", ":", "[", "]", "\n", "\t", "\x01", "a", "é", "😀", " ", "0", "u"]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))

    def value(depth: int = 0):
        kind = rng.randint(0, 6 if depth < 3 else 3)
        if kind == 0:
            return text()
        if kind == 1:
            return rng.choice([None, True, False, rng.randint(-(2**63), 2**63 - 1),
                               rng.randint(-10**9, 10**9) / 1000])  # FalkorDB returns 15 significant digits
        if kind == 2:
            return rng.randint(-5, 5)
        if kind == 3:
            return text().replace("`", "")
        if kind in (4, 5):
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        return {text().replace("`", ""): value(depth + 1) for _ in range(rng.randint(0, 4))}

    values = [value() for _ in range(300)]
    for v in values:
        fast = cypher_literal(v)
        if "\\" not in fast:  # no escapes: JSON-free exact text is the same text
            assert fast == _literal(v, "v")
    got = falkor.read(ECHO_CYPHER, {"v": values}).value()
    assert got == values
