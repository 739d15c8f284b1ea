"""A malformed request to the site as `make serve` serves it (gunicorn with gunicorn.conf.py) is refused
with a 400 by gunicorn itself, before the site sees it: written byte for byte to a loopback socket, since an
HTTP client library would not send it."""

import re
import socket

import pytest

from tests.served import gunicorn
from tests.test_serving import served_settings

MALFORMED = {
    "request line without a method, path and version": b"NOT-HTTP\r\n\r\n",
    "header line without a colon": b"GET /vendors HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n",
    "unknown HTTP version": b"GET /vendors HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    "Content-Length that is not a number": (
        b"POST /inquiry HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ten\r\n\r\n"
    ),
    "header folded onto a second line": (
        b"GET /vendors HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: a\r\n b\r\n\r\n"
    ),
    "lines ended by a bare LF": b"GET /vendors HTTP/1.1\nHost: 127.0.0.1\n\n",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gunicorn-malformed")
    with gunicorn(served_settings(folder), folder / "gunicorn.log", workers=1) as server:
        yield server


def exchange(server, raw: bytes) -> tuple[int, dict[str, str]]:
    """The status and headers of the answer to raw, sent as it is on a new connection."""
    port = int(server.base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(raw)
        answer = connection.makefile("rb").read().decode("latin-1")
    head = answer.partition("\r\n\r\n")[0].split("\r\n")
    status = re.fullmatch(r"HTTP/1\.[01] (\d{3}) .*", head[0])
    assert status, f"not an HTTP answer: {answer[:200]!r}"
    headers = dict(line.split(": ", 1) for line in head[1:])
    return int(status.group(1)), {name.lower(): value for name, value in headers.items()}


def test_a_well_formed_request_sent_the_same_way_reaches_the_site(server):
    status, headers = exchange(
        server, b"GET /vendors HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    assert status == 200
    assert "content-security-policy" in headers and "x-request-id" in headers


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_gunicorn_refuses_a_malformed_request_with_400_before_the_site_sees_it(server, raw):
    status, headers = exchange(server, raw)
    assert status == 400
    # The site's own headers are missing: the app never answered (the README's one exception to them).
    assert "content-security-policy" not in headers and "x-request-id" not in headers
    assert headers["connection"] == "close"
