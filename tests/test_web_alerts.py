"""The alert inbox in the web app: the inbox and its filters, an alert page, the forms
(assign, comment, status, decision) with CSRF, roles and the audit, and a decision's frozen
snapshot, on the synthetic fixture linked by the truth.
"""

from __future__ import annotations

import re
import shutil

import pytest

from conftest import FIXTURES
from mashgraph.graph import open_store
from mashgraph.graph.alert_store import get_alert
from mashgraph.graph.alerts import run_alerts
from mashgraph.ingest.jobs import run_job, run_source
from mashgraph.settings import load_settings
from mashgraph.web import create_app
from test_alerts import NIGHT1, NIGHT2, _write_delta
from test_web import ADMIN_PASSWORD, PASSWORD, csrf_from, login, users_template  # noqa: F401
from truth_links import link_by_truth

FIXTURE = FIXTURES / "synth"
# The toxic-trio family, keyed by its resolved household (Family) over csc-la1:H8850423.
TRIO = "toxic-trio:F28d141aaf1ce"


@pytest.fixture(scope="module")
def alert_store(tmp_path_factory):
    store = open_store(str(tmp_path_factory.mktemp("webalerts") / "graph"), load_settings(environ={}))
    store.ensure_schema()
    run_job(store, FIXTURE / "job.yml")
    link_by_truth(store, FIXTURE / "truth" / "records.csv")
    run_alerts(store, NIGHT1)
    yield store
    store.close()


@pytest.fixture
def app(alert_store, users_template, tmp_path):
    users_db = tmp_path / "users.sqlite"
    shutil.copyfile(users_template, users_db)
    app = create_app({"TESTING": True, "STORE": alert_store, "MASHGRAPH_USERS_DB": str(users_db),
                      "MASHGRAPH_ALERT_CLOSE_ROLES": "admin", "MASHGRAPH_TODAY": NIGHT2.isoformat()})
    yield app
    app.extensions["mashgraph"].accounts.close()


def _audit(app, **filters):
    return app.extensions["mashgraph"].accounts.audit_entries(**filters)


def _post(client, path, form):
    token = csrf_from(client.get("/alerts").get_data(as_text=True))
    return client.post(path, data={**form, "csrf_token": token})


def _alert_rows(html: str) -> list[str]:
    table = html.split('id="alerts"')[1].split("</table>")[0]
    return re.findall(r'href="/alerts/([^"]+)"', table)


def test_the_inbox_lists_newest_first_with_counts_and_filters(app, alert_store):
    client = app.test_client()
    login(client)
    html = client.get("/alerts").get_data(as_text=True)
    shown = _alert_rows(html)
    assert len(shown) == len(set(shown)) > 20
    counts = html.split('id="alert-counts"')[1]
    assert '<a href="/alerts?pattern=siloed-concern">siloed-concern</a></th><td>42</td>' in counts
    high = _alert_rows(client.get("/alerts?severity=high").get_data(as_text=True))
    assert TRIO in high and not any(k.startswith("siloed-concern") for k in high)
    assert _alert_rows(client.get("/alerts?pattern=toxic-trio").get_data(as_text=True)) == [TRIO]
    assert _alert_rows(client.get("/alerts?min_age=2").get_data(as_text=True)) == []   # all opened a night ago
    assert len(_alert_rows(client.get("/alerts?max_age=1").get_data(as_text=True))) == len(shown)
    bad = client.get("/alerts?status=closed-ish")
    assert bad.status_code == 400 and "is unknown" in bad.get_data(as_text=True)
    entry = _audit(app, action="view_alerts")[-1]
    assert "P0000420" in entry.person_keys and entry.reason == "test case 1"


