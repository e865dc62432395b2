"""The linked-risk network view (web/linked.py): its JSON, audit, export, and in Chromium:
expand and collapse, filters, the time slider, the path between two people and both exports.

The graph is the committed synthetic fixture linked by truth (so the analytics have run);
one child of the planted peer-exploitation network gets a hostile display name.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import FIXTURES
from test_web import ADMIN_PASSWORD, HOSTILE, PASSWORD, audit_rows, login
from test_web_browser import serve_in_thread, CHROMIUM, CHROMIUM_ARGS, Watch
from truth_links import link_by_truth

PATTERNS = [json.loads(line) for line in (FIXTURES / "synth" / "truth" / "patterns.jsonl").read_text().splitlines()]
(NETWORK,) = [r for r in PATTERNS if r["pattern"] == "peer-exploitation-network" and r["kind"] == "instance"]
GROOMER = NETWORK["match"]["person"]
KIDS = [p for p in NETWORK["people"] if p != GROOMER]


@pytest.fixture(scope="module")
def synth_store(tmp_path_factory):
    from mashgraph.graph import open_store
    from mashgraph.ingest.jobs import run_job
    from mashgraph.settings import load_settings

    path = tmp_path_factory.mktemp("linked") / "graph"
    with open_store(str(path), load_settings(environ={})) as store:
        run_job(store, FIXTURES / "synth" / "job.yml")
        link_by_truth(store, FIXTURES / "synth" / "truth" / "records.csv")
        store.write("MATCH (p:Person {key: $key}) SET p.display_name = $name", {"key": KIDS[0], "name": HOSTILE})
        yield store


@pytest.fixture(scope="module")
def users(tmp_path_factory):
    from mashgraph.web.accounts import Accounts

    path = tmp_path_factory.mktemp("users") / "users.sqlite"
    accounts = Accounts(path)
    accounts.add_user("ana", PASSWORD, "analyst")
    accounts.add_user("adm", ADMIN_PASSWORD, "admin")
    accounts.close()
    return path


@pytest.fixture
def app(synth_store, users, tmp_path):
    from mashgraph.web import create_app

    db = tmp_path / "users.sqlite"
    shutil.copyfile(users, db)
    app = create_app({"TESTING": True, "STORE": synth_store, "MASHGRAPH_USERS_DB": str(db)})
    yield app
    app.extensions["mashgraph"].accounts.close()


@pytest.fixture
def client(app):
    c = app.test_client()
    login(c)
    return c


def _people(data: dict) -> set[str]:
    return {n["key"] for n in data["nodes"] if n["kind"] in ("child", "adult")}


def test_two_hop_json_holds_the_network_with_scores_and_is_audited_person_by_person(app, client):
    response = client.get(f"/linked-data/person/{GROOMER}.json?hops=2")
    assert response.status_code == 200
    data = response.get_json()
    assert set(NETWORK["people"]) <= _people(data) and data["center"] == [f"person:{GROOMER}"]
    groomer = next(n for n in data["nodes"] if n["key"] == GROOMER)
    assert groomer["score"] > 0 and groomer["broker"] == 3 and groomer["community"]
    incidents = [n for n in data["nodes"] if n["kind"] == "incident"]
    assert incidents and all(re.match(r"\d{4}-\d\d-\d\d$", n["date"]) for n in incidents)
    ids = {n["id"] for n in data["nodes"]}
    assert all(e["from"] in ids and e["to"] in ids for e in data["edges"])
    (row,) = audit_rows(app, action="view_network")
    assert set(row.person_keys) == _people(data) and row.what == f"linked network of person {GROOMER}"


def test_bad_hops_and_unknown_person_are_clear_errors(client):
    response = client.get(f"/linked-data/person/{GROOMER}.json?hops=9")
    assert response.status_code == 400 and "hops must be a whole number from 0 to 3" in response.get_data(as_text=True)
    assert client.get("/linked-data/person/no-such-person.json").status_code == 404


def test_a_saved_query_result_opens_as_a_network_and_every_person_is_audited(app, client):
    page = client.get("/queries/brokers?run=1").get_data(as_text=True)
    assert 'href="/linked/query/brokers"' in page and "Open the people as a network" in page
    assert client.get("/linked/query/brokers").status_code == 200
    data = client.get("/linked-data/query/brokers.json").get_json()
    assert GROOMER in _people(data)
    views = audit_rows(app, action="view_network")
    assert views[0].what.startswith("linked network of saved query brokers {") and set(views[0].person_keys) == _people(data)
    assert client.get("/linked-data/query/who-knows-what.json").status_code == 400  # needs a person


def test_standalone_export_is_pyvis_data_in_our_template_escaped_and_audited(app, client):
    response = client.get(f"/linked-export/person/{GROOMER}.html")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert HOSTILE not in html and "\\u003cscript\\u003e" in html
    assert not re.search(r"""(src|href)=["']?https?:""", html)  # the browser test checks no request is made
    data = json.loads(re.search(r'<script type="application/json" id="network-data">(.*?)</script>', html, re.S).group(1))
    assert {n["id"] for n in data["nodes"]} >= {f"person:{k}" for k in NETWORK["people"]}
    assert all(n["shape"] == "dot" and "size" in n for n in data["nodes"])  # pyvis's from_nx defaults
    (row,) = audit_rows(app, action="export")
    assert set(NETWORK["people"]) <= set(row.person_keys)


