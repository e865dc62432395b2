"""The Cypher console (/console): who may open it, read-only runs, parameters, the row cap and the
timeout, one-line errors, the network of a result, each user's own history, the saved-query draft
and the audit of every statement.

Uses the hand-built graph and accounts of tests/test_web.py; the browser walk through every write
form is in tests/test_web_console_browser.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from html import unescape

import pytest

from mashgraph.errors import ReadOnlyViolation
from mashgraph.web.console import LOAD_CSV_REFUSED

from mashgraph.graph.query_draft import check_draft
from mashgraph.web import create_app
from test_web import (HOSTILE, PASSWORD, _cli, app, audit_rows, build_sample_graph, client, csrf_from,  # noqa: F401
                      login, sample_store, users_template)

BETH = "MATCH (p:Person {key: 'P2'})<-[r:RESOLVES_TO]-(rec:Record) RETURN p, r, rec"


# Each write form of Cypher, as an analyst might type it into the console (the browser test types them all).
WRITES = {
    "CREATE": "CREATE (p:Person {key: 'P9', display_name: 'Intruder'}) RETURN p",
    "MERGE": "MERGE (p:Person {key: 'P1'}) ON MATCH SET p.display_name = 'Changed' RETURN p",
    "SET": "MATCH (p:Person {key: 'P1'}) SET p.display_name = 'Changed' RETURN p",
    "DELETE": "MATCH (:Referral)-[t:TO]->(:Agency) DELETE t",
    "DETACH DELETE": "MATCH (p:Person) DETACH DELETE p",
    "REMOVE": "MATCH (r:Record) REMOVE r.nhs_number RETURN count(r)",
    "LOAD CSV": "LOAD CSV FROM 'file:///etc/hostname' AS row CREATE (:Person {key: row[0]})",
}
# A procedure that writes, in each engine's own words.
WRITING_PROCEDURES = {
    "embedded": ["CALL db.idx.fulltext.createNodeIndex('Person', 'display_name')", "CALL db.idx.fulltext.drop('Record')"],
    "neo4j": ["CALL db.createLabel('Intruder')", "CALL db.createProperty('intruder')"],
}
WRITING_PROCEDURES["falkordb-server"] = WRITING_PROCEDURES["embedded"]
REFUSED = "refused: a read-only query"

NODES_CYPHER = "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"
RELS_CYPHER = "MATCH (a)-[r]->(b) RETURN a.key AS start, type(r) AS type, properties(r) AS props, b.key AS end"


def fingerprint(store) -> tuple[int, int, int, str]:
    """Node, relationship and index counts, and a checksum of all of them with every property."""
    parts = [store.read(NODES_CYPHER), store.read(RELS_CYPHER), store.schema()]
    rows = [sorted(json.dumps(row, default=str, sort_keys=True) for row in part.rows) for part in parts]
    digest = hashlib.sha256(json.dumps(rows).encode("utf-8")).hexdigest()
    return len(rows[0]), len(rows[1]), len(rows[2]), digest


def accounts_of(app):
    return app.extensions["mashgraph"].accounts


@pytest.fixture
def console_client(app):
    accounts_of(app).grant("ana", "console")
    client = app.test_client()
    login(client)
    return client


def token(client) -> str:
    return csrf_from(client.get("/console").get_data(as_text=True))


def run(client, statement: str, params: str = "", **extra):
    return client.post("/console", data={"statement": statement, "params": params,
                                         "csrf_token": token(client), **extra})


def one_line_error(html: str) -> str:
    match = re.search(r'<p class="error console-error" role="alert">(.*?)</p>', html, re.S)
    assert match, "no error shown"
    text = unescape(match.group(1))
    assert "\n" not in text
    return text


# -- who may use it --------------------------------------------------------------------------


def test_without_the_grant_the_console_is_403_and_not_linked(client):
    login(client)
    assert client.get("/console").status_code == 403
    token_ = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/console", data={"statement": "RETURN 1", "csrf_token": token_}).status_code == 403
    assert client.post("/console/draft.cypher", data={"statement": "RETURN 1", "csrf_token": token_}).status_code == 403
    assert "Cypher console" not in client.get("/").get_data(as_text=True)


def test_an_admin_needs_the_grant_too_and_a_revoke_applies_at_the_next_click(app, client):
    login(client, "adm", "admin-password-12")
    assert client.get("/console").status_code == 403
    accounts_of(app).grant("adm", "console")
    assert client.get("/console").status_code == 200
    assert 'href="/console"' in client.get("/").get_data(as_text=True)
    accounts_of(app).revoke("adm", "console")
    assert client.get("/console").status_code == 403


def test_users_grant_and_revoke_commands(tmp_path, users_template):
    db = tmp_path / "users.sqlite"
    shutil.copyfile(users_template, db)
    env = {"MASHGRAPH_USERS_DB": str(db)}
    assert _cli(["users", "grant", "ana", "console"], env).exit_code == 0
    listing = json.loads(_cli(["users", "list", "--format", "json"], env).output)
    assert {u["name"]: u["permissions"] for u in listing} == {"ana": ["console"], "adm": []}
    assert "may: console" in _cli(["users", "list"], env).output
    assert _cli(["users", "revoke", "ana", "console"], env).exit_code == 0
    assert json.loads(_cli(["users", "list", "--format", "json"], env).output)[1]["permissions"] == []
    assert _cli(["users", "grant", "ana", "everything"], env).exit_code == 2
    missing = _cli(["users", "grant", "nobody", "console"], env)
    assert missing.exit_code != 0 and "no user named 'nobody'" in missing.output


# -- running statements ------------------------------------------------------------------------


def test_a_statement_shows_a_table_and_a_network_and_is_audited_with_its_persons(app, console_client):
    response = run(console_client, BETH)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 row." in html and "Beth Example" in html
    network = json.loads(unescape(re.search(r"data-network='([^']*)'", html).group(1)))
    assert {n["id"] for n in network["nodes"]} == {"P2", "csc-la1:C2"}
    assert network["edges"] == [{"from": "csc-la1:C2", "to": "P2", "label": "RESOLVES_TO"}]
    assert 'src="/static/vendor/vis-network.min.js"' in html
    entry = audit_rows(app, action="console")[0]
    assert entry.person_keys == ["P2"] and entry.reason == "test case 1"
    assert entry.what.startswith(BETH) and entry.what.endswith("-> 1 rows")


def test_a_relationship_before_its_nodes_still_draws_each_node_as_itself(console_client):
    html = run(console_client, "MATCH (r:Record {key: 'csc-la1:C2'})-[h:HELD_BY]->(a:Agency) RETURN h, a"
               ).get_data(as_text=True)
    network = json.loads(unescape(re.search(r"data-network='([^']*)'", html).group(1)))
    assert sorted((n["id"], n["group"], n["label"]) for n in network["nodes"]) == [
        ("csc-la1", "agency", "Agency Children's social care"),
        ("csc-la1:C2", "record", "Beth Example (csc-la1 record)")]


def test_parameters_are_name_value_lines_like_the_cypher_command(app, console_client):
    html = run(console_client, "MATCH (p:Person {key: $k}) WHERE p.dob >= date($since) RETURN p.key AS k, $n AS n",
               "k=P2\nsince=1990-01-01\n\nn=[1, 2]").get_data(as_text=True)
    assert "1 row." in html and "<li>1</li><li>2</li>" in html
    bad = run(console_client, "RETURN $x AS x", "x is 3")
    assert bad.status_code == 400
    assert one_line_error(bad.get_data(as_text=True)).startswith("parameters: the line 'x is 3' is not NAME=VALUE")
    assert "failed: parameters" in audit_rows(app, action="console")[0].what


@pytest.mark.parametrize("statement", ["CREATE (n:Person {key: 'P9'}) RETURN n",
                                       "MATCH (p:Person) DETACH DELETE p"])
def test_a_write_is_refused_by_the_engine_in_one_line_and_audited(app, console_client, sample_store, statement):
    before = sample_store.read("MATCH (n) RETURN count(n) AS n").value()
    response = run(console_client, statement)
    assert response.status_code == 403
    assert one_line_error(response.get_data(as_text=True)).startswith("refused: a read-only query tried to write")
    assert sample_store.read("MATCH (n) RETURN count(n) AS n").value() == before
    assert audit_rows(app, action="console")[0].what.startswith(statement)


@pytest.mark.parametrize("statement", [
    "MATCH (p:Person) LOAD CSV FROM 'https://127.0.0.1:9/' + p.key AS row RETURN row",
    "load  csv from 'http://127.0.0.1:9/x' as row return row",
    "LOAD /* hidden */ CSV FROM 'https://127.0.0.1:9/' AS row RETURN row",
    "LOAD // line comment\nCSV FROM 'https://127.0.0.1:9/' AS row RETURN row",
])
def test_load_csv_is_refused_before_the_engine_sees_it(app, console_client, statement):
    # A read the engine allows, but the graph server would connect to the URL with graph values in it.
    response = run(console_client, statement)
    assert response.status_code == 403
    assert one_line_error(response.get_data(as_text=True)).startswith(
        "refused: LOAD CSV is not allowed in the console: it reads from a URL")
    assert "failed: refused: LOAD CSV" in audit_rows(app, action="console")[0].what


def test_a_name_containing_load_csv_as_data_is_not_refused(console_client):
    html = run(console_client, "RETURN 'payload' AS loadcsv").get_data(as_text=True)
    assert "1 row." in html


def test_every_write_form_is_refused_on_every_engine(store, users_template, tmp_path):
    build_sample_graph(store)
    before = fingerprint(store)
    client = _app(store, users_template, tmp_path).test_client()
    login(client)
    for statement in [*WRITES.values(), *WRITING_PROCEDURES[store.backend_kind]]:
        response = run(client, statement)
        assert response.status_code == 403, (statement, response.status_code)
        expected = LOAD_CSV_REFUSED if statement.startswith("LOAD CSV") else REFUSED
        assert one_line_error(response.get_data(as_text=True)).startswith(expected), statement
        assert fingerprint(store) == before, f"{statement} changed the graph"
    # The console refuses LOAD CSV before the engine sees it; the engine refuses this one too.
    with pytest.raises(ReadOnlyViolation):
        store.read(WRITES["LOAD CSV"])
    assert fingerprint(store) == before


def test_a_syntax_error_is_one_line_and_the_statement_stays_in_the_form(console_client):
    response = run(console_client, "MATCH (n) RETRN n")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert one_line_error(html).startswith("Cypher syntax error")
    assert ">MATCH (n) RETRN n</textarea>" in html


def test_rows_past_the_console_row_cap_are_cut_and_not_audited(sample_store, users_template, tmp_path):
    app = _app(sample_store, users_template, tmp_path, MASHGRAPH_CONSOLE_ROW_CAP=1)
    client = app.test_client()
    login(client)
    html = run(client, "MATCH (p:Person) RETURN p.key AS person ORDER BY person").get_data(as_text=True)
    assert "1 row (cut at 1 rows" in html
    assert audit_rows(app, action="console")[0].person_keys == ["P1"]


def test_the_query_timeout_setting_stops_a_statement(sample_store, users_template, tmp_path):
    app = _app(sample_store, users_template, tmp_path, MASHGRAPH_QUERY_TIMEOUT_MS=300)
    client = app.test_client()
    login(client)
    response = run(client, "UNWIND range(1, 3000) AS a UNWIND range(1, 3000) AS b UNWIND range(1, 3000) AS c "
                           "RETURN count(*) AS n")
    assert response.status_code == 504
    assert "timed out" in one_line_error(response.get_data(as_text=True))


def _app(store, users_template, tmp_path, **settings):
    users_db = tmp_path / "users.sqlite"
    shutil.copyfile(users_template, users_db)
    app = create_app({"TESTING": True, "STORE": store, "MASHGRAPH_USERS_DB": str(users_db), **settings})
    accounts_of(app).grant("ana", "console")
    return app


def test_everything_is_escaped_and_no_script_is_inline(console_client):
    html = run(console_client, f"MATCH (r:Record {{key: 'police:N666'}}) RETURN r, '{HOSTILE}' AS said"
               ).get_data(as_text=True)
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html)


def test_a_post_without_the_csrf_token_or_over_long_is_refused(console_client):
    assert console_client.post("/console", data={"statement": "RETURN 1"}).status_code == 400
    assert run(console_client, "RETURN 1 " + "x" * 5000).status_code == 400
    assert run(console_client, "   ").status_code == 400


# -- history ---------------------------------------------------------------------------------------


def test_history_is_each_users_own_newest_first_and_runs_again(app, console_client):
    run(console_client, "RETURN 1 AS first")
    run(console_client, "RETURN $x AS second", "x=2")
    html = console_client.get("/console").get_data(as_text=True)
    assert html.index("RETURN $x AS second") < html.index("RETURN 1 AS first")
    ana = accounts_of(app).get_user("ana")
    newest = accounts_of(app).history(ana)[0]
    assert (newest.statement, newest.params) == ("RETURN $x AS second", "x=2")
    edit = console_client.get(f"/console?history={newest.id}").get_data(as_text=True)
    assert ">RETURN $x AS second</textarea>" in edit and ">x=2</textarea>" in edit
    again = console_client.post("/console", data={"history": newest.id, "csrf_token": token(console_client)})
    assert "1 row." in again.get_data(as_text=True)
    assert audit_rows(app, action="console")[0].what.startswith("RETURN $x AS second")

    accounts_of(app).grant("adm", "console")
    other = app.test_client()
    login(other, "adm", "admin-password-12")
    assert "RETURN $x AS second" not in other.get("/console").get_data(as_text=True)
    assert other.get(f"/console?history={newest.id}").status_code == 404
    assert other.post("/console", data={"history": newest.id, "csrf_token": token(other)}).status_code == 404
    assert console_client.get("/console?history=99999999999999999999999").status_code == 404


# -- save as saved query ------------------------------------------------------------------------------


def test_save_as_saved_query_downloads_a_draft_the_loader_accepts(console_client):
    statement = "MATCH (p:Person {key: $person})<-[:RESOLVES_TO]-(r:Record) WHERE r.dob >= date($since) RETURN p, r"
    response = console_client.post("/console/draft.cypher", data={
        "statement": statement, "params": "person=P2\nsince=1990-01-01", "title": "Records of a person, <b>born</b> since",
        "description": "", "returns": "graph", "csrf_token": token(console_client)})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="records-of-a-person-b-born-b-since.cypher"'
    text = response.get_data(as_text=True)
    query = check_draft(text, "records-of-a-person-b-born-b-since")
    assert query.title == "Records of a person, <b>born</b> since" and query.returns == "graph"
    assert {(p.name, p.type, p.default) for p in query.params.values()} == {
        ("person", "string", "P2"), ("since", "date", "1990-01-01")}
    assert query.cypher == statement and "console by ana" in query.description


def test_a_draft_that_would_not_load_is_a_one_line_error(console_client):
    response = console_client.post("/console/draft.cypher", data={
        "statement": "// not a header line\nRETURN 1", "params": "", "csrf_token": token(console_client)})
    assert response.status_code == 400
    assert one_line_error(response.get_data(as_text=True)).startswith("console-draft.cypher:")
