"""``mashgraph resolve``: run, decide, review, explain, export."""

from __future__ import annotations

import json

import click

from ...graph import open_store
from ...settings import Settings
from .config import ResolveSettings

# The commands import pandas/Splink lazily: `mashgraph --help` stays fast.

__all__ = ["resolve"]

_DEFAULTS = ResolveSettings()


@click.group(invoke_without_command=True)
@click.pass_context
def resolve(ctx: click.Context) -> None:
    """Link every agency Record to a Person (default: `resolve run`).

    Exact links on NHS number, UPN, NI number and PNC id; a Splink model on
    names, date of birth, sex and address for the rest; human decisions win.
    See docs/resolution.md.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(run)


@resolve.command()
@click.option("--threshold", type=float, default=_DEFAULTS.threshold, show_default=True,
              help="Match probability at or above which the model links two records.")
@click.option("--review-low", type=float, default=_DEFAULTS.review_low, show_default=True,
              help="Unlinked pairs from this probability up are listed for review.")
@click.option("--review-high", type=float, default=_DEFAULTS.review_high, show_default=True,
              help="Linked pairs below this probability are listed for review.")
@click.option("--model-dir", type=click.Path(file_okay=False), default=None,
              help="Where to save the trained model JSON (default: <store>/resolve-models).")
@click.option("--incremental", is_flag=True,
              help="Link only new and changed records with the saved model (nightly); falls back "
                   "to a full run when it cannot.")
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.pass_obj
def run(settings: Settings, threshold: float, review_low: float, review_high: float,
        model_dir: str | None, incremental: bool, as_json: bool) -> None:
    """Resolve all records now (idempotent; keeps person keys)."""
    from .pipeline import resolve_records

    options = ResolveSettings(threshold=threshold, review_low=review_low, review_high=review_high,
                              model_dir=model_dir)
    from ...graph.alerts_cli import run_after_load

    with open_store(settings.db, settings) as store:
        report = resolve_records(store, options, incremental=incremental)
        if as_json:
            click.echo(json.dumps(report.as_dict(), indent=2))
        else:
            click.echo("\n".join(report.lines()))
        run_after_load(store, settings, to_stderr=as_json)


@resolve.command()
@click.argument("record_a")
@click.argument("record_b")
@click.argument("decision", type=click.Choice(["same", "different", "unsure"]))
@click.option("--reason", required=True, help="What you checked (kept with the decision).")
@click.option("--by", "decided_by", default=None,
              help="Who decides (default: MASHGRAPH_USER or the login name).")
@click.pass_obj
def decide(settings: Settings, record_a: str, record_b: str, decision: str, reason: str,
           decided_by: str | None) -> None:
    """Record that RECORD_A and RECORD_B are the same person, different people, or that you are unsure.

    The decision is stored (who, when, why). `same` and `different` win over
    the model from the next `mashgraph resolve run` on; `unsure` leaves the pair
    to the model and moves it to the back of the review queue.
    """
    from .decisions import record_decision

    with open_store(settings.db, settings) as store:
        d = record_decision(store, record_a, record_b, decision, reason, decided_by)
    meaning = {"same": "are the same person", "different": "are different people",
               "unsure": "are left to the model (unsure)"}[d.decision]
    click.echo(f"decision stored: {d.record_a} and {d.record_b} {meaning} "
               f"(by {d.decided_by} at {d.decided_at}); run `mashgraph resolve` to apply it")


@resolve.command()
@click.option("--limit", type=int, default=50, show_default=True, help="Most pairs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the pairs as JSON.")
@click.pass_obj
def review(settings: Settings, limit: int, as_json: bool) -> None:
    """List the uncertain pairs of the latest run (the review band), most probable first."""
    from .decisions import review_pairs

    with open_store(settings.db, settings) as store:
        pairs = review_pairs(store, limit)
    if as_json:
        click.echo(json.dumps(pairs, indent=2, default=str))
        return
    if not pairs:
        click.echo("no pairs to review")
        return
    for p in pairs:
        state = ("LINKED" if p["linked"] else "not linked") + (" (unsure)" if p.get("deferred") else "")
        click.echo(f"{p['probability']:.4f}  {state:<10}  {p['record_a']}  {p['record_b']}")
        click.echo(f"        {_who(p, 'a')}  |  {_who(p, 'b')}")
        click.echo(f"        {p['reason']}")
    click.echo(f"{len(pairs)} pair(s). Decide with: mashgraph resolve decide RECORD_A RECORD_B "
               "same|different|unsure --reason '...'")


def _who(pair: dict, side: str) -> str:
    dob = pair.get(f"dob_{side}")
    return (f"{pair.get(f'given_{side}') or '-'} {pair.get(f'family_{side}') or '-'}, "
            f"{dob.isoformat() if hasattr(dob, 'isoformat') else (dob or '-')}")


@resolve.command()
@click.argument("person_key")
@click.pass_obj
def explain(settings: Settings, person_key: str) -> None:
    """Show each record of PERSON_KEY and the evidence that links it."""
    from .explain import explain_person

    with open_store(settings.db, settings) as store:
        lines = explain_person(store, person_key)
    click.echo("\n".join(lines))


@resolve.command()
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="CSV file to write (record_key,person_key,probability).")
@click.pass_obj
def export(settings: Settings, out: str) -> None:
    """Write every record's person and link probability to a CSV file."""
    from .explain import export_assignments

    with open_store(settings.db, settings) as store:
        n = export_assignments(store, out)
    click.echo(f"wrote {n} records to {out}")
