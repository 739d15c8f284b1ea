"""Kept pages answered before the request hooks (vendors.frontdoor): the same answers as the usual way, for
first-time and returning visitors, over HTTP and HTTPS, with a token the forms accept; anything the hooks
could change, and any app with a hook it does not know, goes the usual way."""

import gzip
import json
import logging
import re
from contextlib import contextmanager

import pytest
from flask import session
from flask.signals import request_started

from tests.conftest import app_emptied_after
from tests.factories import add_vendors, vendor_record
from vendors import pagecache

TOKEN = re.compile(rb'name="csrf_token" value="([^"]+)"')
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
ADDRESSES = [
    "/vendors",
    "/vendors?q=care&sort=name&per_page=2",
    "/vendors?shore=offshore&buyer_country=DE",
    "/vendors/harbour-care?buyer_country=GB",
    "/vendors/harbour-care?back=/vendors%3Fq%3Dcare",
    "/estimate",
    "/estimate?vendor=harbour-care&agents=12",
]
API_ADDRESSES = [
    "/api/v1/vendors?q=care&sort=name",
    "/api/v1/vendors/harbour-care?buyer_country=GB",
    "/api/v1/suggest?q=har",
]
PER_VISITOR = {"X-Request-ID", "Set-Cookie"}
# Their values count the requests of each app's limiter, and the second of the window.
LIMIT_HEADERS = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Retry-After"}


@pytest.fixture
def app(scratch_database, tmp_path):
    with app_emptied_after(scratch_database, tmp_path / "index") as app:
        add_vendors(
            vendor_record(name="Harbour Care", slug="harbour-care"),
            vendor_record(name="Quay Care", delivery_countries=["MX"]),
            vendor_record(name="Dock Care", delivery_countries=["IN"]),
        )
        yield app


@pytest.fixture
def usual_app(scratch_database, tmp_path):
    """An app over the same data with one request hook vendors.frontdoor does not know: it answers every
    request the usual way."""
    with app_emptied_after(scratch_database, tmp_path / "index-usual") as usual:
        usual.after_request(lambda response: response)
        yield usual


@contextmanager
def hooks_counted():
    """How many requests reached the request hooks (Flask's request_started signal)."""
    started = []

    def note(sender, **_extra):
        started.append(sender)

    request_started.connect(note)
    try:
        yield started
    finally:
        request_started.disconnect(note)


def kept_and_asked_again(app, address: str, returning: bool, base_url: str = "http://localhost"):
    """The answer to a visitor asking for an address the cache already holds (a returning visitor, with the
    session cookie of their first visit, or a first-time one), and how many requests reached the hooks."""
    app.test_client().get(address, headers=GZIP, base_url=base_url)  # kept now
    visitor = app.test_client()
    if returning:
        earlier = visitor.get("/vendors?per_page=1", base_url=base_url)  # its forms' token starts a session
        assert earlier.headers.getlist("Set-Cookie")
    with hooks_counted() as started:
        answer = visitor.get(address, headers=GZIP, base_url=base_url)
    return answer, len(started)


def comparable(response):
    """Status, headers and text, less what belongs to one visitor (their token, request id and cookie)."""
    text = gzip.decompress(response.get_data())
    token = TOKEN.search(text)
    if token:
        text = text.replace(token[1], b"TOKEN")
    headers = sorted(
        (name, "(counted)" if name in LIMIT_HEADERS else value)
        for name, value in response.headers.items()
        if name not in PER_VISITOR
    )
    cookies = [
        re.sub(r"^session=[^;]*|Expires=[^;]*", "", cookie)  # Expires: when the answer was kept
        for cookie in response.headers.getlist("Set-Cookie")
    ]
    return response.status_code, headers, cookies, text


@pytest.mark.parametrize("returning", [False, True], ids=["first-time visitor", "returning visitor"])
@pytest.mark.parametrize("base_url", ["http://localhost", "https://localhost"])
@pytest.mark.parametrize("address", ADDRESSES)
def test_a_kept_page_is_answered_before_the_hooks_exactly_as_the_usual_way(
    app, usual_app, address, returning, base_url
):
    early, early_through_hooks = kept_and_asked_again(app, address, returning, base_url)
    usual, usual_through_hooks = kept_and_asked_again(usual_app, address, returning, base_url)

    assert (early_through_hooks, usual_through_hooks) == (0, 1)
    assert (early.headers["X-Cache"], usual.headers["X-Cache"]) == ("hit", "hit")
    assert early.headers["Content-Encoding"] == "gzip"
    assert comparable(early) == comparable(usual)
    starts_a_session = any(cookie.startswith("session=") for cookie in early.headers.getlist("Set-Cookie"))
    has_forms = TOKEN.search(gzip.decompress(early.get_data())) is not None
    assert starts_a_session is (has_forms and not returning)


