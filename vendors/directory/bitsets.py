"""The listing's filters, facet counts and sort orders as per-process bitsets.

Every attribute value is a Python int used as a bitset over vendor ids (bit i set = vendor i has the value),
so a filter is an AND, a facet count is AND then int.bit_count(), and a search's text match is one more
bitset: no IN lists of thousands of ids handed back to SQL, however large the catalogue or the match. The
sort orders come from the database itself, so ties and collation are the database's.

The bitsets are read from the database once per process and kept in step with the search change log: the
last change applied is compared on every listing (one indexed query) and only changed vendors are re-read.
"""

import logging
import os
import pickle
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, String, cast, func, select

from vendors import search
from vendors.catalog import changelog
from vendors.catalog.models import Vendor, VendorFacetValue
from vendors.catalog.rules import RATE_BANDS, SIZE_BANDS
from vendors.extensions import db
from vendors.search import registry

log = logging.getLogger(__name__)

# Past this many changed vendors, reload everything rather than patch.
RELOAD_AFTER_CHANGES = 2_000


@dataclass
class Catalogue:
    """Published vendors as bitsets, as of one position of the change log."""

    position: tuple
    values: dict[str, dict[str, int]] = field(default_factory=dict)  # facet -> value -> vendors
    rates: dict[int, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)
    published: int = 0
    orders: dict[str, list[int]] = field(default_factory=dict)  # sort -> published ids, computed on use
    rate_filters: dict[tuple, int] = field(default_factory=dict)

    def having(self, facet: str, values) -> int:
        """Vendors with any of values (OR within a facet)."""
        bits, by_value = 0, self.values.get(facet, {})
        for value in values:
            bits |= by_value.get(value, 0)
        return bits

    def value_counts(self, facet: str, within: int) -> dict[str, int]:
        counts = {}
        for value, bits in self.values.get(facet, {}).items():
            count = (bits & within).bit_count()
            if count:
                counts[value] = count
        return counts

    def within_rates(self, rate_min: Decimal | None, rate_max: Decimal | None) -> int:
        """Vendors whose disclosed rate range overlaps [rate_min, rate_max] (never an undisclosed one)."""
        key = (rate_min, rate_max)
        if key not in self.rate_filters:
            ids = [
                vendor_id
                for vendor_id, (low, high) in self.rates.items()
                if (rate_min is None or (high is not None and high >= rate_min))
                and (rate_max is None or (low is not None and low <= rate_max))
            ]
            if len(self.rate_filters) > 32:
                self.rate_filters.clear()
            self.rate_filters[key] = bits_of(ids)
        return self.rate_filters[key]


_catalogues: dict[str, Catalogue] = {}
_lock = threading.Lock()


def current() -> Catalogue:
    """This process's catalogue for the app's database, brought up to the change log's last entry."""
    url = db.engine.url.render_as_string(hide_password=False)
    position = search.log_position()
    cached = _catalogues.get(url)
    if cached is not None and cached.position == position:
        return cached
    with db.engine.connect() as connection, _lock:
        cached = _catalogues.get(url)
        if cached is None or cached.position != position:
            snapshot = Snapshot(Path(current_app.config["SEARCH_INDEX_DIR"]), changelog.identity(connection))
            if cached is None:
                cached = snapshot.read()
            patched = None
            if cached is not None and cached.position[0] <= position[0]:
                patched = cached if cached.position == position else _patch(connection, cached, position)
            if patched is None:
                patched = _load(connection, position)
                snapshot.write(patched)
            cached = _catalogues[url] = patched
        return cached


@dataclass(frozen=True)
class Snapshot:
    """The last catalogue read in full, kept on this machine beside its search index, so that a new worker
    process starts from it (patching in what changed since) instead of reading every vendor again: at
    100,000 vendors a full read takes seconds.

    It holds plain values only (ints, strings, decimals, datetimes), read back by an unpickler that refuses
    anything else, with what they were computed by: the database's identity and the attributes and bands of
    this version of the code. A snapshot of another database or another version is ignored.
    """

    folder: Path
    database: str

    FILE = "listing-bitsets.pickle"

    def read(self) -> Catalogue | None:
        try:
            with open(self.folder / self.FILE, "rb") as file:
                kept = _PlainUnpickler(file).load()
            if kept["database"] != self.database or kept["made_by"] != _made_by():
                return None
            return Catalogue(kept["position"], kept["values"], kept["rates"], kept["published"])
        except FileNotFoundError:
            return None
        except Exception as error:  # any damage at all: read the database instead
            log.warning("listing snapshot in %s unreadable (%s): reading the catalogue", self.folder, error)
            return None

    def write(self, catalogue: Catalogue) -> None:
        kept = {
            "database": self.database,
            "made_by": _made_by(),
            "position": catalogue.position,
            "values": catalogue.values,
            "rates": catalogue.rates,
            "published": catalogue.published,
        }
        temporary = self.folder / f"{self.FILE}.{os.getpid()}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as file:
                pickle.dump(kept, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.folder / self.FILE)
        except OSError as error:
            log.warning("could not keep the listing snapshot in %s: %s", self.folder, error)


def _made_by() -> tuple:
    """What a snapshot's bitsets were computed with: the stored attributes and the size and rate bands."""
    return (
        SNAPSHOT_FORMAT,
        registry.VENDORS.stored_facets,
        tuple((slug, floor) for slug, _label, floor in SIZE_BANDS),
        tuple((slug, floor) for slug, _label, floor in RATE_BANDS),
    )


SNAPSHOT_FORMAT = 1


