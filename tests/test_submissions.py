"""Vendors listing themselves: "List your company" (/submit), the submissions queue and its review in /admin.

A vendor sends its listing through a public form (CSRF token, honeypot, rate limit); it waits in a queue and
nothing is public until an editor approves it (as a draft or published, after correcting it) or rejects it
with a reason. Every test runs on the empty `app` database and drives the site through its pages, as a
browser would: forms are read back from the HTML, so what an editor sees prefilled is what gets posted.
"""

import html
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app
from tests.factories import add_user, add_vendors, csrf_token, delete_vendor, login, post_form, vendor_record
from vendors.audit import AuditEntry
from vendors.catalog.models import Vendor
from vendors.catalog.records import FACET_FIELDS, FIELDS
from vendors.errors import FORM_NOT_CONFIRMED
from vendors.extensions import db
from vendors.submissions import queue
from vendors.submissions.models import Submission

SUBMIT = "/submit"
RECEIVED = "/submit/received"

# The vendor's own fields on /submit, in the vendor record's words.
VENDOR_FIELDS = tuple(field for field in FIELDS if field not in queue.EDITOR_ONLY)
CONTACT_FIELDS = ("submitter_name", "submitter_email")
MULTI_VALUED = tuple(FACET_FIELDS)


# ---------- helpers ----------


def submission_data(**changes) -> dict:
    """A complete, valid /submit form as a browser sends it (lists repeat the key)."""
    data = {
        "submitter_name": "Maria Santos",
        "submitter_email": "maria@harbourcx.example",
        "homepage": "",
        "name": "Harbour CX",
        "slug": "harbour-cx",
        "tagline": "Bilingual customer care from Cebu and Medellin",
        "website": "https://harbourcx.example",
        "contact_email": "sales@harbourcx.example",
        "hq_country": "PH",
        "delivery_countries": ["CO", "PH"],
        "founded_year": "2012",
        "employees": "450",
        "hourly_rate_min": "8.5",
        "hourly_rate_max": "14",
        "min_seats": "10",
        "specialisations": ["customer-support", "it-services"],
        "channels": ["voice", "chat"],
        "languages": ["en", "es"],
        "certifications": ["iso-27001"],
        "coverage": "24-7",
        "description": "Customer care in English and Spanish.\n\nTwo sites, one team.",
    }
    data.update(changes)
    return data


def submit(client, data: dict):
    """POST /submit with the session's CSRF token, read from the form as a browser would."""
    return post_form(client, SUBMIT, data, token_from=SUBMIT)


def current():
    """The test's database session with its read transaction ended, so it sees what requests committed
    since (each request has its own application context and session; SQLite reads from a snapshot)."""
    db.session.rollback()
    return db.session


def all_submissions() -> list[Submission]:
    return list(current().scalars(select(Submission).order_by(Submission.id)))


def vendor_count() -> int:
    return current().scalar(select(func.count()).select_from(Vendor))


def vendor_with_slug(slug: str) -> Vendor | None:
    return current().scalar(select(Vendor).where(Vendor.slug == slug))


def fresh(model, row_id: int):
    return current().get(model, row_id)


