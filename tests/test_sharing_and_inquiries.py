"""Read-only shared comparisons (/shortlist/share, /s/<token>) and buyers' requests for information
(/inquiry), with their handling in /admin/inquiries.

Every test runs on the empty `app` database and drives the site through its forms, as a browser would; a
second client with no cookies stands for anyone a link is sent to. Figures on a shared page are checked
against /api/v1/estimate, which runs the same arithmetic.
"""

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app
from tests.factories import add_user, add_vendors, login, post_form, update_vendor, vendor_record
from vendors.audit import AuditEntry
from vendors.database import write_transaction
from vendors.extensions import db
from vendors.inquiries import desk
from vendors.inquiries.models import TIMELINES, Inquiry, InquiryRecipient
from vendors.shortlists.models import SharedComparison

SHARE = "/shortlist/share"
INQUIRY = "/inquiry"
SENT = "/inquiry/sent"
INQUIRIES = "/admin/inquiries"
TOKEN_PAGE = "/admin/login"  # any page with a form carries the session's CSRF token
SHARED_LINK = re.compile(r'<input id="link-(\d+)" class="share-url" type="text" readonly value="([^"]+)">')
SHARE_INPUTS = {"headcount": "20", "salary": "40000", "oversight_pct": "12", "buyer_country": "US"}


# ---------- helpers ----------


def current():
    """The test's session with its read transaction ended, so it sees what requests committed since."""
    db.session.rollback()
    return db.session


def count(model) -> int:
    return current().scalar(select(func.count()).select_from(model))


def three_vendors():
    return add_vendors(
        *(vendor_record(name=f"{name} CX", contact_email=f"sales@{name.lower()}.example") for name in "ABC")
    )


def share(client, slugs, headers=None, **changes):
    data = {"vendor": list(slugs), **SHARE_INPUTS, **changes}
    return post_form(client, SHARE, data, token_from=TOKEN_PAGE, headers=headers)


def shared_links(client) -> dict[int, str]:
    """The links the visitor's /shortlist lists, by share id."""
    body = client.get("/shortlist").get_data(as_text=True)
    return {int(share_id): url for share_id, url in SHARED_LINK.findall(body)}


def share_one(client, slugs, **changes) -> tuple[int, str]:
    """Share a comparison; returns its id and the path of its link."""
    before = shared_links(client)
    assert share(client, slugs, **changes).status_code == 303
    ((share_id, url),) = [(key, url) for key, url in shared_links(client).items() if key not in before]
    return share_id, url.removeprefix("http://localhost")


def figure(body: str, key: str) -> Decimal:
    match = re.search(rf'<td id="{re.escape(key)}" data-value="([^"]+)"', body)
    assert match, f"no figure {key}"
    return Decimal(match.group(1))


def api_estimate(client, **args) -> dict:
    response = client.get("/api/v1/estimate", query_string=args)
    assert response.status_code == 200
    return response.get_json()


def flashed(client) -> str:
    return client.get("/shortlist").get_data(as_text=True)


