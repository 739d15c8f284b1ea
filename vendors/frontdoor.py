"""Kept pages answered before Flask's request hooks run (vendors.Site.full_dispatch_request).

Most requests for a page are answered from the page cache (vendors.pagecache), and for those the request hooks
and Flask's handling around them cost about a sixth of the request (the rate limiter's look-up, which these
reads are exempt from anyway, was 7 % of a directory hit's profile). So a read the hooks cannot change is
answered from the page cache before them: a GET or HEAD outside /admin, of a view the page cache keeps, that
the rate limiter does not count (vendors.extensions), in no blueprint with hooks of its own, from a visitor
who takes gzip. It carries what the hooks would have given it: the request id and log line
(vendors.requestlog), the security headers (vendors.headers), and the session cookie holding the visitor's
CSRF token, saved as Flask saves it. Anything else goes the usual way.

That holds only while every hook of the app is one named below with the reason a kept read can do without
it. An app with any other hook (a new extension, a feature's own hook) answers every request the usual way
and says so once in its log; tests/test_frontdoor.py checks that the answers are the same both ways.
"""

import functools
import logging
import time
from itertools import chain

from flask import Flask, request, session
from flask.signals import request_finished, request_started

from vendors import headers, pagecache, requestlog
from vendors.accounts.access import ADMIN_PREFIX
from vendors.extensions import reads_a_page

log = logging.getLogger(__name__)

STOOD_IN_FOR = {
    "vendors.requestlog:start": "called with the moment the request began",
    "vendors.requestlog:finish": "called on the answer",
    "vendors.headers:add_security_headers": "called on the answer",
}
NOT_NEEDED = {
    "flask_wtf.csrf:CSRFProtect.init_app.<locals>.csrf_protect": "checks only the methods that change state",
    "flask_limiter._extension:Limiter._check_request_limit": "these reads are the ones the limiter skips",
    "flask_limiter._extension:Limiter.__inject_headers": "adds headers only where a limit was checked",
    "vendors.accounts.access:enforce_roles": "guards /admin only",
    "vendors.accounts.access:keep_out_of_caches": "marks /admin answers only",
    "vendors.errors:_check_form_body": "checks request bodies, which GET and HEAD do not have",
    "vendors.headers:_let_static_files_be_compressed": "acts on static files only",
    "vendors.assets:_cache_for_a_year": "acts on static files only",
    "flask_compress.flask_compress:Compress.after_request": "leaves an answer already gzip-encoded alone",
    "flask_login.login_manager:LoginManager._update_remember_cookie": "acts on sign-ins, never kept",
}


def kept_answer(app: Flask):
    """The page cache's answer to this request with everything the hooks would have added; None when the
    request must go the usual way."""
    began = time.perf_counter()
    if not _hooks_all_known(app) or not _early_read(app):
        return None
    response = pagecache.kept_gzip_answer(app.view_functions[request.endpoint])
    if response is None:
        return None
    requestlog.start(began)
    response = headers.add_security_headers(requestlog.finish(response))
    visitor_session = session._get_current_object()
    if not app.session_interface.is_null_session(visitor_session):
        app.session_interface.save_session(app, visitor_session, response)
    return response


def _early_read(app: Flask) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and request.routing_exception is None
        and not request.path.startswith(ADMIN_PREFIX)
        and reads_a_page()
        and not any(
            name in hooks
            for name in request.blueprints
            for hooks in (app.before_request_funcs, app.after_request_funcs, app.url_value_preprocessors)
        )
    )


def _hooks_all_known(app: Flask) -> bool:
    """Whether every app-wide hook is one named above; asked once, since hooks can only be added before the
    first request."""
    known = app.extensions.get("front door")
    if known is None:
        unknown = sorted(set(map(_hook_name, _app_wide_hooks(app))) - STOOD_IN_FOR.keys() - NOT_NEEDED.keys())
        if unknown:
            log.warning(
                "Kept pages go through every request hook; vendors.frontdoor does not know %s", unknown
            )
        known = app.extensions["front door"] = not unknown
    return known


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
