"""The Flask explorer: login, roles, CSRF, headers, escaping, audit rows, pages.

A small hand-built graph (``build_sample_graph``) stands in for ingested data,
so these tests do not depend on synthesis, ingestion or resolution.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import io
import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from mashgraph.ingest.resolve.households import resolve_households
from mashgraph.web import create_app
from mashgraph.web.accounts import Accounts
from mashgraph.web.security import CONTENT_SECURITY_POLICY

HOSTILE = "<script>alert('pwned')</script>"
PASSWORD = "analyst-password-1"
ADMIN_PASSWORD = "admin-password-12"

SAMPLE_AGENCIES_CYPHER = """
UNWIND $rows AS row
MERGE (a:Agency {key: row.key})
SET a.name = row.name, a.kind = row.kind
"""

SAMPLE_RECORDS_CYPHER = """
UNWIND $rows AS row
MATCH (a:Agency {key: row.agency})
MERGE (r:Record {key: row.key})
SET r.agency = row.agency, r.local_id = row.local_id, r.given_name = row.given_name,
    r.family_name = row.family_name, r.dob = date(row.dob), r.sex = row.sex, r.nhs_number = row.nhs_number
MERGE (r)-[:HELD_BY]->(a)
"""

SAMPLE_PERSONS_CYPHER = """
UNWIND $rows AS row
MERGE (p:Person {key: row.key})
SET p.display_name = row.name, p.dob = date(row.dob), p.sex = row.sex
WITH p, row
UNWIND row.records AS rk
MATCH (r:Record {key: rk})
MERGE (r)-[rt:RESOLVES_TO]->(p)
SET rt.probability = 0.98, rt.method = 'exact', rt.evidence = 'same NHS number'
"""

SAMPLE_PLACES_CYPHER = """
MATCH (amy:Record {key: 'police:N1'}), (mum:Record {key: 'csc-la1:C2'}), (amyc:Record {key: 'csc-la1:C1'}),
      (bad:Record {key: 'police:N666'})
MERGE (ad:Address {key: 'uprn:100'})
SET ad.uprn = '100', ad.text = '1 Example Street, Testtown', ad.postcode = 'TT1 1AA'
MERGE (h:Household {key: 'csc-la1:H1'})
MERGE (amy)-[:LIVES_AT {from: date('2022-01-01')}]->(ad)
MERGE (mum)-[:LIVES_AT {from: date('2021-06-01')}]->(ad)
MERGE (bad)-[:LIVES_AT {from: date('2023-02-01')}]->(ad)
MERGE (amyc)-[:MEMBER_OF {role: 'child'}]->(h)
MERGE (mum)-[:MEMBER_OF {role: 'parent'}]->(h)
MERGE (mum)-[:RELATED_TO {type: 'parent_of'}]->(amyc)
"""

SAMPLE_EVENTS_CYPHER = """
MATCH (police:Agency {key: 'police'}), (csc:Agency {key: 'csc-la1'}), (health:Agency {key: 'health'}),
      (amy:Record {key: 'police:N1'}), (amyc:Record {key: 'csc-la1:C1'}), (bad:Record {key: 'police:N666'}),
      (c3:Concern {key: '3A'}), (c16:Concern {key: '16A'})
