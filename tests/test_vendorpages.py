"""Vendor pages made from the vendor's skeleton (vendors.directory.vendorpages), rendered ahead for every
published vendor (vendors.directory.renderahead): the page rendered whole, byte for byte, whatever the buyer
country, the listing it returns to and the address it was asked at; answered before the request hooks as
the usual way answers, kept, and never made from a skeleton once the catalogue has moved on."""

import gzip
import json
import struct
from dataclasses import replace
from datetime import date, timedelta

import pytest
from flask import g
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tests.conftest import app_emptied_after
from tests.factories import add_vendors, update_vendor, vendor_record
from tests.test_frontdoor import GZIP, comparable
from tests.test_pagecache import TOKEN, another_app, sharing_a_folder, visit
from vendors import pagecache
from vendors.catalog.models import Vendor, published_vendor_to_show
from vendors.directory import renderahead, vendorpages, views
from vendors.directory.vendorpages import Places, Skeleton
from vendors.extensions import db
from vendors.splicedgzip import Compressed

COUNTRIES = ("US", "GB", "IN", "MX")
# Returning to a listing whose address needs escaping, and asked at an address that does too.
PLACES_OF_EACH_KIND = [
    lambda country: Places(
        country, f"/vendors?buyer_country={country}", f"/vendors/x?buyer_country={country}"
    ),
    lambda country: Places(country, '/vendors?q=a&b="c"<d>&buyer_country=' + country, "/vendors/x?a=1&b='2'"),
    lambda country: Places(country, "/vendors?q=caf%C3%A9+%E2%80%9Cx%E2%80%9D&page=2", "/vendors/x"),
]
A_TOKEN = "t" * 91
PUBLISHED_SLUGS = select(Vendor.slug).where(Vendor.status == "published").order_by(Vendor.slug)


def test_a_filled_skeleton_is_the_page_rendered_whole_for_every_sample_vendor(seeded_app):
    with seeded_app.test_request_context("/vendors/any"):
        g.recording_page = True  # as the page cache records it, the token a placeholder in both
        slugs = list(db.session.scalars(PUBLISHED_SLUGS))
        assert len(slugs) >= 20
        for slug in slugs:
            vendor = published_vendor_to_show(slug)
            skeleton = Skeleton.of(vendor)
            assert set(skeleton.places) == set(vendorpages.PLACES), "a place the page never fills"
            for country in COUNTRIES:
                for places_of in PLACES_OF_EACH_KIND:
                    places = places_of(country)
                    whole = vendorpages.rendered(vendor, places)
                    assert skeleton.filled(places) == whole, (slug, places)
                    compressed = skeleton.compressed(places, len(A_TOKEN)).gzip(A_TOKEN.encode())
                    with_token = whole.replace(pagecache.CSRF_PLACEHOLDER, A_TOKEN)
                    assert gzip.decompress(compressed).decode() == with_token, (slug, places)


@pytest.fixture
def shared_app(scratch_database, tmp_path):
    """An app whose page cache is in a folder, as the server's workers share one, with three vendors: two
    published, one a draft."""
    with sharing_a_folder(scratch_database, tmp_path) as app:
        add_vendors(
            vendor_record(name="Skeleton Care", slug="skeleton-care", delivery_countries=["US", "MX", "PH"]),
            vendor_record(name="Other Care", slug="other-care", delivery_countries=["MX"]),
            vendor_record(name="Draft Care", slug="draft-care", status="draft"),
        )
        yield app


@pytest.fixture
def unread(monkeypatch):
    """Vendors may not be read for their pages: those must come from the kept skeletons."""

    def never_read(slug):
        raise AssertionError(f"the vendor {slug} was read, though its skeleton was kept")

    monkeypatch.setattr(views, "published_vendor_to_show", never_read)


