"""Static files under names that change with their content, cached for a year.

Every url_for("static", ...) names the file with the first 12 hex digits of its SHA-256 before its suffix
(css/site.css as css/site.0123456789ab.css). A request for the current digest is answered with
`Cache-Control: public, max-age=31536000, immutable`; when a file changes, its name changes, so browsers and
caches fetch the new one at once and never revalidate the old. The plain name, or an old digest (a page
cached before a release), is answered with the current file, revalidated by its ETag.
"""

import hashlib
import re
from functools import cache
from pathlib import Path, PurePosixPath

from flask import Flask, Response, current_app, request

ONE_YEAR = 365 * 24 * 3600
_HASHED = re.compile(r"(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<suffix>\.[^./]+)?")


def init_app(app: Flask) -> None:
    app.url_defaults(_name_with_digest)
    app.view_functions["static"] = _static_file
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


def hashed_name(filename: str) -> str:
    """css/site.css as css/site.<digest>.css; the name as it is when there is no such file."""
    found = digest(filename)
    if not found:
        return filename
    path = PurePosixPath(filename)
    return str(path.with_name(f"{path.stem}.{found}{path.suffix}"))


def _name_with_digest(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values:
        values["filename"] = hashed_name(values["filename"])


def _split(filename: str) -> tuple[str, str]:
    """The file a requested name stands for, and the digest the name carried ("" for a plain name)."""
    named = _HASHED.fullmatch(filename)
    if named is None or (Path(current_app.static_folder) / filename).is_file():
        return filename, ""
    return named["stem"] + (named["suffix"] or ""), named["digest"]


def _static_file(filename: str) -> Response:
    return current_app.send_static_file(_split(filename)[0])


def _cache_for_a_year(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    plain, carried = _split((request.view_args or {}).get("filename", ""))
    if carried and carried == digest(plain):
        response.cache_control.no_cache = None  # Flask marks every static file no-cache by default
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
    return response
