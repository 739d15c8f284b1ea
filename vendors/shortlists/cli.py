"""`flask shortlists purge`: shortlists nobody has come back to are deleted, with their notes and links."""

from datetime import timedelta

import click

from vendors.shortlists import store

# Past the cookie's own life (a year from the last change), so no visitor can still be holding the token.
DEFAULT_IDLE_DAYS = 400


@click.group(help="Visitors' shortlists.")
def shortlists():
    pass


@shortlists.command(
    help="Delete shortlists unchanged for a number of days, with their notes and shared links."
)
@click.option("--idle-days", type=click.IntRange(1), default=DEFAULT_IDLE_DAYS, show_default=True)
def purge(idle_days: int):
    deleted = store.purge(timedelta(days=idle_days))
    click.echo(
        f"Deleted {deleted} shortlist{'' if deleted == 1 else 's'} unchanged for {idle_days} days or more."
    )
