"""Content codings a client refuses (`q=0`) taken out of its Accept-Encoding before the app reads it.

RFC 9110 (12.5.3): a coding given a quality of 0 is "not acceptable". Flask-Compress 1.25 ranks it like any
other, so `Accept-Encoding: gzip;q=0` was answered in gzip. Browsers send no qualities at all, so most
requests pass untouched."""

from flask import Flask
from werkzeug.http import parse_accept_header


def init_app(app: Flask) -> None:
    app.wsgi_app = _WithoutRefusedCodings(app.wsgi_app)


class _WithoutRefusedCodings:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        accepted = environ.get("HTTP_ACCEPT_ENCODING", "")
        if ";" in accepted:  # only a coding with parameters can carry a quality
            environ["HTTP_ACCEPT_ENCODING"] = acceptable(accepted)
        return self.wsgi_app(environ, start_response)


def acceptable(accept_encoding: str) -> str:
    """The header with the codings it refuses left out, and the qualities of the rest kept."""
    return ", ".join(
        f"{coding};q={quality:g}" for coding, quality in parse_accept_header(accept_encoding) if quality > 0
    )
