"""``mashgraph synth``: generate synthetic agency extracts with ground truth."""

from __future__ import annotations

import click

from .generate import generate
from .partnership import PartnershipPlan

__all__ = ["synth"]


@click.command("synth")
@click.option("--people", "-n", type=click.IntRange(min=1), required=True, help="People in the simulated area.")
@click.option("--seed", "-s", type=int, default=1, show_default=True, help="Random seed: same seed, same bytes.")
@click.option("--out", "-o", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Output directory (its extracts/ and truth/ folders are replaced).")
@click.option("--authorities", "-k", type=click.IntRange(1, 99), default=1, show_default=True,
              help="Number of local authorities (la1..laK).")
@click.option("--bad-rows", type=click.FloatRange(0.0, 1.0, max_open=True), default=0.0, show_default=True,
              help="Share of rows made malformed (recorded in truth/bad_rows.csv).")
@click.option("--pattern-rate", type=click.FloatRange(min=0.0), default=1.0, show_default=True,
              help="Rate passed to the pattern planter (0 = no planted patterns).")
@click.option("--plant-partnership", is_flag=True,
              help="Plant the partnership changes (police sharing more from 2024-01, health referring "
                   "below threshold), recorded in truth/partnership.json.")
@click.option("--rate", "rates", multiple=True, metavar="NAME=VALUE",
              help="Override an event rate or scale a data-quality kind, e.g. --rate typo=2 (repeatable).")
@click.option("--days", type=click.IntRange(0, 999), default=0, show_default=True, metavar="N",
              help="Also write the extracts as N nightly delta files per agency under OUT/days/ "
                   "(docs/synthetic-data.md).")
@click.option("--day-length", type=click.IntRange(min=1), default=1, show_default=True, metavar="DAYS",
              help="Calendar days one night of --days covers.")
def synth(people: int, seed: int, out_dir: str, authorities: int, bad_rows: float, pattern_rate: float,
          plant_partnership: bool, rates: tuple[str, ...], days: int, day_length: int) -> None:
    """Generate synthetic multi-agency extracts, ground truth and an ingestion job.

    Writes OUT/extracts/ (what agencies send), OUT/truth/ (what really happened)
    and OUT/job.yml (for `mashgraph ingest`). See docs/data-dictionary.md.
    """
    overrides: dict[str, float] = {}
    for item in rates:
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            overrides[name.strip()] = float(value)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not NAME=NUMBER", param_hint="--rate") from None
    summary = generate(out_dir, people, seed, authorities, bad_rows, pattern_rate=pattern_rate, days=days,
                       day_length=day_length, partnership=PartnershipPlan() if plant_partnership else None,
                       **overrides)
    click.echo(f"{summary.people} people, {summary.records} agency records, {summary.events} events, "
               f"{sum(summary.rows.values())} rows in {len(summary.rows)} extracts"
               f"{f', {summary.bad_rows} bad rows' if summary.bad_rows else ''}"
               f"{f', {summary.pattern_instances} planted pattern instances/controls' if summary.pattern_instances else ''}"
               f"{f', {summary.days} nights of deltas in days/' if summary.days else ''}"
               f" -> {summary.out_dir} ({summary.elapsed:.1f} s)")
