"""The Cypher console in a real browser (Debian's Chromium driven by Python Playwright): every
write form typed into the page is refused in one line, and the graph is unchanged afterwards
(counts and a checksum of every node, relationship, property and index). A read draws its
table and network with no console error (a CSP violation would be one) and no request off
127.0.0.1.

Set ``MASHGRAPH_CONSOLE_SCREENSHOT=docs/console.png`` to save the screenshot for docs/web.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from test_web import ADMIN_PASSWORD, build_sample_graph
from test_web_console import REFUSED, WRITES, WRITING_PROCEDURES, fingerprint
from mashgraph.web.console import LOAD_CSV_REFUSED
from test_web_browser import serve_in_thread, CHROMIUM, CHROMIUM_ARGS, Watch, chromium_browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)"),
]

@pytest.fixture(scope="module")
def console_server(tmp_path_factory):
    """The explorer with the sample graph and an admin granted the console; yields (url, store)."""
    from mashgraph.graph import open_store
    from mashgraph.settings import load_settings
    from mashgraph.web import create_app
    from mashgraph.web.accounts import Accounts

    root = tmp_path_factory.mktemp("console-browser")
    accounts = Accounts(root / "users.sqlite")
    accounts.add_user("adm", ADMIN_PASSWORD, "admin")
    accounts.grant("adm", "console")
    accounts.close()
    with open_store(str(root / "graph"), load_settings(environ={})) as store:
        build_sample_graph(store)
        app = create_app({"STORE": store, "MASHGRAPH_USERS_DB": str(root / "users.sqlite")})
        with serve_in_thread(app) as base:
            yield base, store
        app.extensions["mashgraph"].accounts.close()


def sign_in_with_a_reason(page, server: str) -> None:
    page.goto(server + "/console")
    page.fill("#username", "adm")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/console")
    page.goto(server + "/reason?next=/console")
    page.fill("#reason", "console check")
    page.click("main button[type=submit]")
    page.wait_for_url(server + "/console")


def run_statement(page, statement: str) -> None:
    page.fill("#statement", statement)
    with page.expect_navigation():
        page.click("#run")


def test_every_write_form_is_refused_in_one_line_and_the_graph_is_unchanged(console_server, chromium_browser):
    server, store = console_server
    before = fingerprint(store)
    assert before[0] > 0 and before[1] > 0 and before[2] > 0
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    watch = Watch(context)
    page = context.new_page()
    sign_in_with_a_reason(page, server)
    procedures = {f"procedure {i}": text for i, text in enumerate(WRITING_PROCEDURES["embedded"], 1)}
    for form, statement in {**WRITES, **procedures}.items():
        run_statement(page, statement)
        error = page.locator("p.console-error")
        assert error.count() == 1, f"{form}: no refusal shown"
        text = error.inner_text()
        assert text.startswith(LOAD_CSV_REFUSED if form == "LOAD CSV" else REFUSED), (form, text)
        assert "\n" not in text, form
        box = error.bounding_box()
        line = float(error.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
        assert box["height"] < 2 * line + 16, f"{form}: the refusal takes more than one line"
        assert page.locator("#statement").input_value() == statement  # kept, to fix and run again
        assert fingerprint(store) == before, f"{form} changed the graph"
    assert fingerprint(store) == before
    assert watch.blocked == []
    context.close()


def test_a_read_draws_a_table_and_a_network_with_no_error(console_server, chromium_browser, tmp_path):
    server, store = console_server
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 1000})
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)
    sign_in_with_a_reason(page, server)
    run_statement(page, "MATCH (p:Person)<-[r:RESOLVES_TO]-(rec:Record)-[h:HELD_BY]->(a:Agency)\n"
                        "RETURN p, r, rec, h, a ORDER BY rec.key")
    assert page.locator("#row-count").inner_text().startswith("4 rows")
    assert page.locator("table.results tbody tr").count() == 4
    page.wait_for_selector("#network[data-rendered=true] canvas", timeout=60_000)
    assert page.locator("#network-status").inner_text().startswith("9 nodes, 8 links")  # 2 persons, 4 records, 3 agencies
    assert page.locator("ol.history li").count() >= 1
    assert watch.errors == [] and watch.blocked == []
    shot = os.environ.get("MASHGRAPH_CONSOLE_SCREENSHOT") or str(tmp_path / "console.png")
    page.screenshot(path=shot, full_page=True)
    context.close()
