"""Loading the sample vendors from seed_data/ into the database."""

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from vendors.audit import Actor
from vendors.catalog.models import Vendor
from vendors.catalog.records import RecordError, parse_record
from vendors.catalog.writes import catalogue_writes

SAMPLE_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "vendors.json"


def load_sample_records(path: Path | None = None) -> list[dict]:
    """Every record of the sample file, checked; raises RecordError listing the first bad vendor."""
    records = json.loads((path or SAMPLE_FILE).read_text(encoding="utf-8"))
    cleaned = [parse_record(record) for record in records]
    slugs = [record["slug"] for record in cleaned]
    duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if duplicates:
        raise RecordError(duplicates[0], {"slug": "appears more than once in the sample file"})
    return cleaned


def seed_sample(
    records: list[dict],
    progress: Callable[[int], None] = lambda _: None,
    actor: Actor | None = None,
) -> tuple[int, int]:
    """Add the sample vendors that are not in the database yet; returns (added, already present).

    Vendors already present are left as they are, so seeding again never undoes an edit.
    """
    added = 0
    with catalogue_writes(actor or Actor.command("flask seed"), note="sample data") as writer:
        existing = set(writer.session.scalars(select(Vendor.slug)))
        for record in records:
            if record["slug"] not in existing:
                writer.create(record)
                added += 1
            progress(1)
    return added, len(records) - added
