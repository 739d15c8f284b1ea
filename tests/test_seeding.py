"""`flask seed` (the sample vendors) and `flask seed --synthetic N` (generated vendors), on both databases."""

import json
from datetime import date

import pytest
from sqlalchemy import delete, func, select

from tests.factories import update_vendor
from vendors.catalog import seeding, synthetic
from vendors.catalog.models import MULTI_VALUED, Vendor, VendorFacetValue
from vendors.catalog.records import FACET_FIELDS, RecordError, parse_record
from vendors.catalog.rules import size_band
from vendors.database import write_transaction
from vendors.extensions import db


def vendor_count() -> int:
    return db.session.scalar(select(func.count(Vendor.id)))


def facet_count() -> int:
    return db.session.scalar(select(func.count()).select_from(VendorFacetValue))


def vendor(slug: str) -> Vendor:
    return db.session.scalars(select(Vendor).where(Vendor.slug == slug)).one()


def as_record(row: Vendor) -> dict:
    """A stored vendor back in the sample file's shape, for parse_record."""
    return {
        "slug": row.slug,
        "name": row.name,
        "tagline": row.tagline,
        "description": row.description,
        "website": row.website,
        "contact_email": row.contact_email,
        "hq_country": row.hq_country,
        "delivery_countries": row.delivery_countries,
        "founded_year": row.founded_year,
        "employees": row.employees,
        "hourly_rate_min": row.hourly_rate_min,
        "hourly_rate_max": row.hourly_rate_max,
        "min_seats": row.min_seats,
        "specialisations": row.specialisations,
        "channels": row.channels,
        "languages": row.languages,
        "certifications": row.certifications,
        "coverage": row.coverage,
        "status": row.status,
        "verified_at": row.verified_at and row.verified_at.isoformat(),
    }


def snapshot() -> list[tuple]:
    db.session.expire_all()
    rows = db.session.scalars(select(Vendor).order_by(Vendor.slug))
    return [(row.slug, row.name, row.description, tuple(map(tuple, as_record(row).items()))) for row in rows]


def remove_all_vendors() -> None:
    with write_transaction() as session:
        session.execute(delete(VendorFacetValue))
        session.execute(delete(Vendor))


def summary_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(("Sample data:", "Added "))]