MERGE (ref:Referral {key: 'police:R1'})
SET ref.date = date('2024-03-01'), ref.source_code = '6', ref.rag = 'amber', ref.outcome = 'early help', ref.nfa = false
MERGE (police)-[:MADE]->(ref)
MERGE (ref)-[:ABOUT {role: 'subject'}]->(amy)
MERGE (ref)-[:TO]->(csc)
MERGE (ref)-[:RAISES]->(c3)
MERGE (inc:Incident {key: 'police:I1'})
SET inc.date = date('2024-01-15'), inc.type = 'domestic'
MERGE (police)-[:RECORDED]->(inc)
MERGE (inc)-[:INVOLVES {role: 'witness'}]->(amy)
MERGE (inc)-[:INVOLVES {role: 'suspect'}]->(bad)
MERGE (inc)-[:RAISES]->(c3)
MERGE (ep:Episode {key: 'csc-la1:E1'})
SET ep.kind = 'child_in_need', ep.start = date('2024-03-10'), ep.category = 'N1'
MERGE (csc)-[:RUNS]->(ep)
MERGE (ep)-[:FOR]->(amyc)
MERGE (ep)-[:RAISES]->(c16)
"""


def build_sample_graph(store) -> None:
    """Amy Example (person P1: police, health and children's social care records), her mother,
    a hostile-named unresolved record, one address, one household, a referral, an incident, an episode."""
    store.ensure_schema()
    store.write_batches(SAMPLE_AGENCIES_CYPHER, [
        {"key": "police", "name": "Police", "kind": "police"},
        {"key": "health", "name": "Health", "kind": "health"},
        {"key": "csc-la1", "name": "Children's social care", "kind": "childrens_social_care"},
    ])
    store.write_batches(SAMPLE_RECORDS_CYPHER, [
        {"key": "police:N1", "agency": "police", "local_id": "N1", "given_name": "Amy",
         "family_name": "Example", "dob": "2015-04-02", "sex": "F", "nhs_number": None},
        {"key": "health:H1", "agency": "health", "local_id": "H1", "given_name": "Amelia",
         "family_name": "Example", "dob": "2015-04-02", "sex": "F", "nhs_number": "9434765919"},
        {"key": "csc-la1:C1", "agency": "csc-la1", "local_id": "C1", "given_name": "Amy",
         "family_name": "Example", "dob": "2015-04-02", "sex": "F", "nhs_number": "9434765919"},
        {"key": "csc-la1:C2", "agency": "csc-la1", "local_id": "C2", "given_name": "Beth",
         "family_name": "Example", "dob": "1990-09-09", "sex": "F", "nhs_number": None},
        {"key": "police:N666", "agency": "police", "local_id": "N666", "given_name": HOSTILE,
         "family_name": "Hostile", "dob": "1985-01-01", "sex": "M", "nhs_number": None},
    ])
    store.write_batches(SAMPLE_PERSONS_CYPHER, [
        {"key": "P1", "name": "Amy Example", "dob": "2015-04-02", "sex": "F",
         "records": ["police:N1", "health:H1", "csc-la1:C1"]},
        {"key": "P2", "name": "Beth Example", "dob": "1990-09-09", "sex": "F", "records": ["csc-la1:C2"]},
    ])
    store.write(SAMPLE_PLACES_CYPHER)
    store.write(SAMPLE_EVENTS_CYPHER)
    resolve_households(store, "sample")  # as resolution leaves it: each household in a Family


# A tiny saved-query library in F's file format, so the query pages have something to run.
SAMPLE_QUERY = textwrap.dedent("""\
    // title: People born after a date
    // description: Persons whose date of birth is on or after a date.
    // params:
    //   born_after: {type: date, default: "2000-01-01", help: earliest date of birth}
    // tags: [test]
    // returns: table
    MATCH (p:Person)
    WHERE p.dob >= date($born_after)
    RETURN p.key AS person_key, p.display_name AS name, p.dob AS dob
    ORDER BY person_key
    """)

PERSON_QUERY = textwrap.dedent("""\
    // title: Records of one person
    // description: The agency records resolved to one person.
    // params:
    //   person: {type: string, help: the person's key}
    // returns: table
    MATCH (p:Person {key: $person})<-[:RESOLVES_TO]-(r:Record)
    RETURN r.key AS record, r.agency AS agency
    ORDER BY record
    """)


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    from mashgraph.graph import open_store
    from mashgraph.settings import load_settings

    path = tmp_path_factory.mktemp("webgraph") / "graph"
    with open_store(str(path), load_settings(environ={})) as store:
        build_sample_graph(store)
        yield store


@pytest.fixture(scope="module")
def users_template(tmp_path_factory):
    """A users database with analyst 'ana' and admin 'adm' (password hashing is slow on purpose: do it once)."""
    path = tmp_path_factory.mktemp("users") / "users.sqlite"
    accounts = Accounts(path)
    accounts.add_user("ana", PASSWORD, "analyst")
    accounts.add_user("adm", ADMIN_PASSWORD, "admin")
    accounts.close()
    return path


@pytest.fixture
def app(sample_store, users_template, tmp_path):
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "born-after.cypher").write_text(SAMPLE_QUERY, encoding="utf-8")
    (queries / "person-records.cypher").write_text(PERSON_QUERY, encoding="utf-8")
    users_db = tmp_path / "users.sqlite"
    shutil.copyfile(users_template, users_db)
    app = create_app({"TESTING": True, "STORE": sample_store, "MASHGRAPH_USERS_DB": str(users_db),
                      "QUERIES_FOLDER": str(queries)})
    yield app
    app.extensions["mashgraph"].accounts.close()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


TEST_REASON = "test case 1"


def login(client, name="ana", password=PASSWORD, reason=TEST_REASON):
    """Sign in and, when that worked and ``reason`` is given, state it (a reason is required by default)."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    if response.status_code == 302 and reason:
        client.post("/reason", data={"reason": reason, "csrf_token": csrf_from(
            client.get("/reason").get_data(as_text=True)), "next": "/"})
    return response


def audit_rows(app, **filters):
    return app.extensions["mashgraph"].accounts.audit_entries(**filters)


# -- login and roles -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/search?q=amy", "/person/P1", "/record/police:N1",
                                  "/household/csc-la1:H1", "/network/person/P1", "/queries",
                                  "/queries/born-after?run=1", "/admin/audit"])
