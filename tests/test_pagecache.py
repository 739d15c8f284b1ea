"""Whole answers kept (vendors.pagecache), in the process's memory and in a folder shared by processes: a
repeated address is answered from the cache, with each visitor's own CSRF token, gzip-compressed for those
who take it, and an edit, another day, another cookie, host or search index state makes exactly the answers
it could change unreachable. Visitors with a shortlist or a message are answered afresh."""

import gzip
import re
import sqlite3
from contextlib import contextmanager
from datetime import date, timedelta

import pytest

from tests.conftest import app_emptied_after, make_app
from tests.factories import add_vendors, update_vendor, vendor_record
from vendors import pagecache, search
from vendors.extensions import db

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(params=["memory", "shared folder"])
def app(request, scratch_database, tmp_path):
    """Every test here runs with answers kept in the process's memory, and in a folder (as gunicorn's
    workers share one)."""
    if request.param == "memory":
        with app_emptied_after(scratch_database, tmp_path / "index") as app:
            yield app
    else:
        with _sharing_a_folder(scratch_database, tmp_path) as app:
            yield app


@pytest.fixture
def shared_app(scratch_database, tmp_path):
    with _sharing_a_folder(scratch_database, tmp_path) as app:
        add_vendors(vendor_record(name="Cached Care", slug="cached-care"))
        yield app


@contextmanager
def _sharing_a_folder(scratch_database, tmp_path):
    with app_emptied_after(
        scratch_database, tmp_path / "index", PAGE_CACHE_DIR=str(tmp_path / "pages")
    ) as app:
        yield app
        app.extensions["pagecache"].pages.close()


@pytest.fixture
def vendor(app):
    (added,) = add_vendors(vendor_record(name="Cached Care", slug="cached-care"))
    return added


def visit(app, path: str, **headers):
    """A first-time visitor (no cookies) asking for path."""
    return app.test_client().get(path, headers=headers)


def test_a_repeated_address_is_a_hit_with_the_same_page_and_each_visitors_own_token(app, vendor):
    first, second = visit(app, "/vendors/cached-care"), visit(app, "/vendors/cached-care")
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    first_token = TOKEN.search(first.get_data(as_text=True))[1]
    second_token = TOKEN.search(second.get_data(as_text=True))[1]
    assert first_token != second_token
    assert TOKEN.sub("", first.get_data(as_text=True)) == TOKEN.sub("", second.get_data(as_text=True))
    assert pagecache.CSRF_PLACEHOLDER not in second.get_data(as_text=True)


def test_the_token_on_a_page_from_the_cache_is_accepted_by_the_form_it_belongs_to(app, vendor):
    visit(app, "/vendors/cached-care")
    buyer = app.test_client()
    page = buyer.get("/vendors/cached-care")
    assert page.headers["X-Cache"] == "hit"
    token = TOKEN.search(page.get_data(as_text=True))[1]
    added = buyer.post("/shortlist/add", data={"csrf_token": token, "vendor": "cached-care"})
    assert added.status_code == 303
    assert "Cached Care" in buyer.get("/shortlist").get_data(as_text=True)


def test_a_visitor_with_a_shortlist_sees_their_own_page_not_the_kept_one(app, vendor):
    visit(app, "/vendors/cached-care")
    buyer = app.test_client()
    token = TOKEN.search(buyer.get("/vendors/cached-care").get_data(as_text=True))[1]
    buyer.post("/shortlist/add", data={"csrf_token": token, "vendor": "cached-care"})
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


def test_another_day_another_cookie_or_another_host_is_another_answer(app, vendor, monkeypatch):
    visit(app, "/vendors/cached-care")
    from_britain = app.test_client()
    from_britain.set_cookie("buyer_country", "GB")
    assert from_britain.get("/vendors/cached-care").headers["X-Cache"] == "miss"
    other_host = app.test_client().get("/api/v1/vendors/cached-care", base_url="http://other.example")
    assert other_host.headers["X-Cache"] == "miss"
    assert other_host.get_json()["url"].startswith("http://other.example/")

    class Tomorrow(date):
        @classmethod
        def today(cls):
            return date.today() + timedelta(days=1)

    monkeypatch.setattr(pagecache, "date", Tomorrow)
    assert visit(app, "/vendors/cached-care").headers["X-Cache"] == "miss"


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
    app = shared_app
    folder = {"PAGE_CACHE_DIR": app.config["PAGE_CACHE_DIR"]}
    other_worker = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "index", **folder)
    try:
        assert visit(app, "/vendors/cached-care").headers["X-Cache"] == "miss"
        buyer = other_worker.test_client()
        page = buyer.get("/vendors/cached-care")
        assert page.headers["X-Cache"] == "hit"
        token = TOKEN.search(page.get_data(as_text=True))[1]
        added = buyer.post("/shortlist/add", data={"csrf_token": token, "vendor": "cached-care"})
        assert added.status_code == 303
    finally:
        other_worker.extensions["pagecache"].pages.close()
        with other_worker.app_context():
            db.engine.dispose()


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


def test_a_failing_shared_folder_makes_answers_afresh_with_one_warning(shared_app, monkeypatch, caplog):
    app = shared_app
    pages = app.extensions["pagecache"].pages

    def disk_error(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(pages, "get", disk_error)
    monkeypatch.setattr(pages, "set", disk_error)
    answers = [visit(app, "/vendors/cached-care") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert {answer.headers["X-Cache"] for answer in answers} == {"miss"}
    assert all("Cached Care" in answer.get_data(as_text=True) for answer in answers)
    warnings = [record for record in caplog.records if "page cache" in record.getMessage()]
    assert len(warnings) == 1 and "disk I/O error" in warnings[0].getMessage()