def test_every_published_vendor_is_rendered_ahead_and_its_progress_told(shared_app):
    finished = renderahead.render_pass(shared_app)

    assert (finished.rendered, finished.published, finished.complete) == (2, 2, True)
    with shared_app.test_request_context("/healthz"):
        assert renderahead.progress() == {"rendered": 2, "published": 2}
    health = shared_app.test_client().get("/healthz").get_json()
    assert health["vendor_pages_rendered_ahead"] == {"rendered": 2, "published": 2}
    assert visit(shared_app, "/vendors/draft-care", **GZIP).status_code == 404


def test_a_page_rendered_ahead_is_made_from_its_skeleton_then_kept(shared_app, unread):
    renderahead.render_pass(shared_app)

    for country in ("GB", "MX", "PH"):
        made = visit(shared_app, f"/vendors/skeleton-care?buyer_country={country}&utm=a%26b", **GZIP)
        assert made.status_code == 200 and made.headers["X-Cache"] == "made"
        text = gzip.decompress(made.get_data()).decode()
        assert f'value="{country}" selected' in text and "Skeleton Care" in text
        again = visit(shared_app, f"/vendors/skeleton-care?buyer_country={country}&utm=a%26b", **GZIP)
        assert again.headers["X-Cache"] == "hit"
        assert TOKEN.sub("", gzip.decompress(again.get_data()).decode()) == TOKEN.sub("", text)


@pytest.mark.parametrize("returning", [False, True], ids=["first-time visitor", "returning visitor"])
@pytest.mark.parametrize(
    "address",
    [
        "/vendors/skeleton-care?buyer_country=MX",
        "/vendors/skeleton-care?buyer_country=zz&back=/vendors%3Fq%3D%22care%22%26buyer_country%3DGB",
        "/vendors/other-care",
    ],
)
def test_a_made_page_is_the_answer_the_usual_way_gives(
    shared_app, scratch_database, tmp_path, address, returning
):
    renderahead.render_pass(shared_app)
    with app_emptied_after(scratch_database, tmp_path / "index-usual") as usual_app:
        usual_app.after_request(lambda response: response)  # a hook the front door does not know
        made, usual = (_asked(app, address, returning) for app in (shared_app, usual_app))

        assert (made.headers["X-Cache"], usual.headers["X-Cache"]) == ("made", "miss")
        assert _as_sent_alike(comparable(made)) == _as_sent_alike(comparable(usual))
        # Its parts are compressed each on its own, so a little less well than the page whole.
        assert len(usual.get_data()) < len(made.get_data()) < 1.5 * len(usual.get_data())
        token = TOKEN.search(gzip.decompress(made.get_data()).decode())[1]
        assert len(token) == len(TOKEN.search(gzip.decompress(usual.get_data()).decode())[1])


def _asked(app, address: str, returning: bool):
    visitor = app.test_client()
    if returning:
        visitor.get("/vendors?per_page=1")  # its forms' token starts a session
    return visitor.get(address, headers=GZIP)


def _as_sent_alike(compared):
    """All but where the answer came from and its compressed length."""
    status, headers, cookies, text = compared
    return (
        status,
        [header for header in headers if header[0] not in ("X-Cache", "Content-Length")],
        cookies,
        text,
    )


def test_the_token_of_a_made_page_is_accepted_by_its_form(shared_app):
    renderahead.render_pass(shared_app)
    buyer = shared_app.test_client()
    page = buyer.get("/vendors/skeleton-care", headers=GZIP)
    assert page.headers["X-Cache"] == "made"
    token = TOKEN.search(gzip.decompress(page.get_data()).decode())[1]
    added = buyer.post("/shortlist/add", data={"csrf_token": token, "vendor": "skeleton-care"})
    assert added.status_code == 303


