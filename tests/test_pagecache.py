"""Whole answers kept (vendors.pagecache), in the process's memory and in a folder shared by processes: a
repeated address is answered from the cache, with each visitor's own CSRF token, gzip-compressed for those
who take it, and an edit, another day, another cookie, host or search index state makes exactly the answers
it could change unreachable. Visitors with a shortlist or a message are answered afresh."""

import gzip
import html
import re
import sqlite3
from contextlib import contextmanager
from datetime import date, timedelta
from urllib.parse import quote

import diskcache
import pytest
from flask import request
from flask_wtf.csrf import generate_csrf

from tests.conftest import app_emptied_after, make_app
from tests.factories import add_vendors, update_vendor, vendor_record
from vendors import pagecache, search
from vendors.extensions import db
from vendors.firstvisits import FirstVisit

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(params=["memory", "shared folder"])
def app(request, scratch_database, tmp_path):
    """Every test here runs with answers kept in the process's memory, and in a folder (as gunicorn's
    workers share one)."""
    if request.param == "memory":
        with app_emptied_after(scratch_database, tmp_path / "index") as app:
            yield app
    else:
        with sharing_a_folder(scratch_database, tmp_path) as app:
            yield app


@pytest.fixture
def shared_app(scratch_database, tmp_path):
    with sharing_a_folder(scratch_database, tmp_path) as app:
        add_vendors(vendor_record(name="Cached Care", slug="cached-care"))
        yield app


@contextmanager
def sharing_a_folder(scratch_database, tmp_path):
    with app_emptied_after(
        scratch_database, tmp_path / "index", PAGE_CACHE_DIR=str(tmp_path / "pages")
    ) as app:
        try:
            yield app
        finally:
            app.extensions["pagecache"].close()


@pytest.fixture
def vendor(app):
    (added,) = add_vendors(vendor_record(name="Cached Care", slug="cached-care"))
    return added


def visit(app, path: str, **headers):
    """A first-time visitor (no cookies) asking for path."""
    return app.test_client().get(path, headers=headers)


def shortlist_from(buyer, page) -> int:
    """The status of the buyer's "Add to shortlist" sent with the token of the page they were shown."""
    token = TOKEN.search(page.get_data(as_text=True))[1]
    return buyer.post("/shortlist/add", data={"csrf_token": token, "vendor": "cached-care"}).status_code


@contextmanager
def another_app(database_url: str, index_dir, **settings):
    """A second app over the same database, as another worker or another server is; closed afterwards."""
    other = make_app(database_url, index_dir, **settings)
    try:
        yield other
    finally:
        if isinstance(other.extensions["pagecache"], pagecache._InFolder):
            other.extensions["pagecache"].close()
        with other.app_context():
            db.engine.dispose()


def test_a_repeated_address_is_a_hit_with_the_same_page_and_each_visitors_own_token(app, vendor):
    first, second = visit(app, "/vendors/cached-care"), visit(app, "/vendors/cached-care")
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    first_token = TOKEN.search(first.get_data(as_text=True))[1]
    second_token = TOKEN.search(second.get_data(as_text=True))[1]
    assert first_token != second_token
    assert TOKEN.sub("", first.get_data(as_text=True)) == TOKEN.sub("", second.get_data(as_text=True))
    assert pagecache.CSRF_PLACEHOLDER not in second.get_data(as_text=True)


def test_a_visitor_keeps_being_answered_from_the_cache_page_after_page(app, vendor):
    browsing = app.test_client()  # the cookies it is given come back with every later page
    kept = [
        browsing.get(path).headers.get("X-Cache")
        for path in (
            "/vendors?z=1",
            "/vendors?z=1",
            "/vendors/cached-care",
            "/vendors/cached-care",
            "/vendors?z=1",
        )
    ]
    assert kept == ["miss", "hit", "miss", "hit", "hit"]
    with browsing.session_transaction() as session:
        assert set(session) == {"csrf_token"}


def test_the_token_on_a_page_from_the_cache_is_accepted_by_the_form_it_belongs_to(app, vendor):
    visit(app, "/vendors/cached-care")
    buyer = app.test_client()
    page = buyer.get("/vendors/cached-care")
    assert page.headers["X-Cache"] == "hit"
    assert shortlist_from(buyer, page) == 303
    assert "Cached Care" in buyer.get("/shortlist").get_data(as_text=True)


