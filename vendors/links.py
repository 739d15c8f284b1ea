"""Addresses that carry a visitor's own query arguments. url_for(endpoint, **arguments) would take an argument
named _anchor, _method, _scheme or _external as an option of its own (a 500 for a repeated one, or a link to
another host), so those arguments are encoded into the query as they came, whatever their names."""

from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Flask, url_for

URL_QUERY_SAFE = "!$'()*,/:;?@"  # what url_for leaves unescaped in a query (werkzeug.urls._urlencode)


def init_app(app: Flask) -> None:
    app.add_template_global(with_query)


def with_query(endpoint: str, arguments: Mapping[str, str | list[str]], **path_values) -> str:
    """The endpoint's path (built from path_values) with arguments, each once or repeated, as its query."""
    pairs = [
        (name, value)
        for name, values in arguments.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    query = urlencode(pairs, safe=URL_QUERY_SAFE)
    path = url_for(endpoint, **path_values)
    return path + ("?" + query if query else "")
