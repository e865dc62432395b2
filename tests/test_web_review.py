"""Identity review in the browser (web/review.py): the queue, a pair with its evidence, decisions
recorded with user and reason, 'unsure', flagging a wrong link from a person page, roles, CSRF,
audit, and the next resolution run applying what was decided."""

from __future__ import annotations

import re
import shutil
from urllib.parse import quote

import pytest

from mashgraph.errors import ConfigError
from mashgraph.ingest.resolve import ResolveSettings, resolve_records, review_pairs
from mashgraph.ingest.resolve.decisions import list_decisions
from mashgraph.web import create_app
from mashgraph.web.accounts import Accounts

from test_resolve import _assignments, _small_store

PASSWORD = "analyst-password-1"
ADMIN_PASSWORD = "admin-password-12"


@pytest.fixture(scope="module")
def users_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("review-users") / "users.sqlite"
    accounts = Accounts(path)
    accounts.add_user("ana", PASSWORD, "analyst")
    accounts.add_user("adm", ADMIN_PASSWORD, "admin")
    accounts.close()
    return path


@pytest.fixture
def world(tmp_path, users_template):
    """A resolved store (population + planted cases), its settings, and an app on it."""
    store, _rows = _small_store(tmp_path, "graph")
    settings = ResolveSettings(model_dir=str(tmp_path / "models"))
    resolve_records(store, settings)
    users_db = tmp_path / "users.sqlite"
    shutil.copyfile(users_template, users_db)
    made = []

    def make_app(**config):
        app = create_app({"TESTING": True, "STORE": store, "MASHGRAPH_USERS_DB": str(users_db), **config})
        made.append(app)
        return app

    yield store, settings, make_app
    for app in made:
        app.extensions["mashgraph"].accounts.close()
    store.close()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def signed_in(app, name="ana", password=PASSWORD):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": name, "password": password, "csrf_token": token}).status_code == 302
    token = csrf_from(client.get("/reason").get_data(as_text=True))  # a new session has a new token
    assert client.post("/reason", data={"reason": "case 123", "csrf_token": token}).status_code == 302
    return client, token


def audit(app, **filters):
    return app.extensions["mashgraph"].accounts.audit_entries(**filters)


def test_queue_lists_the_review_band_and_is_audited_under_person_keys(world):
    store, _settings, make_app = world
    app = make_app()
    client, _ = signed_in(app)
    band = review_pairs(store, limit=50)
    assert band, "the fixture must leave pairs to review"
    html = client.get("/review/").get_data(as_text=True)
    assert "Identity review" in html
    for p in band[:5]:
        assert f'/review/pair/{quote(p["key"], safe=":/")}' in html
    assert 'href="/review/"' in client.get("/").get_data(as_text=True)  # in the menu
    row = audit(app, action="view_review_queue")[0]
    expected = {p["person_a"] or f"record:{p['record_a']}" for p in band} | \
               {p["person_b"] or f"record:{p['record_b']}" for p in band}
    assert set(row.person_keys) == expected
    assert row.user == "ana" and row.reason == "case 123"


def test_pair_page_shows_both_records_and_the_field_weights(world):
    store, _settings, make_app = world
    app = make_app()
    client, _ = signed_in(app)
    pair = next(p for p in review_pairs(store, limit=500) if '"fields"' in (p["evidence"] or ""))
    html = client.get(f"/review/pair/{pair['key']}").get_data(as_text=True)
    assert pair["record_a"] in html and pair["record_b"] in html
    assert "Date of birth" in html and "Given name" in html
    assert re.search(r"[+-]\d+\.\d\d", html), "per-field weights are shown"
    for decision in ("same", "different", "unsure"):
        assert f'value="{decision}"' in html
    row = audit(app, action="view_review_pair")[0]
    assert set(row.person_keys) == {pair["person_a"], pair["person_b"]}
    assert client.get("/review/pair/no-such-pair").status_code == 404


def test_decisions_need_csrf_and_a_reason(world):
    store, _settings, make_app = world
    app = make_app()
    client, token = signed_in(app)
    pair = review_pairs(store, limit=1)[0]
    assert client.post(f"/review/pair/{pair['key']}/decide",
                       data={"decision": "same", "reason": "checked"}).status_code == 400
    response = client.post(f"/review/pair/{pair['key']}/decide",
                           data={"decision": "same", "reason": "   ", "csrf_token": token}, follow_redirects=True)
    assert "Not recorded: a decision needs a reason" in response.get_data(as_text=True)
    assert list_decisions(store) == []


