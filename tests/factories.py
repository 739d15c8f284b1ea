"""Vendors built for one test, through the same validation the sample data goes through."""

import itertools

from vendors.catalog.models import Vendor
from vendors.catalog.records import apply_record, parse_record
from vendors.database import write_transaction

_numbers = itertools.count(1)


def vendor_record(**fields) -> dict:
    number = next(_numbers)
    record = {
        "slug": f"test-vendor-{number}",
        "name": f"Test Vendor {number}",
        "tagline": "Outsourced support for testing",
        "description": "A vendor made for a test.",
        "hq_country": "PH",
        "delivery_countries": ["PH"],
        "employees": 120,
        "hourly_rate_min": "9.00",
        "hourly_rate_max": "12.00",
        "specialisations": ["customer-support"],
        "channels": ["voice"],
        "languages": ["en"],
        "certifications": [],
        "coverage": "24-7",
        "status": "published",
        "verified_at": "2026-06-01",
    }
    record.update(fields)
    return record


def add_vendors(*records: dict) -> list[Vendor]:
    vendors = []
    with write_transaction() as session:
        for record in records:
            vendor = Vendor()
            apply_record(vendor, parse_record(record))
            session.add(vendor)
            vendors.append(vendor)
    return vendors