def test_a_visitor_with_a_shortlist_sees_their_own_page_not_the_kept_one(app, vendor):
    visit(app, "/vendors/cached-care")
    buyer = app.test_client()
    shortlist_from(buyer, buyer.get("/vendors/cached-care"))
    page = buyer.get("/vendors/cached-care")
    assert "X-Cache" not in page.headers
    assert 'aria-pressed="true"' in page.get_data(as_text=True)
    assert 'aria-pressed="false"' in visit(app, "/vendors/cached-care").get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/vendors/cached-care", "/vendors?q=care", "/api/v1/vendors/cached-care", "/api/v1/vendors"]
)
def test_an_edit_makes_the_answers_showing_the_vendor_unreachable(app, vendor, path):
    assert "Cached Care" in visit(app, path).get_data(as_text=True)
    assert visit(app, path).headers["X-Cache"] == "hit"
    update_vendor(vendor.id, name="Renamed Care")
    after = visit(app, path)
    assert after.headers["X-Cache"] == "miss"
    assert "Renamed Care" in after.get_data(as_text=True)


def test_the_estimate_page_depends_on_the_catalogue_only_when_it_names_a_vendor(app, vendor):
    plain, from_vendor = "/estimate?salary=40000", "/estimate?vendor=cached-care"
    visit(app, plain), visit(app, from_vendor)
    add_vendors(vendor_record())
    assert visit(app, plain).headers["X-Cache"] == "hit"
    assert visit(app, from_vendor).headers["X-Cache"] == "miss"
    update_vendor(vendor.id, hourly_rate_min="20.00", hourly_rate_max="30.00")
    assert "$20.00" in visit(app, from_vendor).get_data(as_text=True)


def test_a_search_answered_while_the_index_lags_is_not_kept_for_after_it_catches_up(app, vendor, monkeypatch):
    visit(app, "/vendors?q=cached")
    positions = iter([("generation-1", 1), ("generation-1", 2)])
    monkeypatch.setattr(search, "index_position", lambda: next(positions))
    assert visit(app, "/vendors?q=cached").headers["X-Cache"] == "miss"
    assert visit(app, "/vendors?q=cached").headers["X-Cache"] == "miss"


def test_another_day_another_cookie_another_host_or_scheme_is_another_answer(app, vendor, monkeypatch):
    visit(app, "/vendors/cached-care")
    from_britain = app.test_client()
    from_britain.set_cookie("buyer_country", "GB")
    assert from_britain.get("/vendors/cached-care").headers["X-Cache"] == "miss"
    other_host = app.test_client().get("/api/v1/vendors/cached-care", base_url="http://other.example")
    assert other_host.headers["X-Cache"] == "miss"
    assert other_host.get_json()["url"].startswith("http://other.example/")
    # Behind a proxy passing both on, http and https ask for the same address: each has its own links.
    over_https = app.test_client().get("/api/v1/vendors/cached-care", base_url="https://other.example")
    assert over_https.headers["X-Cache"] == "miss"
    assert over_https.get_json()["url"].startswith("https://other.example/")

    class Tomorrow(date):
        @classmethod
        def today(cls):
            return date.today() + timedelta(days=1)

    monkeypatch.setattr(pagecache, "date", Tomorrow)
    assert visit(app, "/vendors/cached-care").headers["X-Cache"] == "miss"


def test_a_vendor_page_is_kept_apart_for_each_listing_it_returns_to(app, vendor):
    """The same address asked from two searches, from another site and from nowhere: each answer's "All
    vendors" link is its own, made once and then kept; another site's page counts as nowhere."""
    address = "/vendors/cached-care?buyer_country=DE"
    asked = [
        ("", "/vendors?buyer_country=DE", "miss"),
        ("http://localhost/vendors?q=care", "/vendors?q=care", "miss"),
        ("http://localhost/vendors?q=cached&sort=name", "/vendors?q=cached&sort=name", "miss"),
        ("https://elsewhere.example/vendors?q=x", "/vendors?buyer_country=DE", "hit"),
    ]
    for first_time in (True, False):
        for referrer, listing, kept in asked:
            answer = visit(app, address, **({"Referer": referrer} if referrer else {}))
            assert answer.headers["X-Cache"] == (kept if first_time else "hit"), referrer
            assert f'href="{html.escape(listing)}">← All vendors' in answer.get_data(as_text=True), referrer


