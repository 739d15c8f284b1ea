"""A vendor's page rendered once for every buyer country and every address it is asked at, then filled in.

The page differs from one buyer country or address to the next in a few places only: the buyer country in
its links, the chosen option of its "Shore seen from" list, the shore of each delivery centre, the listing
its "All vendors" link returns to, the address its shortlist form comes back to, and the visitor's CSRF
token. The rest (the vendor, its similar vendors, the layout) was nearly all of the time of rendering it.

So the page the page cache keeps for each address (vendors.pagecache) is made from the vendor's Skeleton:
the page rendered with a marker in each of those places, kept beside the answers under what it depends on
(the vendor's address, the catalogue's and the index's positions, today's date, the scheme, host and root
the links are built for), and filled in with the request's values. Only pages the page cache keeps are made
so: a visitor with a shortlist or a message to see gets the page rendered whole, as the admin's preview
does. tests/test_vendorpages.py checks that a filled skeleton is the page rendered whole, byte for byte.
"""

import json
import re
import secrets
import zlib
from dataclasses import dataclass
from datetime import date

from flask import current_app, get_template_attribute, render_template, request
from markupsafe import Markup, escape

from vendors import pagecache
from vendors.catalog.models import ShowableVendor, published_vendor_to_show
from vendors.catalog.rules import SHORES
from vendors.directory import present

# Marks each place while a skeleton is rendered; random per process, so no vendor's text can hold one.
_MARK = f"vendorplace{secrets.token_hex(8)}"
PLACES = ("country", "choices", "delivery", "back", "return", "csrf")
_PLACE = re.compile(f"{_MARK}({'|'.join(PLACES)})")
SKELETON_FORMAT = 1  # of Skeleton.to_bytes, in the keys it is kept under


@dataclass(frozen=True)
class Places:
    """What one request puts in a vendor page's places."""

    buyer_country: str
    back_to_listing: str  # the "All vendors" link
    return_to: str  # where the shortlist form comes back to

    def values(self, delivery_countries: tuple[str, ...] | list[str]) -> dict:
        """The template's values for these places."""
        delivered = present.delivery_countries_of(
            delivery_countries, self.buyer_country, current_app.config["NEARSHORE_MAX_HOURS"]
        )
        return {
            "buyer_country": self.buyer_country,
            "country_choices": present.country_options(self.buyer_country),
            "delivery_items": get_template_attribute("directory/_delivery.html", "delivery_items")(
                delivered, SHORES
            ),
            "back_to_listing": self.back_to_listing,
            "return_to": self.return_to,
        }


def rendered(vendor: ShowableVendor, places: Places) -> str:
    """The page rendered whole."""
    return render_template(
        "directory/vendor.html",
        vendor=vendor,
        stale=present.is_stale(vendor.verified_at),
        **places.values(vendor.delivery_countries),
    )


def kept_or_rendered(slug: str, places: Places) -> str | None:
    """The page of the vendor published at slug, for a page being kept, from the vendor's skeleton (rendered
    and kept when there is none); None when no vendor is published there."""
    key = (
        "vendor skeleton",
        SKELETON_FORMAT,
        slug,
        pagecache.catalogue_position(),
        date.today(),
        request.scheme,
        request.host,
        request.script_root,
    )
    skeleton = pagecache.kept_part(key, Skeleton.from_bytes)
    if skeleton is None:
        vendor = published_vendor_to_show(slug)
        if vendor is None:
            return None
        skeleton = Skeleton.of(vendor)
        pagecache.keep_part(key, skeleton, skeleton.to_bytes())
    return skeleton.filled(places)


@dataclass(frozen=True)
class Skeleton:
    """A vendor page with places to fill in: the text between them, and the name of each."""

    parts: tuple[str, ...]
    places: tuple[str, ...]
    delivery_countries: tuple[str, ...]

    @classmethod
    def of(cls, vendor: ShowableVendor) -> "Skeleton":
        """Rendered while the page is recorded for the page cache, whose CSRF placeholder marks the token."""
        marked = {name: Markup(_MARK + name) for name in PLACES}
        page = render_template(
            "directory/vendor.html",
            vendor=vendor,
            stale=present.is_stale(vendor.verified_at),
            buyer_country=str(marked["country"]),
            country_choices=marked["choices"],
            delivery_items=marked["delivery"],
            back_to_listing=str(marked["back"]),
            return_to=str(marked["return"]),
        )
        pieces = _PLACE.split(page.replace(pagecache.CSRF_PLACEHOLDER, marked["csrf"]))
        return cls(tuple(pieces[0::2]), tuple(pieces[1::2]), tuple(vendor.delivery_countries))

    @property
    def size(self) -> int:
        return sum(map(len, self.parts))

    def filled(self, places: Places) -> str:
        if not places.back_to_listing:  # the page rendered whole would leave its link out (as a preview does)
            raise ValueError("a page made from a skeleton always returns to a listing")
        values = places.values(self.delivery_countries)
        text = {
            "country": places.buyer_country,
            "choices": values["country_choices"],
            "delivery": values["delivery_items"],
            "back": escape(places.back_to_listing),
            "return": escape(places.return_to),
            "csrf": pagecache.CSRF_PLACEHOLDER,
        }
        pieces = [self.parts[0]]
        for place, part in zip(self.places, self.parts[1:], strict=True):
            pieces += (text[place], part)
        return "".join(pieces)

    def to_bytes(self) -> bytes:
        described = {"parts": self.parts, "places": self.places, "delivery": self.delivery_countries}
        return zlib.compress(json.dumps(described).encode())

    @classmethod
    def from_bytes(cls, kept: bytes) -> "Skeleton":
        """What to_bytes wrote; ValueError when kept is not that."""
        try:
            described = json.loads(zlib.decompress(kept))
            skeleton = cls(
                tuple(described["parts"]), tuple(described["places"]), tuple(described["delivery"])
            )
        except (zlib.error, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not a kept vendor page skeleton: {error}") from None
        if len(skeleton.parts) != len(skeleton.places) + 1 or not set(skeleton.places) <= set(PLACES):
            raise ValueError("not a kept vendor page skeleton: its places do not match its parts")
        return skeleton
