"""The identity review queue in Debian's Chromium (Python Playwright, ``executable_path`` set;
``playwright install`` is never run): open the queue, look at a pair and its evidence, mark it
"not the same" with a reason, and see the next resolution run split the records.

Set ``MASHGRAPH_REVIEW_SCREENSHOT=docs/review.png`` to also save the pair page for the docs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mashgraph.ingest.resolve import ResolveSettings, resolve_records, review_pairs
from mashgraph.ingest.resolve.decisions import list_decisions

from test_resolve import _assignments, _small_store
from test_web_browser import serve_in_thread, CHROMIUM, CHROMIUM_ARGS, Watch

PASSWORD = "analyst-password-1"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def resolved_server(tmp_path_factory):
    """The explorer on a free port of 127.0.0.1, on a resolved store with pairs to review."""
    from mashgraph.web import create_app
    from mashgraph.web.accounts import Accounts

    root = tmp_path_factory.mktemp("review-browser")
    accounts = Accounts(root / "users.sqlite")
    accounts.add_user("ana", PASSWORD, "analyst")
    accounts.close()
    store, _rows = _small_store(root, "graph")
    settings = ResolveSettings(model_dir=str(root / "models"))
    resolve_records(store, settings)
    app = create_app({"STORE": store, "MASHGRAPH_USERS_DB": str(root / "users.sqlite")})
    with serve_in_thread(app) as base:
        yield base, store, settings
    app.extensions["mashgraph"].accounts.close()
    store.close()


def test_review_a_pair_in_the_browser_and_the_next_run_applies_it(resolved_server, tmp_path):
    server, store, settings = resolved_server
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        watch = Watch(context)
        page = context.new_page()
        watch.attach(page)

        page.goto(server + "/review/")
        page.fill("#username", "ana")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        if "/reason" in page.url:  # when a reason is required before personal data
            page.fill("#reason", "strategy discussion, case 42")
            page.click("main button[type=submit]")
            page.wait_for_url(server + "/review/")
        assert page.locator("h1").inner_text() == "Identity review"
        linked = next(p for p in review_pairs(store, limit=1000)
                      if p["linked"] and '"fields"' in (p["evidence"] or ""))
        page.goto(server + "/review/")
        page.locator(f"a[href$='{linked['key'].replace('|', '%7C')}']").click()
        page.wait_for_selector("table.evidence")
        assert page.locator("h1").inner_text() == "Are these the same person?"
        assert page.locator(".pair .side").count() == 2
        assert page.locator("table.evidence tbody tr").count() >= 4  # one row per compared field
        shot = tmp_path / "review.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if os.environ.get("MASHGRAPH_REVIEW_SCREENSHOT"):
            shutil.copyfile(shot, os.environ["MASHGRAPH_REVIEW_SCREENSHOT"])

        # The reason is required: the browser refuses to send the form without it.
        page.click("button[value=different]")
        assert page.locator("h1").inner_text() == "Are these the same person?"
        assert list_decisions(store) == []

        page.fill("#reason", "GP confirmed two different children")
        page.click("button[value=different]")
        page.wait_for_url(server + "/review/")
        assert "Recorded:" in page.locator(".flash").inner_text()
        assert watch.errors == [] and watch.blocked == []
        assert all(urlsplit(u).hostname == "127.0.0.1" for u in watch.requests)
        context.close()
        browser.close()

    (decision,) = list_decisions(store)
    assert (decision.decision, decision.decided_by) == ("different", "ana")
    resolve_records(store, settings)
    after = _assignments(store)
    assert after[linked["record_a"]]["person"] != after[linked["record_b"]]["person"]