def test_every_page_redirects_to_login_when_signed_out(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_json_endpoint_answers_401_when_signed_out(client):
    response = client.get("/network-data/person/P1.json")
    assert response.status_code == 401
    assert response.get_json()["error"] == "sign in first"


def test_wrong_password_is_refused_and_audited(app, client):
    response = login(client, password="not-the-password")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert [e.action for e in audit_rows(app, user="ana")] == ["login_failed"]


def test_login_then_pages_open(client):
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Find a person" in page and "ana (analyst)" in page


def test_login_does_not_redirect_off_site(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token,
                                           "next": "//evil.example/steal"})
    assert response.headers["Location"] == "/"


def test_analyst_cannot_open_admin_pages(client):
    login(client)
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403
    assert client.get("/admin/users").status_code == 403


def test_admin_sees_audit_log_and_users(client):
    login(client, "adm", ADMIN_PASSWORD)
    assert client.get("/admin/audit").status_code == 200
    users = client.get("/admin/users").get_data(as_text=True)
    assert "ana" in users and "analyst" in users and "admin" in users


def test_disabled_user_is_signed_out_at_once(app, client):
    login(client)
    assert client.get("/").status_code == 200
    app.extensions["mashgraph"].accounts.set_disabled("ana")
    assert client.get("/").status_code == 302
    assert login(client).status_code == 401


def test_password_change_ends_open_sessions(app, client):
    login(client)
    app.extensions["mashgraph"].accounts.set_password("ana", "a-new-password-99")
    assert client.get("/").status_code == 302


def test_account_locks_after_five_wrong_passwords(app):
    accounts = app.extensions["mashgraph"].accounts
    for _ in range(5):
        assert accounts.authenticate("ana", "wrong-password") is None
    assert accounts.authenticate("ana", PASSWORD) is None  # locked even with the right password
    accounts.set_password("ana", PASSWORD)  # an admin's reset clears the lock
    assert accounts.authenticate("ana", PASSWORD).name == "ana"


# -- CSRF, headers, cookies -----------------------------------------------------------


def test_post_without_csrf_token_is_rejected(client):
    client.get("/login")
    response = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in


def test_logout_needs_csrf_token(client):
    login(client)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_every_form_carries_a_csrf_token(client):
    login(client, "adm", ADMIN_PASSWORD)
    for path in ["/", "/person/P1", "/reason", "/admin/audit"]:
        html = client.get(path).get_data(as_text=True)
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S):
            assert 'name="csrf_token"' in form, path


