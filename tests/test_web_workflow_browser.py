"""The 24-hour question in a real browser (issue 10): from the toxic-trio saved query to the case
summary of the planted child in at most 6 page views, on the committed synthetic fixture.

Debian's Chromium, driven by Python Playwright; the app runs on 127.0.0.1 in a thread. Every
request is checked to stay on 127.0.0.1 and the console to stay free of errors (a CSP
violation would be one). Set ``MASHGRAPH_WORKFLOW_SHOTS=DIR`` to keep a screenshot per step.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import FIXTURES
from test_web import ADMIN_PASSWORD
from test_web_browser import serve_in_thread, CHROMIUM, Watch, chromium_browser  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)"),
]

TRUTH = FIXTURES / "synth" / "truth"
MAX_PAGE_VIEWS = 6


@pytest.fixture(scope="module")
def fixture_server(tmp_path_factory):
    """The explorer over the ingested fixture (truth links), today = the world's last day."""
    from mashgraph.graph import open_store
    from mashgraph.ingest.jobs import run_job
    from mashgraph.settings import load_settings
    from mashgraph.web import create_app
    from mashgraph.web.accounts import Accounts
    from truth_links import link_by_truth

    root = tmp_path_factory.mktemp("workflow")
    accounts = Accounts(root / "users.sqlite")
    accounts.add_user("adm", ADMIN_PASSWORD, "admin")
    accounts.close()
    with open_store(str(root / "graph"), load_settings(environ={})) as store:
        store.ensure_schema()
        run_job(store, FIXTURES / "synth" / "job.yml", quarantine_dir=root / "q")
        link_by_truth(store, TRUTH / "records.csv")
        app = create_app({"STORE": store, "MASHGRAPH_USERS_DB": str(root / "users.sqlite"),
                          "MASHGRAPH_TODAY": "2025-03-31", "MASHGRAPH_REQUIRE_REASON": True})
        with serve_in_thread(app) as base:
            yield base, store
        app.extensions["mashgraph"].accounts.close()


def _planted_toxic_trio() -> dict:
    for line in (TRUTH / "patterns.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["pattern"] == "toxic-trio" and row["kind"] == "instance":
            return row
    raise AssertionError("the fixture plants no toxic trio")


def test_the_24_hour_question_takes_at_most_six_page_views(fixture_server, chromium_browser, tmp_path):
    base, store = fixture_server
    trio = _planted_toxic_trio()
    child = store.read("UNWIND $people AS pk MATCH (p:Person {key: pk}) WHERE p.dob >= date('2007-04-01') "
                       "RETURN p.key AS key, p.display_name AS name", {"people": trio["people"]}).records()
    assert len(child) == 1, child
    child_key, child_name = child[0]["key"], child[0]["name"]
    shots = os.environ.get("MASHGRAPH_WORKFLOW_SHOTS")
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)
    page.goto(base + "/login")
    page.fill("#username", "adm")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.goto(base + "/reason")  # the reason for access, given once for the session before any person is shown
    page.fill("#reason", "MASH contact 2025-0331-17")
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()

    views: list[str] = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and views.append(frame.url))

    def step(name: str) -> None:
        page.wait_for_load_state()
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"{len(views)}-{name}.png"), full_page=True)

    page.goto(base + "/queries/toxic-trio?run=1")                        # 1: the saved query's result
    step("toxic-trio")
    page.click(f"table.results a.ref-person[href='/person/{child_key}']")  # 2: the child, by name
    step("child")
    assert page.locator("h1").inner_text() == child_name
    adults = page.locator("table.adults").inner_text()
    assert all(a in adults for a in ("3B",)), adults                       # the linked adults panel
    page.select_option("#chron-period", "12")
    page.click(".chron-filter button[type=submit]")                       # 3: the last 12 months
    step("last-12-months")
    assert "period=12" in page.url and "(filtered)" in page.locator("table.chronology caption").inner_text()
    household = page.locator("#hh-h ~ ul a").first
    household.click()                                                     # 4: the family, all concerns
    step("family")
    gap = page.locator("table.gap").inner_text()
    assert all(code in gap for code in ("2B", "3B", "4B")), gap
    page.click("text=Case summary")                                       # 5: the case summary
    step("summary")
    body = page.locator("main").inner_text()
    assert "Case summary: Household" in body and "MASH contact 2025-0331-17" in body and "adm" in body
    assert child_name in body
    assert len(views) <= MAX_PAGE_VIEWS, views
    assert not watch.blocked and not watch.errors, (watch.blocked, watch.errors)
    context.close()
