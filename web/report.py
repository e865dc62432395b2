"""``mashgraph report partnership``: the partnership dashboard as one self-contained HTML file,
for board members who never log in.

The file holds the same panels as ``/partnership`` (:mod:`mashgraph.web.partnership_view`),
each chart as inline SVG with its table open under it, and the app's stylesheet inline; its
Content-Security-Policy allows nothing to load (no script, image or font from anywhere). Every
value passes through Jinja's autoescaping.
"""

from __future__ import annotations

from pathlib import Path

import click
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..errors import ConfigError
from ..graph.partnership import Filters, Period
from ..graph.saved_queries import load_library
from ..settings import Settings
from .partnership_view import Dashboard, build_dashboard, cell_text

__all__ = ["report", "render_partnership_report"]

WEB = Path(__file__).parent


def render_partnership_report(dashboard: Dashboard) -> str:
    """The report file's HTML."""
    env = Environment(loader=FileSystemLoader(WEB / "templates"), autoescape=select_autoescape(default=True))
    template = env.get_template("partnership_report.html")
    return template.render(d=dashboard, report=True, cell_text=cell_text, args={},
                           app_css=(WEB / "static" / "app.css").read_text(encoding="utf-8"))


@click.group()
def report() -> None:
    """Reports written to a file."""


@report.command("partnership")
@click.option("--period", default="all", show_default=True,
              help="A quarter (2025Q1), a month (2025-01), a year (2025) or all.")
@click.option("--la", default="", help="Only this local authority (e.g. la1).")
@click.option("--agency", default="", help="Only this agency (e.g. police).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), required=True, help="The HTML file to write.")
@click.pass_obj
def partnership(settings: Settings, period: str, la: str, agency: str, out_file: str) -> None:
    """The partnership dashboard (sharing, thresholds, timeliness, re-referrals, data quality)
    as a self-contained HTML file: no script, nothing loaded from anywhere."""
    from ..graph import open_store

    filters = Filters(Period.parse(period), la.strip(), agency.strip())
    store = open_store(settings.db, settings)
    try:
        html = render_partnership_report(build_dashboard(store, load_library(), filters))
    finally:
        store.close()
    try:
        Path(out_file).write_text(html, encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot write the report {out_file}: {err.strerror or err}",
                          hint="choose a writable path with --out") from None
    click.echo(f"partnership report for {filters.period.label} -> {out_file}")