def test_security_headers_on_every_response(client):
    for response in (client.get("/login"), client.get("/static/app.css")):
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
    policy = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    login(client)
    assert client.get("/person/P1").headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_samesite(client):
    response = login(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_inline_script_and_no_remote_assets(client):
    login(client)
    for path in ["/", "/person/P1", "/network/person/P1", "/queries", "/search?q=amy"]:
        html = client.get(path).get_data(as_text=True)
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], path
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), path  # no inline event handlers
        assert not re.search(r"""(src|href)=["'](https?:)?//""", html), path


# -- escaping ---------------------------------------------------------------------------


def test_hostile_name_is_escaped_in_search_and_record_page(client):
    login(client)
    html = client.get("/search?q=hostile").get_data(as_text=True)
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    html = client.get("/record/police:N666").get_data(as_text=True)
    assert HOSTILE not in html and "&lt;script&gt;" in html


def test_hostile_name_stays_data_in_network_json_and_export(client):
    login(client)
    data = client.get("/network-data/person/P1.json").get_json()
    assert any(HOSTILE in n["label"] for n in data["nodes"])  # JSON, drawn as canvas text
    export = client.get("/network-export/person/P1.html").get_data(as_text=True)
    assert HOSTILE not in export
    assert "\\u003cscript\\u003e" in export


# -- search and pages -----------------------------------------------------------------------


def test_search_groups_records_by_person(client):
    login(client)
    html = client.get("/search?q=amy exa").get_data(as_text=True)
    assert html.count('href="/person/P1"') == 1
    assert "Amelia Example" not in html  # 'amy' is not a prefix of Amelia
    html = client.get("/search?q=example").get_data(as_text=True)
    assert 'href="/person/P1"' in html and 'href="/person/P2"' in html
    assert "Amelia Example" in html


def test_search_by_nhs_number(client):
    login(client)
    html = client.get("/search?q=943 476 5919").get_data(as_text=True)
    assert 'href="/person/P1"' in html and "1 match for" in html


def test_search_with_no_letters_is_a_clear_400(client):
    login(client)
    response = client.get("/search?q=%3C%3E")
    assert response.status_code == 400
    assert "at least one letter or digit" in response.get_data(as_text=True)


def test_person_page_shows_chronology_and_gap(client):
    login(client)
    html = client.get("/person/P1").get_data(as_text=True)
    for expected in ["Amy Example", "police:N1", "health:H1", "csc-la1:C1", "9434765919",
                     "1 Example Street, Testtown", "csc-la1:H1", "2024-01-15", "2024-03-01", "2024-03-10",
                     "domestic abuse (child)", "neglect"]:
        assert expected in html, expected
    # 2 concerns x 3 involved agencies; police knows 3A, csc knows 3A (sent TO) and 16A: 3 of 6 unknown.
    assert "<strong>50%</strong>" in html
    assert html.index("2024-01-15") < html.index("2024-03-01") < html.index("2024-03-10")


def test_household_page_lists_members(client):
    login(client)
    html = client.get("/household/csc-la1:H1").get_data(as_text=True)
    assert 'href="/person/P1"' in html and 'href="/person/P2"' in html and "child_in_need" in html


def test_unknown_person_is_404(client):
    login(client)
    assert client.get("/person/nobody").status_code == 404


def test_network_json_links_people(client):
    login(client)
    data = client.get("/network-data/person/P1.json").get_json()
    ids = {n["id"] for n in data["nodes"]}
    assert {"person:P1", "record:police:N1", "agency:police", "referral:police:R1", "concern:3A",
            "address:uprn:100", "household:csc-la1:H1", "person:P2", "record:police:N666"} <= ids
    assert all(e["from"] in ids and e["to"] in ids for e in data["edges"])
    assert data["truncated"] is False


def test_network_export_is_self_contained(client):
    login(client)
    response = client.get("/network-export/person/P1.html")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    html = response.get_data(as_text=True)
    vendored = (Path(__file__).parent.parent / "web" / "static" / "vendor" / "vis-network.min.js").read_text()
    assert vendored[-2000:] in html
    assert not re.search(r"""(src|href)=["']""", html)  # loads nothing, from anywhere
    assert "default-src 'none'" in html


# -- saved queries ----------------------------------------------------------------------------

