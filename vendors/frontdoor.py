"""Kept pages answered before Flask's request hooks run (vendors.Site.full_dispatch_request).

Most requests for a page are answered from the page cache (vendors.pagecache), and for those the request hooks
and Flask's handling around them cost about a sixth of the request (the rate limiter's look-up, which page
reads are exempt from anyway, was 7 % of a directory hit's profile). So a read the hooks cannot change is
answered from the page cache before them: a GET or HEAD outside /admin, of a view the page cache keeps, in no
blueprint with hooks of its own but those named below, from a visitor who takes gzip; so is an answer the
view makes from parts kept beside the answers (vendors.pagecache, `made_early`). It carries what the
hooks would have given it: the request id and log line (vendors.requestlog), the security headers
(vendors.headers), and the session cookie holding the visitor's CSRF token, saved as Flask saves it. A read
the rate limiter counts (the API's, vendors.extensions) is counted against the API's limit and given the
limit's headers (vendors.countedreads); one past the limit goes the usual way, which answers the 429.
Anything else goes the usual way.

That holds only while every hook of the app is one named below with the reason a kept read can do without
it. An app with any other hook (a new extension, a feature's own hook) answers every request the usual way
and says so once in its log; tests/test_frontdoor.py checks that the answers are the same both ways.
"""

import functools
import logging
from collections.abc import Callable
from itertools import chain
from typing import NamedTuple

from flask import Flask, g, request, session
from flask.signals import request_finished, request_started
from flask_wtf.csrf import generate_csrf
from werkzeug.http import HTTP_STATUS_CODES

from vendors import countedreads, headers, pagecache, requestlog
from vendors.accounts.access import ADMIN_PREFIX
from vendors.extensions import LIMITED_BLUEPRINTS_ON_READ, reads_a_page
from vendors.firstvisits import FirstVisit

log = logging.getLogger(__name__)

STOOD_IN_FOR = {
    "vendors.requestlog:start": "called once the answer is known to be kept",
    "vendors.requestlog:finish": "called on the answer",
    "vendors.headers:add_security_headers": "called on the answer",
    "flask_limiter._extension:Limiter._check_request_limit": "vendors.countedreads counts the API's reads",
    "flask_limiter._extension:Limiter.__inject_headers": "vendors.countedreads gives the limit's headers",
}
NOT_NEEDED = {
    "flask_wtf.csrf:CSRFProtect.init_app.<locals>.csrf_protect": "checks only the methods that change state",
    "vendors.accounts.access:enforce_roles": "guards /admin only",
    "vendors.accounts.access:keep_out_of_caches": "marks /admin answers only",
    "vendors.errors:_check_form_body": "checks request bodies, which GET and HEAD do not have",
    "vendors.headers:_let_static_files_be_compressed": "acts on static files only",
    "vendors.assets:_cache_for_a_year": "acts on static files only",
    "flask_compress.flask_compress:Compress.after_request": "leaves an answer already gzip-encoded alone",
    "flask_login.login_manager:LoginManager._update_remember_cookie": "acts on sign-ins, never kept",
}

# A blueprint's own hooks, with the reason a kept read can do without them.
BLUEPRINT_HOOKS_NOT_NEEDED = {
    "vendors.api.openapi:refuse_repeated_values": "depends on the address alone, and a kept answer's address "
    "passed it when the answer was kept",
}


def kept_answer(app: Flask):
    """The page cache's answer to this request with everything the hooks would have added; None when the
    request must go the usual way."""
    going_the_usual_way = _blueprints_going_the_usual_way(app)
    if going_the_usual_way is None or not _early_read(going_the_usual_way):
        return None
    first_visit = FirstVisit.of(app)
    token = first_visit.csrf_token if first_visit is not None else generate_csrf
    hit = pagecache.kept_gzip_hit(app.view_functions[request.endpoint], token)
    if hit is None:
        return None
    requestlog.start()
    cookie_vary, cookies = _session_cookies(app, first_visit)
    answer_headers = [
        *hit.headers,
        ("Vary", _joined([*hit.vary, *cookie_vary])),
        *headers.security_headers((name for name, _value in hit.headers), request.is_secure),
        (requestlog.HEADER, g.request_id),
        *cookies,
    ]
    # Counted last: a read that fails after its count goes the usual way, which would count it again.
    limit_headers = [] if reads_a_page() else countedreads.count_kept_read()
    if limit_headers is None:  # refused, or not countable here: the usual way counts it and answers
        return None
    requestlog.log_answer(hit.status)
    return _Answer(f"{hit.status} {HTTP_STATUS_CODES[hit.status]}", answer_headers + limit_headers, hit.body)


