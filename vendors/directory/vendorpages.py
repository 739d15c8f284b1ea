"""A vendor's page rendered once, ahead of any visit, for every buyer country and every address it is asked
at, then put together for each.

The page differs from one buyer country or address to the next in a few places only: the buyer country in
its links, the chosen option of its "Shore seen from" list, the shore of each delivery centre, the listing
its "All vendors" link returns to, the address its shortlist form comes back to, and the visitor's CSRF
token. The rest (the vendor, its similar vendors, the layout) was nearly all of the time of rendering it.

So the vendor's Skeleton, the page rendered with a marker in each of those places, is kept beside the
answers (vendors.pagecache.keep_part) under what it depends on (skeleton_key), rendered ahead for every
published vendor (vendors.directory.renderahead). Its parts are kept compressed, each on its own, with their
lengths and CRC-32s (vendors.splicedgzip.Compressed): a page not yet kept is put together, compressed, from
them and the places' text, without rendering, compressing or reading anything again, and answered before
the request hooks (the view's made_early). Only pages the page cache keeps are made so: a visitor with a
shortlist or a message to see gets the page rendered whole, as the admin's preview does.
tests/test_vendorpages.py checks that a filled skeleton is the page rendered whole, byte for byte.
"""

import functools
import itertools
import json
import re
import secrets
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app, get_template_attribute, render_template, request
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError

from vendors import pagecache
from vendors.catalog.models import ShowableVendor
from vendors.catalog.rules import SHORES
from vendors.directory import present
from vendors.reference.countries import COUNTRIES
from vendors.splicedgzip import Compressed, SplicedGzip

# Marks each place while a skeleton is rendered; random per process, so no vendor's text can hold one.
_MARK = f"vendorplace{secrets.token_hex(8)}"
PLACES = ("country", "choices", "delivery", "back", "return", "csrf")
_PLACE = re.compile(f"{_MARK}({'|'.join(PLACES)})")
SKELETON_FORMAT = 3  # of Skeleton.to_bytes, in the keys it is kept under


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


def from_kept_skeleton(slug: str, places: Places) -> str | None:
    """The page of the vendor published at slug, made from its kept skeleton, for a page being kept (its token
    the page cache's placeholder); None when no skeleton is kept for where the catalogue stands now (the page
    is then rendered whole)."""
    skeleton = _kept_skeleton(slug)
    return skeleton.filled(places) if skeleton is not None else None


def compressed_from_kept_skeleton(slug: str, places: Places) -> Callable[[int], SplicedGzip] | None:
    """The page of the vendor published at slug as compressed(n) makes it with places for CSRF tokens of n
    bytes, from its kept skeleton, without compressing anything again; None when no skeleton is kept for
    where the catalogue stands now."""
    skeleton = _kept_skeleton(slug)
    return functools.partial(skeleton.compressed, places) if skeleton is not None else None


def _kept_skeleton(slug: str) -> "Skeleton | None":
    try:
        position = pagecache.catalogue_position()
    except SQLAlchemyError:
        return None
    key = skeleton_key(slug, position, date.today(), request.script_root)
    return pagecache.kept_part(key, Skeleton.from_bytes)


def skeleton_key(slug: str, catalogue_position: tuple, day: date, script_root: str) -> tuple:
    """What a vendor's skeleton depends on: the catalogue's and the index's positions (an edit may change
    any vendor's similar vendors), the date (pages say how long ago a vendor was verified) and the root its
    links start with. Its links name no host or scheme, so one skeleton serves every address of the site."""
    return ("vendor skeleton", SKELETON_FORMAT, slug, catalogue_position, day, script_root)


@dataclass(frozen=True)
class Skeleton:
    """A vendor page with places to fill in: the text between them, each part compressed on its own (so that
    a page is compressed by putting pieces together), and the name of each place."""

    parts: tuple[Compressed, ...]
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
        parts = tuple(Compressed.on_its_own(part.encode()) for part in pieces[0::2])
        return cls(parts, tuple(pieces[1::2]), tuple(vendor.delivery_countries))

    @property
    def size(self) -> int:
        return sum(len(part.deflated) for part in self.parts)

    def filled(self, places: Places) -> str:
        """The page with these places, its token the page cache's placeholder: its parts read back."""
        text = self._texts(places)
        whole = zlib.decompressobj(wbits=-15).decompress(b"".join(part.deflated for part in self.parts))
        ends = itertools.accumulate(part.length for part in self.parts)
        parts = [whole[start:end].decode() for start, end in itertools.pairwise([0, *ends])]
        pieces = [parts[0]]
        for place, part in zip(self.places, parts[1:], strict=True):
            pieces += (text[place], part)
        return "".join(pieces)

    def compressed(self, places: Places, token_length: int) -> SplicedGzip:
        """The page with these places, compressed with a place for a CSRF token of token_length bytes where
        its token goes: its compressed parts put together with the places' text, stored as it is (but the
        list of countries, compressed once per country). Nothing of the parts is read."""
        text = self._texts(places)
        between_tokens = [[self.parts[0]]]
        for place, part in zip(self.places, self.parts[1:], strict=True):
            if place == "csrf":
                between_tokens.append([])
            elif place == "choices":
                between_tokens[-1].append(_compressed_choices(places.buyer_country))
            else:
                between_tokens[-1].append(Compressed.stored(text[place].encode()))
            between_tokens[-1].append(part)
        return SplicedGzip.of_pieces(between_tokens, token_length)

    def _texts(self, places: Places) -> dict[str, str]:
        """The text of each place, the token's the page cache's placeholder."""
        if not places.back_to_listing:  # the page rendered whole would leave its link out (as a preview does)
            raise ValueError("a page made from a skeleton always returns to a listing")
        values = places.values(self.delivery_countries)
        return {
            "country": places.buyer_country,
            "choices": values["country_choices"],
            "delivery": values["delivery_items"],
            "back": escape(places.back_to_listing),
            "return": escape(places.return_to),
            "csrf": pagecache.CSRF_PLACEHOLDER,
        }

    def to_bytes(self) -> bytes:
        """The skeleton as bytes to keep outside this process; from_bytes reads it back."""
        described = {
            "places": self.places,
            "delivery": self.delivery_countries,
            "parts": [[part.length, part.crc, len(part.deflated)] for part in self.parts],
        }
        encoded = json.dumps(described).encode()
        return b"".join([struct.pack(">I", len(encoded)), encoded, *(part.deflated for part in self.parts)])

    @classmethod
    def from_bytes(cls, kept: bytes) -> "Skeleton":
        """What to_bytes wrote; ValueError when kept is not that."""
        try:
            (described_length,) = struct.unpack_from(">I", kept)
            described = json.loads(kept[4 : 4 + described_length])
            at, parts = 4 + described_length, []
            for length, crc, size in described["parts"]:
                parts.append(Compressed(length, crc, kept[at : at + size]))
                at += size
            skeleton = cls(tuple(parts), tuple(described["places"]), tuple(described["delivery"]))
        except (struct.error, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not a kept vendor page skeleton: {error}") from None
        if at != len(kept):
            raise ValueError("not a kept vendor page skeleton: its parts do not add up to its length")
        if len(skeleton.parts) != len(skeleton.places) + 1 or not set(skeleton.places) <= set(PLACES):
            raise ValueError("not a kept vendor page skeleton: its places do not match its parts")
        return skeleton


@functools.lru_cache(maxsize=2 * len(COUNTRIES))
def _compressed_choices(buyer_country: str) -> Compressed:
    return Compressed.on_its_own(str(present.country_options(buyer_country)).encode())
