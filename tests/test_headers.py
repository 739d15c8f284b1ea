"""Security headers on every kind of response, and pages a strict Content-Security-Policy can show."""

import hashlib
import re
from pathlib import Path

import pytest
from flask import Response

from tests.test_error_pages import break_the_home_page
from vendors.headers import ALWAYS, STRICT_TRANSPORT_SECURITY, add_security_headers

KINDS = {
    "page": "/vendors",
    "home": "/",
    "estimator": "/estimate",
    "json": "/api/v1/vendors",
    "json error": "/api/v1/vendors?size=huge",
    "static file": "/static/css/site.css",
    "error page": "/no-such-page",
    "wrong method": "/api/v1/estimate?headcount=1",
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_response_carries_the_security_headers(seeded_client, kind):
    url = KINDS[kind]
    response = seeded_client.post(url) if kind == "wrong method" else seeded_client.get(url)
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (url, name)
    assert "Strict-Transport-Security" not in response.headers, "only over HTTPS"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_over_https_browsers_are_told_to_stay_on_https(seeded_client):
    response = seeded_client.get("/vendors", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == STRICT_TRANSPORT_SECURITY


def test_no_page_needs_an_inline_script_or_style(seeded_client):
    slug = seeded_client.get("/api/v1/vendors?per_page=1").get_json()["items"][0]["slug"]
    for url in (
        "/",
        "/vendors",
        "/vendors?q=billing",
        f"/vendors/{slug}",
        "/estimate",
        "/shortlist",
        "/submit",
        "/admin/login",
        "/no-such-page",
    ):
        body = seeded_client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert not re.search(r"\sstyle=|<style\b|\son[a-z]+=", body), url


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_pages_json_and_assets_are_compressed_for_clients_that_accept_it(seeded_client, encoding):
    for url in ("/vendors", "/api/v1/vendors", "/static/css/site.css", "/static/js/directory.js"):
        response = seeded_client.get(url, headers={"Accept-Encoding": encoding})
        assert response.headers.get("Content-Encoding") == encoding, url
        assert "Accept-Encoding" in response.headers.get("Vary", ""), url
    plain = seeded_client.get("/vendors")
    assert "Content-Encoding" not in plain.headers and b"<html" in plain.data


@pytest.mark.parametrize(
    ("accepted", "chosen"),
    [
        ("gzip, br, zstd", "zstd"),
        ("gzip, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("identity", None),
        # q=0 refuses a coding (RFC 9110, 12.5.3), and "*" never brings one back.
        ("gzip;q=0", None),
        ("gzip;Q=0.000", None),
        ("zstd;q=0, br;q=0, gzip;q=0.0", None),
        ("gzip;q=0, *", "zstd"),
        ("zstd;q=0, br;q=0, *;q=0.5", "gzip"),
        ("*;q=0, identity", None),
    ],
)
def test_the_encoding_is_the_clients_most_preferred_then_zstd_brotli_gzip(seeded_client, accepted, chosen):
    seeded_client.get("/vendors")  # now a page kept by the page cache, which answers in gzip when it may
    for url in ("/static/css/site.css", "/admin/login", "/vendors"):
        response = seeded_client.get(url, headers={"Accept-Encoding": accepted})
        assert response.headers.get("Content-Encoding") == chosen, url


def test_static_files_have_content_hashed_names_cached_for_a_year(seeded_client):
    static = Path(__file__).resolve().parents[1] / "static"
    page = seeded_client.get("/vendors").get_data(as_text=True)
    addresses = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert len(addresses) >= 2
    for address in addresses:
        named = re.fullmatch(r"/static/(.+)\.([0-9a-f]{12})(\.[a-z]+)", address)
        assert named, f"{address} has no digest in its name"
        plain = named[1] + named[3]
        assert named[2] == hashlib.sha256((static / plain).read_bytes()).hexdigest()[:12], address
        hashed = seeded_client.get(address)
        assert hashed.status_code == 200 and hashed.data == (static / plain).read_bytes(), address
        directives = {part.strip() for part in hashed.headers["Cache-Control"].split(",")}
        assert directives == {"public", "max-age=31536000", "immutable"}, address
        for other in (f"/static/{plain}", f"/static/{named[1]}.000000000000{named[3]}"):
            answer = seeded_client.get(other)
            assert answer.status_code == 200 and answer.data == hashed.data, other
            assert "immutable" not in answer.headers.get("Cache-Control", ""), other
    assert seeded_client.get("/static/css/nothing.0123456789ab.css").status_code == 404


def test_a_static_file_answers_one_byte_range_and_ignores_a_range_it_cannot_serve(seeded_client):
    whole = seeded_client.get("/static/css/site.css").data
    part = seeded_client.get("/static/css/site.css", headers={"Range": "bytes=2-7"})
    assert part.status_code == 206 and part.data == whole[2:8]
    assert part.headers["Content-Range"] == f"bytes 2-7/{len(whole)}"
    past_the_end = seeded_client.get("/static/css/site.css", headers={"Range": f"bytes={len(whole)}-"})
    assert past_the_end.status_code == 416
    # RFC 9110, 14.2: a unit other than bytes must be ignored, and an invalid range may be; several ranges
    # in one answer are not served, so the whole file is.
    assert seeded_client.get("/static/css/site.css", headers={"Range": "bytes=-0"}).status_code == 416
    for ignored in ("items=0-5", "bytes=abc", "bytes=7-2", "bytes=0-1,4-5", "none"):
        answer = seeded_client.get("/static/css/site.css", headers={"Range": ignored})
        assert answer.status_code == 200 and answer.data == whole, ignored


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_a_range_is_of_the_files_own_bytes_and_answered_uncompressed(seeded_client, encoding):
    whole = seeded_client.get("/static/css/site.css").data
    part = seeded_client.get(
        "/static/css/site.css", headers={"Range": "bytes=0-999", "Accept-Encoding": encoding}
    )
    assert part.status_code == 206 and "Content-Encoding" not in part.headers
    assert part.data == whole[:1000] and part.headers["Content-Range"] == f"bytes 0-999/{len(whole)}"


def test_a_header_a_response_set_itself_is_kept_and_none_is_doubled(app):
    with app.test_request_context("/"):
        response = add_security_headers(Response("x", headers={"x-frame-options": "SAMEORIGIN"}))
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    for name, value in ALWAYS.items():
        if name != "X-Frame-Options":
            assert response.headers.getlist(name) == [value], name


def assert_secured(response, what: str) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (what, name)
    assert response.headers["X-Request-ID"], what


def test_refusals_failures_redirects_and_head_answers_carry_the_security_headers(client, app, monkeypatch):
    assert_secured(client.head("/vendors"), "HEAD")
    redirect = client.get("/admin")
    assert redirect.status_code in (302, 303)
    assert_secured(redirect, "redirect")
    no_token = client.post("/submit", data={"name": "x"})
    assert no_token.status_code == 400
    assert_secured(no_token, "400")
    too_large = client.post("/submit", data={"description": "x" * 300_000})
    assert too_large.status_code == 413
    assert_secured(too_large, "413")
    monkeypatch.setitem(app.config, "API_LIMIT_PER_ADDRESS", "1 per minute")
    client.get("/api/v1/estimate", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    limited = client.get("/api/v1/estimate", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert limited.status_code == 429
    assert_secured(limited, "429")
    break_the_home_page(app, monkeypatch)
    failed = client.get("/")
    assert failed.status_code == 500
    assert_secured(failed, "500")
