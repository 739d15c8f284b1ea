"""Request headers put right before the app's libraries read them, where those libraries read them against
RFC 9110. Most requests carry neither header in a form that needs it, and pass untouched.

- Accept-Encoding: a coding given a quality of 0 is "not acceptable" (12.5.3). Flask-Compress 1.25 ranks
  it like any other, so `gzip;q=0` was answered in gzip: such codings are taken out.
- Range: one in a unit other than bytes must be ignored, and one that is not a valid single byte range may
  be (14.2). Werkzeug refuses either with a 416, and a request for several ranges too, which it cannot
  serve: such a Range is taken out, and the whole file is sent. A valid range past the file's end is
  still the 416 it should be.
"""

from flask import Flask
from werkzeug.http import parse_accept_header, parse_range_header


def init_app(app: Flask) -> None:
    app.wsgi_app = _AsTheRfcReadsThem(app.wsgi_app)


class _AsTheRfcReadsThem:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        accepted = environ.get("HTTP_ACCEPT_ENCODING", "")
        if ";" in accepted:  # only a coding with parameters can carry a quality
            environ["HTTP_ACCEPT_ENCODING"] = acceptable(accepted)
        if "HTTP_RANGE" in environ and not is_one_byte_range(environ["HTTP_RANGE"]):
            del environ["HTTP_RANGE"]
        return self.wsgi_app(environ, start_response)


def acceptable(accept_encoding: str) -> str:
    """The header with the codings it refuses left out, and the qualities of the rest kept."""
    return ", ".join(
        f"{coding};q={quality:g}" for coding, quality in parse_accept_header(accept_encoding) if quality > 0
    )


def is_one_byte_range(range_header: str) -> bool:
    parsed = parse_range_header(range_header)
    return parsed is not None and parsed.units == "bytes" and len(parsed.ranges) == 1