def test_link_and_not_the_same_in_the_browser_change_the_next_run(world):
    store, settings, make_app = world
    app = make_app()
    client, token = signed_in(app)
    band = review_pairs(store, limit=1000)
    linked = next(p for p in band if p["linked"])
    apart = next(p for p in band if not p["linked"] and p["person_a"] and p["person_b"])
    for pair, decision in ((linked, "different"), (apart, "same")):
        response = client.post(f"/review/pair/{pair['key']}/decide",
                               data={"decision": decision, "reason": f"checked with the school: {decision}",
                                     "csrf_token": token})
        assert response.status_code == 302
    stored = {(d.record_a, d.record_b): d for d in list_decisions(store)}
    assert stored[(linked["record_a"], linked["record_b"])].decision == "different"
    assert stored[(linked["record_a"], linked["record_b"])].decided_by == "ana"
    assert stored[(apart["record_a"], apart["record_b"])].reason == "checked with the school: same"
    decided = {linked["key"], apart["key"]}
    assert not decided & {p["key"] for p in review_pairs(store, limit=1000)}  # out of the queue at once
    decided_rows = audit(app, action="identity_decision")
    assert sorted(sorted(r.person_keys) for r in decided_rows) == sorted(
        [sorted({linked["person_a"], linked["person_b"]}), sorted({apart["person_a"], apart["person_b"]})])

    resolve_records(store, settings)
    after = _assignments(store)
    assert after[linked["record_a"]]["person"] != after[linked["record_b"]]["person"]
    assert after[apart["record_a"]]["person"] == after[apart["record_b"]]["person"]


def test_unsure_is_recorded_leaves_the_pair_to_the_model_and_moves_it_back(world):
    store, settings, make_app = world
    app = make_app()
    client, token = signed_in(app)
    head = review_pairs(store, limit=1)[0]
    before = _assignments(store)
    client.post(f"/review/pair/{head['key']}/decide",
                data={"decision": "unsure", "reason": "cannot tell from what we hold", "csrf_token": token})
    assert [d.decision for d in list_decisions(store)] == ["unsure"]
    band = review_pairs(store, limit=10_000)
    assert band[-1]["key"] == head["key"] and band[-1]["deferred"] == 1
    assert band[0]["key"] != head["key"]

    resolve_records(store, settings)  # the model decides as before, and the pair stays at the back
    after = _assignments(store)
    assert (after[head["record_a"]]["person"] == after[head["record_b"]]["person"]) == \
           (before[head["record_a"]]["person"] == before[head["record_b"]]["person"])
    band = review_pairs(store, limit=10_000)
    assert band[-1]["key"] == head["key"] and band[-1]["deferred"] == 1
    assert "unsure" in client.get("/review/").get_data(as_text=True)


def test_flag_a_wrong_link_from_the_person_page(world):
    store, settings, make_app = world
    app = make_app()
    client, token = signed_in(app)
    person = _assignments(store)["edu-la1:KS1"]["person"]
    html = client.get(f"/person/{person}").get_data(as_text=True)
    assert "Not this person?" in html and 'value="edu-la1:KS1"' in html
    response = client.post("/review/separate", data={"person": person, "record": "edu-la1:KS1",
                                                     "reason": "school says this is a cousin",
                                                     "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/person/{person}")
    made = list_decisions(store)
    assert made and {d.decision for d in made} == {"different"}
    assert all("edu-la1:KS1" in (d.record_a, d.record_b) and d.decided_by == "ana" for d in made)
    assert audit(app, action="identity_decision")[0].person_keys == [person]

    resolve_records(store, settings)
    after = _assignments(store)
    others = [d.record_b if d.record_a == "edu-la1:KS1" else d.record_a for d in made]
    assert all(after[o]["person"] != after["edu-la1:KS1"]["person"] for o in others)

    bad = client.post("/review/separate", data={"person": person, "record": "edu-la1:KS1", "reason": "again",
                                                "csrf_token": token}, follow_redirects=True)
    assert "Not recorded" in bad.get_data(as_text=True)


def test_review_roles_setting_keeps_analysts_out(world):
    store, _settings, make_app = world
    app = make_app(MASHGRAPH_REVIEW_ROLES="admin")
    client, token = signed_in(app)
    pair = review_pairs(store, limit=1)[0]
    assert client.get("/review/").status_code == 403
    assert client.get(f"/review/pair/{pair['key']}").status_code == 403
    assert client.post(f"/review/pair/{pair['key']}/decide",
                       data={"decision": "same", "reason": "x", "csrf_token": token}).status_code == 403
    assert 'href="/review/"' not in client.get("/").get_data(as_text=True)
    assert list_decisions(store) == []
    admin, _ = signed_in(app, "adm", ADMIN_PASSWORD)
    assert admin.get("/review/").status_code == 200
    with pytest.raises(ConfigError, match="unknown role"):
        make_app(MASHGRAPH_REVIEW_ROLES="admin,superuser")