def test_after_an_edit_no_skeleton_is_used_until_the_next_pass(shared_app):
    (skeleton_care,) = db.session.scalars(select(Vendor).where(Vendor.slug == "skeleton-care"))
    renderahead.render_pass(shared_app)
    update_vendor(skeleton_care.id, name="Renamed Care")

    page = visit(shared_app, "/vendors/skeleton-care?buyer_country=GB", **GZIP)
    assert page.headers["X-Cache"] == "miss"
    assert "Renamed Care" in gzip.decompress(page.get_data()).decode()
    with shared_app.test_request_context("/healthz"):
        assert renderahead.progress() is None, (
            "the progress of a pass for where the catalogue no longer stands"
        )

    renderahead.render_pass(shared_app)
    page = visit(shared_app, "/vendors/skeleton-care?buyer_country=MX", **GZIP)
    assert page.headers["X-Cache"] == "made"
    assert "Renamed Care" in gzip.decompress(page.get_data()).decode()


def test_a_pass_that_sees_the_catalogue_move_on_stops_and_says_so(shared_app, monkeypatch):
    monkeypatch.setattr(renderahead, "BATCH", 1)
    (other_care,) = db.session.scalars(select(Vendor).where(Vendor.slug == "other-care"))

    finished = renderahead.render_pass(
        shared_app, lambda count: update_vendor(other_care.id, tagline="Moved")
    )

    assert (finished.rendered, finished.complete) == (1, False)


def test_a_visitor_answered_afresh_gets_the_page_rendered_whole(shared_app):
    renderahead.render_pass(shared_app)
    buyer = shared_app.test_client()
    page = buyer.get("/vendors/skeleton-care", headers=GZIP)
    token = TOKEN.search(gzip.decompress(page.get_data()).decode())[1]
    buyer.post("/shortlist/add", data={"csrf_token": token, "vendor": "other-care"})

    own = buyer.get("/vendors/skeleton-care")
    assert "X-Cache" not in own.headers
    assert 'class="count-badge" data-shortlist-count>1<' in own.get_data(as_text=True)


def test_a_skeleton_rendered_by_one_process_makes_pages_in_another_sharing_its_folder(
    shared_app, tmp_path, unread
):
    renderahead.render_pass(shared_app)
    folder = {"PAGE_CACHE_DIR": shared_app.config["PAGE_CACHE_DIR"]}
    database = shared_app.config["SQLALCHEMY_DATABASE_URI"]
    with another_app(database, tmp_path / "index", **folder) as other_worker:
        page = other_worker.test_client().get("/vendors/skeleton-care?buyer_country=GB", headers=GZIP)
    assert page.headers["X-Cache"] == "made"
    assert 'value="GB" selected' in gzip.decompress(page.get_data()).decode()


def test_rendering_ahead_needs_a_shared_folder(app):
    refused = app.test_cli_runner().invoke(args=["pages", "render-ahead"])
    assert refused.exit_code != 0 and "PAGE_CACHE_DIR names no folder" in refused.output


def test_rendering_ahead_says_what_it_did(shared_app, monkeypatch):
    monkeypatch.setattr(renderahead.os, "nice", lambda increment: None)  # this process goes on testing
    rendered = shared_app.test_cli_runner().invoke(args=["pages", "render-ahead"])
    assert rendered.exit_code == 0, rendered.output
    assert rendered.output.splitlines()[-1].startswith("Rendered ahead the pages of 2 published vendors")


def _kept(places=("csrf",), described_parts=None, parts=(b"<p>", b"</p>")) -> bytes:
    compressed = [Compressed.on_its_own(part) for part in parts]
    described = {
        "places": list(places),
        "delivery": [],
        "parts": described_parts or [[part.length, part.crc, len(part.deflated)] for part in compressed],
    }
    encoded = json.dumps(described).encode()
    return struct.pack(">I", len(encoded)) + encoded + b"".join(part.deflated for part in compressed)


@pytest.mark.parametrize(
    "kept",
    [
        b"",
        b"\x00\x00\x00\x05{not}",
        _kept(places=()),
        _kept(places=("unknown",)),
        _kept(described_parts=[[3, 0, 1], [4, 0, 1]]),
        _kept(described_parts=[[3, 0], [4, 0]]),
        _kept()[:-3],
    ],
    ids=["empty", "not described", "places and parts apart", "unknown place", "sizes", "parts", "cut short"],
)
def test_a_kept_skeleton_that_is_not_one_is_refused(kept):
    with pytest.raises(ValueError, match="not a kept vendor page skeleton"):
        Skeleton.from_bytes(kept)