@pytest.mark.parametrize("address", API_ADDRESSES)
def test_a_kept_api_answer_is_answered_before_the_hooks_as_the_usual_way_with_the_limit_headers(
    app, usual_app, address
):
    early, early_through_hooks = kept_and_asked_again(app, address, returning=False)
    usual, usual_through_hooks = kept_and_asked_again(usual_app, address, returning=False)

    assert (early_through_hooks, usual_through_hooks) == (0, 1)
    assert (early.headers["X-Cache"], usual.headers["X-Cache"]) == ("hit", "hit")
    assert comparable(early) == comparable(usual)
    assert {name for name, _value in early.headers.items()} >= LIMIT_HEADERS
    assert early.headers["X-RateLimit-Limit"] == "600"


def test_kept_api_answers_count_against_the_limit_and_are_refused_past_it(app, monkeypatch):
    monkeypatch.setitem(app.config, "API_LIMIT_PER_ADDRESS", "4 per minute")
    client = app.test_client()
    answers = [client.get("/api/v1/vendors/harbour-care", headers=GZIP)]
    with hooks_counted() as started:
        answers += [client.get("/api/v1/vendors/harbour-care", headers=GZIP) for _ in range(5)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 429, 429]
    assert [answer.headers.get("X-Cache") for answer in answers] == ["miss", "hit", "hit", "hit", None, None]
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["3", "2", "1", "0", "0", "0"]
    assert len(started) == 2, "the refused go the usual way"
    assert answers[-1].is_json and int(answers[-1].headers["Retry-After"]) > 0
    assert client.get("/api/v1/suggest?q=har", headers=GZIP).status_code == 429, "one budget for the API"


def test_an_api_address_refused_by_the_blueprint_hook_is_never_kept(app):
    address = "/api/v1/vendors?sort=name&sort=name"
    assert app.test_client().get("/api/v1/vendors?sort=name", headers=GZIP).headers["X-Cache"] == "miss"
    with hooks_counted() as started:
        answers = [app.test_client().get(address, headers=GZIP) for _ in range(2)]
    assert [(answer.status_code, answer.headers.get("X-Cache")) for answer in answers] == [(400, None)] * 2
    assert len(started) == 2


def test_a_kept_page_reaches_no_request_hook_and_other_requests_do(app):
    address = "/vendors?sort=name"
    app.test_client().get(address, headers=GZIP)
    with hooks_counted() as started:
        kept = app.test_client().get(address, headers=GZIP)
        assert (kept.headers["X-Cache"], started) == ("hit", [])
        app.test_client().get(address)  # no gzip: the usual way
        app.test_client().get("/vendors?sort=size", headers=GZIP)  # not kept yet
        app.test_client().get("/api/v1/vendors", headers=GZIP)  # not kept yet
        app.test_client().post("/shortlist/add", data={"vendor": "harbour-care"})  # not a read
    assert len(started) == 4


def test_the_token_of_an_early_answer_is_accepted_by_its_form(app):
    address = "/vendors/harbour-care"
    app.test_client().get(address, headers=GZIP)
    buyer = app.test_client()
    page = buyer.get(address, headers=GZIP)
    token = TOKEN.search(gzip.decompress(page.get_data()))[1].decode()

    added = buyer.post("/shortlist/add", data={"csrf_token": token, "vendor": "harbour-care"})

    assert (page.headers["X-Cache"], added.status_code) == ("hit", 303)
    assert "Harbour Care" in buyer.get("/shortlist").get_data(as_text=True)


def test_an_early_answer_is_logged_with_the_request_id_it_carries(app, caplog):
    app.test_client().get("/vendors", headers=GZIP)
    with caplog.at_level(logging.INFO, logger="vendors.requests"):
        answer = app.test_client().get("/vendors", headers={**GZIP, "X-Request-ID": "proxy-given-id-42"})

    [line] = [
        json.loads(record.getMessage()) for record in caplog.records if record.name == "vendors.requests"
    ]
    assert answer.headers["X-Request-ID"] == "proxy-given-id-42"
    assert (line["request_id"], line["path"], line["status"]) == ("proxy-given-id-42", "/vendors", 200)


