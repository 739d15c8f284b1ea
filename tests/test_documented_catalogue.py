"""The catalogue as the README describes it: the sample data's exact counts, the batch size of generated
vendors, former slugs in submissions and the import's actor in the audit log."""

import csv
import html
from collections import Counter

import pytest
from sqlalchemy import func, select

from tests.factories import TEST_ACTOR, add_vendors, delete_vendor, post_form, update_vendor, vendor_record
from vendors.audit import AuditEntry
from vendors.catalog import csvfiles, seeding, synthetic
from vendors.catalog.models import Vendor
from vendors.catalog.records import RecordError, parse_record
from vendors.catalog.rules import size_band
from vendors.extensions import db
from vendors.submissions import queue
from vendors.submissions.models import Submission

# README, Sample data: "seed_data/vendors.json holds 225 fictional BPO vendors", "54 delivery countries",
# "Every size band (98 small, 106 medium, 21 large)". (Drafts and archived vendors: test_sample_data.py.)
SAMPLE_VENDORS = 225
SAMPLE_DELIVERY_COUNTRIES = 54
SAMPLE_SIZE_BANDS = {"small": 98, "medium": 106, "large": 21}
# README, Generated vendors: "Rows are written with bulk inserts in batches of 5,000".
SYNTHETIC_BATCH = 5_000


def committed_vendors() -> int:
    """Vendors committed so far, read on a connection of its own (outside the test's session)."""
    with db.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Vendor))


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


# ------------------------------------------------------------------------------------------ sample data
def test_the_sample_file_holds_the_counts_the_readme_states():
    records = seeding.load_sample_records()

    assert len(records) == SAMPLE_VENDORS
    assert len({code for record in records for code in record["delivery_countries"]}) == (
        SAMPLE_DELIVERY_COUNTRIES
    )
    assert Counter(size_band(record["employees"]) for record in records) == SAMPLE_SIZE_BANDS


def test_flask_seed_adds_exactly_the_sample_vendors_and_says_so(runner):
    result = runner.invoke(args=["seed"])

    assert result.exit_code == 0, result.output
    # README, Loading it: "prints one line, for example `Sample data: 225 vendors added, 0 already present.`"
    assert (
        result.output.splitlines()[-1] == f"Sample data: {SAMPLE_VENDORS} vendors added, 0 already present."
    )
    assert db.session.scalar(select(func.count()).select_from(Vendor)) == SAMPLE_VENDORS


# ------------------------------------------------------------------------------------------ generated vendors
def test_generated_vendors_are_committed_in_batches_of_5000(app):
    """One more vendor than a batch: the first 5,000 are committed together, each with its audit entry,
    before the last one is written in a batch of its own."""
    seen: list[tuple[int, int]] = []  # (batch size reported, vendors committed at that moment)

    added = synthetic.insert_synthetic(
        SYNTHETIC_BATCH + 1, progress=lambda size: seen.append((size, committed_vendors()))
    )

    assert added == SYNTHETIC_BATCH + 1
    assert seen == [(SYNTHETIC_BATCH, SYNTHETIC_BATCH), (1, SYNTHETIC_BATCH + 1)]
    assert audit_count() == SYNTHETIC_BATCH + 1


# ------------------------------------------------------------------------------------------ former slugs
def submission_form(slug: str, name: str = "Harbour CX") -> dict:
    return {
        "submitter_name": "Maria Santos",
        "submitter_email": "maria@harbourcx.example",
        "homepage": "",
        "name": name,
        "slug": slug,
        "tagline": "Bilingual customer care from Cebu",
        "website": "https://harbourcx.example",
        "contact_email": "sales@harbourcx.example",
        "hq_country": "PH",
        "delivery_countries": ["PH"],
        "founded_year": "2012",
        "employees": "450",
        "hourly_rate_min": "8.5",
        "hourly_rate_max": "14",
        "specialisations": ["customer-support"],
        "channels": ["voice"],
        "languages": ["en"],
        "coverage": "24-7",
        "description": "Customer care in English.",
    }


def submissions() -> list[Submission]:
    db.session.rollback()  # see what the requests committed
    return list(db.session.scalars(select(Submission).order_by(Submission.id)))


def test_a_submission_cannot_claim_a_renamed_vendors_former_slug_while_that_vendor_exists(client):
    """README, Renamed slugs: "A former slug stays reserved for its vendor ...; no other vendor, import row or
    submission can claim it while that vendor exists"."""
    [renamed] = add_vendors(vendor_record(slug="harbour-cx", name="Old Harbour"))
    update_vendor(renamed.id, slug="old-harbour")

    for slug in ("harbour-cx", ""):  # typed, or made from the name "Harbour CX"
        response = post_form(client, "/submit", submission_form(slug), token_from="/submit")
        assert response.status_code == 400
        assert "'harbour-cx' is not available; choose another" in html.unescape(
            response.get_data(as_text=True)
        )
    assert submissions() == []

    delete_vendor(renamed.id)
    response = post_form(client, "/submit", submission_form("harbour-cx"), token_from="/submit")
    assert response.status_code == 303
    assert [submission.record["slug"] for submission in submissions()] == ["harbour-cx"]


def test_a_queued_submission_cannot_be_approved_onto_a_slug_that_became_a_former_slug(app):
    submission = queue.receive(vendor_record(slug="harbour-cx"), "Maria", "maria@example.com")
    [other] = add_vendors(vendor_record(slug="harbour-cx-first"))
    update_vendor(other.id, slug="harbour-cx")
    update_vendor(other.id, slug="harbour-cx-first")  # harbour-cx is now a former slug of `other`

    with pytest.raises(RecordError) as refused:
        queue.approve(submission.id, {**submission.record, "status": "published"}, TEST_ACTOR)

    assert "former address of another vendor" in refused.value.problems["slug"]
    db.session.rollback()
    assert db.session.get(Submission, submission.id).status == "pending"
    assert db.session.scalars(select(Vendor.slug)).all() == ["harbour-cx-first"]


# ------------------------------------------------------------------------------------------ audit log
def test_an_import_is_audited_as_the_command_and_the_system_user_that_ran_it(runner, tmp_path, monkeypatch):
    """README, Audit log: "the command and the system user that ran it, e.g.
    `flask vendors import (system user deploy)`"."""
    monkeypatch.setenv("LOGNAME", "deploy")  # getpass.getuser() reads LOGNAME first
    add_vendors(vendor_record(slug="lakeside-contact", name="Lakeside Contact"))
    before = db.session.scalar(select(func.max(AuditEntry.id)))
    path = tmp_path / "vendors.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(csvfiles.COLUMNS)
        writer.writerow(csvfiles.row_of(parse_record(vendor_record(slug="harbour-cx", name="Harbour CX"))))
        changed = vendor_record(slug="lakeside-contact", name="Lakeside Contact", tagline="Edited by import")
        writer.writerow(csvfiles.row_of(parse_record(changed)))

    result = runner.invoke(args=["vendors", "import", str(path)])

    assert result.exit_code == 0, result.output
    entries = db.session.execute(
        select(AuditEntry.subject_label, AuditEntry.action, AuditEntry.actor, AuditEntry.user_id)
        .where(AuditEntry.id > before)
        .order_by(AuditEntry.subject_label)
    ).all()
    actor = "flask vendors import (system user deploy)"
    assert [tuple(entry) for entry in entries] == [
        ("harbour-cx", "created", actor, None),
        ("lakeside-contact", "updated", actor, None),
    ]
