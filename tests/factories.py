"""Vendors built for one test, through the catalogue writer like every other change."""

import itertools
import re
from functools import cache

from vendors.accounts import passwords
from vendors.accounts.models import User
from vendors.audit import Actor
from vendors.catalog.models import Vendor
from vendors.catalog.writes import catalogue_writes
from vendors.database import write_transaction

TEST_ACTOR = Actor("test suite")

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
    with catalogue_writes(TEST_ACTOR) as writer:
        vendors = [writer.create(record) for record in records]
    return vendors


def update_vendor(vendor_id: int, **changes) -> dict:
    """Change some fields of a vendor; returns {field: [old, new]}."""
    with catalogue_writes(TEST_ACTOR) as writer:
        return writer.update(writer.session.get(Vendor, vendor_id), changes)


def delete_vendor(vendor_id: int) -> None:
    with catalogue_writes(TEST_ACTOR) as writer:
        writer.delete(writer.session.get(Vendor, vendor_id))


PASSWORD = "correct horse battery staple"


@cache
def _password_hash(password: str) -> str:
    """Hashed once per test run: Argon2id is slow on purpose."""
    return passwords.hash_password(password)


def add_user(email: str, role: str = "editor", password: str = PASSWORD, active: bool = True) -> User:
    with write_transaction() as session:
        user = User(email=email, role=role, password_hash=_password_hash(password), active=active)
        session.add(user)
    return user


def csrf_token(client, path: str = "/admin/login") -> str:
    """The CSRF token of the client's session, read from a form on `path`."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD, next_path: str | None = None):
    token = csrf_token(client)
    url = "/admin/login" + (f"?next={next_path}" if next_path else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def post_form(client, path: str, data: dict | None = None, token_from: str = "/admin", **kwargs):
    """POST a form with the session's CSRF token, as a browser would."""
    return client.post(path, data={"csrf_token": csrf_token(client, token_from), **(data or {})}, **kwargs)
