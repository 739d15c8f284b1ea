"""Vendor pages made from the vendor's skeleton (vendors.directory.vendorpages): the page rendered whole, byte
for byte, whatever the buyer country, the listing it returns to and the address it was asked at; one
skeleton for all of them, shared by the workers, made afresh after an edit."""

import zlib

import pytest
from flask import g
from sqlalchemy import select

from tests.factories import add_vendors, update_vendor, vendor_record
from tests.test_pagecache import (  # noqa: F401  (app: the page cache's, in memory and in a shared folder)
    TOKEN,
    another_app,
    app,
    as_another_worker,
    sharing_a_folder,
    visit,
)
from vendors import pagecache
from vendors.catalog.models import Vendor, published_vendor_to_show
from vendors.directory import vendorpages, views
from vendors.directory.vendorpages import Places, Skeleton
from vendors.extensions import db

COUNTRIES = ("US", "GB", "IN", "MX")
# Returning to a listing whose address needs escaping, and asked at an address that does too.
PLACES_OF_EACH_KIND = [
    lambda country: Places(
        country, f"/vendors?buyer_country={country}", f"/vendors/x?buyer_country={country}"
    ),
    lambda country: Places(country, '/vendors?q=a&b="c"<d>&buyer_country=' + country, "/vendors/x?a=1&b='2'"),
    lambda country: Places(country, "/vendors?q=caf%C3%A9+%E2%80%9Cx%E2%80%9D&page=2", "/vendors/x"),
]


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
                    assert skeleton.filled(places) == vendorpages.rendered(vendor, places), (slug, places)


PUBLISHED_SLUGS = select(Vendor.slug).where(Vendor.status == "published").order_by(Vendor.slug)


@pytest.fixture
def vendors(app):  # noqa: F811  (the page cache's app, in memory and in a shared folder)
    return add_vendors(
        vendor_record(name="Skeleton Care", slug="skeleton-care", delivery_countries=["US", "MX", "PH"]),
        vendor_record(name="Other Care", slug="other-care", delivery_countries=["MX"]),
    )


def test_one_skeleton_makes_the_page_for_every_buyer_country_as_the_page_rendered_whole(
    app,  # noqa: F811
    vendors,
    monkeypatch,
):
    visit(app, "/vendors/skeleton-care?buyer_country=US")
    made_from_the_skeleton = {}
    with monkeypatch.context() as unread:
        unread.setattr(vendorpages, "published_vendor_to_show", _never_read)
        for country in ("GB", "MX", "PH"):
            answer = visit(app, f"/vendors/skeleton-care?buyer_country={country}&utm=a%26b")
            assert answer.headers["X-Cache"] == "miss"
            made_from_the_skeleton[country] = answer
    for country, answer in made_from_the_skeleton.items():
        with app.test_request_context(f"/vendors/skeleton-care?buyer_country={country}&utm=a%26b"):
            whole = views.vendor_page.__wrapped__("skeleton-care")  # the view, not recording for the cache
        assert _without_token(answer) == _without_token(whole)
        assert f'value="{country}" selected' in _without_token(answer)
    assert 'class="badge shore-onshore">Onshore</span>' in _without_token(made_from_the_skeleton["MX"])
    assert "buyer_country=US" not in _without_token(made_from_the_skeleton["GB"])


def _never_read(slug):
    raise AssertionError(f"the vendor {slug} was read, though its skeleton was kept")


def _without_token(answer) -> str:
    return TOKEN.sub("", answer.get_data(as_text=True))


def test_an_edit_makes_the_skeleton_afresh(app, vendors):  # noqa: F811
    visit(app, "/vendors/skeleton-care?buyer_country=US")
    update_vendor(vendors[0].id, name="Renamed Care")
    page = visit(app, "/vendors/skeleton-care?buyer_country=GB").get_data(as_text=True)
    assert "Renamed Care" in page and "Skeleton Care" not in page


def test_a_skeleton_made_by_one_worker_makes_pages_in_another_sharing_its_folder(
    scratch_database, tmp_path, monkeypatch
):
    with sharing_a_folder(scratch_database, tmp_path) as app:  # noqa: F811
        add_vendors(vendor_record(name="Skeleton Care", slug="skeleton-care"))
        visit(app, "/vendors/skeleton-care?buyer_country=US")
        as_another_worker(app)
        folder = {"PAGE_CACHE_DIR": app.config["PAGE_CACHE_DIR"]}
        database = app.config["SQLALCHEMY_DATABASE_URI"]
        with another_app(database, tmp_path / "index", **folder) as other_worker:
            monkeypatch.setattr(vendorpages, "published_vendor_to_show", _never_read)
            page = other_worker.test_client().get("/vendors/skeleton-care?buyer_country=GB")
    assert page.status_code == 200 and "Skeleton Care" in page.get_data(as_text=True)
    assert 'value="GB" selected' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "kept",
    [b"", b"not zlib", zlib.compress(b'{"parts": ["a", "b"], "places": [], "delivery": []}')],
    ids=["empty", "not compressed", "places and parts apart"],
)
def test_a_kept_skeleton_that_is_not_one_is_refused(kept):
    with pytest.raises(ValueError, match="not a kept vendor page skeleton"):
        Skeleton.from_bytes(kept)


def test_a_skeleton_reads_back_as_it_was_kept(seeded_app):
    with seeded_app.test_request_context("/vendors/any"):
        g.recording_page = True
        vendor = published_vendor_to_show(db.session.scalars(PUBLISHED_SLUGS).first())
        skeleton = Skeleton.of(vendor)
    assert Skeleton.from_bytes(skeleton.to_bytes()) == skeleton
    assert skeleton.size == sum(len(part) for part in skeleton.parts) > 0
    assert pagecache.CSRF_PLACEHOLDER not in "".join(skeleton.parts), "the token is a place of its own"
    with pytest.raises(ValueError, match="returns to a listing"):
        skeleton.filled(Places("US", back_to_listing="", return_to="/vendors/x"))