def test_a_community_opens_and_exports_as_a_network_audited_under_every_member(app, client, synth_store):
    community = synth_store.read("MATCH (p:Person {key: $key}) RETURN p.community", {"key": GROOMER}).value()
    members = set(synth_store.read("MATCH (p:Person) WHERE p.community = $c RETURN p.key", {"c": community}).column(0))
    assert set(NETWORK["people"]) <= members
    assert client.get(f"/linked/community/{community}").status_code == 200
    data = client.get(f"/linked-data/community/{community}.json").get_json()
    assert _people(data) == members
    (view,) = audit_rows(app, action="view_network")
    assert set(view.person_keys) == members and view.what == f"linked network of community {community}"
    html = client.get(f"/linked-export/community/{community}.html").get_data(as_text=True)
    assert all(f"person:{m}" in html for m in members) and HOSTILE not in html
    (export,) = audit_rows(app, action="export")
    assert set(export.person_keys) == members
    missing = client.get("/linked-data/community/c:nobody.json")
    assert missing.status_code == 404


def test_person_page_links_to_the_linked_network(client):
    page = client.get(f"/person/{GROOMER}").get_data(as_text=True)
    assert f'href="/linked/person/{GROOMER}"' in page


# -- in Chromium -------------------------------------------------------------------------------

def needs_chromium(test):
    """Marked ``browser`` and skipped without Debian's Chromium."""
    return pytest.mark.browser(pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not found")(test))


@pytest.fixture(scope="module")
def served(synth_store, users, tmp_path_factory):
    """The app served on 127.0.0.1 for the browser, and its address."""
    from mashgraph.web import create_app

    db = tmp_path_factory.mktemp("srv") / "users.sqlite"
    shutil.copyfile(users, db)
    # The reason page (on by default) is tested in test_web.py; the Flask tests here state one.
    app = create_app({"STORE": synth_store, "MASHGRAPH_USERS_DB": str(db), "MASHGRAPH_REQUIRE_REASON": False})
    with serve_in_thread(app) as base:
        yield app, base
    app.extensions["mashgraph"].accounts.close()


@pytest.fixture(scope="module")
def server(served):
    return served[1]


@pytest.fixture
def server_accounts(served):
    """The users database (and audit) of the server the browser talks to."""
    return served[0].extensions["mashgraph"].accounts


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def linked_page(server, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/login")
    page.fill("#username", "ana")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")
    page.goto(f"{server}/linked/person/{GROOMER}?hops=1")
    page.wait_for_selector("#network[data-rendered=true]", timeout=30_000)
    yield page
    assert watch.errors == [] and watch.blocked == [] and dialogs == []
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in watch.requests)
    context.close()


def _visible(page) -> list[str]:
    return page.evaluate("window.mashgraphLinked.view.nodes.getIds()")


def _click(page, node_id: str) -> None:
    page.evaluate("id => window.mashgraphLinked.network.focus(id, {scale: 1.5})", node_id)
    box = page.locator("#network canvas").bounding_box()
    pos = page.evaluate("id => window.mashgraphLinked.network.canvasToDOM(window.mashgraphLinked.network.getPositions([id])[id])", node_id)
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])


def _dblclick(page, node_id: str) -> None:
    page.evaluate("id => window.mashgraphLinked.network.focus(id, {scale: 1.5})", node_id)
    box = page.locator("#network canvas").bounding_box()
    pos = page.evaluate("id => window.mashgraphLinked.network.canvasToDOM(window.mashgraphLinked.network.getPositions([id])[id])", node_id)
    page.mouse.dblclick(box["x"] + pos["x"], box["y"] + pos["y"])


