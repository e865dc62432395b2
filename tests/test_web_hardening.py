"""Hardening of the explorer: sessions that end, sign-in that leaks nothing and cannot flood,
length limits, an audit page that survives any stored value.

Uses the hand-built graph and accounts of tests/test_web.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from mashgraph.web import accounts as accounts_module
from mashgraph.web.accounts import MAX_ADDRESS_FAILURES, MAX_FAILED_LOGINS
from test_web import ADMIN_PASSWORD, PASSWORD, app, client, csrf_from, login, sample_store, users_template  # noqa: F401

COOKIE = "mashgraph_session"


def accounts_of(app):
    return app.extensions["mashgraph"].accounts


def from_addr(client, addr: str):
    client.environ_base["REMOTE_ADDR"] = addr
    return client


def copied_cookie(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


# -- sessions that end -------------------------------------------------------------------


def test_sign_out_kills_a_copied_cookie(app, client):
    login(client)
    thief = copied_cookie(app, client)
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert thief.get("/").status_code == 302
    assert thief.get("/network-data/person/P1.json").status_code == 401


@pytest.mark.parametrize("change", ["disable", "password"])
def test_disabling_or_new_password_kills_a_copied_cookie(app, client, change):
    login(client)
    thief = copied_cookie(app, client)
    if change == "disable":
        accounts_of(app).set_disabled("ana")
    else:
        accounts_of(app).set_password("ana", "a-new-password-99")
    assert thief.get("/").status_code == 302
    assert client.get("/").status_code == 302


def test_idle_session_ends_and_the_setting_is_honoured(app, client):
    login(client)
    accounts = accounts_of(app)
    idle = app.extensions["mashgraph"].settings.session_idle_minutes
    assert idle == 30
    recent = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=idle - 1)).isoformat()
    accounts._exec("UPDATE sessions SET last_seen = ?", (recent,))
    assert client.get("/").status_code == 200  # one minute short of the idle time: still signed in
    stale = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=idle + 1)).isoformat()
    accounts._exec("UPDATE sessions SET last_seen = ?", (stale,))
    assert client.get("/").status_code == 302
    assert accounts._rows("SELECT count(*) FROM sessions")[0][0] == 0  # deleted, not only refused


def test_ended_sessions_are_deleted_at_the_next_sign_in(app, client):
    login(client)
    accounts = accounts_of(app)
    stale = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=9)).isoformat()
    accounts._exec("UPDATE sessions SET created = ?, last_seen = ?", (stale, stale))
    login(app.test_client(), "adm", ADMIN_PASSWORD)
    assert accounts._rows("SELECT count(*) FROM sessions")[0][0] == 1  # only the new one


def test_session_idle_minutes_comes_from_the_environment(monkeypatch):
    from mashgraph.settings import load_settings

    assert load_settings(environ={"MASHGRAPH_SESSION_IDLE_MINUTES": "5"}).session_idle_minutes == 5


def test_only_a_hash_of_the_session_token_is_stored(app, client):
    login(client)
    stored = [r[0] for r in accounts_of(app)._rows("SELECT id FROM sessions")]
    assert len(stored) == 1
    assert client.get_cookie(COOKIE).value not in stored[0]


# -- sign-in that leaks nothing and cannot flood ---------------------------------------------


def _work_of(monkeypatch, accounts, name, password, addr):
    """The password hashes checked and the SQL statements run by one authenticate call."""
    hashes, statements = [], []
    real_check, real_exec, real_rows = accounts_module.check_password_hash, accounts._exec, accounts._rows

    def check(pw_hash, pw):
        hashes.append(pw_hash.split("$")[0])
        return real_check(pw_hash, pw)

    monkeypatch.setattr(accounts_module, "check_password_hash", check)
    monkeypatch.setattr(accounts, "_exec", lambda sql, p=(): statements.append(sql) or real_exec(sql, p))
    monkeypatch.setattr(accounts, "_rows", lambda sql, p=(): statements.append(sql) or real_rows(sql, p))
    try:
        assert accounts.authenticate(name, password, addr) is None
    finally:
        monkeypatch.undo()
    return hashes, statements


def test_unknown_wrong_locked_and_disabled_do_the_same_work(app, monkeypatch):
    accounts = accounts_of(app)
    accounts.add_user("off", "disabled-password-1", "analyst")
    accounts.set_disabled("off")
    for _ in range(MAX_FAILED_LOGINS):
        accounts.authenticate("adm", "wrong-password", "10.0.0.7")
    cases = {
        "unknown user": ("nobody", PASSWORD, "10.0.0.5"),
        "wrong password": ("ana", "wrong-password", "10.0.0.6"),
        "locked, right password": ("adm", ADMIN_PASSWORD, "10.0.0.7"),
        "disabled, right password": ("off", "disabled-password-1", "10.0.0.8"),
    }
    work = {case: _work_of(monkeypatch, accounts, *args) for case, args in cases.items()}
    first = work["unknown user"]
    assert len(first[0]) == 1 and first[0][0].startswith("scrypt")  # exactly one real scrypt hash
    for case, done in work.items():
        assert done == first, case


def test_lockout_is_per_address_so_an_attacker_cannot_lock_the_user_out(app):
    attacker, office = app.test_client(), app.test_client()
    from_addr(attacker, "203.0.113.9")
    from_addr(office, "10.1.1.1")
    for _ in range(MAX_FAILED_LOGINS):
        assert login(attacker, "ana", "guessed-password").status_code == 401
    assert login(attacker, "ana", PASSWORD).status_code == 401  # locked for the attacker's address
    assert login(office, "ana", PASSWORD).status_code == 302     # the real user still signs in
    assert office.get("/").status_code == 200


def test_an_address_that_fails_too_often_is_throttled_before_any_hash(app, monkeypatch):
    flood = from_addr(app.test_client(), "198.51.100.4")
    for i in range(MAX_ADDRESS_FAILURES):
        assert login(flood, f"user{i}", "some-password").status_code == 401
    hashed = []
    monkeypatch.setattr(accounts_module, "check_password_hash", lambda *a: hashed.append(a) or False)
    response = login(flood, "ana", PASSWORD)
    assert response.status_code == 401 and "Too many failed sign-ins" in response.get_data(as_text=True)
    assert hashed == []  # a throttled address costs no scrypt
    monkeypatch.undo()
    assert login(from_addr(app.test_client(), "10.9.9.9"), "ana", PASSWORD).status_code == 302
    actions = [e.action for e in accounts_of(app).audit_entries(action="login_throttled")]
    assert actions == ["login_throttled"]


def test_behind_proxy_uses_the_forwarded_address(sample_store, users_template, tmp_path):
    import shutil

    from mashgraph.web import create_app

    users_db = tmp_path / "users.sqlite"
    shutil.copyfile(users_template, users_db)
    proxied = create_app({"TESTING": True, "STORE": sample_store, "MASHGRAPH_USERS_DB": str(users_db),
                          "MASHGRAPH_BEHIND_PROXY": True})
    try:
        c = proxied.test_client()
        token = csrf_from(c.get("/login").get_data(as_text=True))
        c.post("/login", data={"username": "ana", "password": "nope-nope-nope", "csrf_token": token},
               headers={"X-Forwarded-For": "192.0.2.55"})
        assert [e.remote_addr for e in accounts_of(proxied).audit_entries(action="login_failed")] == ["192.0.2.55"]
    finally:
        accounts_of(proxied).close()


# -- length limits --------------------------------------------------------------------------


@pytest.mark.parametrize("field,value", [("username", "a" * 65), ("password", "p" * 1025),
                                         ("next", "/" + "x" * 2000)])
def test_over_long_login_fields_are_refused_before_anything_is_stored(app, client, field, value):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    form = {"username": "ana", "password": PASSWORD, "csrf_token": token, field: value}
    response = client.post("/login", data=form)
    assert response.status_code == 400
    assert "longer than" in response.get_data(as_text=True)
    accounts = accounts_of(app)
    assert accounts.audit_entries() == []
    assert accounts._rows("SELECT count(*) FROM login_failures")[0][0] == 0


def test_over_long_fields_anywhere_are_refused(client):
    login(client)
    assert client.get("/search?q=" + "a" * 201).status_code == 400
    assert client.get("/queries/born-after?run=1&born_after=" + "1" * 1001).status_code == 400
    token = csrf_from(client.get("/reason").get_data(as_text=True))
    assert client.post("/reason", data={"reason": "r" * 201, "csrf_token": token}).status_code == 400


@pytest.mark.parametrize("name", ["a" * 65, "tab\tname", "nul\x00name", "rtl\u202ename", ""])
def test_user_names_are_checked_before_they_are_stored(app, name):
    from mashgraph.errors import ValidationError

    with pytest.raises(ValidationError):
        accounts_of(app).add_user(name, "long-enough-password", "analyst")


def test_audit_page_stays_usable_whatever_a_row_holds(app, client):
    accounts = accounts_of(app)
    nasty = "\u202e<script>alert(1)</script>\x00\n" + "W" * 50_000
    accounts.audit(nasty, "login_failed", nasty, [f"P{i}" for i in range(5000)], nasty, nasty)
    accounts.audit("ana", "view_person", "person P1", ["P1"], "case 42", "10.0.0.1")
    login(client, "adm", ADMIN_PASSWORD)
    response = client.get("/admin/audit")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(html) < 60_000  # 50,000-character values are cut, not printed in full
    assert "\u202e" not in html and "\x00" not in html and "<script>alert" not in html
    assert "\\u202e&lt;script&gt;" in html and "more characters" in html and "4990 more" in html
    filtered = client.get("/admin/audit?person_key=P1").get_data(as_text=True)
    assert "case 42" in filtered


# -- no silent empty answers (item 8) ---------------------------------------------------------


@pytest.mark.parametrize("value, words", [("1900-01-01", "more than 50 years ago"),
                                          ("2300-01-01", "more than 10 years ahead")])
def test_query_form_and_download_refuse_a_date_the_engine_mishandles(client, value, words):
    login(client)
    page = client.get(f"/queries/born-after?run=1&born_after={value}")
    assert page.status_code == 400
    assert words in page.get_data(as_text=True)
    download = client.get(f"/queries/born-after.json?born_after={value}")
    assert download.status_code == 400 and words in download.get_json()["error"]


# -- who looked at this child (item 11) ---------------------------------------------------------

HOUSEHOLD_PEOPLE_QUERY = """\
// title: People of each household
// description: Every household with the persons recorded in it, as a list.
// returns: table
// alert: true
// alert_key: household
// severity: high
MATCH (h:Household)<-[:MEMBER_OF]-(:Record)-[:RESOLVES_TO]->(p:Person)
WITH h, p ORDER BY p.key
RETURN h.key AS household, collect(p.key) AS people
ORDER BY household
"""

# Every route that returns personal data, with an address that shows Beth Example (person P2):
# as the subject, as a relative, as a household member, inside a list, or through her record.
SHOWS_P2 = {
    "search.results": ["/search?q=beth"],
    "people.person": ["/person/P1"],                       # Beth is Amy's mother: a relative
    "people.record": ["/record/csc-la1:C2"],               # Beth's own (resolved) record
    "people.household": ["/household/csc-la1:H1"],
    "people.address": ["/address/uprn:100"],               # Beth was recorded living there
    "summary.page": ["/summary/person/P1", "/summary/household/csc-la1:H1"],
    "summary.export": ["/summary-export/person/P2.html"],
    "network.data": ["/network-data/person/P1.json", "/network-data/record/csc-la1:C2.json"],
    "network.export": ["/network-export/person/P2.html"],
    "queries.show": ["/queries/household-people?run=1",    # a list column named 'people'
                     "/queries/person-records?run=1&person=P2"],  # record keys only
    "queries.download": ["/queries/household-people.csv", "/queries/person-records.json?person=P2"],
    "linked.person_data": ["/linked-data/person/P1.json?hops=1"],            # Beth is Amy's relative
    "linked.person_export": ["/linked-export/person/P1.html?hops=1"],
    "linked.query_data": ["/linked-data/query/household-people.json"],
    "linked.query_export": ["/linked-export/query/household-people.html"],
    "linked.people_search": ["/linked-data/people.json?q=beth"],
    "linked.path_data": ["/linked-data/path.json?from=P1&to=P2"],
    "linked.png_export": [("/linked-export/png", {"people": "P1 P2", "what": "person P1"})],
    # The alert of the household-people query (an alert query here) names Beth.
    "alerts.inbox": ["/alerts", "/alerts?severity=high&pattern=household-people"],
    "alerts.alert": ["/alerts/household-people:csc-la1:H1"],
    "alerts.network_data": ["/alerts-data/household-people:csc-la1:H1.json"],
    "alerts.network_export": ["/alerts-export/household-people:csc-la1:H1.html"],
    # A POST (a statement is no URL): (path, form). The console shows Beth as a node, and by her record.
    "console.run": [("/console", {"statement": "MATCH (p:Person {key: 'P2'}) RETURN p"}),
                    ("/console", {"statement": "MATCH (r:Record {key: $k}) RETURN r.key AS record",
                                  "params": "k=csc-la1:C2"})],
}
# Routes that return no personal data (or only the audit itself, to admins). A new route must be
# added to one of the two tables: this test fails until it is.
NO_PERSONAL_DATA = {
    "static": "files of the app", "auth.login": "sign-in form", "auth.logout": "sign out",
    "auth.reason": "reason form", "search.index": "empty search form", "queries.index": "list of queries",
    "network.page": "page shell; its data comes from network.data",
    "linked.person_page": "page shell; its data comes from linked.person_data",
    "linked.query_page": "page shell; its data comes from linked.query_data",
    "linked.community_page": "page shell; its data comes from linked.community_data",
    "admin.audit_log": "the audit itself (admins)", "admin.audit_export": "the audit itself (admins; audited)",
    "admin.users": "user accounts",
    "console.page": "the console form and the user's own statements",
    "console.draft": "a draft .cypher file of the user's own statement; runs nothing",
    "alerts.network_page": "page shell; its data comes from alerts.network_data",
    "partnership.page": "aggregate figures of the partnership dashboard; no person (audited as view_partnership)",
    "partnership.download": "a panel's aggregate figures as CSV; no person (audited as export)",
}
# Routes with personal data that need a resolved store (a review band): their audit under the
# person keys is tested where such a store is built.
AUDITED_IN_OTHER_TESTS = {
    "review.queue": "tests/test_web_review.py", "review.pair": "tests/test_web_review.py",
    "review.decide": "tests/test_web_review.py", "review.separate": "tests/test_web_review.py",
    # communities exist once the linked-risk analytics have run: on the synthetic fixture
    "linked.community_data": "tests/test_web_linked.py", "linked.community_export": "tests/test_web_linked.py",
    # changes to an alert answer with a redirect, and a decision's snapshot needs a decision first
    "alerts.assign_alert": "tests/test_web_alerts.py", "alerts.comment_alert": "tests/test_web_alerts.py",
    "alerts.status_alert": "tests/test_web_alerts.py", "alerts.decide_alert": "tests/test_web_alerts.py",
    "alerts.decision": "tests/test_web_alerts.py",
}


@pytest.fixture
def audited_app(app):
    folder = app.config["QUERIES_FOLDER"]
    from pathlib import Path

    (Path(folder) / "household-people.cypher").write_text(HOUSEHOLD_PEOPLE_QUERY, encoding="utf-8")
    accounts_of(app).grant("ana", "console")
    from mashgraph.graph.alerts import run_alerts

    run_alerts(app.extensions["mashgraph"].store(), folder=folder)  # the household's alert
    return app


def fetch(client, address):
    """GET a path, or POST ``(path, form)`` with the session's CSRF token."""
    if isinstance(address, str):
        return client.get(address)
    path, form = address
    with client.session_transaction() as session:
        csrf = session.get("csrf", "")
    return client.post(path, data={**form, "csrf_token": csrf})


