"""The analyst's 24-hour workflow (issue 10): results that link, the family view, linked adults,
a chronology that can be filtered, the case summary, addresses everywhere.

Runs on the hand-built graph of test_web (Amy P1, her mother Beth P2, a hostile-named suspect
record, one address, one household, a referral, an incident and an episode).
"""

from __future__ import annotations

import re
import textwrap

import pytest

from test_web import app, client, login, audit_rows, sample_store, users_template  # noqa: F401 (fixtures)

LIST_QUERY = textwrap.dedent("""\
    // title: Households and their people
    // description: Each household with the keys of its members' persons, records and addresses.
    // returns: table
    MATCH (h:Household)<-[:MEMBER_OF]-(r:Record)-[:RESOLVES_TO]->(p:Person)
    WITH h, collect(DISTINCT p.key) AS people, collect(DISTINCT r.key) AS records
    RETURN h.key AS household, people, records, 'uprn:100' AS address, 'not-a-key' AS note
    ORDER BY household
    """)


@pytest.fixture
def list_app(app):  # noqa: F811 - the test_web fixture, with one more query
    from pathlib import Path

    folder = Path(app.config["QUERIES_FOLDER"])
    (folder / "households-people.cypher").write_text(LIST_QUERY, encoding="utf-8")
    return app


def test_query_results_link_every_key_with_a_name_and_lists_become_lists(list_app):
    client = list_app.test_client()
    login(client)
    html = client.get("/queries/households-people?run=1").get_data(as_text=True)
    assert '<a href="/household/csc-la1:H1" class="ref ref-household"' in html
    # A list of person keys becomes a list of links showing names, not JSON text.
    people = re.search(r'<td><ul class="cell-list">(.*?)</ul></td>', html).group(1)
    assert sorted(re.findall(r'<li><a href="/person/(P\d)" class="ref ref-person" title="person P\d">([^<]+)</a></li>',
                             people)) == [("P1", "Amy Example"), ("P2", "Beth Example")]
    assert '<a href="/record/csc-la1:C1" class="ref ref-record" title="record csc-la1:C1">Amy Example (csc-la1 record)</a>' in html
    assert '<a href="/address/uprn:100" class="ref ref-address"' in html and "1 Example Street, Testtown, TT1 1AA" in html
    assert "not-a-key" in html and 'href="/person/not-a-key"' not in html
    assert '["P1"' not in html and "[&#34;P1" not in html
    # Everyone the result shows is audited under their person key.
    row = audit_rows(list_app, action="run_query")[0]
    assert row.person_keys == ["P1", "P2"]


def test_search_accepts_a_person_key_and_shows_addresses(client):
    login(client)
    html = client.get("/search?q=P1").get_data(as_text=True)
    assert 'href="/person/P1"' in html and "Amy Example" in html
    assert "1 Example Street, Testtown, TT1 1AA" in html


def test_household_page_is_the_family_seen_whole(client, sample_store):
    login(client)
    html = client.get("/household/csc-la1:H1").get_data(as_text=True)
    # Every member's records, not only the ones that recorded the household: Amy's police record too.
    assert 'href="/record/police:N1"' in html and 'href="/record/health:H1"' in html
    # One merged chronology: the police incident and referral about Amy's police record (not a
    # household member record) are on the family's page, with the episode about her CSC record.
    chronology = html.split('id="chron-h"', 1)[1].split("</section>", 1)[0]
    assert "3 events" in chronology
    assert ">domestic<" in chronology and "early help" in chronology and "child_in_need" in chronology
    # Who knows what about the family, equal to the stored household facts.
    from mashgraph.graph.analytics import refresh_facts
    refresh_facts(sample_store)
    html = client.get("/household/csc-la1:H1").get_data(as_text=True)
    stored = sample_store.read("MATCH (:Household {key: 'csc-la1:H1'})-[:IN_FAMILY]->(f:Family) "
                               "RETURN f.fragmentation AS f").value()
    assert f"Fragmentation: <strong>{stored * 100:.0f}%</strong>" in html


def test_address_page_lists_who_was_recorded_there_and_when(client):
    login(client)
    html = client.get("/address/uprn:100").get_data(as_text=True)
    assert "1 Example Street, Testtown" in html and "TT1 1AA" in html
    assert 'href="/person/P1"' in html and 'href="/person/P2"' in html
    assert "2021-06-01" in html and "2022-01-01" in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html  # the hostile name stays text
    assert client.get("/address/no-such-address").status_code == 404
    person = client.get("/person/P1").get_data(as_text=True)
    assert 'href="/address/uprn:100"' in person