def test_a_skeleton_reads_back_as_it_was_kept(seeded_app):
    with seeded_app.test_request_context("/vendors/any"):
        kept = Skeleton.from_bytes(_kept()).filled(Places("US", "/vendors", "/vendors/x"))
        assert kept == "<p>" + pagecache.CSRF_PLACEHOLDER + "</p>"
        g.recording_page = True
        vendor = published_vendor_to_show(db.session.scalars(PUBLISHED_SLUGS).first())
        skeleton = Skeleton.of(vendor)
        assert Skeleton.from_bytes(skeleton.to_bytes()) == skeleton
        page = skeleton.filled(Places("US", "/v", "/v"))
        assert page.count(pagecache.CSRF_PLACEHOLDER) == 1, "the token is a place of its own"
        with pytest.raises(ValueError, match="returns to a listing"):
            skeleton.filled(Places("US", back_to_listing="", return_to="/vendors/x"))


def test_a_visitor_who_takes_no_gzip_gets_the_page_made_from_its_skeleton_as_text(shared_app, unread):
    renderahead.render_pass(shared_app)
    page = visit(shared_app, "/vendors/skeleton-care?buyer_country=MX")
    assert page.status_code == 200 and "Content-Encoding" not in page.headers
    text = page.get_data(as_text=True)
    assert 'value="MX" selected' in text and 'class="badge shore-onshore">Onshore</span>' in text
    assert TOKEN.search(text) is not None


def test_skeletons_are_kept_apart_from_the_pages_stored_after_them(shared_app):
    renderahead.render_pass(shared_app)
    kept = shared_app.extensions["pagecache"]
    assert len(kept.parts.cache) == 3  # two skeletons and the pass's progress
    assert len(kept.shared.cache) == 0


def test_a_new_day_is_rendered_again_when_followed(shared_app, monkeypatch):
    first = renderahead.render_pass(shared_app).standing
    assert renderahead._caught_up(shared_app, first) == first, "nothing moved: nothing rendered again"

    class Tomorrow(date):
        @classmethod
        def today(cls):
            return first.day + timedelta(days=1)

    monkeypatch.setattr(renderahead, "date", Tomorrow)
    monkeypatch.setattr(vendorpages, "date", Tomorrow)
    following = renderahead._caught_up(shared_app, first)

    assert following.day == first.day + timedelta(days=1)
    assert visit(shared_app, "/vendors/other-care", **GZIP).headers["X-Cache"] == "made"


def test_following_waits_for_a_database_that_cannot_be_read(shared_app, monkeypatch, caplog):
    standing = renderahead.render_pass(shared_app).standing

    def unreadable(*_args):
        raise OperationalError("SELECT 1", {}, Exception("database is down"))

    monkeypatch.setattr(renderahead.Standing, "now", classmethod(unreadable))
    monkeypatch.setattr(renderahead.WARNINGS, "warned_at", {})  # as if no warning had been given this minute
    assert renderahead._caught_up(shared_app, standing) is standing
    assert renderahead._caught_up(shared_app, None) is None
    assert "rendering vendor pages ahead waits for the database" in caplog.text


def test_a_pass_overtaken_by_an_edit_starts_again_until_one_completes(shared_app, monkeypatch):
    monkeypatch.setattr(renderahead.os, "nice", lambda increment: None)
    passes = []
    render_pass = renderahead.render_pass

    def overtaken_once(app, rendered):
        finished = render_pass(app, rendered)
        passes.append(finished)
        return replace(finished, complete=len(passes) > 1)

    monkeypatch.setattr(renderahead, "render_pass", overtaken_once)
    rendered = shared_app.test_cli_runner().invoke(args=["pages", "render-ahead"])

    assert len(passes) == 2
    assert "The catalogue changed meanwhile: starting again" in rendered.output
