"""Error pages: JSON under /api/ and for a script that asks for JSON before HTML (the shortlist buttons), HTML
elsewhere, never a stack trace. Form bodies too big for any form, or not encoded as a browser encodes them,
are refused here before anything reads them."""

import itertools
import logging
import math
import re
import time
from urllib.parse import unquote_to_bytes

from flask import Flask, current_app, jsonify, render_template, request, request_started
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    TooManyRequests,
)

from vendors import countedreads
from vendors.api import API_PREFIX
from vendors.extensions import limiter

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    # On request_started rather than before_request: the CSRF check and the login limiter read the form in
    # before_request hooks registered earlier, and the body must be checked before anything reads it.
    request_started.connect(_check_form_body, app)


def wants_json() -> bool:
    return request.path.startswith("/api/") or prefers_json()


def prefers_json() -> bool:
    """Whether the client asks for JSON before HTML, as the site's scripts do; browsers and curl do not."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def error_headers_vary() -> list[tuple[str, str]]:
    """Outside /api/, an error answer is JSON or HTML by the Accept header, and a cache must know that."""
    return [] if request.path.startswith("/api/") else [("Vary", "Accept")]


TOO_MANY = "There have been too many attempts from here. Try again in {wait}."
FORM_NOT_CONFIRMED = (
    "This form could not be confirmed as sent from this site's own page, so nothing was saved. Reload the "
    "page, then send the form again (the check needs this site's cookie: allow it if your browser blocks it)."
)
TOO_LARGE = "What was sent is more than this page accepts. Shorten it, then send it again."
GARBLED_FORM = (
    "The form arrived garbled (a broken %-escape, or text that is not UTF-8), so nothing was saved. "
    "Reload the page and send it again."
)
# The largest form a person fills in (a listing with a 5,000-character description, every box ticked) is
# well under 100 kB, even percent-encoded. Only the CSV import takes more, up to MAX_CONTENT_LENGTH.
FORM_MAX_BYTES = 256 * 1024
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
NOT_A_FORM = "What was sent is not a form, so nothing was saved. Send it from the site's page."
REPLACEMENT_CHARACTER = "\ufffd"  # what Werkzeug puts in a multipart field for bytes that are not UTF-8
LARGE_UPLOADS = frozenset({"admin.import_upload"})
_BROKEN_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def _check_form_body(_app: Flask, **_extra) -> None:
    """Refuse with 413 a body larger than any form but the import takes, before it is read, and with 400 a
    body that is not a form, or a form that is garbled. Werkzeug reads a broken escape as it stands, so
    "Harbour%FF" would otherwise be saved as a vendor's name, and the text of a multipart form's fields with
    U+FFFD where its bytes are not UTF-8. Flask-WTF's forms read a JSON body as their fields, past both
    checks, once the CSRF token comes in a header: every form of the site is sent as a form. Nothing reads the
    body of a GET or HEAD, and a request no route takes is answered 404 or 405 whatever its body."""
    if request.method in ("GET", "HEAD"):
        return
    if request.endpoint not in LARGE_UPLOADS:
        request.max_content_length = min(FORM_MAX_BYTES, request.max_content_length or FORM_MAX_BYTES)
    if request.content_length is None and request.max_content_length is not None:
        _refuse_a_streamed_body_past(request.max_content_length)
    if request.routing_exception is not None:  # its 404 or 405 is the answer
        return
    if request.mimetype not in FORM_TYPES and (request.content_length or request.get_data()):
        raise BadRequest(NOT_A_FORM)
    if request.mimetype == "application/x-www-form-urlencoded" and not _decodable(request.get_data()):
        raise BadRequest(GARBLED_FORM)
    if request.mimetype == "multipart/form-data" and not _whole_multipart():
        raise BadRequest(GARBLED_FORM)


def _refuse_a_streamed_body_past(limit: int) -> None:
    """A body sent in chunks, with no length given beforehand: Werkzeug reads it up to the limit and stops
    there without a word, so the form would be read cut short. Read it (kept for the form's parsing), and
    refuse it with 413 when it fills the limit."""
    if len(request.get_data()) >= limit:
        raise RequestEntityTooLarge()


def _whole_multipart() -> bool:
    """Whether a multipart form arrived whole (Werkzeug reads one cut short as the fields before the cut)
    with every field's text in UTF-8. The import's upload, larger than any form, is read by the import."""
    boundary = request.mimetype_params.get("boundary", "")
    if not boundary.isascii():  # RFC 2046's boundaries are ASCII; RFC 2231 lets a header name any other
        return False
    if request.endpoint not in LARGE_UPLOADS and b"--" + boundary.encode() + b"--" not in request.get_data():
        return False
    fields = itertools.chain.from_iterable(request.form.listvalues())
    return not any(REPLACEMENT_CHARACTER in value for value in fields)


def _decodable(body: bytes) -> bool:
    """Whether every % in a urlencoded body starts a two-digit escape and the unescaped bytes are UTF-8."""
    if _BROKEN_ESCAPE.search(body):
        return False
    try:
        unquote_to_bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def http_error(error: HTTPException):
    refused_for = _seconds_refused_for(error)
    if refused_for is not None:
        error = TooManyRequests()
    error, headers, werkzeugs_words = explained(error, refused_for)
    if wants_json():
        return jsonify(error=error.name, message=error.description), error.code, headers
    _let_links_be_built()
    said = "" if werkzeugs_words else error.description  # the 404 page has its own words for the default
    page = render_template("errors/error.html", error=error, said=said, not_found=isinstance(error, NotFound))
    return page, error.code, headers


def explained(
    error: HTTPException, refused_for: int | None = None
) -> tuple[HTTPException, list[tuple[str, str]], bool]:
    """The error as the site answers it, with its description in the site's words; the headers its answer
    carries; and whether those words stand in for Werkzeug's stock text. refused_for is a 429's wait when the
    site counted the request itself (Flask-Limiter's own refusals say theirs). A page that answers an error
    itself (a refused form shown again, as the shortlist's note) says what this says."""
    headers = _own_headers(error) + error_headers_vary()
    if error.code == 429:
        # The limiter's own description names the limit and its key; say only what the visitor can do.
        seconds = refused_for or _seconds_until_let_through()
        error.description = TOO_MANY.format(wait=_in_minutes(seconds))
        if seconds is not None:
            headers.append(("Retry-After", str(seconds)))
    elif isinstance(error, CSRFError):
        log.info("form refused by the CSRF check: %s", error.description)
        error.description = FORM_NOT_CONFIRMED  # Flask-WTF's wording speaks of tokens a visitor never saw
    elif error.code == 413:
        error.description = TOO_LARGE  # Werkzeug's "exceeds the capacity limit" tells a visitor nothing
    werkzeugs_words = error.description == type(error).description
    if werkzeugs_words:
        error.description = _in_the_sites_words(error)
    return error, headers, werkzeugs_words


def _seconds_refused_for(error: HTTPException) -> int | None:
    """For an API address no route takes, counted against the API's limit: how long it is refused for, past
    the limit; None when it gets its own answer (404 or 405)."""
    unrouted = error is request.routing_exception and isinstance(error, NotFound | MethodNotAllowed)
    if not (unrouted and (request.path + "/").startswith(API_PREFIX + "/")):
        return None
    return countedreads.seconds_refused_for_an_unrouted_request()


# Werkzeug's own wording ("The browser (or proxy) sent a request that this server could not understand")
# is not the site's voice, and some of it ("Either the server is overloaded or there is an error in the
# application") guesses.
SITE_WORDING = {
    400: "The request could not be understood. Check the address, or reload the page and send the form "
    "again.",
    403: "Your account may not use this page.",
    404: "There is nothing at this address. It may be mistyped, or the page may have moved.",
    416: "The part of the file asked for (its Range header) lies past the file's end.",
    500: "Something went wrong on our side, and it has been logged. Try again in a moment.",
    503: "The site cannot answer just now. Try again in a minute.",
}
API_NOT_FOUND = (
    "There is nothing at this address in the API: its paths are described at /api/v1/openapi.json."
)


def _in_the_sites_words(error: HTTPException) -> str:
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        # HEAD and OPTIONS go with every GET, so naming them says nothing, unless they are all there is.
        taken = sorted(set(error.valid_methods) - {"HEAD", "OPTIONS"}) or sorted(error.valid_methods)
        return f"This address does not take a {request.method} request, only {_listed(taken)}."
    if error.code == 404 and request.path.startswith("/api/"):
        return API_NOT_FOUND
    return SITE_WORDING.get(error.code, error.description)


def _listed(methods: list[str]) -> str:
    return methods[0] if len(methods) == 1 else ", ".join(methods[:-1]) + f" or {methods[-1]}"


def _seconds_until_let_through() -> int | None:
    """How long until the limit that refused this request lets it through; None when it cannot be told.

    The 429's Retry-After is given here rather than by Flask-Limiter, which puts its own on every answer a
    limit applied to (a 200, a 303, a 503 whose shorter wait it overrides): vendors.extensions names that
    one X-RateLimit-Retry-After."""
    try:
        refused_by = limiter.current_limit
        reset_at = refused_by.reset_at if refused_by is not None else None
    except Exception:  # the limit's storage stopped answering: the page must still be the 429
        return None
    return None if reset_at is None else max(1, int(reset_at - time.time()))


def _in_minutes(seconds: int | None) -> str:
    if seconds is None:
        return "a few minutes"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _let_links_be_built() -> None:
    """A request for a host not in TRUSTED_HOSTS, or one that is no host name (`a..b`, which Werkzeug cannot
    encode), is refused before Flask can build links for it, and the error page links to the site's pages
    (relative links, so the host they are built for never shows).
    Flask 3.1 keeps the link builder on its request context (flask.globals.request_ctx); the test of
    untrusted hosts fails loudly if a release moves it."""
    if request_ctx.url_adapter is None:
        request_ctx.url_adapter = current_app.url_map.bind(
            current_app.config["SERVER_NAME"] or "localhost",
            script_name=request.root_path or "/",
            url_scheme=request.scheme,
        )


def _own_headers(error: HTTPException) -> list[tuple[str, str]]:
    """The headers the error carries (Allow, which a 405 must send: RFC 9110) but its Content-Type, since
    the answer is the site's page or JSON rather than Werkzeug's."""
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
