"""`flask index ...`: catch-up, rebuild and status of this machine's index folder."""

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from vendors.extensions import db
from vendors.search import indexing
from vendors.search.store import IndexBusy

CLI_LOCK_TIMEOUT = 60.0


@click.group("index")
def index_group() -> None:
    """Manage the full-text search index."""


@index_group.command("catch-up")
@with_appcontext
def catch_up_command() -> None:
    """Apply pending vendor changes to the index (builds it if there is none)."""
    started = time.monotonic()
    result = indexing.catch_up(
        db.engine, current_app.config["SEARCH_INDEX_DIR"], CLI_LOCK_TIMEOUT, progress=show_progress
    )
    took = time.monotonic() - started
    if result.rebuilt:
        click.echo(
            f"Built the search index: {result.documents} vendors to change {result.applied} in {took:.1f} s."
        )
    else:
        click.echo(
            f"Search index up to date at change {result.applied}: {result.indexed} vendors indexed, "
            f"{result.removed} removed, in {took:.1f} s."
        )


@index_group.command("rebuild")
@click.option("--procs", type=click.IntRange(min=1), help="Indexing processes (default: one per CPU).")
@with_appcontext
def rebuild_command(procs: int | None) -> None:
    """Build a complete new index in a fresh folder and switch to it; searches carry on meanwhile."""
    started = time.monotonic()
    result = indexing.rebuild(
        db.engine, current_app.config["SEARCH_INDEX_DIR"], procs=procs, progress=show_progress
    )
    took = time.monotonic() - started
    click.echo(
        f"Rebuilt the search index: {result.documents} vendors, to change {result.applied}, in {took:.1f} s."
    )


@index_group.command("status")
@with_appcontext
def status_command() -> None:
    """Vendors published, documents indexed, last change applied, changes pending."""
    status = indexing.status(db.engine, current_app.config["SEARCH_INDEX_DIR"])
    unknown = "-"
    click.echo(f"Index folder:           {status.folder}")
    click.echo(f"Generation:             {status.generation or unknown}")
    click.echo(f"Published vendors (db): {status.published}")
    click.echo(f"Documents in index:     {unknown if status.documents is None else status.documents}")
    click.echo(f"Last change applied:    {unknown if status.applied is None else status.applied}")
    click.echo(f"Last change logged:     {status.head}")
    click.echo(f"Pending changes:        {unknown if status.pending is None else status.pending}")
    click.echo(
        f"Read cache per process: {current_app.config['SEARCH_CACHE_MEGABYTES']} MB (SEARCH_CACHE_MEGABYTES)"
    )
    if status.error:
        click.echo(f"Problem:                {status.error}")


def catch_up_after_import(app, count: int) -> None:
    """Index what an import changed now, however much, rather than leave it to the next search."""
    try:
        indexing.catch_up(db.engine, app.config["SEARCH_INDEX_DIR"], CLI_LOCK_TIMEOUT, progress=show_progress)
    except IndexBusy:
        click.echo(
            f"The search index is busy; it will catch up with the {count} changed vendors on its own, "
            "or run: flask index catch-up",
            err=True,
        )


def show_progress(done: int, total: int) -> None:
    click.echo(f"  indexed {done:,} of {total:,} vendors", err=True)
