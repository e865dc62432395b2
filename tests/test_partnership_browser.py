"""The partnership dashboard and its report file in Debian's Chromium (Python Playwright).

A planted world (``--plant-partnership``, 8,000 people, two authorities) is loaded and linked
by the truth; the app runs on 127.0.0.1 in a thread. The test signs in, opens the dashboard
for police, checks that every chart is drawn, that no console error (a CSP violation would be
one) and no request off 127.0.0.1 happens, opens a table view, follows a "late cases" link to
the late referrals, and opens the report file from disk, which makes no request at all. Set
``MASHGRAPH_SCREENSHOT_PARTNERSHIP=docs/partnership.png`` to save the screenshot for docs/web.md.
"""

from __future__ import annotations

import os
import shutil

import pytest
from click.testing import CliRunner

from mashgraph.cli import cli
from mashgraph.graph.partnership import PANELS
from test_partnership import _build
from test_web import ADMIN_PASSWORD
from test_web_browser import CHROMIUM, Watch, chromium_browser, pytestmark, serve_in_thread  # noqa: F401

from mashgraph.ingest.synth.partnership import PartnershipPlan


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("partnership-browser")
    store = _build(root, PartnershipPlan())
    yield root, store
    store.close()


@pytest.fixture(scope="module")
def server(world):
    from mashgraph.web import create_app
    from mashgraph.web.accounts import Accounts

    root, store = world
    accounts = Accounts(root / "users.sqlite")
    accounts.add_user("adm", ADMIN_PASSWORD, "admin")
    accounts.close()
    app = create_app({"STORE": store, "MASHGRAPH_USERS_DB": str(root / "users.sqlite"),
                      "MASHGRAPH_REQUIRE_REASON": False})
    with serve_in_thread(app) as base:
        yield base
    app.extensions["mashgraph"].accounts.close()


def test_dashboard_draws_every_chart_and_late_cases_are_one_click_away(server, chromium_browser, tmp_path):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)
    page.goto(server + "/partnership?agency=police&period=all")
    page.fill("#username", "adm")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/partnership?agency=police&period=all")
    assert page.locator("h1").inner_text() == "Partnership dashboard"
    charts = page.locator("svg.chart")
    assert charts.count() == len(PANELS)
    for i in range(len(PANELS)):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 40
    assert page.locator("#panel-sharing polyline").count() == 2     # all agencies, and police's concerns
    shot = tmp_path / "partnership.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 20_000
    if os.environ.get("MASHGRAPH_SCREENSHOT_PARTNERSHIP"):
        shutil.copyfile(shot, os.environ["MASHGRAPH_SCREENSHOT_PARTNERSHIP"])

    table = page.locator("#panel-thresholds details.table-view table")
    assert not table.is_visible()
    page.click("#panel-thresholds details.table-view summary")
    assert table.is_visible() and "(hub)" in table.inner_text()

    page.goto(server + "/partnership?period=2023Q4")
    page.click("#panel-timeliness details.table-view summary")
    late = page.locator("#panel-timeliness a", has_text="late cases").first
    late.click()
    page.wait_for_url("**/queries/late-decisions?*")
    assert page.locator("table.results tbody tr").count() >= 1
    assert watch.errors == [] and watch.blocked == []
    context.close()


def test_report_file_opens_with_no_request(world, chromium_browser, tmp_path):
    root, _ = world
    out = tmp_path / "board.html"
    result = CliRunner().invoke(cli, ["--db", str(root / "graph"), "report", "partnership", "--period", "2024",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    context = chromium_browser.new_context(viewport={"width": 1100, "height": 900})
    watch = Watch(context, allowed_schemes=("file",))
    page = context.new_page()
    watch.attach(page)
    page.goto(out.as_uri())
    assert page.locator("svg.chart").count() == len(PANELS)
    assert page.locator("details.table-view table").first.is_visible()   # tables open in the file
    assert watch.requests == [out.as_uri()] and watch.errors == [] and watch.blocked == []
    context.close()