def _session_cookies(app: Flask, first_visit: FirstVisit | None) -> tuple[list[str], list[tuple[str, str]]]:
    """What saving the visitor's session adds to an answer: the Vary values, and the Set-Cookie headers. Told
    by the app's own session interface, saving to an empty response, but for a first visit's session that
    holds a token (vendors.firstvisits), and for a session that is empty and unchanged (an API client's):
    Flask's saves that as a Vary on Cookie, once the session has been read."""
    visitor_session = session._get_current_object()
    if app.session_interface.is_null_session(visitor_session):
        return [], []
    first_cookies = first_visit.session_cookies() if first_visit is not None else []
    if first_cookies:
        if visitor_session:  # the first visit's cookie holds the token alone; the usual way saves both
            raise RuntimeError("a first visit's session holds more than its token")
        return ["Cookie"], first_cookies
    if not visitor_session and not visitor_session.modified:
        return (["Cookie"] if visitor_session.accessed else []), []
    carrier = app.response_class()
    app.session_interface.save_session(app, visitor_session, carrier)
    cookies = [("Set-Cookie", cookie) for cookie in carrier.headers.getlist("Set-Cookie")]
    return list(carrier.vary), cookies


def _joined(values: list[str]) -> str:
    """Header values as one, each once whatever its case, as werkzeug's HeaderSet joins them."""
    firsts = {}
    for value in values:
        firsts.setdefault(value.lower(), value)
    return ", ".join(firsts.values())


class _Answer(NamedTuple):
    """An answer given as it is: the WSGI application Flask calls with the request (the body left out of an
    answer to HEAD). A werkzeug Response would work its headers over again, an eighth of a kept page's
    time."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        start_response(self.status, self.headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [self.body]


def _early_read(going_the_usual_way: frozenset[str]) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and request.routing_exception is None
        and not request.path.startswith(ADMIN_PREFIX)
        and (reads_a_page() or request.blueprint in LIMITED_BLUEPRINTS_ON_READ)
        and not any(name in going_the_usual_way for name in request.blueprints)
    )


def _blueprints_going_the_usual_way(app: Flask) -> frozenset[str] | None:
    """The blueprints with a hook of their own not named above; None when the app has such a hook, and every
    request goes the usual way. Asked once, since hooks can only be added before the first request."""
    if "front door" not in app.extensions:
        app.extensions["front door"] = _going_the_usual_way(app)
    return app.extensions["front door"]


def _going_the_usual_way(app: Flask) -> frozenset[str] | None:
    named = STOOD_IN_FOR.keys() | NOT_NEEDED.keys()
    unknown = sorted(set(map(_hook_name, _app_wide_hooks(app))) - named)
    if unknown:
        log.warning("Kept pages go through every request hook; vendors.frontdoor does not know %s", unknown)
        return None
    return _blueprints_with_unknown_hooks(app)


def _blueprints_with_unknown_hooks(app: Flask) -> frozenset[str]:
    hooks_by_blueprint = chain.from_iterable(
        hooks.items()
        for hooks in (app.before_request_funcs, app.after_request_funcs, app.url_value_preprocessors)
    )
    return frozenset(
        name
        for name, hooks in hooks_by_blueprint
        if name is not None and any(_hook_name(hook) not in BLUEPRINT_HOOKS_NOT_NEEDED for hook in hooks)
    )


def _app_wide_hooks(app: Flask):
    return chain(
        app.before_request_funcs.get(None, ()),
        app.after_request_funcs.get(None, ()),
        app.url_value_preprocessors.get(None, ()),
        request_started.receivers_for(app),
        request_finished.receivers_for(app),
    )


def _hook_name(hook) -> str:
    function = hook.func if isinstance(hook, functools.partial) else hook
    function = getattr(function, "__func__", function)  # a bound method's function
    return f"{function.__module__}:{function.__qualname__}"
