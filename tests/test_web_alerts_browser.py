"""The alert inbox in Debian's Chromium (Python Playwright, ``executable_path`` set; ``playwright
install`` is never run): from the inbox to an alert, a decision, and its frozen snapshot, which
must read the same after the next night's records are loaded and the alerts run again.

Set ``MASHGRAPH_ALERTS_SCREENSHOT=docs/alerts.png`` to also save the alert page for the docs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import FIXTURES
from mashgraph.graph import open_store
from mashgraph.graph.alert_store import get_alert
from mashgraph.graph.alerts import run_alerts
from mashgraph.ingest.jobs import run_job, run_source
from mashgraph.settings import load_settings
from test_alerts import NIGHT1, NIGHT2, _write_delta
from test_web_browser import CHROMIUM, CHROMIUM_ARGS, Watch, serve_in_thread
from truth_links import link_by_truth

PASSWORD = "admin-password-12"
KEY = "cumulative-harm:P0000436"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def alerts_server(tmp_path_factory):
    """The explorer on a free port of 127.0.0.1 over the fixture's first night of alerts."""
    from mashgraph.web import create_app
    from mashgraph.web.accounts import Accounts

    root = tmp_path_factory.mktemp("alerts-browser")
    accounts = Accounts(root / "users.sqlite")
    accounts.add_user("adm", PASSWORD, "admin")
    accounts.close()
    store = open_store(str(root / "graph"), load_settings(environ={}))
    store.ensure_schema()
    run_job(store, FIXTURES / "synth" / "job.yml")
    link_by_truth(store, FIXTURES / "synth" / "truth" / "records.csv")
    run_alerts(store, NIGHT1)
    app = create_app({"STORE": store, "MASHGRAPH_USERS_DB": str(root / "users.sqlite"),
                      "MASHGRAPH_TODAY": NIGHT1.isoformat()})
    with serve_in_thread(app) as base:
        yield base, store
    app.extensions["mashgraph"].accounts.close()
    store.close()


def _sign_in(page, server: str) -> None:
    page.goto(server + "/alerts")
    page.fill("#username", "adm")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    if "/reason" in page.url:
        page.fill("#reason", "MASH daily alerts, case 7")
        page.click("main button[type=submit]")
        page.wait_for_url(server + "/alerts")


def test_inbox_alert_decision_snapshot_survives_the_next_night(alerts_server, tmp_path):
    server, store = alerts_server
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        watch = Watch(context)
        page = context.new_page()
        watch.attach(page)
        _sign_in(page, server)
        assert page.locator("h1").inner_text() == "Alerts"
        page.select_option("#f-pattern", "cumulative-harm")
        page.click(".alert-filter button[type=submit]")
        page.wait_for_url(lambda url: "pattern=cumulative-harm" in url)
        assert page.locator("#alerts tbody tr").count() == 1
        page.locator("#alerts tbody a[href^='/alerts/']").first.click()
        page.wait_for_selector("#alert-rows")
        assert "Cumulative low-level harm" in page.locator("h1").inner_text()
        assert page.locator("#alert-rows a[href='/person/P0000436']").count() >= 1
        assert page.locator("table.chronology").count() >= 1 and page.locator("table.gap").count() >= 1

        page.select_option("#assignee", "adm")
        page.click("#assign-form button")
        page.wait_for_selector(".flash")
        assert page.locator("#alert-assignee").inner_text() == "adm"
        page.click("#decision-form button")            # the reason is required: nothing is sent
        assert get_alert(store, KEY).status == "open"
        page.select_option("#d-status", "dismissed")
        page.select_option("#d-rag", "GREEN")
        page.select_option("#d-outcome", "monitor")
        page.fill("#d-reason", "Plan in place with the school; review in a month")
        page.click("#decision-form button")
        page.wait_for_selector("#decisions")
        assert page.locator("#alert-state").inner_text() == "dismissed"
        shot = tmp_path / "alert.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if os.environ.get("MASHGRAPH_ALERTS_SCREENSHOT"):
            shutil.copyfile(shot, os.environ["MASHGRAPH_ALERTS_SCREENSHOT"])

        page.click("#decisions a")
        page.wait_for_selector("#snapshot")
        snapshot = page.locator("#snapshot").inner_html()
        assert "Plan in place with the school" in page.locator("#decision-record").inner_text()
        assert "CT90000003" not in snapshot
        snapshot_url = page.url

        # The next night: a red contact about the child is loaded and the alerts run again.
        run_source(store, "csc_contacts", [_write_delta(tmp_path)], quarantine_dir=tmp_path / "q")
        run_alerts(store, NIGHT2)
        page.goto(server + f"/alerts/{KEY}")
        assert "CT90000003" in page.locator("#main").inner_text()   # the live page shows the new contact
        assert page.locator("#alert-state").inner_text() == "open"  # reopened by it
        page.goto(snapshot_url)
        assert page.locator("#snapshot").inner_html() == snapshot
        page.goto(server + f"/alerts/{KEY}/network")
        page.wait_for_selector("#network canvas")
        assert watch.errors == [] and watch.blocked == []
        assert all(urlsplit(u).hostname == "127.0.0.1" for u in watch.requests)
        context.close()
        browser.close()