class _PlainUnpickler(pickle.Unpickler):
    """Reads back plain values only: a snapshot never makes any other object, whatever the file holds."""

    ALLOWED = frozenset(
        {
            ("decimal", "Decimal"),
            ("datetime", "datetime"),
            ("datetime", "timezone"),
            ("datetime", "timedelta"),
        }
    )

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a plain value")
        return super().find_class(module, name)


def order(catalogue: Catalogue, sort: str, order_by: list) -> list[int]:
    """Published vendor ids in a sort order, as the database sorts them (collation, NULLs, ties)."""
    if sort not in catalogue.orders:
        statement = select(Vendor.id).where(Vendor.status == "published").order_by(*order_by)
        catalogue.orders[sort] = list(db.session.scalars(statement))
    return catalogue.orders[sort]


def bits_of(ids) -> int:
    ids = ids if isinstance(ids, list) else list(ids)
    if not ids:
        return 0
    buffer = bytearray((max(ids) >> 3) + 1)
    for vendor_id in ids:
        buffer[vendor_id >> 3] |= 1 << (vendor_id & 7)
    return int.from_bytes(buffer, "little")


def first_members(ordered_ids, bits: int, skip: int, take: int) -> list[int]:
    """The ids of ordered_ids that are in bits, after skipping `skip` of them, at most `take`."""
    if not bits or take <= 0:
        return []
    members = bits.to_bytes((bits.bit_length() + 7) >> 3, "little")
    size = len(members) << 3
    page = []
    for vendor_id in ordered_ids:
        if vendor_id < size and members[vendor_id >> 3] >> (vendor_id & 7) & 1:
            if skip:
                skip -= 1
            else:
                page.append(vendor_id)
                if len(page) == take:
                    break
    return page


def _load(connection: Connection, position: tuple) -> Catalogue:
    catalogue = Catalogue(position)
    groups = _read_vendors(connection, catalogue)
    catalogue.published = bits_of(groups.pop(("", "published"), []))
    for (facet, value), ids in groups.items():
        catalogue.values.setdefault(facet, {})[value] = bits_of(ids)
    # One row per attribute value with its vendor ids joined in SQL: a million (vendor, value) rows would
    # cost seconds of per-row overhead in Python.
    vendor_ids = func.aggregate_strings(cast(VendorFacetValue.vendor_id, String), ",")
    statement = (
        select(VendorFacetValue.facet, VendorFacetValue.value, vendor_ids)
        .join(Vendor, Vendor.id == VendorFacetValue.vendor_id)
        .where(Vendor.status == "published", VendorFacetValue.facet.in_(registry.VENDORS.stored_facets))
        .group_by(VendorFacetValue.facet, VendorFacetValue.value)
    )
    for facet, value, ids in connection.execute(statement):
        catalogue.values.setdefault(facet, {})[value] = bits_of(list(map(int, ids.split(","))))
    return catalogue


def _patch(connection: Connection, old: Catalogue, position: tuple) -> Catalogue | None:
    """The catalogue with the changes logged since its position applied; None when reloading is simpler.

    Builds a new object, so a search reading the old one in another thread never sees half a change.
    """
    still_logged = connection.scalar(
        select(changelog.SearchChange.changed_at).where(changelog.SearchChange.id == old.position[0])
    )
    if still_logged != old.position[1]:
        return None  # the log was emptied or replaced: not the database this catalogue was read from
    changed = changelog.changed_since(connection, old.position[0], position[0], changelog.VENDOR)
    if len(changed) > RELOAD_AFTER_CHANGES:
        return None
    clear = ~bits_of(changed)
    catalogue = Catalogue(position, published=old.published & clear, rates=dict(old.rates))
    catalogue.values = {
        facet: {value: bits & clear for value, bits in by_value.items()}
        for facet, by_value in old.values.items()
    }
    for vendor_id in changed:
        catalogue.rates.pop(vendor_id, None)
    additions = _read_vendors(connection, catalogue, Vendor.id.in_(changed))
    facet_rows = connection.execute(
        select(VendorFacetValue.vendor_id, VendorFacetValue.facet, VendorFacetValue.value).where(
            VendorFacetValue.vendor_id.in_(additions.get(("", "published"), [])),
            VendorFacetValue.facet.in_(registry.VENDORS.stored_facets),
        )
    )
    for vendor_id, facet, value in facet_rows:
        additions.setdefault((facet, value), []).append(vendor_id)
    for (facet, value), ids in additions.items():
        if facet == "":
            catalogue.published |= bits_of(ids)
        else:
            by_value = catalogue.values.setdefault(facet, {})
            by_value[value] = by_value.get(value, 0) | bits_of(ids)
    return catalogue


def _read_vendors(
    connection: Connection, catalogue: Catalogue, *conditions
) -> dict[tuple[str, str], list[int]]:
    """Record the rates of the published vendors meeting conditions; return their ids grouped by
    ("", "published") and by the value of each attribute the registry computes from their columns (the size
    and rate bands)."""
    kind = registry.VENDORS
    groups: dict[tuple[str, str], list[int]] = {}
    computed = [attribute for attribute in kind.attributes if attribute.compute is not None]
    columns = dict.fromkeys(
        ["id", "hourly_rate_min", "hourly_rate_max", *(a.computed_from for a in computed)]
    )
    statement = select(*(getattr(kind.model, column) for column in columns)).where(
        kind.published, *conditions
    )
    for row in connection.execute(statement):
        catalogue.rates[row.id] = (row.hourly_rate_min, row.hourly_rate_max)
        groups.setdefault(("", "published"), []).append(row.id)
        for attribute in computed:
            value = attribute.compute(getattr(row, attribute.computed_from))
            groups.setdefault((attribute.facet, value), []).append(row.id)
    return groups
