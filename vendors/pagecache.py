"""Whole answers kept per process for the pages and API reads that every visitor is shown alike.

An answer is kept under everything it depends on: the app, the address (host, path and query), the change
log's position, the database's identity and the search index's position when it shows catalogue data (so an
edit makes exactly the answers that could show it unreachable, and they age out like any other entry),
today's date (pages say how long ago a vendor was verified), the visitor's cookies (the buyer country it
remembers), and whatever else a view names with `vary`.

The one part of a page that belongs to one visitor, the CSRF token of its forms, is recorded as a placeholder
and filled in on every answer, kept or not. A visitor with a shortlist (every page shows it), or whose
session holds anything but that token (a message to show, a signed-in account), is answered afresh.
Answers carry X-Cache: hit or miss, which bench/load.py counts.
"""

import functools
import secrets
from collections.abc import Callable, Hashable
from datetime import date

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError

from vendors import search
from vendors.search.readcache import ReadCache
from vendors.shortlists.store import COOKIE as SHORTLIST_COOKIE

PAGES = ReadCache(0)  # sized by init_app from PAGE_CACHE_MEGABYTES
# Stands in for the CSRF token while a page is recorded; random per process so no text can forge it.
CSRF_PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(16)}"
SESSION_KEYS_SHARED_BY_ALL = {"csrf_token"}


def init_app(app: Flask) -> None:
    PAGES.resize(app.config["PAGE_CACHE_MEGABYTES"])
    # Answers depend on the app's settings too; each app of the process keeps its own.
    app.extensions["pagecache"] = secrets.token_hex(8)
    # Flask-WTF offers csrf_token() both ways; this module's must win both.
    app.jinja_env.globals["csrf_token"] = _csrf_token_or_placeholder
    app.context_processor(lambda: {"csrf_token": _csrf_token_or_placeholder})


def cached(
    catalogue: Callable[[], bool] = lambda: True, vary: Callable[[], Hashable] = lambda: None
) -> Callable:
    """Keep the view's 200 answers under what they depend on; `catalogue()` says whether this answer shows
    catalogue data, `vary()` names anything else it depends on."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def answer(*args, **kwargs):
            key = _key(catalogue, vary) if _shared_alike() else None
            if key is None:
                return view(*args, **kwargs)
            kept = PAGES.get(key)
            if kept is not None:
                return _replayed(*kept, "hit")
            response = _recorded(view, args, kwargs)
            if response.status_code != 200 or response.direct_passthrough:
                return _with_token(response)
            kept = (response.status_code, list(response.headers.items()), response.get_data())
            PAGES.put(key, kept, len(kept[2]))
            return _replayed(*kept, "miss")

        return answer

    return decorate


def _shared_alike() -> bool:
    return (
        request.method in ("GET", "HEAD")
        and SHORTLIST_COOKIE not in request.cookies
        and set(session.keys()) <= SESSION_KEYS_SHARED_BY_ALL
    )


def _key(catalogue: Callable[[], bool], vary: Callable[[], Hashable]) -> tuple | None:
    """What the answer depends on; None when the database cannot say (the view then answers for itself)."""
    try:
        edits = (
            (search.database_identity(), search.log_position(), search.index_position())
            if catalogue()
            else None
        )
    except SQLAlchemyError:
        return None
    session_cookie = current_app.config["SESSION_COOKIE_NAME"]
    cookies = tuple(sorted(item for item in request.cookies.items() if item[0] != session_cookie))
    return (
        current_app.extensions["pagecache"],
        request.endpoint,
        request.host,
        request.full_path,
        edits,
        date.today(),
        cookies,
        vary(),
    )


def _recorded(view: Callable, args, kwargs):
    g.recording_page = True
    try:
        return current_app.make_response(view(*args, **kwargs))
    finally:
        g.recording_page = False


def _replayed(status: int, headers: list, body: bytes, outcome: str):
    response = current_app.response_class(body, status=status, headers=headers)
    response.headers["X-Cache"] = outcome
    return _with_token(response)


def _with_token(response):
    body = response.get_data()
    placeholder = CSRF_PLACEHOLDER.encode()
    if placeholder in body:
        response.set_data(body.replace(placeholder, generate_csrf().encode()))
    return response


def _csrf_token_or_placeholder() -> str:
    return CSRF_PLACEHOLDER if g.get("recording_page") else generate_csrf()