@needs_chromium
def test_expand_by_double_click_then_collapse(linked_page, synth_store):
    from mashgraph.graph.projection import project_neighbourhood

    page = linked_page
    before = set(_visible(page))
    near = project_neighbourhood(synth_store, GROOMER, 1)
    far = project_neighbourhood(synth_store, GROOMER, 2)
    # a person shown with a neighbour that is not shown yet
    kid = next(f"person:{k}" for k in sorted(near.persons) if k != GROOMER and set(far.graph[k]) - set(near.persons))
    assert kid in before
    _dblclick(page, kid)
    page.wait_for_selector(f'#network[data-expanded="{kid}"]')
    after = set(_visible(page))
    assert after > before
    _dblclick(page, kid)
    page.wait_for_selector('#network[data-expanded=""]')
    assert set(_visible(page)) == before


@needs_chromium
def test_filters_by_type_agency_and_concern(linked_page):
    page = linked_page
    everything = _visible(page)
    page.uncheck("input[name=kind][value=incident]")
    shown = _visible(page)
    assert not [n for n in shown if n.startswith("incident:")] and len(shown) < len(everything)
    page.check("input[name=kind][value=incident]")
    page.select_option("#filter-concern", "24A")
    people = [n for n in _visible(page) if n.startswith("person:")]
    concerns = page.evaluate("ids => ids.map(id => window.mashgraphLinked.nodes.get(id).raw.concerns)", people)
    assert people and all("24A" in c for c in concerns)
    page.select_option("#filter-concern", "")
    page.select_option("#filter-agency", "police")
    people = [n for n in _visible(page) if n.startswith("person:")]
    agencies = page.evaluate("ids => ids.map(id => window.mashgraphLinked.nodes.get(id).raw.agencies)", people)
    assert people and all("police" in a for a in agencies)


@needs_chromium
def test_time_slider_plays_the_network_forward(linked_page):
    page = linked_page
    everything = len(_visible(page))
    page.evaluate("() => { const s = document.getElementById('time-slider'); s.value = '0'; s.dispatchEvent(new Event('input')); }")
    early = len(_visible(page))
    assert early < everything
    until = page.input_value("#date-until")
    dated = page.evaluate("() => window.mashgraphLinked.view.nodes.get().map(n => n.raw.date).filter(d => d)")
    assert all(d <= until for d in dated)
    page.click("#time-play")
    page.wait_for_selector("#network[data-played=true]", timeout=30_000)
    assert len(_visible(page)) == everything


@needs_chromium
def test_path_between_two_people_chosen_by_search(linked_page):
    page = linked_page
    kid_a, kid_b = KIDS[1], KIDS[2]
    page.fill("#path-from", kid_a)
    page.fill("#path-to", kid_b)
    page.click("#path-show")
    page.wait_for_selector('#network[data-path]:not([data-path=""])')
    path = page.get_attribute("#network", "data-path").split()
    assert path[0] == f"person:{kid_a}" and path[-1] == f"person:{kid_b}" and len(path) >= 3
    selected = page.evaluate("window.mashgraphLinked.network.getSelectedNodes()")
    assert set(selected) == set(path)
    assert page.inner_text("#network-status").startswith("Path (")


@needs_chromium
def test_path_to_someone_not_drawn_found_by_name_search(linked_page, synth_store):
    page = linked_page
    far, links, _ = _far_and_unreachable(synth_store)
    assert f"person:{far}" not in _visible(page)
    name = synth_store.read("MATCH (p:Person {key: $k}) RETURN p.display_name", {"k": far}).value()
    page.fill("#path-from", GROOMER)
    page.fill("#path-to", name)
    page.wait_for_selector(f'#people-list option[value="{name} - {far}"]', state="attached")
    page.fill("#path-to", f"{name} - {far}")
    page.click("#path-show")
    page.wait_for_selector('#network[data-path]:not([data-path=""])')
    path = page.get_attribute("#network", "data-path").split()
    people = [n for n in path if n.startswith("person:")]
    assert path[0] == f"person:{GROOMER}" and path[-1] == f"person:{far}" and len(people) == links + 1
    assert set(page.evaluate("window.mashgraphLinked.network.getSelectedNodes()")) == set(path)


@needs_chromium
def test_selecting_a_person_draws_the_reasons_behind_their_score(linked_page, synth_store):
    page = linked_page
    paths = synth_store.read("MATCH (p:Person {key: $key}) RETURN p.risk_paths", {"key": KIDS[1]}).value()
    on_paths = {f"person:{k}" for p in paths for k in p.split(">")} & set(_visible(page))
    assert len(on_paths) >= 2  # the child and at least one person whose concerns reach them
    _click(page, f"person:{KIDS[1]}")
    page.wait_for_selector("#network[data-reasons]")
    assert set(page.get_attribute("#network", "data-reasons").split()) == on_paths
    assert set(page.evaluate("window.mashgraphLinked.network.getSelectedNodes()")) == on_paths
    assert "% of the score" in page.inner_text("#node-detail")


