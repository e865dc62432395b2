"""The explorer in a real browser: Debian's Chromium driven by Python Playwright.

The app runs on 127.0.0.1 on a free port in a thread of this process. The test
signs in, searches, opens a person and the network view, and checks that the
network is drawn (a canvas), that the console shows no error (a CSP violation
would be one) and that no request goes to any host but 127.0.0.1.

Chromium comes from Debian (``apt-get install chromium``); ``playwright install``
is never run. Set ``MASHGRAPH_SCREENSHOT=docs/screenshot.png`` to also save the
screenshot for the README.
"""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from test_web import ADMIN_PASSWORD, HOSTILE, build_sample_graph

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)"),
]



@contextmanager
def serve_in_thread(app):
    """``app`` served on http://127.0.0.1:<free port>/ by a thread of this process; yields the base URL."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The explorer on http://127.0.0.1:<free port>/ with the sample graph and an admin user."""
    from mashgraph.graph import open_store
    from mashgraph.settings import load_settings
    from mashgraph.web import create_app
    from mashgraph.web.accounts import Accounts

    root = tmp_path_factory.mktemp("browser")
    accounts = Accounts(root / "users.sqlite")
    accounts.add_user("adm", ADMIN_PASSWORD, "admin")
    accounts.close()
    with open_store(str(root / "graph"), load_settings(environ={})) as store:
        build_sample_graph(store)
        # This walk checks drawing and requests; the reason page (on by default) is tested in test_web.py.
        app = create_app({"STORE": store, "MASHGRAPH_USERS_DB": str(root / "users.sqlite"),
                          "MASHGRAPH_REQUIRE_REASON": False})
        with serve_in_thread(app) as base:
            yield base
        app.extensions["mashgraph"].accounts.close()


@pytest.fixture(scope="module")
def chromium_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watch:
    """Console errors, page errors and every request a page makes; requests off 127.0.0.1 are blocked."""

    def __init__(self, context, allowed_schemes=("http",)) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.allowed_schemes = allowed_schemes
        context.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        self.requests.append(url)
        parts = urlsplit(url)
        local = parts.scheme in self.allowed_schemes and (parts.hostname == "127.0.0.1" or parts.scheme == "file")
        if local or url.startswith("data:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def attach(self, page) -> None:
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))


def test_sign_in_search_person_and_network(server, chromium_browser, tmp_path):
    browser = chromium_browser
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)

    page.goto(server + "/person/P1")
    assert page.url.startswith(server + "/login?next=")
    page.fill("#username", "adm")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/person/P1")

    page.goto(server + "/")
    page.fill("#q", "example")
    page.click("form[role=search] button")
    page.wait_for_url("**/search?q=example")
    assert page.locator("table.results tbody tr").count() == 2
    page.click("text=Amy Example")
    page.wait_for_url(server + "/person/P1")
    assert page.locator("h1").inner_text() == "Amy Example"
    assert page.locator("td.unaware").count() == 3

    page.goto(server + "/record/police:N666")
    assert page.locator("h1").inner_text() == HOSTILE + " Hostile"  # shown as text, never run

    page.goto(server + "/person/P1")
    page.click("text=Network view")
    page.wait_for_selector("#network canvas")
    page.wait_for_selector("#network[data-rendered=true]", timeout=20_000)
    status = page.locator("#network-status").inner_text()
    assert status.startswith(f"{page.evaluate('window.mashgraphNetwork.body.data.nodes.length')} nodes")
    shot = tmp_path / "network.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("MASHGRAPH_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["MASHGRAPH_SCREENSHOT"])

    with page.expect_download() as info:
        page.click("text=Export as a self-contained HTML file")
    exported = tmp_path / "export.html"
    info.value.save_as(str(exported))

    assert watch.errors == []
    assert watch.blocked == []
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in watch.requests)
    context.close()

    # The exported file draws the same network from disk, with no request at all.
    offline = browser.new_context()
    watch = Watch(offline, allowed_schemes=("file",))
    page = offline.new_page()
    watch.attach(page)
    page.goto(exported.as_uri())
    page.wait_for_selector("#network[data-rendered=true]", timeout=20_000)
    assert page.locator("#network canvas").count() == 1
    assert page.locator("#network-title").inner_text() == "Amy Example"
    assert watch.errors == [] and watch.blocked == []
    assert watch.requests == [exported.as_uri()]
    offline.close()
