"""``mashgraph query``: list, show, run and document the saved queries in ``queries/``."""

from __future__ import annotations

import click

from ..settings import Settings
from .format import FORMATS, format_result
from .saved_queries import coerce_params, find_query, library_markdown, load_library, run_saved_query
from .backends import open_store
from .cli import param_pairs

__all__ = ["query"]


_FOLDER = click.option("--queries", "folder", type=click.Path(file_okay=False), default=None,
                       help="Folder of .cypher files (default: the built-in library).")


@click.group()
def query() -> None:
    """Saved queries: list them, show one, run one (table, CSV or JSON)."""


@query.command("list")
@_FOLDER
def list_queries(folder: str | None) -> None:
    """List the saved queries with their parameters."""
    library = load_library(folder)
    width = max((len(slug) for slug in library), default=0)
    for q in library.values():
        params = ", ".join(f"{p.name}{'' if p.required else '=' + str(p.default)}" for p in q.params.values())
        click.echo(f"{q.slug.ljust(width)}  {q.title}")
        click.echo(f"{' ' * width}  [{', '.join(q.tags)}] returns {q.returns}"
                   + (f"; params: {params}" if params else ""))
    click.echo(f"{len(library)} saved queries; `mashgraph query show SLUG` for details")


@query.command("show")
@click.argument("slug")
@_FOLDER
def show(slug: str, folder: str | None) -> None:
    """Show a saved query: what it answers, its parameters and its Cypher."""
    q = find_query(load_library(folder), slug)
    click.secho(q.title, bold=True)
    click.echo(f"{q.slug} ({q.path}), returns {q.returns}"
               + (f", timeout {q.timeout:g} s" if q.timeout else "")
               + (f", tags: {', '.join(q.tags)}" if q.tags else ""))
    click.echo("")
    click.echo(q.description)
    click.echo("")
    if q.params:
        click.echo("Parameters:")
        for p in q.params.values():
            default = "required" if p.required else f"default {p.default}"
            click.echo(f"  {p.name} ({p.type}, {default}): {p.help}")
        click.echo("")
    click.echo(q.cypher)


@query.command("run")
@click.argument("slug")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter of the query (see `mashgraph query show SLUG`). Repeatable.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="Most rows to print (default: the row_cap setting); more are cut with a note.")
@_FOLDER
@click.pass_obj
def run(settings: Settings, slug: str, params: tuple[str, ...], fmt: str, limit: int | None,
        folder: str | None) -> None:
    """Run a saved query read-only and print the result."""
    q = find_query(load_library(folder), slug)
    values = coerce_params(q, param_pairs(params))  # bad parameters fail before the store opens
    cap = limit if limit is not None else settings.row_cap
    with open_store(settings.db, settings) as store:
        result, truncated = run_saved_query(store, q, values, row_cap=cap)
    click.echo(format_result(result, fmt, truncated_at=cap if truncated else None))
    if truncated and fmt == "csv":
        click.echo(f"truncated at {cap} rows; raise --limit or narrow the parameters", err=True)


@query.command("docs")
@_FOLDER
def docs(folder: str | None) -> None:
    """Print the saved queries as Markdown (docs/queries.md)."""
    click.echo(library_markdown(load_library(folder)), nl=False)