def test_the_alert_page_shows_why_it_fired(app):
    client = app.test_client()
    login(client)
    page = client.get(f"/alerts/{TRIO}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    rows = html.split('id="alert-rows"')[1].split("</table>")[0]
    assert '<a href="/person/P0000420">P0000420</a>' in rows and "2024-05-18" in rows
    assert 'class="gap"' in html and 'class="chronology"' in html and "domestic_abuse" in html
    assert f'href="/alerts/{TRIO}/network"' in html
    assert "Closing an alert with a decision is for the roles" in html   # ana is an analyst
    entry = _audit(app, action="view_alert")[0]
    assert {"P0000420", "P0000421", "P0000422"} <= set(entry.person_keys)
    data = client.get(f"/alerts-data/{TRIO}.json").get_json()
    assert {"person:P0000420", "person:P0000421"} <= {n["id"] for n in data["nodes"]}
    assert client.get("/alerts/no-such:alert").status_code == 404


def test_forms_need_csrf_and_are_audited_and_kept_in_the_history(app, alert_store):
    client = app.test_client()
    login(client)
    key = "jigsaw:P0000430"
    assert client.post(f"/alerts/{key}/assign", data={"assignee": "ana"}).status_code == 400  # no CSRF token
    assert _post(client, f"/alerts/{key}/assign", {"assignee": "ana"}).status_code == 302
    _post(client, f"/alerts/{key}/comment", {"comment": "<b>called the school</b>"})
    _post(client, f"/alerts/{key}/status", {"status": "in_progress"})
    refused = _post(client, f"/alerts/{key}/status", {"status": "confirmed"})
    assert refused.status_code == 302
    html = client.get(f"/alerts/{key}").get_data(as_text=True)
    assert "closing an alert as confirmed needs a decision record" in html
    assert "&lt;b&gt;called the school&lt;/b&gt;" in html and "<b>called" not in html
    alert = get_alert(alert_store, key)
    assert alert.assignee == "ana" and alert.status == "in_progress"
    actions = [e.action for e in _audit(app, person_key="P0000430")]
    assert {"alert_assign", "alert_comment", "alert_status"} <= set(actions)
    assert _post(client, f"/alerts/{key}/decide", {"status": "confirmed", "rag": "RED", "outcome": "refer_csc",
                                                   "reason": "x"}).status_code == 403


def test_a_decision_freezes_what_was_seen(app, alert_store, tmp_path):
    client = app.test_client()
    login(client, "adm", ADMIN_PASSWORD)
    key = "cumulative-harm:P0000436"
    missing = _post(client, f"/alerts/{key}/decide", {"status": "dismissed", "rag": "GREEN", "outcome": "nfa",
                                                      "reason": " "})
    assert "the reason is empty" in client.get(missing.headers["Location"]).get_data(as_text=True)
    _post(client, f"/alerts/{key}/decide", {"status": "dismissed", "rag": "GREEN", "outcome": "nfa",
                                            "reason": "family known, plan in place"})
    html = client.get(f"/alerts/{key}").get_data(as_text=True)
    link = re.search(rf'href="(/alerts/{re.escape(key)}/decisions/[^"]+)"', html).group(1)
    before = client.get(link).get_data(as_text=True)
    assert "family known, plan in place" in before and "CT90000003" not in before
    assert get_alert(alert_store, key).status == "dismissed"

    run_source(alert_store, "csc_contacts", [_write_delta(tmp_path)], quarantine_dir=tmp_path / "q")
    run_alerts(alert_store, NIGHT2)
    assert "CT90000003" in client.get(f"/alerts/{key}").get_data(as_text=True)   # the live page moved on
    after = client.get(link).get_data(as_text=True)
    assert _snapshot(after) == _snapshot(before)
    assert get_alert(alert_store, key).status == "open"   # reopened by the new red contact
    assert "P0000436" in _audit(app, action="view_alert_decision")[0].person_keys
    assert client.get(f"/alerts/{key}/decisions/ad-nope").status_code == 404


def _snapshot(html: str) -> str:
    return html.split('id="snapshot"')[1].split("</main>")[0]


def test_close_roles_must_name_real_roles(alert_store, users_template, tmp_path):
    from mashgraph.errors import ConfigError

    shutil.copyfile(users_template, tmp_path / "users.sqlite")
    with pytest.raises(ConfigError, match="unknown role"):
        create_app({"STORE": alert_store, "MASHGRAPH_USERS_DB": str(tmp_path / "users.sqlite"),
                    "MASHGRAPH_ALERT_CLOSE_ROLES": "manager"})


def test_day_count_uses_the_today_setting(app):
    client = app.test_client()
    login(client)
    html = client.get("/alerts?pattern=toxic-trio").get_data(as_text=True)
    assert f"{NIGHT1.isoformat()}<br><small>{(NIGHT2 - NIGHT1).days} day ago" in html