@needs_chromium
def test_png_and_html_exports_and_the_hostile_name_in_the_offline_file(linked_page, chromium, tmp_path, server_accounts):
    page = linked_page
    before = len(server_accounts.audit_entries(action="export", limit=None))
    with page.expect_download() as info:
        page.click("#export-png")
    png = tmp_path / "net.png"
    info.value.save_as(str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
    exports = server_accounts.audit_entries(action="export", limit=None)
    assert len(exports) == before + 1 and exports[0].what.endswith("as PNG")
    shown = {n.removeprefix("person:") for n in _visible(page) if n.startswith("person:")}
    assert set(exports[0].person_keys) == shown and GROOMER in shown
    with page.expect_download() as info:
        page.click("#export-html")
    exported = tmp_path / "net.html"
    info.value.save_as(str(exported))
    offline = chromium.new_context()
    watch = Watch(offline, allowed_schemes=("file",))
    other = offline.new_page()
    watch.attach(other)
    dialogs: list[str] = []
    other.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    other.goto(exported.as_uri())
    other.wait_for_selector("#network[data-rendered=true]", timeout=30_000)
    labels = other.evaluate("window.mashgraphNetwork.body.data.nodes.get().map(n => n.label)")
    assert HOSTILE in labels  # drawn as text on the canvas, never run
    assert dialogs == [] and watch.errors == [] and watch.blocked == [] and watch.requests == [exported.as_uri()]
    offline.close()


# -- the path between two people anywhere in the graph, search, and the audited PNG ---------------

def _far_and_unreachable(store):
    """A person three links (or failing that two) from the groomer, and one with no chain to them,
    by networkx on the projection of the whole graph."""
    import networkx as nx

    from mashgraph.graph.projection import project

    g = project(store).graph
    dist = nx.single_source_shortest_path_length(g, GROOMER)
    far = min((d, k) for k, d in dist.items() if d == max(min(3, max(dist.values())), 2))[1]
    unreachable = sorted(k for k in g if k not in dist)[0]
    return far, dist[far], unreachable


def test_the_path_between_two_people_not_drawn_together_is_a_shortest_chain_and_audited(app, client, synth_store):
    far, links, unreachable = _far_and_unreachable(synth_store)
    data = client.get(f"/linked-data/path.json?from={GROOMER}&to={far}").get_json()
    path = [p.removeprefix("person:") for p in data["path"]]
    assert path[0] == GROOMER and path[-1] == far and len(path) == links + 1
    assert set(path) == _people(data)
    # each step is a link drawn: a hub both share, or a relationship
    joined = {frozenset((e["from"], e["to"])) for e in data["edges"] if e["kind"] == "relative"}
    hubs: dict[str, set[str]] = {}
    for e in data["edges"]:
        if e["kind"] != "relative":
            hubs.setdefault(e["to"], set()).add(e["from"])
    for a, b in zip(data["path"], data["path"][1:]):
        assert frozenset((a, b)) in joined or any({a, b} <= members for members in hubs.values()), (a, b)
    (row,) = audit_rows(app, action="view_network")
    assert set(row.person_keys) == set(path) and row.what == f"path between {GROOMER} and {far}"
    none = client.get(f"/linked-data/path.json?from={GROOMER}&to={unreachable}")
    assert none.status_code == 404 and none.get_json()["error"].startswith("No chain of at most 6 links")
    unknown = client.get(f"/linked-data/path.json?from={GROOMER}&to=P-nobody")
    assert unknown.status_code == 400 and "no person with the key 'P-nobody'" in unknown.get_json()["error"]
    assert client.get("/linked-data/path.json?from=&to=").status_code == 400


def test_people_search_for_the_path_finds_anyone_and_is_audited(app, client, synth_store):
    name = synth_store.read("MATCH (p:Person {key: $k}) RETURN p.display_name", {"k": GROOMER}).value()
    people = client.get(f"/linked-data/people.json?q={name.split()[0]}").get_json()["people"]
    assert GROOMER in [p["key"] for p in people]
    (row,) = audit_rows(app, action="search")
    assert set(row.person_keys) == {p["key"] for p in people}
    assert client.get("/linked-data/people.json?q=").status_code == 400


def test_the_png_export_is_audited_with_the_people_shown(app, client):
    from test_web_hardening import fetch

    assert client.post("/linked-export/png", data={"people": GROOMER}).status_code in (400, 403)  # no CSRF token
    assert audit_rows(app, action="export") == []
    response = fetch(client, ("/linked-export/png", {"people": f"{GROOMER} {KIDS[0]} P-nobody", "what": "person x"}))
    assert response.status_code == 200 and response.get_json() == {"audited": 2}
    (row,) = audit_rows(app, action="export")
    assert set(row.person_keys) == {GROOMER, KIDS[0]} and row.what == "linked network of person x as PNG"