def test_every_route_with_personal_data_is_classified(audited_app):
    endpoints = {rule.endpoint for rule in audited_app.url_map.iter_rules()}
    assert endpoints == set(SHOWS_P2) | set(NO_PERSONAL_DATA) | set(AUDITED_IN_OTHER_TESTS), (
        "classify every route in SHOWS_P2 (personal data, with an address showing P2), NO_PERSONAL_DATA "
        "or AUDITED_IN_OTHER_TESTS")


@pytest.mark.parametrize("endpoint", sorted(SHOWS_P2))
def test_who_looked_at_this_person_finds_every_route(audited_app, endpoint):
    client = audited_app.test_client()
    login(client)
    accounts = accounts_of(audited_app)
    for path in SHOWS_P2[endpoint]:
        before = len(accounts.audit_entries(user="ana", person_key="P2", limit=None))
        response = fetch(client, path)
        assert response.status_code == 200, (path, response.status_code)
        after = accounts.audit_entries(user="ana", person_key="P2", limit=None)
        assert len(after) == before + 1, f"{path} showed P2 but is not in the audit under P2"
        assert after[0].reason == "test case 1"


@pytest.mark.parametrize("endpoint", sorted(SHOWS_P2))
def test_every_route_with_personal_data_asks_for_a_reason_first(audited_app, endpoint):
    """Item 9: with the default settings, no personal data is shown (or audited) before a reason."""
    client = audited_app.test_client()
    login(client, reason="")
    for path in SHOWS_P2[endpoint]:
        response = fetch(client, path)
        assert response.status_code in (302, 401), (path, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/reason?next="), path
    assert accounts_of(audited_app).audit_entries(person_key="P2") == []
