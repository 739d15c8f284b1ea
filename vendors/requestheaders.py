"""Request headers put right before the app's libraries read them, where those libraries read them against
RFC 9110. Most requests carry neither header in a form that needs it, and pass untouched.

- Accept-Encoding: a coding given a quality of 0 is "not acceptable" (12.5.3). Flask-Compress 1.25 ranks
  it like any other, so `gzip;q=0` was answered in gzip: such codings are taken out, and a `*` beside them
  is spelt out as the site's other codings, so it cannot bring a refused one back.
- Range: one in a unit other than bytes must be ignored, and one that is not a valid byte range may be
  (14.2). Werkzeug refuses either with a 416, and a request for several ranges too, which it cannot serve:
  such a Range is taken out, and the whole file is sent. One valid range that lies past the file's end
  (`bytes=-0` included) is still the 416 it should be. A range is counted in the file's own bytes, so an
  answer to one is never compressed.
"""

import re

from flask import Flask
from werkzeug.http import parse_accept_header, parse_range_header

# Valid (RFC 9110, 14.1.1) and never satisfiable, but Werkzeug cannot read it: it must stay a 416.
ZERO_SUFFIX = re.compile(r"\s*bytes\s*=\s*-0+\s*", re.IGNORECASE)
UNCOMPRESSED = "identity"


def init_app(app: Flask) -> None:
    site_codings = tuple(app.config["COMPRESS_ALGORITHM"])
    app.wsgi_app = _RefusedCodingsAndUnservedRangesTakenOut(app.wsgi_app, site_codings)


class _RefusedCodingsAndUnservedRangesTakenOut:
    def __init__(self, wsgi_app, site_codings: tuple[str, ...]):
        self.wsgi_app = wsgi_app
        self.site_codings = site_codings

    def __call__(self, environ, start_response):
        accepted = environ.get("HTTP_ACCEPT_ENCODING", "")
        if ";" in accepted:  # only a coding with parameters can carry a quality
            environ["HTTP_ACCEPT_ENCODING"] = without_refused_codings(accepted, self.site_codings)
        if "HTTP_RANGE" in environ:
            if is_served_range(environ["HTTP_RANGE"]):
                environ["HTTP_ACCEPT_ENCODING"] = UNCOMPRESSED
            else:
                del environ["HTTP_RANGE"]
        return self.wsgi_app(environ, start_response)


def without_refused_codings(accept_encoding: str, site_codings: tuple[str, ...]) -> str:
    """The header with the codings it refuses left out, the qualities of the rest kept, and a `*` given as
    the site's codings it neither refuses nor names."""
    accepted = parse_accept_header(accept_encoding)
    named = {coding.lower() for coding, _ in accepted}
    kept = []
    for coding, quality in accepted:
        if quality <= 0:
            continue
        if coding == "*":
            kept += [(other, quality) for other in site_codings if other not in named]
        else:
            kept.append((coding, quality))
    return ", ".join(f"{coding};q={quality:g}" for coding, quality in kept)


def is_served_range(range_header: str) -> bool:
    """Whether Werkzeug should answer this Range: one byte range (a 206, or a 416 past the file's end)."""
    if ZERO_SUFFIX.fullmatch(range_header):
        return True
    parsed = parse_range_header(range_header)
    return parsed is not None and parsed.units == "bytes" and len(parsed.ranges) == 1
