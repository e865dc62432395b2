"""The ``mashgraph`` command: one click group; each area adds its subcommands.

Errors from mashgraph reach the user as one line saying what failed and what
to do, with a non-zero exit code; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from .demo import demo
from .errors import MashgraphError
from .graph.alerts_cli import alerts
from .graph.cli import analytics, cypher, facts, schema, store
from .graph.query_cli import query
from .ingest.cli import ingest
from .ingest.nightly_cli import nightly
from .ingest.resolve.cli import resolve
from .ingest.synth.cli import synth
from .settings import load_settings
from .web.cli import serve, users
from .web.report import report

__all__ = ["main", "cli"]


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MashgraphError as err:
            if ctx.find_root().params.get("debug"):
                raise
            click.secho(f"error: {err.one_line()}", fg="red", err=True)
            sys.exit(err.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="MASHGRAPH_DB", default=None, metavar="URL",
              help="Graph store: a directory (embedded FalkorDB, default ./data/graph), "
                   "redis://host:port, or bolt://host:7687 (Neo4j). Env: MASHGRAPH_DB.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="mashgraph")
@click.pass_context
def cli(ctx: click.Context, db: str | None, debug: bool) -> None:
    """mashgraph: join every agency's safeguarding records into one graph and explore it."""
    ctx.obj = load_settings(db=db)


# In the order `mashgraph --help` lists them.
for _command in (cypher, schema, store, facts, analytics, synth, query, alerts, serve, users, report, demo, resolve,
                 ingest, nightly):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="mashgraph")
