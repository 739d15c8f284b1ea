"""What a request sends, with NUL characters taken out of every query and form parameter's name and value,
its host name in lower case and refused when it is not one, and the parts of its path bound to what the
database can be asked.

No one types a NUL, and PostgreSQL refuses to store or even compare text holding one ("text fields cannot
contain NUL"), so a NUL reaching any query would be a 500 there and not on SQLite. Taking them out where
Werkzeug builds `request.args`, `request.form` and `request.files` (its documented `parameter_storage_class`)
covers every view and form, including those written later. Uploaded files are left as they were sent, but
for their names.

Parts of a path go to queries as they are (a slug, a token, an id), so the site's URL rules match only what
the database can compare: a text part holding a NUL, or a number past what an INTEGER column holds, matches
no route and is a 404, on every backend and for every route, those written later included.
"""

from flask import Request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict
from werkzeug.exceptions import SecurityError
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter

from vendors.database import MAX_ROW_ID


def _without_nul(value):
    if isinstance(value, FileStorage):
        # The file as it was sent; its name, which is shown and stored, without NUL.
        value.filename = _without_nul(value.filename)
        return value
    return value.replace("\x00", "") if isinstance(value, str) else value


class NulFreeParameters(ImmutableMultiDict):
    def __init__(self, mapping=None):
        pairs = MultiDict(mapping).items(multi=True)
        super().__init__([(_without_nul(name), _without_nul(value)) for name, value in pairs])


class SiteRequest(Request):
    parameter_storage_class = NulFreeParameters

    def __init__(self, environ: dict, *args, **kwargs):
        # Host names are case-insensitive, but Werkzeug matches TRUSTED_HOSTS case by case: `Vendors.Example`
        # would be refused, and would be a page cache key of its own.
        host = environ.get("HTTP_HOST")
        if host and host != host.lower():
            environ["HTTP_HOST"] = host.lower()
        super().__init__(environ, *args, **kwargs)


def refuse_a_host_that_is_not_one(request: Request) -> None:
    """SecurityError, as for a host not trusted (a 400), when the Host header is not a host name or address
    and port. Werkzeug reads such a host as none at all (request.host is empty), so without TRUSTED_HOSTS (in
    development) `a:1:2` would otherwise be answered with links naming no host (`http:///vendors/...`)."""
    sent = request.environ.get("HTTP_HOST")
    if sent and not request.host:
        raise SecurityError(f"Host {sent!r} is not a host name or address.")


class PathText(UnicodeConverter):
    """<name> and <string:name>: one path segment, as Werkzeug's default (its length arguments too), but
    never one holding a NUL."""

    def __init__(self, url_map: Map, *args, **kwargs):
        super().__init__(url_map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\x00]")


class RowNumber(IntegerConverter):
    """<int:name>: a row's id, so at most what every backend's INTEGER column holds unless the rule says."""

    def __init__(self, url_map: Map, *args, max: int = MAX_ROW_ID, **kwargs):
        super().__init__(url_map, *args, max=max, **kwargs)


class SiteMap(Map):
    default_converters = Map.default_converters.copy()
    default_converters.update(default=PathText, string=PathText, int=RowNumber)