class FormReader(HTMLParser):
    """The values a browser would send for the first form whose class list holds `form_class`."""

    def __init__(self, form_class: str):
        super().__init__(convert_charrefs=True)
        self.form_class = form_class
        self.found = False
        self.inside = False
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name: str, value: str) -> None:
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.inside = not self.found and self.form_class in (attributes.get("class") or "").split()
            self.found = self.found or self.inside
            return
        name = attributes.get("name")
        if not self.inside:
            return
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self._add(name, attributes.get("value") or "on")
            elif kind not in ("submit", "button", "reset", "image"):
                self._add(name, attributes.get("value") or "")
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = attributes.get("value") or ""
            if self._select_first is None:
                self._select_first = value
            if "selected" in attributes:
                self._add(self._select, value)
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self._add(self._select, self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            # A newline right after <textarea> is not part of the value (HTML parsing rules).
            text = text.removeprefix("\r\n") if text.startswith("\r\n") else text.removeprefix("\n")
            self._add(self._textarea, text)
            self._textarea = None


def read_form(body: str, form_class: str = "vendor-form") -> dict[str, list[str]]:
    reader = FormReader(form_class)
    reader.feed(body)
    assert reader.found, f"no form with class {form_class}"
    return reader.values


def as_posted(value) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def field_error(body: str, field: str) -> str:
    """The error message shown next to a field, or '' if there is none."""
    match = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', body, re.S)
    return html.unescape(match.group(1)) if match else ""


def assert_only_errors_at(body: str, fields: set[str]) -> None:
    shown = {name for name in (*VENDOR_FIELDS, *CONTACT_FIELDS) if field_error(body, name)}
    assert shown == fields


def assert_not_public(client, slug: str, name: str) -> None:
    listing = client.get("/vendors?per_page=100")
    body = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert name not in body and f"/vendors/{slug}" not in body
    assert client.get(f"/vendors/{slug}").status_code == 404
    api = client.get("/api/v1/vendors?per_page=100").get_json()
    assert slug not in [item["slug"] for item in api["items"]]
    found = client.get("/api/v1/vendors", query_string={"q": name, "per_page": 100}).get_json()["items"]
    assert slug not in [item["slug"] for item in found]
    assert client.get(f"/api/v1/vendors/{slug}").status_code == 404


def queue_one(client, **changes) -> Submission:
    """A valid submission sent through /submit; returns it from the database."""
    before = {submission.id for submission in all_submissions()}
    response = submit(client, submission_data(**changes))
    assert response.status_code == 303, response.get_data(as_text=True)
    (submission,) = [s for s in all_submissions() if s.id not in before]
    return submission


def signed_in(app, email: str, role: str = "editor"):
    user = add_user(email, role)
    editor = app.test_client()
    response = login(editor, email)
    assert response.status_code == 303
    return editor, user


def review_form(editor, submission_id: int) -> dict[str, list[str]]:
    response = editor.get(f"/admin/submissions/{submission_id}")
    assert response.status_code == 200
    return read_form(response.get_data(as_text=True))


def decide(editor, submission_id: int, decision: str, form: dict | None = None):
    form = form if form is not None else review_form(editor, submission_id)
    return editor.post(f"/admin/submissions/{submission_id}", data={**form, "decision": decision})


def reject(editor, submission_id: int, reason: str):
    return post_form(
        editor,
        f"/admin/submissions/{submission_id}/reject",
        {"reason": reason},
        token_from=f"/admin/submissions/{submission_id}",
    )


def followed(browser, response) -> str:
    """The page a browser ends up on after `response`."""
    if response.status_code in (301, 302, 303):
        return browser.get(response.headers["Location"]).get_data(as_text=True)
    return response.get_data(as_text=True)


def audit_entries(subject: str, subject_id: int) -> list[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.subject == subject, AuditEntry.subject_id == subject_id)
    return list(current().scalars(statement.order_by(AuditEntry.id)))


# ---------- the public form ----------


def test_submit_page_asks_for_the_vendor_fields_and_a_contact_but_not_status_or_verification(client):
    response = client.get(SUBMIT)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "List your company" in body
    for name in (*VENDOR_FIELDS, *CONTACT_FIELDS, "homepage", "csrf_token"):
        assert f'name="{name}"' in body, name
    assert 'name="status"' not in body
    assert 'name="verified_at"' not in body
    assert "Last verified" not in body
    # The honeypot is in a box hidden from people and assistive technology, and out of the tab order.
    honeypot = re.search(r'<div class="honeypot" aria-hidden="true">.*?</div>\s*</div>', body, re.S)
    assert honeypot and 'name="homepage"' in honeypot.group(0) and 'tabindex="-1"' in honeypot.group(0)
    assert 'method="post"' in body
    assert f'href="{SUBMIT}"' in client.get("/").get_data(as_text=True)


def test_a_valid_submission_is_queued_and_confirmed_and_nothing_is_public(client):
    add_vendors(vendor_record(name="Already Listed Ltd"))
    response = submit(client, submission_data())

    assert response.status_code == 303
    assert response.headers["Location"].endswith(RECEIVED)
    confirmation = client.get(response.headers["Location"])
    text = confirmation.get_data(as_text=True)
    assert confirmation.status_code == 200
    assert "waiting for review" in text and "Nothing is public until it is approved" in text

    (submission,) = all_submissions()
    assert submission.status == "pending"
    assert (submission.submitter_name, submission.submitter_email) == (
        "Maria Santos",
        "maria@harbourcx.example",
    )
    assert submission.reviewed_at is None and submission.reviewed_by is None and submission.vendor_id is None
    record = submission.record
    assert record["name"] == "Harbour CX" and record["slug"] == "harbour-cx"
    assert (record["hourly_rate_min"], record["hourly_rate_max"]) == ("8.50", "14.00")
    assert (record["employees"], record["founded_year"], record["min_seats"]) == (450, 2012, 10)
    assert set(record["delivery_countries"]) == {"PH", "CO"}
    assert record["description"] == "Customer care in English and Spanish.\n\nTwo sites, one team."
    assert "status" not in record and "verified_at" not in record

    assert vendor_count() == 1  # only the vendor listed before
    assert "Already Listed Ltd" in client.get("/vendors").get_data(as_text=True)
    assert_not_public(client, "harbour-cx", "Harbour CX")


def test_a_submission_cannot_choose_its_status_or_verification_date(client):
    submission = queue_one(client, status="published", verified_at="2026-06-01")
    assert "status" not in submission.record and "verified_at" not in submission.record
    assert vendor_count() == 0
    assert_not_public(client, "harbour-cx", "Harbour CX")


def test_the_slug_is_made_from_the_name_when_left_empty(client):
    submission = queue_one(client, slug="", name="Blue Lagoon Contact Centre")
    assert submission.record["slug"] == "blue-lagoon-contact-centre"


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_a_post_without_the_sessions_csrf_token_is_refused_and_keeps_nothing(client, token):
    client.get(SUBMIT)
    data = submission_data() | ({"csrf_token": token} if token else {})
    response = client.post(SUBMIT, data=data)
    assert response.status_code == 400
    assert FORM_NOT_CONFIRMED in html.unescape(response.get_data(as_text=True))
    assert all_submissions() == []
    assert vendor_count() == 0


def test_a_filled_honeypot_looks_like_success_but_keeps_nothing(client):
    response = submit(client, submission_data(homepage="https://spam.example"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(RECEIVED)
    assert client.get(RECEIVED).status_code == 200
    assert all_submissions() == []
    assert vendor_count() == 0


# ---------- refused submissions ----------

BAD_FIELDS = {
    "contact email": ({"contact_email": "sales-at-harbour"}, "contact_email", "is not an email address"),
    "contact email with a hidden copy": (
        {"contact_email": "sales@harbour.example?bcc=x%40evil.example"},
        "contact_email",
        "is not an email address",
    ),
    "submitter email": ({"submitter_email": "maria"}, "submitter_email", "not an email address"),
    "unknown headquarters": ({"hq_country": "XX"}, "hq_country", "'XX' is not a known ISO 3166-1 alpha-2"),
    "unknown delivery country": ({"delivery_countries": ["PH", "XX"]}, "delivery_countries", "'XX'"),
    "minimum above maximum": (
        {"hourly_rate_min": "20", "hourly_rate_max": "12.5"},
        "hourly_rate_max",
        "below the minimum rate",
    ),
    "missing name": ({"name": "", "slug": "nameless"}, "name", "is required"),
    "missing headquarters": ({"hq_country": ""}, "hq_country", "is required"),
    "missing employees": ({"employees": " "}, "employees", "is required"),
    "missing contact name": ({"submitter_name": "  "}, "submitter_name", "Tell us who to contact"),
    "bad website": ({"website": "harbourcx.example"}, "website", "must start with https://"),
    "bad slug": ({"slug": "Harbour CX!"}, "slug", "lower-case letters"),
}


@pytest.mark.parametrize("changes, field, message", BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
def test_a_bad_field_is_named_next_to_it_and_every_typed_value_is_kept(client, changes, field, message):
    data = submission_data(**changes)
    response = submit(client, data)
    body = response.get_data(as_text=True)

    assert response.status_code == 400
    assert message in field_error(body, field)
    assert_only_errors_at(body, {field})
    assert 'class="error-summary"' in body and f'href="#{field}"' in body
    # The page opens on the summary (the browser test of the editor shows the focus landing there).
    assert re.search(r'<div class="error-summary"[^>]*\sautofocus[\s>]', body)
    if field not in MULTI_VALUED:
        assert re.search(
            rf'<[a-z]+ [^>]*aria-invalid="true"[^>]*id="{field}"|id="{field}"[^>]*aria-invalid', body
        )
    kept = read_form(body)
    for name in (*VENDOR_FIELDS, *CONTACT_FIELDS):
        sent = as_posted(data[name])
        if name == field and name in ("hq_country", "delivery_countries"):
            sent = [value for value in sent if value != "XX"] or [""]  # no option for an unknown code
        if name in CONTACT_FIELDS:
            sent = [value.strip() for value in sent]  # surrounding spaces are dropped
        assert kept.get(name, []) == sent, name
    assert all_submissions() == []
    assert vendor_count() == 0


def test_every_bad_field_is_named_at_once(client):
    data = submission_data(
        name="",
        slug="nameless",
        contact_email="sales-at-harbour",
        submitter_email="maria",
        hq_country="XX",
        hourly_rate_min="20",
        hourly_rate_max="12.5",
    )
    response = submit(client, data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert_only_errors_at(body, {"name", "contact_email", "submitter_email", "hq_country", "hourly_rate_max"})


def test_email_addresses_with_surrounding_spaces_are_accepted_like_every_other_field(client):
    submission = queue_one(client, submitter_email=" maria@harbourcx.example ", contact_email=" a@b.example ")
    assert submission.submitter_email == "maria@harbourcx.example"
    assert submission.record["contact_email"] == "a@b.example"


def test_the_vendor_field_problems_are_named_together(client):
    data = submission_data(
        name="",
        slug="nameless",
        contact_email="sales-at-harbour",
        delivery_countries=["XX"],
        hourly_rate_min="20",
        hourly_rate_max="12.5",
        employees="lots",
    )
    response = submit(client, data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert_only_errors_at(
        body, {"name", "contact_email", "delivery_countries", "employees", "hourly_rate_max"}
    )
    kept = read_form(body)
    assert kept["employees"] == ["lots"] and kept["hourly_rate_min"] == ["20"]
    assert all_submissions() == []


@pytest.mark.parametrize("status", ["published", "draft"])
def test_a_slug_taken_by_a_listed_vendor_is_refused(client, status):
    add_vendors(vendor_record(slug="harbour-cx", name="The Other Harbour", status=status))
    for changes in ({"slug": "harbour-cx"}, {"slug": "", "name": "Harbour CX"}):
        response = submit(client, submission_data(**changes))
        body = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "is not available; choose another" in field_error(body, "slug")
        assert_only_errors_at(body, {"slug"})
        assert read_form(body)["name"] == [changes.get("name", "Harbour CX")]
    assert all_submissions() == []
    assert vendor_count() == 1


def test_posts_beyond_the_rate_limit_get_429_with_retry_after(app, client):
    app.config["SUBMIT_LIMIT_PER_ADDRESS"] = "2 per hour"
    token = csrf_token(client, SUBMIT)
    assert client.post(SUBMIT, data={**submission_data(slug="first"), "csrf_token": token}).status_code == 303
    # A form sent back for corrections does not count: a vendor fixing a mistake is never locked out.
    for _ in range(3):
        assert client.post(SUBMIT, data={**submission_data(name=""), "csrf_token": token}).status_code == 400
    assert (
        client.post(SUBMIT, data={**submission_data(slug="second"), "csrf_token": token}).status_code == 303
    )

    response = client.post(SUBMIT, data={**submission_data(slug="third"), "csrf_token": token})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "too many attempts" in response.get_data(as_text=True)
    assert [submission.record["slug"] for submission in all_submissions()] == ["first", "second"]
    # Reading the form is not limited.
    assert client.get(SUBMIT).status_code == 200


@pytest.mark.parametrize("path", [SUBMIT, "/inquiry"])
def test_refused_forms_have_a_looser_limit_of_their_own(app, client, monkeypatch, path):
    monkeypatch.setitem(app.config, "FORM_ATTEMPTS_PER_ADDRESS", "3 per minute")
    token = csrf_token(client, SUBMIT)
    answers = [client.post(path, data={"csrf_token": token}).status_code for _ in range(4)]
    assert answers == [400, 400, 400, 429]
    assert (
        client.post(SUBMIT if path != SUBMIT else "/inquiry", data={"csrf_token": token}).status_code == 400
    )


@pytest.mark.parametrize("path", [SUBMIT, "/inquiry"])
def test_sends_without_a_valid_form_token_are_turned_away_before_they_are_counted(
    app, client, monkeypatch, path
):
    monkeypatch.setitem(app.config, "FORM_ATTEMPTS_PER_ADDRESS", "3 per minute")
    assert [client.post(path, data={"csrf_token": "forged"}).status_code for _ in range(4)] == [400] * 4
    token = csrf_token(client, SUBMIT)
    answers = [client.post(path, data={"csrf_token": token}).status_code for _ in range(4)]
    assert answers == [400, 400, 400, 429], "the three attempts the limit allows are all still there"


def test_the_default_rate_limit_is_five_posts_an_hour(app, scratch_database, tmp_path, monkeypatch):
    monkeypatch.delenv("SUBMIT_LIMIT_PER_ADDRESS", raising=False)
    # A second app over the same (emptied after the test) database, built the way a server builds it.
    limited = make_app(scratch_database, tmp_path / "limited-index")
    try:
        assert limited.config["SUBMIT_LIMIT_PER_ADDRESS"] == "5 per hour"
        browser = limited.test_client()
        token = csrf_token(browser, SUBMIT)
        codes = [
            browser.post(
                SUBMIT, data={**submission_data(slug=f"vendor-{n}"), "csrf_token": token}
            ).status_code
            for n in range(6)
        ]
        assert codes == [303] * 5 + [429]
        assert len(all_submissions()) == 5
    finally:
        with limited.app_context():
            db.engine.dispose()


# ---------- review: approve ----------


def test_an_editor_approves_a_submission_as_a_draft(app, client):
    submission = queue_one(client)
    editor, user = signed_in(app, "editor@example.com")

    listing = editor.get("/admin/submissions").get_data(as_text=True)
    assert "Harbour CX" in listing and "maria@harbourcx.example" in listing
    assert f'href="/admin/submissions/{submission.id}"' in listing

    page = editor.get(f"/admin/submissions/{submission.id}").get_data(as_text=True)
    assert "Maria Santos" in page and "Approve as a draft" in page and "Approve and publish" in page
    form = read_form(page)
    for name in VENDOR_FIELDS:
        value = submission.record[name]
        expected = ["" if value is None else str(v) for v in (value if isinstance(value, list) else [value])]
        assert sorted(form.get(name, [])) == sorted(expected), name
    assert form["verified_at"] == [""]

    response = decide(editor, submission.id, "draft", form)
    assert response.status_code == 303

    vendor = vendor_with_slug("harbour-cx")
    assert vendor is not None and vendor.status == "draft"
    assert response.headers["Location"].endswith(f"/admin/vendors/{vendor.id}/edit")
    edit_page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Harbour CX is listed as draft" in edit_page
    assert (vendor.name, vendor.tagline, vendor.contact_email) == (
        "Harbour CX",
        "Bilingual customer care from Cebu and Medellin",
        "sales@harbourcx.example",
    )
    assert (str(vendor.hourly_rate_min), str(vendor.hourly_rate_max), vendor.employees) == (
        "8.50",
        "14.00",
        450,
    )
    assert set(vendor.delivery_countries) == {"PH", "CO"} and set(vendor.languages) == {"en", "es"}

    submission = fresh(Submission, submission.id)
    assert submission.status == "approved"
    assert submission.vendor_id == vendor.id
    assert submission.reviewed_by == user.id and submission.reviewed_at is not None

    (created,) = audit_entries("vendor", vendor.id)
    assert created.action == "created" and created.user_id == user.id
    assert f"submission #{submission.id}" in created.note
    assert created.changes["name"] == [None, "Harbour CX"] and created.changes["status"] == [None, "draft"]
    (decided,) = audit_entries("submission", submission.id)
    assert decided.action == "approved" and decided.user_id == user.id
    assert decided.changes == {"status": ["pending", "approved"]}

    assert_not_public(client, "harbour-cx", "Harbour CX")
    assert "Nothing here." in editor.get("/admin/submissions").get_data(as_text=True)


def test_another_editor_corrects_a_field_and_publishes(app, client):
    submission = queue_one(client)
    signed_in(app, "first@example.com")  # another editor exists; the second one decides
    editor, user = signed_in(app, "second@example.com")

    form = review_form(editor, submission.id)
    form["tagline"] = ["Zanzibarine customer care, checked by an editor"]
    form["hourly_rate_max"] = ["15"]
    response = decide(editor, submission.id, "published", form)
    assert response.status_code == 303

    vendor = vendor_with_slug("harbour-cx")
    assert vendor.status == "published"
    assert vendor.tagline == "Zanzibarine customer care, checked by an editor"
    assert str(vendor.hourly_rate_max) == "15.00"
    assert fresh(Submission, submission.id).reviewed_by == user.id

    page = client.get("/vendors/harbour-cx")
    assert page.status_code == 200 and "Zanzibarine customer care" in page.get_data(as_text=True)
    assert "Harbour CX" in client.get("/vendors").get_data(as_text=True)
    found = client.get("/api/v1/vendors?q=zanzibarine").get_json()
    assert [item["slug"] for item in found["items"]] == ["harbour-cx"]
    assert found["items"][0]["tagline"] == "Zanzibarine customer care, checked by an editor"
    assert client.get("/api/v1/vendors/harbour-cx").get_json()["hourly_rate_max"] == 15.0
    (created,) = audit_entries("vendor", vendor.id)
    assert created.changes["tagline"][1].startswith("Zanzibarine") and created.user_id == user.id


def test_an_approval_with_a_bad_correction_is_refused_and_leaves_the_submission_waiting(app, client):
    submission = queue_one(client)
    editor, _ = signed_in(app, "editor@example.com")
    form = review_form(editor, submission.id)
    form["name"] = [""]
    form["contact_email"] = ["nobody"]

    response = decide(editor, submission.id, "published", form)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is required" in field_error(body, "name")
    assert "is not an email address" in field_error(body, "contact_email")
    assert read_form(body)["tagline"] == ["Bilingual customer care from Cebu and Medellin"]
    assert fresh(Submission, submission.id).status == "pending"
    assert vendor_count() == 0
    assert audit_entries("submission", submission.id) == []


def test_an_approval_is_refused_when_the_slug_was_taken_meanwhile(app, client):
    submission = queue_one(client)
    add_vendors(vendor_record(slug="harbour-cx", name="Faster Harbour"))
    editor, _ = signed_in(app, "editor@example.com")

    response = decide(editor, submission.id, "published")
    assert response.status_code == 400
    assert "already used by another vendor" in field_error(response.get_data(as_text=True), "slug")
    assert fresh(Submission, submission.id).status == "pending"
    assert vendor_count() == 1

    form = review_form(editor, submission.id)
    form["slug"] = ["harbour-cx-ph"]
    assert decide(editor, submission.id, "published", form).status_code == 303
    assert fresh(Submission, submission.id).status == "approved"
    assert client.get("/vendors/harbour-cx-ph").status_code == 200


def test_an_approval_needs_a_decision(app, client):
    submission = queue_one(client)
    editor, _ = signed_in(app, "editor@example.com")
    response = decide(editor, submission.id, "archived")
    assert response.status_code == 400
    assert fresh(Submission, submission.id).status == "pending"
    assert vendor_count() == 0


# ---------- review: reject ----------


def test_rejecting_needs_a_reason_and_records_it(app, client):
    submission = queue_one(client)
    editor, user = signed_in(app, "editor@example.com")

    response = reject(editor, submission.id, "   ")
    assert response.status_code == 400
    assert "Say why, for the record." in field_error(response.get_data(as_text=True), "reason")
    assert fresh(Submission, submission.id).status == "pending"

    response = reject(editor, submission.id, "Could not confirm the company exists.")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/submissions")
    assert "is rejected" in editor.get(response.headers["Location"]).get_data(as_text=True)

    submission = fresh(Submission, submission.id)
    assert submission.status == "rejected"
    assert submission.rejection_reason == "Could not confirm the company exists."
    assert submission.reviewed_by == user.id and submission.vendor_id is None
    (entry,) = audit_entries("submission", submission.id)
    assert entry.action == "rejected" and entry.user_id == user.id
    assert entry.changes["reason"] == [None, "Could not confirm the company exists."]

    rejected = editor.get("/admin/submissions?status=rejected").get_data(as_text=True)
    assert "Rejected: Could not confirm the company exists." in rejected
    assert vendor_count() == 0
    assert_not_public(client, "harbour-cx", "Harbour CX")


def test_an_approved_submission_links_to_its_vendor_only_while_the_vendor_exists(app, client):
    submission = queue_one(client)
    editor, _ = signed_in(app, "editor@example.com")
    assert decide(editor, submission.id, "draft").status_code == 303
    vendor = vendor_with_slug("harbour-cx")
    edit_link = f'href="/admin/vendors/{vendor.id}/edit"'
    pages = (f"/admin/submissions/{submission.id}", "/admin/submissions?status=approved")
    assert all(edit_link in editor.get(page).get_data(as_text=True) for page in pages)

    # Sent back by a rejection without a reason (another editor had approved it meanwhile).
    assert edit_link in reject(editor, submission.id, "").get_data(as_text=True)

    delete_vendor(vendor.id)
    for page in pages:
        body = editor.get(page).get_data(as_text=True)
        assert edit_link not in body and "deleted" in body, page


def test_after_a_refused_rejection_the_approve_buttons_still_approve(app, client):
    """The page shown again after a rejection without a reason sits at the reject address: its approve form
    must still send to the review, as a browser sends it (to the form's action)."""
    submission = queue_one(client)
    editor, _ = signed_in(app, "editor@example.com")
    refused = reject(editor, submission.id, "")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*class="vendor-form"', page)
    assert action, "the approve form says where it sends"
    approved = editor.post(html.unescape(action[1]), data={**read_form(page), "decision": "draft"})
    assert approved.status_code == 303
    assert fresh(Submission, submission.id).status == "approved" and vendor_count() == 1


# ---------- deciding twice ----------


def test_a_decided_submission_cannot_be_decided_again(app, client):
    approved, rejected = queue_one(client), queue_one(client, slug="harbour-cx-two", name="Harbour Two")
    editor, _ = signed_in(app, "editor@example.com")
    form = review_form(editor, approved.id)
    assert decide(editor, approved.id, "draft", form).status_code == 303
    assert reject(editor, rejected.id, "Duplicate of another submission.").status_code == 303

    # The same approval sent again (a second tab, a double click): no second vendor, no error page.
    again = decide(editor, approved.id, "published", form)
    assert again.status_code in (200, 303, 409)
    body = followed(editor, again)
    assert "This submission was approved" in body or "was approved already" in body
    assert 'name="decision"' not in editor.get(f"/admin/submissions/{approved.id}").get_data(as_text=True)

    response = reject(editor, approved.id, "Changed my mind.")
    assert response.status_code == 303
    assert "was approved already" in editor.get(response.headers["Location"]).get_data(as_text=True)

    page = editor.get(f"/admin/submissions/{rejected.id}").get_data(as_text=True)
    assert "This submission was rejected" in page and "Duplicate of another submission." in page
    response = editor.post(f"/admin/submissions/{rejected.id}", data={**form, "decision": "published"})
    assert response.status_code in (200, 303, 409)
    assert "rejected" in followed(editor, response)
    response = reject(editor, rejected.id, "Again.")
    assert "was rejected already" in editor.get(response.headers["Location"]).get_data(as_text=True)

    approved, rejected = fresh(Submission, approved.id), fresh(Submission, rejected.id)
    assert (approved.status, approved.rejection_reason) == ("approved", "")
    assert (rejected.status, rejected.rejection_reason) == ("rejected", "Duplicate of another submission.")
    vendors = current().scalars(select(Vendor)).all()
    assert [(vendor.slug, vendor.status) for vendor in vendors] == [("harbour-cx", "draft")]
    assert len(audit_entries("submission", approved.id)) == 1
    assert len(audit_entries("submission", rejected.id)) == 1
    assert client.get("/vendors/harbour-cx-two").status_code == 404


# ---------- access ----------


@pytest.mark.parametrize("path", ["/admin/submissions", "/admin/submissions/1"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    queue_one(client)
    response = client.get(path)
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/admin/login?next=")
    assert path in response.headers["Location"].replace("%2F", "/")


def test_anonymous_visitors_cannot_decide(client):
    submission = queue_one(client)
    token = csrf_token(client, SUBMIT)
    approve = client.post(
        f"/admin/submissions/{submission.id}", data={"csrf_token": token, "decision": "published"}
    )
    refuse = client.post(
        f"/admin/submissions/{submission.id}/reject", data={"csrf_token": token, "reason": "x"}
    )
    for response in (approve, refuse):
        assert response.status_code in (302, 303)
        assert response.headers["Location"].startswith("/admin/login")
    assert fresh(Submission, submission.id).status == "pending"
    assert vendor_count() == 0


def test_unknown_submissions_are_not_found(app):
    editor, _ = signed_in(app, "editor@example.com")
    assert editor.get("/admin/submissions/999").status_code == 404
    assert decide(editor, 999, "draft", {"csrf_token": csrf_token(editor, "/admin")}).status_code == 404
    response = post_form(editor, "/admin/submissions/999/reject", {"reason": "No such thing."})
    assert response.status_code == 404


def test_submitted_values_are_escaped_on_the_review_pages(app, client):
    hostile = '<script>alert("x")</script> & Co'
    submission = queue_one(client, name=hostile, slug="hostile-co", submitter_name=hostile)
    editor, _ = signed_in(app, "editor@example.com")
    for path in ("/admin/submissions", f"/admin/submissions/{submission.id}"):
        body = editor.get(path).get_data(as_text=True)
        assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    response = decide(editor, submission.id, "draft")
    assert "<script>alert" not in followed(editor, response)