def test_linked_adults_panel_names_the_adults_around_a_child(client):
    login(client)
    html = client.get("/person/P1").get_data(as_text=True)
    panel = html.split('id="adults-h"', 1)[1].split("</section>", 1)[0]
    assert 'href="/person/P2"' in panel and "Beth Example" in panel
    assert "household csc-la1:H1" in panel and "parent of" in panel
    # Beth (born 1990) is an adult; Amy herself (born 2015) is never listed.
    assert 'href="/person/P1"' not in panel


def test_chronology_filters_live_in_the_address(client):
    login(client)
    everything = client.get("/person/P1").get_data(as_text=True)
    assert "3 events" in everything
    html = client.get("/person/P1?since=2024-02-01&until=2024-12-31&order=newest").get_data(as_text=True)
    assert "2 of 3 events (filtered), newest first" in html
    assert html.index("2024-03-10") < html.index("2024-03-01")
    assert 'value="2024-02-01"' in html and 'name="order"' in html
    police = client.get("/person/P1?agency=police").get_data(as_text=True)
    assert "2 of 3 events (filtered)" in police and "child_in_need" not in police.split("chronology")[-1]
    neglect = client.get("/person/P1?concern=16A").get_data(as_text=True)
    assert "1 of 3 events (filtered)" in neglect


@pytest.mark.parametrize("query, message", [
    ("period=7", "period &#39;7&#39; is not one of 3, 6, 12 months"),
    ("since=2024-13-01", "since &#39;2024-13-01&#39; is not a date"),
    ("since=2024-05-01&until=2024-01-01", "starts (2024-05-01) after it ends (2024-01-01)"),
    ("order=sideways", "order &#39;sideways&#39; is not oldest or newest"),
])
def test_a_bad_chronology_filter_is_refused_with_a_reason(client, query, message):
    login(client)
    response = client.get(f"/person/P1?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_period_counts_back_from_the_today_setting(sample_store, users_template, tmp_path):
    import shutil

    from mashgraph.web import create_app

    users = tmp_path / "u.sqlite"
    shutil.copyfile(users_template, users)
    app = create_app({"TESTING": True, "STORE": sample_store, "MASHGRAPH_USERS_DB": str(users),
                      "MASHGRAPH_TODAY": "2024-04-15"})
    client = app.test_client()
    login(client)
    html = client.get("/person/P1?period=3").get_data(as_text=True)  # from 2024-01-15
    assert "3 of 3 events (filtered)" in html
    html = client.get("/person/P1?period=3&until=2024-03-05").get_data(as_text=True)
    assert "2 of 3 events (filtered)" in html
    app.extensions["mashgraph"].accounts.close()


def test_case_summary_is_stamped_printable_downloadable_and_audited(app, client):  # noqa: F811
    login(client)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/reason").get_data(as_text=True)).group(1)
    client.post("/reason", data={"reason": "Strategy discussion SD-42", "csrf_token": token, "next": "/"})
    html = client.get("/summary/person/P1?since=2024-02-01").get_data(as_text=True)
    assert "Case summary: Amy Example" in html and "by <strong>ana</strong>" in html
    assert "reason: <strong>Strategy discussion SD-42</strong>" in html
    assert "Chronology filtered: 2 of 3 events." in html
    for part in ("Identity", "Who knows what", "Linked adults", "Chronology", "same NHS number"):
        assert part in html, part
    assert 'href="/summary-export/person/P1.html?since=2024-02-01"' in html
    download = client.get("/summary-export/person/P1.html?since=2024-02-01")
    body = download.get_data(as_text=True)
    assert download.headers["Content-Disposition"].startswith('attachment; filename="mashgraph-case-summary-person-P1')
    assert "Strategy discussion SD-42" in body and "<style>" in body
    assert not re.search(r'(src|href)="(https?:)?//', body), "the download must make no request"
    assert "<script" not in body
    exports = audit_rows(app, action="export")
    assert exports[0].what == "case summary of person P1 as HTML" and exports[0].person_keys == ["P1", "P2"]
    assert exports[0].reason == "Strategy discussion SD-42"
    assert audit_rows(app, action="view_summary")[0].person_keys == ["P1", "P2"]
    household = client.get("/summary/household/csc-la1:H1").get_data(as_text=True)
    assert "Case summary: Household csc-la1:H1" in household and "Amy Example" in household
    assert client.get("/summary/person/NOPE").status_code == 404
    assert client.get("/summary/other/P1").status_code == 404