def test_a_vendor_page_named_its_listing_by_back_keeps_each_one_apart(app, vendor):
    """A listing named by `back` is in the address: asked again with no Referer, each is its own hit."""
    for first_time in (True, False):
        for listing in ("/vendors?q=care", "/vendors?q=cached&sort=name", "/vendors"):
            answer = visit(app, f"/vendors/cached-care?back={quote(listing)}")
            assert answer.headers["X-Cache"] == ("miss" if first_time else "hit"), listing
            assert f'href="{html.escape(listing)}">← All vendors' in answer.get_data(as_text=True), listing


@pytest.mark.parametrize("malformed", ["http://[", "http://[x/vendors", "//[::1/vendors"])
def test_a_vendor_page_come_to_from_no_address_at_all_returns_to_the_directory(app, vendor, malformed):
    for answer in (
        visit(app, f"/vendors/cached-care?back={quote(malformed)}"),
        visit(app, "/vendors/cached-care", Referer=malformed),
    ):
        assert answer.status_code == 200
        assert 'href="/vendors?buyer_country=US">← All vendors' in answer.get_data(as_text=True)


def test_a_visitor_with_a_message_to_show_is_answered_afresh(app, vendor):
    visitor = app.test_client()
    with visitor.session_transaction() as session:
        session["_flashes"] = [("message", "Thanks: your inquiry was sent.")]
    page = visitor.get("/vendors/cached-care")
    assert "X-Cache" not in page.headers
    assert "Thanks: your inquiry was sent." in page.get_data(as_text=True)


def test_errors_and_redirects_are_not_kept(app, vendor):
    for _ in range(2):
        assert "X-Cache" not in visit(app, "/vendors/no-such-vendor").headers
        assert "X-Cache" not in visit(app, "/vendors?shown_sort=name&sort=rate").headers


