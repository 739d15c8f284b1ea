"""Every published vendor's page skeleton (vendors.directory.vendorpages) rendered before anyone asks for the
page, into the page cache's shared folder: `flask pages render-ahead`. The server runs it beside its workers
with --follow (gunicorn.conf.py), so a vendor page not yet kept is put together from its skeleton, about a
quarter of the time of rendering it, even the first time it is asked for.

A skeleton is kept under where the catalogue stands (vendorpages.skeleton_key): after an edit, or when the
date changes, none of them is found and pages are rendered whole until the next pass has rendered them
again. A pass that sees the catalogue move on stops and starts over from where it now stands. It reads the
vendors a batch at a time, each batch in an app context of its own so that it sees the catalogue afresh,
and renders at a low priority, so that the workers come first. How far the current pass has got is kept
beside the skeletons, and /healthz shows it.
"""

import logging
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import click
from flask import Flask, current_app, g, request
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from vendors import pagecache
from vendors.catalog.models import Vendor, vendors_to_show
from vendors.directory.vendorpages import SKELETON_FORMAT, Skeleton, skeleton_key
from vendors.extensions import db
from vendors.throttle import ThrottledWarnings

log = logging.getLogger(__name__)
WARNINGS = ThrottledWarnings(log)
BATCH = 100
WAIT_SECONDS = 1.0  # between looks at the catalogue's position while following it
NICENESS = 10


@dataclass(frozen=True)
class Standing:
    """What every skeleton of one pass is kept under, besides its vendor."""

    catalogue_position: tuple
    day: date
    script_root: str

    @classmethod
    def now(cls) -> "Standing":
        """Where the catalogue stands for this request; raises SQLAlchemyError when the database cannot
        say."""
        return cls(pagecache.catalogue_position(), date.today(), request.script_root)

    def progress_key(self) -> tuple:
        return (
            "vendor skeletons rendered ahead",
            SKELETON_FORMAT,
            self.catalogue_position,
            self.day,
            self.script_root,
        )


@dataclass(frozen=True)
class Pass:
    rendered: int
    published: int
    standing: Standing
    complete: bool  # False when the catalogue moved on before the pass was done


def render_pass(app: Flask, rendered: Callable[[int], None] = lambda count: None) -> Pass:
    """Render and keep the skeleton of every published vendor, as the catalogue stands when the pass
    starts; rendered(count) is told of each batch."""
    with _rendering_context(app):
        standing = Standing.now()
        ids = list(
            db.session.scalars(select(Vendor.id).where(Vendor.status == "published").order_by(Vendor.id))
        )
        pagecache.keep_note(standing.progress_key(), {"rendered": 0, "published": len(ids)})
    done = 0
    for batch in (ids[start : start + BATCH] for start in range(0, len(ids), BATCH)):
        with _rendering_context(app):
            if Standing.now() != standing:
                return Pass(done, len(ids), standing, complete=False)
            for vendor in vendors_to_show(batch):
                skeleton = Skeleton.of(vendor)
                key = skeleton_key(
                    vendor.slug, standing.catalogue_position, standing.day, standing.script_root
                )
                pagecache.keep_part(key, skeleton, skeleton.to_bytes())
            done += len(batch)
            pagecache.keep_note(standing.progress_key(), {"rendered": done, "published": len(ids)})
        rendered(len(batch))
    return Pass(done, len(ids), standing, complete=True)


def progress() -> dict | None:
    """How far rendering ahead has got for where the catalogue stands now: {"rendered": n, "published": m};
    None when nothing has been rendered ahead for it yet, or there is no folder to render into. Raises
    SQLAlchemyError when the database cannot say."""
    return pagecache.kept_note(Standing.now().progress_key()) if pagecache.keeps_parts() else None


@contextmanager
def _rendering_context(app: Flask):
    """A request for a vendor page, recorded as the page cache records it (the CSRF token a placeholder),
    at the root the app is configured for. In an app context of its own: the catalogue's position, kept in
    `g` for the request, is read afresh, and the session's transaction ends with it, so none stays open
    between batches (on PostgreSQL it would hold its locks, on SQLite keep its log from being
    checkpointed)."""
    with app.app_context(), app.test_request_context("/vendors/rendered-ahead"):
        g.recording_page = True
        yield


@click.group("pages")
def pages_group() -> None:
    """Vendor pages rendered ahead into the page cache's shared folder."""


@pages_group.command("render-ahead")
@click.option(
    "--follow",
    is_flag=True,
    help="Render them again after every change to the catalogue and every midnight, until the process "
    "that started this one stops (the server runs it so).",
)
@with_appcontext
def render_ahead_command(follow: bool) -> None:
    """Render the page skeleton of every published vendor into PAGE_CACHE_DIR, at a low priority."""
    if not pagecache.keeps_parts():
        raise click.ClickException(
            "PAGE_CACHE_DIR names no folder the page cache can use, so there is nowhere to render vendor "
            "pages ahead into; the server sets it for its workers (gunicorn.conf.py)."
        )
    os.nice(NICENESS)
    app, parent = current_app._get_current_object(), os.getppid()
    if not follow:
        _complete_pass(app)
        return
    rendered_for = None
    while os.getppid() == parent:
        rendered_for = _caught_up(app, rendered_for)
        time.sleep(WAIT_SECONDS)


def _caught_up(app: Flask, rendered_for: Standing | None) -> Standing | None:
    """Where the skeletons stand, after rendering them again if the catalogue has moved on; as they stood
    while the database cannot be read, with a warning a minute."""
    try:
        with _rendering_context(app):
            moved_on = Standing.now() != rendered_for
        return _complete_pass(app).standing if moved_on else rendered_for
    except SQLAlchemyError as error:
        WARNINGS.warning("database", "rendering vendor pages ahead waits for the database: %s", error)
        return rendered_for


def _complete_pass(app: Flask) -> Pass:
    """Passes until one completes, each after the catalogue moved on during the one before."""
    started = time.monotonic()
    while True:
        with click.progressbar(length=_published_count(app), label="Rendering vendor pages ahead") as bar:
            finished = render_pass(app, bar.update)
        if finished.complete:
            break
        click.echo("The catalogue changed meanwhile: starting again from where it stands now.")
    _identity, (change, _at), _index = finished.standing.catalogue_position
    click.echo(
        f"Rendered ahead the pages of {finished.rendered:,} published vendors, as of change {change}, "
        f"in {time.monotonic() - started:.1f} s."
    )
    return finished


def _published_count(app: Flask) -> int:
    with _rendering_context(app):
        return db.session.scalar(select(db.func.count()).where(Vendor.status == "published"))