needs_saved_queries = pytest.mark.skipif(
    importlib.util.find_spec("mashgraph.graph.saved_queries") is None,
    reason="mashgraph.graph.saved_queries (the saved query library) is not in this tree yet")


@needs_saved_queries
def test_saved_query_runs_with_typed_params(client):
    login(client)
    assert "People born after a date" in client.get("/queries").get_data(as_text=True)
    html = client.get("/queries/born-after?run=1&born_after=2010-01-01").get_data(as_text=True)
    # The person key column is a link that shows the person's name (issue 10: results that link).
    assert '<a href="/person/P1" class="ref ref-person" title="person P1">Amy Example</a>' in html
    assert "Beth Example" not in html
    assert "/queries/born-after.csv?born_after=2010-01-01" in html


@needs_saved_queries
def test_person_page_links_person_queries_and_missing_params_are_shown_on_the_form(client):
    login(client)
    html = client.get("/person/P1").get_data(as_text=True)
    assert 'href="/queries/person-records?run=1&amp;person=P1"' in html
    html = client.get("/queries/person-records?run=1&person=P1").get_data(as_text=True)
    assert "csc-la1:C1" in html and "health:H1" in html and "police:N1" in html
    response = client.get("/queries/person-records?run=1")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "parameter &#39;person&#39; is required" in html and 'name="person"' in html


@needs_saved_queries
def test_saved_query_downloads(client):
    login(client)
    body = client.get("/queries/born-after.csv?born_after=1980-01-01").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows == [["person_key", "name", "dob"], ["P1", "Amy Example", "2015-04-02"],
                    ["P2", "Beth Example", "1990-09-09"]]
    doc = json.loads(client.get("/queries/born-after.json?born_after=2010-01-01").get_data(as_text=True))
    assert doc["rows"] == [{"person_key": "P1", "name": "Amy Example", "dob": "2015-04-02"}]


# -- audit --------------------------------------------------------------------------------------


def test_person_view_is_audited_with_reason(app, client):
    login(client)
    token = csrf_from(client.get("/reason").get_data(as_text=True))
    client.post("/reason", data={"reason": "MASH contact 4711", "csrf_token": token, "next": "/"})
    client.get("/person/P1")
    row = audit_rows(app, action="view_person")[0]
    assert (row.user, row.what, row.person_keys, row.reason) == ("ana", "person P1", ["P1", "P2"], "MASH contact 4711")
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", row.at)


def test_search_household_and_network_views_are_audited(app, client):
    login(client)
    client.get("/search?q=example")
    client.get("/household/csc-la1:H1")
    client.get("/network-data/person/P1.json")
    assert audit_rows(app, action="search")[0].person_keys == ["P1", "P2"]
    assert audit_rows(app, action="view_household")[0].person_keys == ["P1", "P2"]
    assert set(audit_rows(app, action="view_network")[0].person_keys) >= {"P1", "P2"}


@needs_saved_queries
def test_query_run_and_exports_are_audited(app, client):
    login(client)
    client.get("/queries/born-after?run=1&born_after=2010-01-01")
    client.get("/queries/born-after.csv?born_after=1980-01-01")
    client.get("/network-export/person/P1.html")
    run = audit_rows(app, action="run_query")[0]
    assert run.what == 'born-after {"born_after": "2010-01-01"}' and run.person_keys == ["P1"]
    exports = audit_rows(app, action="export")
    assert [e.what for e in exports] == ["network of person P1 as HTML",
                                         'born-after {"born_after": "1980-01-01"} as CSV']
    assert exports[1].person_keys == ["P1", "P2"]


def test_required_reason_blocks_views_until_given(sample_store, tmp_path):
    users_db = tmp_path / "users.sqlite"
    accounts = Accounts(users_db)
    accounts.add_user("ana", PASSWORD, "analyst")
    accounts.close()
    app = create_app({"TESTING": True, "STORE": sample_store, "MASHGRAPH_USERS_DB": str(users_db)})
    assert app.extensions["mashgraph"].settings.require_reason  # the default: no setting needed
    client = app.test_client()
    login(client, reason="")
    response = client.get("/person/P1")
    assert response.status_code == 302 and response.headers["Location"].startswith("/reason?next=")
    assert audit_rows(app, action="view_person") == []