def test_a_database_outage_is_answered_by_the_view_not_from_the_cache(app, vendor, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def unreachable():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    visit(app, "/estimate?salary=40000")
    monkeypatch.setattr(search, "log_position", unreachable)
    monkeypatch.setattr(search, "database_identity", unreachable)
    assert visit(app, "/estimate?salary=40000").headers["X-Cache"] == "hit"
    assert "X-Cache" not in visit(app, "/estimate?vendor=cached-care").headers


def test_no_answer_is_kept_when_the_cache_is_given_no_memory(tmp_path, scratch_database):
    quiet = make_app(scratch_database, tmp_path / "index", PAGE_CACHE_MEGABYTES=0)
    try:
        with quiet.app_context():
            for _ in range(2):
                assert visit(quiet, "/estimate?salary=41000").headers["X-Cache"] == "miss"
            db.engine.dispose()
    finally:
        pagecache.PAGES.resize(64)


def test_a_page_rendered_by_one_worker_is_a_hit_in_another_sharing_its_folder(shared_app, tmp_path):
    folder = {"PAGE_CACHE_DIR": shared_app.config["PAGE_CACHE_DIR"]}
    database = shared_app.config["SQLALCHEMY_DATABASE_URI"]
    with another_app(database, tmp_path / "index", **folder) as other_worker:
        assert visit(shared_app, "/vendors/cached-care").headers["X-Cache"] == "miss"
        buyer = other_worker.test_client()
        page = buyer.get("/vendors/cached-care")
        assert page.headers["X-Cache"] == "hit"
        assert shortlist_from(buyer, page) == 303


def test_a_kept_page_is_gzip_for_visitors_who_take_it_and_the_same_text_for_those_who_do_not(app, vendor):
    visit(app, "/vendors/cached-care")
    compressed = visit(app, "/vendors/cached-care", **{"Accept-Encoding": "br;q=1, gzip;q=0.5"})
    plain = visit(app, "/vendors/cached-care")
    assert compressed.headers["X-Cache"] == plain.headers["X-Cache"] == "hit"
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert "Content-Encoding" not in plain.headers
    text = gzip.decompress(compressed.get_data()).decode()
    assert int(compressed.headers["Content-Length"]) == len(compressed.get_data())
    assert TOKEN.sub("", text) == TOKEN.sub("", plain.get_data(as_text=True))
    assert TOKEN.search(text)[1] != TOKEN.search(plain.get_data(as_text=True))[1]
    refused = visit(app, "/vendors/cached-care", **{"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and "Cached Care" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    "failure",
    [sqlite3.OperationalError("disk I/O error"), diskcache.Timeout("database timed out")],
    ids=["disk error", "another worker writing"],
)
def test_a_failing_shared_folder_makes_answers_afresh_with_one_warning(
    shared_app, monkeypatch, caplog, failure
):
    app = shared_app
    folder = app.extensions["pagecache"].shared.cache

    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(folder, "get", fail)
    monkeypatch.setattr(folder, "set", fail)
    answers = [visit(app, "/vendors/cached-care") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert {answer.headers["X-Cache"] for answer in answers} == {"miss"}
    assert all("Cached Care" in answer.get_data(as_text=True) for answer in answers)
    warnings = [record for record in caplog.records if "page cache" in record.getMessage()]
    assert len(warnings) == 1 and str(failure) in warnings[0].getMessage()


UNPICKLED = []


def _record_unpickling():
    UNPICKLED.append(True)


class _RunsCodeWhenUnpickled:
    def __reduce__(self):
        return (_record_unpickling, ())


def test_nothing_in_the_shared_folder_is_ever_unpickled(shared_app, caplog):
    """diskcache unpickles a row it says is pickled: the folder's store refuses such rows unread."""
    shared = shared_app.extensions["pagecache"].shared
    with diskcache.Cache(shared.folder) as plain:  # as anyone able to write to the folder could
        plain.set("planted", _RunsCodeWhenUnpickled())
    assert shared.get("planted") is None
    assert UNPICKLED == []
    assert any("was refused" in record.getMessage() for record in caplog.records)


def test_an_entry_the_folder_cannot_read_back_is_a_miss(shared_app):
    visit(shared_app, "/vendors/cached-care")
    shared = shared_app.extensions["pagecache"].shared
    for key in list(shared.cache.iterkeys()):
        shared.cache.set(key, b"\x00\x00\x00\x05{not json")
    as_another_worker(shared_app)
    again = visit(shared_app, "/vendors/cached-care")
    assert again.status_code == 200 and again.headers["X-Cache"] == "miss"


def test_a_worker_keeps_near_copies_of_the_answers_it_used_and_of_those_only(shared_app, monkeypatch):
    first = visit(shared_app, "/vendors/cached-care")
    folder = shared_app.extensions["pagecache"].shared.cache
    reads = []
    monkeypatch.setattr(folder, "get", lambda key, *args, **kwargs: reads.append(key))  # finds nothing
    again = visit(shared_app, "/vendors/cached-care")
    assert again.headers["X-Cache"] == "hit" and reads == [], "the worker's own copy, the folder unread"
    assert shown_alike(again) == shown_alike(first)
    as_another_worker(shared_app)
    assert visit(shared_app, "/vendors/cached-care").headers["X-Cache"] == "miss"
    assert len(reads) == 1
    bound = pagecache.PAGES.usage().bound_bytes
    assert bound == (shared_app.config["PAGE_CACHE_MEGABYTES"] // pagecache.SHARED_TO_NEAR) << 20


def as_another_worker(app) -> None:
    """This process's near copies of the folder's answers forgotten, as in a worker that never read them."""
    pagecache.PAGES.resize(0)
    pagecache.PAGES.resize(app.config["PAGE_CACHE_MEGABYTES"] // pagecache.SHARED_TO_NEAR)


def shown_alike(answer) -> str:
    return TOKEN.sub("", answer.get_data(as_text=True))


@pytest.mark.parametrize("trouble", ["open to others", "a file in its place"])
def test_a_folder_that_is_not_private_or_cannot_be_opened_leaves_each_process_its_own(
    tmp_path, scratch_database, caplog, trouble
):
    folder = tmp_path / "pages"
    if trouble == "open to others":
        folder.mkdir()
        folder.chmod(0o777)
    else:
        folder.write_text("not a folder")
    with app_emptied_after(scratch_database, tmp_path / "index", PAGE_CACHE_DIR=str(folder)) as app:
        assert not hasattr(app.extensions["pagecache"], "shared")
        assert visit(app, "/estimate?salary=42000").headers["X-Cache"] == "miss"
        assert visit(app, "/estimate?salary=42000").headers["X-Cache"] == "hit"
    assert any(str(folder) in record.getMessage() for record in caplog.records)


def test_apps_with_other_settings_sharing_a_folder_do_not_share_answers(shared_app, tmp_path):
    folder = {"PAGE_CACHE_DIR": shared_app.config["PAGE_CACHE_DIR"], "BUYER_COUNTRY": "GB"}
    database = shared_app.config["SQLALCHEMY_DATABASE_URI"]
    with another_app(database, tmp_path / "index", **folder) as elsewhere:
        assert visit(shared_app, "/vendors/cached-care").headers["X-Cache"] == "miss"
        assert visit(elsewhere, "/vendors/cached-care").headers["X-Cache"] == "miss"


ACCEPT_ENCODINGS = [
    "gzip",
    "GZIP",
    "x-gzip",
    "*",
    "gzip;q=0",
    "gzip;q=0, *",
    "*;q=0",
    "br, gzip;q=0.001",
    "identity",
    "deflate, br",
    "gzip;q=abc",
    "",
]


@pytest.mark.parametrize("accept_encoding", [*ACCEPT_ENCODINGS, None])
def test_takes_gzip_says_what_werkzeug_says_of_the_header(app, accept_encoding):
    headers = {} if accept_encoding is None else {"Accept-Encoding": accept_encoding}
    with app.test_request_context("/vendors", headers=headers):
        assert pagecache.takes_gzip() is (request.accept_encodings["gzip"] > 0)


def test_head_is_answered_from_the_cache_with_the_length_get_gets(app, vendor):
    page = visit(app, "/vendors/cached-care")
    head = app.test_client().head("/vendors/cached-care")
    assert head.status_code == 200 and head.headers["X-Cache"] == "hit"
    assert head.get_data() == b""
    assert int(head.headers["Content-Length"]) == len(page.get_data())


def test_a_visitor_whose_token_differs_in_length_still_gets_the_page_with_it(app, vendor, monkeypatch):
    visit(app, "/vendors/cached-care")
    longer = "t" * 200
    monkeypatch.setattr(pagecache, "generate_csrf", lambda: longer)
    monkeypatch.setattr(FirstVisit, "csrf_token", lambda _visit: longer)  # a first visit's
    page = visit(app, "/vendors/cached-care", **{"Accept-Encoding": "gzip"})
    assert page.headers["X-Cache"] == "hit"
    body = page.get_data()
    text = gzip.decompress(body) if page.headers.get("Content-Encoding") == "gzip" else body
    assert TOKEN.search(text.decode())[1] == longer


def test_a_page_holding_a_nul_byte_is_kept_uncompressed_with_each_visitors_token(scratch_database, tmp_path):
    folder = {"PAGE_CACHE_DIR": str(tmp_path / "pages")}
    for settings in ({}, folder):
        with another_app(scratch_database, tmp_path / "index", **settings) as app:
            app.add_url_rule(
                "/nul", "nul", pagecache.cached(catalogue=lambda: False)(lambda: f"a\x00b {csrf_field()}")
            )
            first, second = visit(app, "/nul", **{"Accept-Encoding": "gzip"}), visit(app, "/nul")
            assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
            assert "Content-Encoding" not in first.headers
            tokens = [TOKEN.search(answer.get_data(as_text=True))[1] for answer in (first, second)]
            assert tokens[0] != tokens[1] and pagecache.CSRF_PLACEHOLDER not in tokens


def csrf_field() -> str:
    return f'<input name="csrf_token" value="{pagecache._csrf_token_or_placeholder()}">'


def test_a_page_holding_the_recording_visitors_own_token_is_never_kept(scratch_database, tmp_path):
    own = '<input name="csrf_token" value="{}">'
    with another_app(scratch_database, tmp_path / "index") as app:
        app.add_url_rule(
            "/own", "own", pagecache.cached(catalogue=lambda: False)(lambda: own.format(generate_csrf()))
        )
        answers = [visit(app, "/own") for _ in range(2)]
    assert all("X-Cache" not in answer.headers for answer in answers)
    tokens = [TOKEN.search(answer.get_data(as_text=True))[1] for answer in answers]
    assert tokens[0] != tokens[1]
