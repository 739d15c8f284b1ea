"""Static files under addresses that change with their content, cached for a year.

Every url_for("static", ...) gains `v=<first 12 hex digits of the file's SHA-256>`. A request carrying the
current digest is answered with `Cache-Control: public, max-age=31536000, immutable`; when a file changes,
its address changes, so browsers fetch the new one at once and never revalidate the old. A request without
the digest (or with an old one) is answered normally, revalidated by its ETag.
"""

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, Response, current_app, request

ONE_YEAR = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    app.url_defaults(_add_digest)
    app.after_request(_cache_for_a_year)


def digest(filename: str) -> str:
    """The file's content digest ("" for no such file), read again only when the file changes."""
    path = Path(current_app.static_folder) / filename
    try:
        return _digest_of(path, path.stat().st_mtime_ns)
    except OSError:
        return ""


@cache
def _digest_of(path: Path, _modified: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _add_digest(endpoint: str, values: dict) -> None:
    wanted = endpoint == "static" and "filename" in values and "v" not in values
    if wanted and (found := digest(values["filename"])):
        values["v"] = found


def _cache_for_a_year(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    if request.args.get("v") and request.args.get("v") == digest(filename):
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
    return response