def test_admin_filters_and_exports_audit_log(app, client):
    login(client)
    client.get("/record/police:N666")
    client.get("/person/P2")
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    login(client, "adm", ADMIN_PASSWORD)
    html = client.get("/admin/audit?person_key=P2").get_data(as_text=True)
    assert "person P2" in html and "record police:N666" not in html
    body = client.get("/admin/audit.csv?user=ana&action=view_person").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["user"], r["what"], r["person_keys"]) for r in rows] == [   # P2's page names her child P1
        ("ana", "person P2", "P1 P2"), ("ana", "record police:N666", "record:police:N666")]
    assert audit_rows(app, action="export_audit")[0].user == "adm"


# -- command line: users, demo ------------------------------------------------------------------


def _cli(args, env, input=None):
    from click.testing import CliRunner

    from mashgraph.cli import cli

    return CliRunner().invoke(cli, args, env=env, input=input, catch_exceptions=False)


def test_users_commands(tmp_path):
    env = {"MASHGRAPH_USERS_DB": str(tmp_path / "users.sqlite")}
    result = _cli(["users", "add", "zoe", "--role", "admin", "--password-stdin"], env, "zoe-password-1\n")
    assert result.exit_code == 0, result.output
    result = _cli(["users", "add", "yan", "--generate"], env)
    generated = re.search(r"password: (\S+)", result.output).group(1)
    accounts = Accounts(tmp_path / "users.sqlite")
    assert accounts.authenticate("yan", generated).role == "analyst"
    assert accounts.authenticate("zoe", "zoe-password-1").role == "admin"
    assert _cli(["users", "add", "yan", "--generate"], env).exit_code == 7  # name taken
    assert _cli(["users", "passwd", "yan", "--password-stdin"], env, "short\n").exit_code == 7
    assert _cli(["users", "passwd", "yan", "--password-stdin"], env, "yan-new-password\n").exit_code == 0
    assert accounts.authenticate("yan", "yan-new-password").name == "yan"
    assert _cli(["users", "disable", "yan"], env).exit_code == 0
    assert accounts.authenticate("yan", "yan-new-password") is None
    listing = json.loads(_cli(["users", "list", "--format", "json"], env).output)
    assert [(u["name"], u["role"], u["disabled"]) for u in listing] == [("yan", "analyst", True),
                                                                        ("zoe", "admin", False)]
    accounts.close()


def test_demo_runs_every_step_and_prepares_a_login(tmp_path):
    demo_dir = tmp_path / "demo"
    result = _cli(["demo", "--dir", str(demo_dir), "--people", "20", "--no-serve"], {})
    assert result.exit_code == 0, result.output
    out = result.output
    password = re.search(r"password: (\S+)", out).group(1)
    assert "http://127.0.0.1:5000/" in out and "user:     demo" in out
    accounts = Accounts(demo_dir / "mashgraph.sqlite")
    assert accounts.authenticate("demo", password).is_admin
    accounts.close()
    # Every step ran: data generated, ingested and resolved into a graph search can use.
    assert "skipped" not in out and "failed" not in out and "incomplete" not in out, out
    records, persons = map(int, re.search(r"the graph holds (\d+) agency records and (\d+) resolved persons",
                                          out).groups())
    assert records > persons > 0
    (tmp_path / "a-file").write_text("not a folder")
    blocked = _cli(["demo", "--dir", str(tmp_path / "a-file" / "demo"), "--no-serve"], {})
    assert blocked.exit_code == 2 and "cannot create the demo folder" in blocked.output, blocked.output
    # A second run gives the demo user a new password; the old one stops working.
    second = _cli(["demo", "--dir", str(demo_dir), "--people", "20", "--no-serve"], {})
    assert re.search(r"password: (\S+)", second.output).group(1) != password
    accounts = Accounts(demo_dir / "mashgraph.sqlite")
    assert accounts.authenticate("demo", password) is None
    accounts.close()
