"""Headers every response carries, pages, JSON, static files and error pages alike.

The Content-Security-Policy allows scripts, styles and everything else only from the site itself: no inline
script, no style attribute, no framing (the templates have none; tests/test_headers.py checks every page).
Strict-Transport-Security is sent only over HTTPS, where it means something; cookies are Secure outside
local development (SESSION_COOKIE_SECURE, set in production).
"""

from collections.abc import Iterable

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ALWAYS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Call after the compression extension's init_app: hooks registered later run first."""
    app.after_request(add_security_headers)
    app.after_request(_let_static_files_be_compressed)


def _let_static_files_be_compressed(response: Response) -> Response:
    """Static files are streamed straight from disk, which the compression extension only compresses with
    some encodings (not gzip); they are small (a few tens of KB), so they are read whole and compressed like
    any other response."""
    if request.endpoint == "static" and response.status_code == 200:
        response.direct_passthrough = False
        response.set_data(response.get_data())
    return response


def add_security_headers(response: Response) -> Response:
    response.headers.extend(security_headers(response.headers.keys(), request.is_secure))
    return response


def security_headers(present: Iterable[str], secure: bool) -> list[tuple[str, str]]:
    """The security headers an answer lacks, given the names of those it has (a view may have set its own)."""
    has = {name.lower() for name in present}
    missing = [(name, value) for name, value in ALWAYS.items() if name.lower() not in has]
    if secure and "strict-transport-security" not in has:
        missing.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
    return missing