class FormFields(HTMLParser):
    """Every <input>'s attributes and every <textarea>'s text on a page."""

    def __init__(self, body: str):
        super().__init__(convert_charrefs=True)
        self.inputs: list[dict] = []
        self.textareas: dict[str, str] = {}
        self._textarea: str | None = None
        self.feed(body)

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.inputs.append(dict(attrs))
        elif tag == "textarea":
            self._textarea = dict(attrs)["name"]
            self.textareas[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.textareas[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None

    def value(self, name: str) -> str | None:
        return next((field.get("value") for field in self.inputs if field.get("name") == name), None)

    def vendor_boxes(self) -> dict[str, bool]:
        """The vendors offered as checkboxes: slug -> ticked."""
        return {
            field["value"]: "checked" in field
            for field in self.inputs
            if field.get("type") == "checkbox" and field.get("name") == "vendors"
        }


def inquiry_data(offered, ticked, **changes) -> dict:
    data = {
        "offered": list(offered),
        "vendors": list(ticked),
        "name": "Ana Reyes",
        "company": "Northwind Retail",
        "email": "ana@northwind.example",
        "headcount": "25",
        "timeline": "half-year",
        "message": "Bilingual chat support, around the clock.",
        "website": "",
    }
    data.update(changes)
    return data


def send_inquiry(client, data: dict):
    return post_form(client, INQUIRY, data, token_from=TOKEN_PAGE)


def stored_inquiry(vendors, at: datetime | None = None, **fields) -> int:
    """An inquiry received directly by the desk, optionally dated `at`; returns its id."""
    values = {k: v for k, v in inquiry_data([], []).items() if k not in ("offered", "vendors", "website")}
    values["headcount"] = int(values["headcount"])
    inquiry_id = desk.receive({**values, **fields}, vendors).id
    if at:
        with write_transaction() as session:
            session.get(Inquiry, inquiry_id).created_at = at
    return inquiry_id


def editor_client(app):
    user = add_user("editor@example.com")
    editor = app.test_client()
    assert login(editor, "editor@example.com").status_code == 303
    return editor, user


def listed_inquiries(editor, **filters) -> set[int]:
    response = editor.get(INQUIRIES, query_string=filters)
    assert response.status_code == 200
    return {int(number) for number in re.findall(r'<tr id="inquiry-(\d+)"', response.get_data(as_text=True))}


def export(editor, **filters) -> list[list[str]]:
    response = editor.get(f"{INQUIRIES}/export.csv", query_string=filters)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


# ---------- sharing ----------


def test_a_share_lists_an_unguessable_link_on_the_shortlist(client):
    a, b, _ = three_vendors()
    response = share(client, [a.slug, b.slug])
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/shortlist#shared-links")
    links = shared_links(client)
    assert len(links) == 1
    (url,) = links.values()
    token = url.removeprefix("http://localhost/s/")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)  # 16 random bytes, URL-safe base64
    (stored,) = current().scalars(select(SharedComparison))
    assert stored.token == token
    assert [vendor["slug"] for vendor in stored.vendors] == [a.slug, b.slug]

    assert share(client, [a.slug, b.slug]).status_code == 303
    tokens = {url.rsplit("/", 1)[1] for url in shared_links(client).values()}
    assert len(tokens) == 2 and token in tokens


def test_anyone_with_the_link_sees_the_comparison_with_the_shared_inputs(app, client):
    a, b, _ = three_vendors()
    _, path = share_one(client, [a.slug, b.slug])
    stranger = app.test_client()
    response = stranger.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert re.search(r'<meta name="robots" content="noindex[^"]*">', body)
    assert "A CX" in body and "B CX" in body and "C CX" not in body

    inputs = {name: value for name, value in SHARE_INPUTS.items() if name != "buyer_country"}
    shared = api_estimate(stranger, **inputs, hourly_rate="9")
    default = api_estimate(stranger, hourly_rate="9")
    assert "a team of 20 costs" in body
    assert f'<strong id="in-house-annual">${shared["in_house_annual"]:,.2f}</strong>' in body
    low = figure(body, f"low-outsourced_annual-{a.slug}")
    assert low == Decimal(str(shared["outsourced_annual"])) != Decimal(str(default["outsourced_annual"]))
    assert figure(body, f"high-outsourced_annual-{b.slug}") == Decimal(
        str(api_estimate(stranger, **inputs, hourly_rate="12")["outsourced_annual"])
    )
    # Read-only: no inputs to change, nothing to post.
    assert 'class="compare-inputs"' not in body and 'method="post"' not in body
    assert f'action="{SHARE}"' not in body


def test_the_link_shows_todays_vendor_details_with_the_inputs_it_was_shared_with(app, client):
    a, b, c = three_vendors()
    _, path = share_one(client, [a.slug, b.slug, c.slug])
    update_vendor(b.id, status="draft")
    update_vendor(a.id, hourly_rate_min="15.00", hourly_rate_max="18.00")

    body = app.test_client().get(path).get_data(as_text=True)
    assert re.search(r"B CX\s*<span class=\"badge unlisted-badge\">No longer listed</span>", body)
    assert f'href="/vendors/{b.slug}"' not in body
    assert "$15.00" in body and "$18.00" in body
    inputs = {name: value for name, value in SHARE_INPUTS.items() if name != "buyer_country"}
    expected = api_estimate(client, **inputs, hourly_rate="15")["outsourced_annual"]
    assert figure(body, f"low-outsourced_annual-{a.slug}") == Decimal(str(expected))


def test_the_shared_comparison_downloads_as_csv(app, client):
    a, b, _ = three_vendors()
    _, path = share_one(client, [a.slug, b.slug])
    response = app.test_client().get(f"{path}/comparison.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) > 2 and "A CX" in rows[0] and "B CX" in rows[0]


def test_the_owner_revokes_a_link_and_it_opens_nothing(app, client):
    a, b, _ = three_vendors()
    share_id, path = share_one(client, [a.slug, b.slug])
    kept_id, kept_path = share_one(client, [b.slug, a.slug])
    response = post_form(client, f"/shortlist/shared/{share_id}/revoke", token_from=TOKEN_PAGE)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/shortlist#shared-links")
    assert set(shared_links(client)) == {kept_id}
    stranger = app.test_client()
    assert stranger.get(path).status_code == 404
    assert stranger.get(f"{path}/comparison.csv").status_code == 404
    assert stranger.get(kept_path).status_code == 200
    # Revoking twice finds nothing.
    assert post_form(client, f"/shortlist/shared/{share_id}/revoke", token_from=TOKEN_PAGE).status_code == 404


@pytest.mark.parametrize("stranger_shares", [False, True], ids=["no shortlist", "own shortlist"])
def test_only_the_owner_can_revoke_a_link(app, client, stranger_shares):
    a, b, c = three_vendors()
    share_id, path = share_one(client, [a.slug, b.slug])
    stranger = app.test_client()
    if stranger_shares:
        share_one(stranger, [b.slug, c.slug])
    response = post_form(stranger, f"/shortlist/shared/{share_id}/revoke", token_from=TOKEN_PAGE)
    assert response.status_code == 404
    assert app.test_client().get(path).status_code == 200
    assert current().get(SharedComparison, share_id).revoked_at is None


def test_an_unknown_link_is_not_found(client):
    assert client.get("/s/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert client.get("/s/AAAAAAAAAAAAAAAAAAAAAA/comparison.csv").status_code == 404


@pytest.mark.parametrize(
    "slugs, message",
    [
        (["a"], "choose at least 2 vendors to compare (1 given)"),
        ([*"abcabca"], "compare at most 6 vendors at once (7 given)"),
        (["a", "no-such-vendor"], "no published vendor has the slug"),
    ],
    ids=["one vendor", "seven vendors", "unknown slug"],
)
def test_a_share_that_cannot_be_compared_stores_nothing(client, slugs, message):
    vendors = {name: vendor.slug for name, vendor in zip("abc", three_vendors(), strict=True)}
    response = share(client, [vendors.get(slug, slug) for slug in slugs])
    assert response.status_code == 303  # a plain form goes back to the shortlist with the message
    body = flashed(client)
    assert "Nothing was shared" in body and message in body
    assert count(SharedComparison) == 0
    answer = share(client, [vendors.get(slug, slug) for slug in slugs], headers={"Accept": "application/json"})
    assert answer.status_code == 400 and message in answer.get_json()["message"]
    assert count(SharedComparison) == 0


# ---------- inquiries: the form ----------


def test_the_form_ticks_the_vendors_its_link_names_and_makes_its_promise(client):
    a, b, _ = three_vendors()
    response = client.get(INQUIRY, query_string={"vendor": [a.slug, b.slug]})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert FormFields(body).vendor_boxes() == {a.slug: True, b.slug: True}
    assert "never\n    sold or auctioned" in body or "never sold or auctioned" in " ".join(body.split())
    assert "only to the vendors you choose" in " ".join(body.split())


def test_without_vendors_the_form_offers_the_listed_vendors_on_the_shortlist(client):
    a, b, c = three_vendors()
    for vendor in (a, b, c):
        assert post_form(client, "/shortlist/add", {"vendor": vendor.slug}, token_from=TOKEN_PAGE).status_code == 303
    update_vendor(c.id, status="draft")
    body = client.get(INQUIRY).get_data(as_text=True)
    assert FormFields(body).vendor_boxes() == {a.slug: False, b.slug: False}
    assert "There are no vendors to ask yet" in app_client_body(client)


def app_client_body(client) -> str:
    return client.application.test_client().get(INQUIRY).get_data(as_text=True)