def test_a_head_request_gets_the_headers_of_the_early_answer_and_no_body(app):
    app.test_client().get("/vendors", headers=GZIP)
    with hooks_counted() as started:
        head = app.test_client().head("/vendors", headers=GZIP)
    get = app.test_client().get("/vendors", headers=GZIP)
    assert (head.headers["X-Cache"], head.get_data(), started) == ("hit", b"", [])
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


def test_an_app_with_a_hook_it_does_not_know_answers_the_usual_way_and_says_so_once(usual_app, caplog):
    with caplog.at_level(logging.WARNING, logger="vendors.frontdoor"), hooks_counted() as started:
        for _ in range(3):
            answer = usual_app.test_client().get("/vendors", headers=GZIP)
    assert len(started) == 3
    assert answer.headers["X-Cache"] == "hit"
    [warning] = [record.getMessage() for record in caplog.records if record.name == "vendors.frontdoor"]
    assert "tests.test_frontdoor:usual_app.<locals>.<lambda>" in warning


def test_a_blueprint_with_a_hook_it_does_not_know_is_answered_the_usual_way(scratch_database, tmp_path):
    with app_emptied_after(scratch_database, tmp_path / "index") as app:
        app.before_request_funcs.setdefault("directory", []).append(lambda: None)
        for address in ("/vendors", "/estimate"):
            app.test_client().get(address, headers=GZIP)
        with hooks_counted() as started:
            listing = app.test_client().get("/vendors", headers=GZIP)
            estimate = app.test_client().get("/estimate", headers=GZIP)
    assert (listing.headers["X-Cache"], estimate.headers["X-Cache"]) == ("hit", "hit")
    assert started == [app], "the estimator's blueprint has no hook: only the listing reached them"


def test_a_fault_before_the_hooks_leaves_the_page_to_the_usual_way(app, monkeypatch):
    app.test_client().get("/vendors", headers=GZIP)

    def broken(_view, _csrf_token):
        raise RuntimeError("the early answer failed")

    monkeypatch.setattr(pagecache, "kept_gzip_hit", broken)
    with hooks_counted() as started:
        answer = app.test_client().get("/vendors", headers=GZIP)
    assert (answer.status_code, answer.headers["X-Cache"], len(started)) == (200, "hit", 1)


def test_a_first_visit_whose_session_gained_more_than_its_token_is_answered_the_usual_way(app, monkeypatch):
    """The first visit's cookie holds the token alone: were anything else put in the session on the way (no
    code does so today), the usual way saves both, with the token the page shows."""
    address = "/vendors/harbour-care"
    app.test_client().get(address, headers=GZIP)
    keyed = pagecache._key

    def key_that_writes_to_the_session(*args):
        session["seen"] = True
        return keyed(*args)

    monkeypatch.setattr(pagecache, "_key", key_that_writes_to_the_session)
    buyer = app.test_client()
    with hooks_counted() as started:
        page = buyer.get(address, headers=GZIP)
    token = TOKEN.search(gzip.decompress(page.get_data()))[1].decode()
    added = buyer.post("/shortlist/add", data={"csrf_token": token, "vendor": "harbour-care"})

    assert (page.headers["X-Cache"], len(started), added.status_code) == ("hit", 1, 303)


def test_a_visitor_with_a_shortlist_is_answered_the_usual_way(app):
    app.test_client().get("/vendors", headers=GZIP)
    buyer = app.test_client()
    page = buyer.get("/vendors/harbour-care", headers=GZIP)
    token = TOKEN.search(gzip.decompress(page.get_data()))[1].decode()
    buyer.post("/shortlist/add", data={"csrf_token": token, "vendor": "harbour-care"})
    with hooks_counted() as started:
        answer = buyer.get("/vendors", headers=GZIP)
    assert ("X-Cache" not in answer.headers, len(started)) == (True, 1)


def _with_its_own_vary(site):
    """The site with a kept answer whose view names Vary values of its own, one of them the session's."""

    @site.get("/varied")
    @pagecache.cached(catalogue=lambda: False)
    def varied():
        return "varied", {"Vary": "cookie, Accept-Encoding"}

    return site


def test_an_early_answer_names_each_vary_value_once_as_the_usual_way(app, usual_app):
    early, early_through_hooks = kept_and_asked_again(_with_its_own_vary(app), "/varied", returning=True)
    usual, usual_through_hooks = kept_and_asked_again(
        _with_its_own_vary(usual_app), "/varied", returning=True
    )

    assert (early_through_hooks, usual_through_hooks) == (0, 1)
    assert early.headers["Vary"] == usual.headers["Vary"] == "cookie, Accept-Encoding"
