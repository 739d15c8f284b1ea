"""`/healthz` for load balancers and monitors, and what a visitor sees while the database is down.

`/healthz` answers 200 when the database answers a trivial query, 503 otherwise, with the state of this
machine's search index beside it, and how many logged changes it has yet to apply (the site serves searches
from the database while the index is missing or unreadable, so the index alone never makes the machine
unhealthy). A database behind this code's migrations is unhealthy too, and says so: the code would fail on
what it lacks. One ahead of them is not: deploying migrates first, then replaces the code machine by machine
(README, "Deploying"), and the machines not yet replaced keep serving meanwhile. A database that stops
answering in the middle of a request is a 503 page in the site's layout (JSON under /api/), with
Retry-After, logged once a minute; the connection pool checks connections before use, so the site recovers by
itself once the database is back.
"""

import functools
import logging

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Blueprint, Flask, current_app, jsonify, render_template
from sqlalchemy import column, inspect, select, table, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import ServiceUnavailable

from vendors import unanswered
from vendors.catalog import changelog
from vendors.directory import renderahead
from vendors.errors import error_headers_vary, wants_json
from vendors.extensions import db
from vendors.search import replica
from vendors.search.store import IndexMissing, IndexUnreadable
from vendors.throttle import ThrottledWarnings

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)

RETRY_AFTER_SECONDS = 30
DATABASE_DOWN = (
    "The directory's database is not answering just now, so vendor listings cannot be shown. Please try "
    "again in a minute; the savings estimator still works."
)
WARNINGS = ThrottledWarnings(log)
HEALTH_QUERY = "SELECT 1"
HEALTH_TIMEOUT_MILLISECONDS = 2000
UNANSWERED_MARGIN_SECONDS = 0.5
ALEMBIC_VERSIONS = table("alembic_version", column("version_num"))  # where Alembic records what ran


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(DBAPIError, database_unavailable)


@bp.get("/healthz")
def healthz():
    index = _index_state()
    # A server that never answers (stopped, stuck) is given up on a little after the server's own timeout.
    with unanswered.giving_up_after(HEALTH_TIMEOUT_MILLISECONDS / 1000 + UNANSWERED_MARGIN_SECONDS):
        database = _database_state()
        if database == "ok" and index["state"] == "ok":
            try:
                index["pending"] = changelog.pending_count(
                    db.session.connection(), index["applied"], changelog.VENDOR
                )
            except SQLAlchemyError as error:
                database = _unreachable(error)
        rendered_ahead = _rendered_ahead() if database == "ok" else None
    healthy = database == "ok"
    body = {"status": "ok" if healthy else "unavailable", "database": database, "index": index}
    if healthy:
        body["vendor_pages_rendered_ahead"] = rendered_ahead
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    if not healthy:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)  # as every 503 of the site says
    return response, 200 if healthy else 503


def _database_state() -> str:
    try:
        if db.engine.dialect.name == "postgresql":
            # A server too busy to answer within this long is unhealthy (the pending count included).
            db.session.execute(text(f"SET LOCAL statement_timeout = {HEALTH_TIMEOUT_MILLISECONDS}"))
        db.session.execute(text(HEALTH_QUERY))
        db.session.execute(select(changelog.SearchChange.id).limit(1))
        behind = _migrations_behind()
    except SQLAlchemyError as error:
        if not _no_such_table(error):
            return _unreachable(error)
        db.session.rollback()
        return _not_migrated(type(error).__name__)
    return _not_migrated(behind) if behind else "ok"


def _not_migrated(why: str) -> str:
    WARNINGS.warning("schema", "database answers but is not migrated: %s", why)
    return f"not migrated (run flask db upgrade): {why}"


def _migrations_behind() -> str | None:
    """What the database lacks of this code's migrations; None when it has them all, or has newer ones, or
    was made without migrations (its tables made directly, as the test suite does)."""
    if not inspect(db.session.connection()).has_table(ALEMBIC_VERSIONS.name):
        return None
    applied = set(db.session.scalars(select(ALEMBIC_VERSIONS.c.version_num)))
    try:
        head, known = _migrations_of(current_app.extensions["migrate"].directory)
    except CommandError as error:  # the release's migrations folder is missing, or has two heads
        return f"this release's migrations cannot be read ({error})"
    if head in applied or not applied <= known:
        return None
    return f"the database is at {', '.join(sorted(applied)) or 'no migration'}, this code needs {head}"


@functools.cache
def _migrations_of(directory: str) -> tuple[str, frozenset[str]]:
    """This code's newest migration and every one it has."""
    scripts = ScriptDirectory(directory)
    return scripts.get_current_head(), frozenset(script.revision for script in scripts.walk_revisions())


def _unreachable(error: SQLAlchemyError) -> str:
    db.session.rollback()
    WARNINGS.warning("database", "database unreachable: %s", type(error).__name__)
    return f"unreachable: {type(error).__name__}"


def _no_such_table(error: SQLAlchemyError) -> bool:
    """PostgreSQL's undefined table (SQLSTATE 42P01), SQLite's "no such table": not a column or other part
    of a query that is wrong, which is a bug."""
    driver_error = getattr(error, "orig", None)
    return getattr(driver_error, "sqlstate", None) == "42P01" or "no such table" in str(driver_error).lower()


def _rendered_ahead() -> dict | None:
    """How far the server's rendering of vendor pages ahead has got where the catalogue stands now
    (vendors.directory.renderahead); None when it has not started there, or the server does not do it."""
    try:
        return renderahead.progress()
    except SQLAlchemyError as error:
        _unreachable(error)
        return None


def _index_state() -> dict:
    """The index as searches find it: opened the way they open it (so damaged files show as unreadable, not
    only a missing folder)."""
    try:
        index = replica.open_current(current_app.config["SEARCH_INDEX_DIR"])
    except IndexMissing:
        return {"state": "missing"}
    except (IndexUnreadable, OSError, ValueError) as error:
        return {"state": "unreadable", "problem": type(error).__name__}
    return {"state": "ok", "generation": index.path.name, "applied": index.applied}


def database_unavailable(error: DBAPIError):
    """A database error that is not a bug in a query but the database being away, or without the site's
    tables (never migrated, or a SQLite file moved away, which SQLite then makes anew, empty): 503, not
    500."""
    if _no_such_table(error):
        db.session.rollback()
        WARNINGS.warning(
            "not migrated",
            "the database has not got the site's tables (%s): run flask db upgrade",
            error.orig,
        )
    elif error.connection_invalidated or _is_connection_failure(error):
        db.session.rollback()
        WARNINGS.warning("database", "database unreachable during a request: %s", type(error.orig).__name__)
    else:
        raise error
    unavailable = ServiceUnavailable(DATABASE_DOWN)
    if wants_json():
        response = jsonify(error=unavailable.name, message=DATABASE_DOWN)
    else:
        response = current_app.make_response(render_template("errors/error.html", error=unavailable, said=""))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers.extend(error_headers_vary())
    return response


# What SQLite says when its file cannot be reached or stays locked; its other operational errors are bugs.
_SQLITE_AWAY = ("unable to open database file", "database is locked", "disk i/o error")


def _is_connection_failure(error: DBAPIError) -> bool:
    """Whether the database could not be reached (refused, timed out, dropped), as opposed to a query it
    rejected."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    if db.engine.dialect.name == "sqlite":
        return any(words in str(error.orig).lower() for words in _SQLITE_AWAY)
    return True