# ------------------------------------------------------------------------------------------ sample data
def test_seed_loads_every_sample_vendor_with_its_attributes(runner):
    records = seeding.load_sample_records()

    result = runner.invoke(args=["seed"])

    assert result.exit_code == 0, result.output
    assert summary_lines(result.output) == [f"Sample data: {len(records)} vendors added, 0 already present."]
    assert vendor_count() == len(records)
    statuses = dict(db.session.execute(select(Vendor.status, func.count()).group_by(Vendor.status)).all())
    assert statuses == {"published": len(records) - 6, "draft": 3, "archived": 3}
    for record in (records[0], records[len(records) // 2], records[-1]):
        stored = vendor(record["slug"])
        assert as_record(stored) | {"verified_at": stored.verified_at} == record
    expected_rows = sum(len(record[field]) for record in records for field in FACET_FIELDS)
    assert facet_count() == expected_rows


def test_seeding_twice_adds_nothing(runner):
    runner.invoke(args=["seed"])
    vendors_before, facets_before = vendor_count(), facet_count()

    result = runner.invoke(args=["seed"])

    assert result.exit_code == 0, result.output
    assert summary_lines(result.output) == [
        f"Sample data: 0 vendors added, {vendors_before} already present."
    ]
    assert (vendor_count(), facet_count()) == (vendors_before, facets_before)


def test_an_edit_to_a_seeded_vendor_survives_a_reseed(runner):
    runner.invoke(args=["seed"])
    slug = seeding.load_sample_records()[0]["slug"]
    update_vendor(vendor(slug).id, tagline="Edited by the vendor", languages=["en"])

    runner.invoke(args=["seed"])

    db.session.expire_all()
    kept = vendor(slug)
    assert kept.tagline == "Edited by the vendor"
    assert kept.languages == ["en"]


def test_a_malformed_record_names_the_vendor_and_field_and_writes_nothing(runner, monkeypatch, tmp_path):
    raw = json.loads(seeding.SAMPLE_FILE.read_text(encoding="utf-8"))
    broken = dict(raw[1], slug="broken-vendor", employees="lots")
    sample = tmp_path / "vendors.json"
    sample.write_text(json.dumps([raw[0], broken, raw[2]]), encoding="utf-8")
    load = seeding.load_sample_records
    monkeypatch.setattr(seeding, "load_sample_records", lambda path=sample: load(path))

    result = runner.invoke(args=["seed"])

    assert result.exit_code != 0
    message = result.output + str(result.exception or "")
    assert "broken-vendor" in message
    assert "employees" in message
    assert vendor_count() == 0


def test_load_sample_records_reports_the_bad_record_precisely(tmp_path):
    raw = json.loads(seeding.SAMPLE_FILE.read_text(encoding="utf-8"))
    sample = tmp_path / "vendors.json"
    sample.write_text(json.dumps([raw[0], dict(raw[1], slug="bad-rates", hourly_rate_max="1.00")]))

    with pytest.raises(RecordError) as caught:
        seeding.load_sample_records(sample)

    assert caught.value.slug == "bad-rates"
    assert set(caught.value.problems) == {"hourly_rate_max"}


def test_load_sample_records_rejects_a_repeated_slug(tmp_path):
    raw = json.loads(seeding.SAMPLE_FILE.read_text(encoding="utf-8"))
    sample = tmp_path / "vendors.json"
    sample.write_text(json.dumps([raw[0], raw[1], dict(raw[2], slug=raw[0]["slug"])]))

    with pytest.raises(RecordError) as caught:
        seeding.load_sample_records(sample)

    assert caught.value.slug == raw[0]["slug"]
    assert "slug" in caught.value.problems


# ------------------------------------------------------------------------------------------ synthetic
def test_synthetic_adds_that_many_valid_published_vendors(runner):
    result = runner.invoke(args=["seed", "--synthetic", "50"])

    assert result.exit_code == 0, result.output
    assert summary_lines(result.output) == ["Added 50 synthetic vendors."]
    rows = db.session.scalars(select(Vendor).order_by(Vendor.slug)).all()
    assert [row.slug for row in rows] == [f"synthetic-{number:06d}" for number in range(1, 51)]
    for row in rows:
        parse_record(as_record(row))
        assert row.status == "published"
        assert 80 <= len(row.description.split()) <= 200
        assert {"country", "specialisation", "channel", "language"} <= {
            value.facet for value in row.facet_values
        }


def test_synthetic_twice_adds_distinct_vendors_numbered_on(runner):
    runner.invoke(args=["seed", "--synthetic", "50"])
    result = runner.invoke(args=["seed", "--synthetic", "50"])

    assert result.exit_code == 0, result.output
    slugs = db.session.scalars(select(Vendor.slug)).all()
    assert len(slugs) == len(set(slugs)) == 100
    assert max(slugs) == "synthetic-000100"


def test_synthetic_vendors_are_the_same_for_the_same_n(runner):
    runner.invoke(args=["seed", "--synthetic", "30"])
    first = snapshot()
    remove_all_vendors()

    runner.invoke(args=["seed", "--synthetic", "30"])

    assert snapshot() == first
    assert [name for _, name, _, _ in first] == [
        record["name"] for record in sorted(synthetic.generate_records(30), key=lambda record: record["slug"])
    ]


def test_synthetic_and_sample_vendors_coexist_in_either_order(runner):
    """Explicit ids must not collide with ids the database hands out later (PostgreSQL's sequence)."""
    runner.invoke(args=["seed", "--synthetic", "5"])
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    runner.invoke(args=["seed", "--synthetic", "5"])

    ids = db.session.scalars(select(Vendor.id)).all()
    assert len(ids) == len(set(ids)) == len(seeding.load_sample_records()) + 10
    assert vendor("synthetic-000010").values("country")


def test_insert_synthetic_reports_progress_per_batch(app):
    reported: list[int] = []

    added = synthetic.insert_synthetic(12, progress=reported.append, batch_size=5)

    assert added == 12
    assert reported == [5, 5, 2]
    assert vendor_count() == 12


# ------------------------------------------------------------------------------------------ generator
TODAY = date(2026, 11, 25)


def test_generated_records_depend_only_on_their_number():
    whole = list(synthetic.generate_records(10, today=TODAY))
    halves = [
        *synthetic.generate_records(4, today=TODAY),
        *synthetic.generate_records(6, start=5, today=TODAY),
    ]
    assert whole == halves
    assert [record["slug"] for record in whole] == [f"synthetic-{n:06d}" for n in range(1, 11)]
    assert list(synthetic.generate_records(3, seed=7, today=TODAY)) != whole[:3]


def test_generated_records_are_valid_and_varied():
    records = list(synthetic.generate_records(400, today=TODAY))
    cleaned = [parse_record(record) for record in records]
    assert all(80 <= len(record["description"].split()) <= 200 for record in records)
    assert {size_band(record["employees"]) for record in cleaned} == {"small", "medium", "large"}
    assert sum(record["hourly_rate_min"] is None for record in cleaned) in range(15, 70)
    assert len({record["delivery_countries"][0] for record in cleaned}) >= 15
    assert all(record["verified_at"] is None or record["verified_at"] <= TODAY for record in cleaned)


def test_generated_descriptions_have_zipf_like_word_frequencies():
    records = list(synthetic.generate_records(400, today=TODAY))
    documents = [set(record["description"].lower().split()) for record in records]
    share = {
        word: sum(word in document for document in documents) / len(documents) for word in ("and", "zenith")
    }
    assert share["and"] > 0.9  # the most common word is in nearly every description
    assert share["zenith"] < 0.1  # a rare word in only a few


def test_facet_fields_cover_every_multi_valued_attribute():
    assert sorted(FACET_FIELDS.values()) == sorted(MULTI_VALUED)
