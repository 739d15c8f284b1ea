"""Read-only shared comparisons (/shortlist/share, /s/<token>) and buyers' requests for information
(/inquiry), with their handling in /admin/inquiries.

Every test runs on the empty `app` database and drives the site through its forms, as a browser would; a
second client with no cookies stands for anyone a link is sent to. Figures on a shared page are checked
against /api/v1/estimate, which runs the same arithmetic.
"""

import csv
import html
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app
from tests.factories import add_user, add_vendors, csrf_token, login, post_form, update_vendor, vendor_record
from vendors.admin.inquiries import PAGE_SIZE
from vendors.audit import AuditEntry
from vendors.database import write_transaction
from vendors.errors import FORM_NOT_CONFIRMED
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
BUYER = {"name": "Ana Reyes", "company": "Northwind Retail", "email": "ana@northwind.example"}
BUYER |= {"headcount": 25, "timeline": "half-year", "message": "Bilingual chat support, around the clock."}


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


def tags(body: str, tag: str = "input") -> list[str]:
    return re.findall(rf"<{tag}\b[^>]*>", body)


def attribute(tag: str, name: str) -> str | None:
    match = re.search(rf'\b{name}(?:="([^"]*)")?[\s>]', tag)
    return None if match is None else html.unescape(match.group(1) or "")


def typed_value(body: str, name: str) -> str | None:
    """The value a form shows in its input called `name`."""
    return next((attribute(tag, "value") for tag in tags(body) if attribute(tag, "name") == name), None)


def vendor_boxes(body: str) -> dict[str, bool]:
    """The vendors an inquiry form offers as checkboxes: slug -> ticked."""
    boxes = [tag for tag in tags(body) if attribute(tag, "name") == "vendors" and 'type="checkbox"' in tag]
    return {attribute(tag, "value"): attribute(tag, "checked") is not None for tag in boxes}


def inquiry_data(offered, ticked, **changes) -> dict:
    typed = {name: str(value) for name, value in BUYER.items()}
    return {"offered": list(offered), "vendors": list(ticked), **typed, "website": "", **changes}


def send_inquiry(client, data: dict):
    return post_form(client, INQUIRY, data, token_from=TOKEN_PAGE)


def stored_inquiry(vendors, at: datetime | None = None, **fields) -> int:
    """An inquiry received directly by the desk, optionally dated `at`; returns its id."""
    inquiry_id = desk.receive(BUYER | fields, vendors).id
    if at:
        with write_transaction() as session:
            session.get(Inquiry, inquiry_id).created_at = at
    return inquiry_id


def editor_client(app, email: str = "editor@example.com"):
    user = add_user(email)
    editor = app.test_client()
    assert login(editor, email).status_code == 303
    return editor, user


def inquiry_audit() -> list[AuditEntry]:
    return list(current().scalars(select(AuditEntry).where(AuditEntry.subject == "inquiry")))


def listed_inquiries(editor, **filters) -> set[int]:
    response = editor.get(INQUIRIES, query_string=filters)
    assert response.status_code == 200
    return {int(number) for number in re.findall(r'<tr id="inquiry-(\d+)"', response.get_data(as_text=True))}


def export(editor, **filters) -> list[list[str]]:
    response = editor.get(f"{INQUIRIES}/export.csv", query_string=filters)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


# ---------- sharing ----------


def test_a_share_lists_an_unguessable_link_on_the_shortlist(client):
    a, b, _ = three_vendors()
    response = share(client, [a.slug, b.slug])
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/shortlist#shared-links")
    (url,) = shared_links(client).values()
    token = url.removeprefix("http://localhost/s/")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)  # 16 random bytes, URL-safe base64
    (stored,) = current().scalars(select(SharedComparison))
    assert stored.token == token
    assert [vendor["slug"] for vendor in stored.vendors] == [a.slug, b.slug]
    assert stored.inputs["headcount"] == "20" and stored.inputs["buyer_country"] == "US"

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


def test_a_shared_comparison_keeps_its_buyer_country_in_its_links(app, client):
    a, b, _ = three_vendors()
    _, path = share_one(client, [a.slug, b.slug], buyer_country="GB")
    body = html.unescape(app.test_client().get(path).get_data(as_text=True))
    (own,) = re.findall(r'href="(/compare\?[^"]*)"', body)
    assert parse_qs(urlsplit(own).query)["buyer_country"] == ["GB"], "opened as your own, it is seen from GB"
    for slug in (a.slug, b.slug):
        assert f'href="/vendors/{slug}?buyer_country=GB"' in body, "each vendor's page, seen from GB"
    mine = client.get(own).get_data(as_text=True)
    assert f'href="/vendors/{a.slug}?buyer_country=GB"' in html.unescape(mine)


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


def test_the_link_downloads_as_csv_until_the_owner_revokes_it(app, client):
    a, b, _ = three_vendors()
    share_id, path = share_one(client, [a.slug, b.slug])
    kept_id, kept_path = share_one(client, [b.slug, a.slug])
    download = app.test_client().get(f"{path}/comparison.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Robots-Tag"].startswith("noindex")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert len(rows) > 2 and "A CX" in rows[0] and "B CX" in rows[0]

    response = post_form(client, f"/shortlist/shared/{share_id}/revoke", token_from=TOKEN_PAGE)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/shortlist#shared-links")
    assert set(shared_links(client)) == {kept_id}
    stranger = app.test_client()
    assert stranger.get(path).status_code == 404
    assert stranger.get(f"{path}/comparison.csv").status_code == 404
    assert stranger.get(kept_path).status_code == 200
    # Revoking twice finds nothing; neither does a link that never existed.
    assert post_form(client, f"/shortlist/shared/{share_id}/revoke", token_from=TOKEN_PAGE).status_code == 404
    assert stranger.get("/s/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert stranger.get("/s/AAAAAAAAAAAAAAAAAAAAAA/comparison.csv").status_code == 404


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
    slugs = [vendors.get(slug, slug) for slug in slugs]
    response = share(client, slugs)
    assert response.status_code == 303  # a plain form goes back to the shortlist with the message
    body = client.get("/shortlist").get_data(as_text=True)
    assert "Nothing was shared" in body and message in body
    assert count(SharedComparison) == 0
    answer = share(client, slugs, headers={"Accept": "application/json"})
    assert answer.status_code == 400 and message in answer.get_json()["message"]
    assert count(SharedComparison) == 0


# ---------- inquiries: the form ----------


def words(body: str) -> str:
    return " ".join(body.split())


def test_the_form_ticks_the_vendors_its_link_names_and_makes_its_promise(client):
    a, b, _ = three_vendors()
    response = client.get(INQUIRY, query_string={"vendor": [a.slug, b.slug]})
    body = words(response.get_data(as_text=True))
    assert response.status_code == 200
    assert vendor_boxes(body) == {a.slug: True, b.slug: True}
    assert "never sold or auctioned" in body and "only to the vendors you choose" in body


def test_without_vendors_named_the_form_offers_the_listed_vendors_on_the_shortlist(app, client):
    a, b, c = three_vendors()
    for vendor in (a, b, c):
        response = post_form(client, "/shortlist/add", {"vendor": vendor.slug}, token_from=TOKEN_PAGE)
        assert response.status_code == 303
    update_vendor(b.id, status="draft")
    offered = vendor_boxes(client.get(INQUIRY).get_data(as_text=True))
    assert offered == {a.slug: False, c.slug: False}
    # A visitor with no shortlist is offered nothing.
    body = app.test_client().get(INQUIRY).get_data(as_text=True)
    assert vendor_boxes(body) == {} and "There are no vendors to ask yet" in body


def test_an_inquiry_goes_only_to_the_ticked_vendors(client):
    a, b, c = three_vendors()
    response = send_inquiry(client, inquiry_data([a.slug, b.slug, c.slug], [a.slug, c.slug]))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{SENT}?count=2")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "to the 2 vendors you chose" in words(thanks)
    update_vendor(a.id, name="A CX Renamed")

    (inquiry,) = current().scalars(select(Inquiry))
    assert {name: getattr(inquiry, name) for name in BUYER} == BUYER and inquiry.status == "new"
    recipients = [(r.vendor_id, r.vendor_slug, r.vendor_name, r.contact_email) for r in inquiry.recipients]
    assert recipients == [
        (a.id, a.slug, "A CX", "sales@a.example"),
        (c.id, c.slug, "C CX", "sales@c.example"),
    ]
    assert count(InquiryRecipient) == 2


@pytest.mark.parametrize(
    "changes, status",
    [({"csrf_token": ""}, 400), ({"website": "https://spam.example"}, 303)],
    ids=["no csrf token", "honeypot filled"],
)
def test_a_post_without_the_csrf_token_or_with_the_honeypot_filled_keeps_nothing(client, changes, status):
    a, b, _ = three_vendors()
    response = send_inquiry(client, inquiry_data([a.slug, b.slug], [a.slug], **changes))
    assert response.status_code == status
    if status == 303:  # the honeypot answers as if the request was sent
        assert response.headers["Location"].endswith(f"{SENT}?count=1")
    else:
        assert FORM_NOT_CONFIRMED in html.unescape(response.get_data(as_text=True))
    assert count(Inquiry) == 0 and count(InquiryRecipient) == 0


BAD_INQUIRIES = {
    "bad email": ({"email": "ana-at-northwind"}, "This is not an email address."),
    "email with mailto fields": (
        {"email": "ana@northwind.example?cc=spy%40evil.example&body=Reply"},
        "This is not an email address.",
    ),
    "no team": ({"headcount": "0"}, "Enter a whole number from 1 to 100,000."),
    "team left empty": ({"headcount": ""}, "Say roughly how many full-time positions you would outsource."),
    "huge team": ({"headcount": "100001"}, "Enter a whole number from 1 to 100,000."),
    "short message": ({"message": "Quote?"}, "Write between 10 and 5,000 characters."),
    "no vendor ticked": ({"vendors": []}, "Choose at least one vendor to ask."),
    "vendor not offered": ({"vendors": ["someone-else"]}, "A vendor you ticked is no longer listed"),
    "team not a number": ({"headcount": "a dozen"}, "Enter a whole number, such as 25 or 1,000."),
    "name too long": ({"name": "N" * 201}, "Write at most 200 characters."),
}


@pytest.mark.parametrize("changes, message", BAD_INQUIRIES.values(), ids=BAD_INQUIRIES.keys())
def test_a_bad_inquiry_is_sent_back_with_the_message_and_what_was_typed(client, changes, message):
    a, b, _ = three_vendors()
    data = inquiry_data([a.slug, b.slug], [b.slug], **changes)
    response = send_inquiry(client, data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html.unescape(body)
    assert re.search(r'<div class="error-summary"[^>]*\sautofocus[\s>]', body)  # the page opens on it
    for name in ("name", "company", "email", "headcount"):
        assert typed_value(body, name) == data[name], name
    message_box = re.search(r'<textarea\b[^>]*name="message"[^>]*>(.*?)</textarea>', body, re.S)
    assert html.unescape(message_box.group(1)).strip() == data["message"]
    assert re.search(r'<option (?=[^>]*selected)(?=[^>]*value="half-year")', body)
    assert vendor_boxes(body) == {a.slug: False, b.slug: b.slug in data["vendors"]}
    assert count(Inquiry) == 0


def test_a_team_size_that_is_no_number_is_told_once(client):
    a, _, _ = three_vendors()
    body = html.unescape(send_inquiry(client, inquiry_data([a.slug], [a.slug], headcount="a dozen")).text)
    assert "Enter a whole number, such as 25" in body and "from 1 to 100,000" not in body


def test_a_vendor_ticked_twice_is_asked_once(client):
    a, b, _ = three_vendors()
    response = send_inquiry(client, inquiry_data([a.slug, b.slug], [a.slug, a.slug, b.slug, a.slug]))
    assert response.headers["Location"].endswith(f"{SENT}?count=2")
    assert count(InquiryRecipient) == 2


@pytest.mark.parametrize("typed, team", [("1,000", 1000), ("12 500", 12500), (" 25 ", 25)])
def test_a_team_size_is_read_as_people_type_it(client, typed, team):
    a, _, _ = three_vendors()
    assert send_inquiry(client, inquiry_data([a.slug], [a.slug], headcount=typed)).status_code == 303
    (inquiry,) = current().scalars(select(Inquiry))
    assert inquiry.headcount == team


def test_a_vendor_withdrawn_while_the_form_was_open_is_left_out_with_a_word(client):
    a, b, _ = three_vendors()
    update_vendor(b.id, status="draft")
    response = send_inquiry(client, inquiry_data([a.slug, b.slug], [a.slug, b.slug]))
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and "A vendor you ticked is no longer listed" in body
    assert vendor_boxes(response.get_data(as_text=True)) == {a.slug: True}, "the others stay ticked"
    assert count(Inquiry) == 0


def test_the_vendor_boxes_ask_for_one_tick_and_their_message_is_read_with_them(client):
    a, b, _ = three_vendors()
    body = send_inquiry(client, inquiry_data([a.slug, b.slug], [])).get_data(as_text=True)
    boxes = [tag for tag in tags(body) if attribute(tag, "name") == "vendors" and 'type="checkbox"' in tag]
    assert len(boxes) == 2 and not any(re.search(r"\srequired\b", box) for box in boxes), "one tick is enough"
    group = re.search(r'<fieldset id="vendors"[^>]*>', body).group(0)
    for said in attribute(group, "aria-describedby").split():
        assert re.search(rf'<p class="[^"]*" id="{said}">', body), said
    assert "vendors-error" in attribute(group, "aria-describedby")


@pytest.mark.parametrize("limit, allowed", [("2 per hour", 2), (None, 5)], ids=["configured", "default"])
def test_accepted_inquiries_beyond_the_limit_get_429(
    app, scratch_database, tmp_path, monkeypatch, limit, allowed
):
    monkeypatch.delenv("INQUIRY_LIMIT_PER_ADDRESS", raising=False)
    a, b, _ = three_vendors()
    overrides = {"INQUIRY_LIMIT_PER_ADDRESS": limit} if limit else {}
    # A second app over the same database, built the way a server builds it.
    limited = make_app(scratch_database, tmp_path / "limited-index", **overrides)
    try:
        assert limited.config["INQUIRY_LIMIT_PER_ADDRESS"] == (limit or "5 per hour")
        browser, offered = limited.test_client(), [a.slug, b.slug]
        for _ in range(allowed):
            # A form sent back for corrections does not count: a buyer fixing a typo is never locked out.
            assert send_inquiry(browser, inquiry_data(offered, [a.slug], email="x")).status_code == 400
            assert send_inquiry(browser, inquiry_data(offered, [a.slug])).status_code == 303
        response = send_inquiry(browser, inquiry_data(offered, [b.slug]))
        assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
        assert count(Inquiry) == allowed
        assert (
            browser.get(INQUIRY, query_string={"vendor": a.slug}).status_code == 200
        )  # reading is not limited
    finally:
        with limited.app_context():
            db.engine.dispose()


# ---------- inquiries: the admin desk ----------


def test_the_inquiry_list_is_for_editors_only(client):
    response = client.get(INQUIRIES)
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")
    assert client.get(f"{INQUIRIES}/export.csv").status_code == 302


def test_editors_filter_inquiries_by_vendor_dates_and_state(app):
    a, b, c = three_vendors()
    march_first = stored_inquiry([a], at=datetime(2026, 3, 1, 0, 0, tzinfo=UTC), company="First")
    march_last = stored_inquiry([b, c], at=datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC), company="Last")
    february = stored_inquiry([a, b], at=datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC))
    april = stored_inquiry([c], at=datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
    editor, user = editor_client(app)

    body = editor.get(INQUIRIES).get_data(as_text=True)
    assert "First" in body and "Last" in body and "4 inquiries" in re.sub(r"<[^>]+>", "", body)
    assert listed_inquiries(editor) == {march_first, march_last, february, april}
    assert listed_inquiries(editor, vendor=a.slug) == {march_first, february}
    assert listed_inquiries(editor, vendor=c.slug) == {march_last, april}
    assert listed_inquiries(editor, **{"from": "2026-03-01", "to": "2026-03-31"}) == {march_first, march_last}
    assert listed_inquiries(editor, **{"from": "2026-03-31"}) == {march_last, april}
    assert listed_inquiries(editor, to="2026-03-01") == {march_first, february}
    assert listed_inquiries(editor, vendor=b.slug, to="2026-03-01") == {february}

    assert desk.mark_forwarded(april, desk.Actor("test suite", user.id))
    assert listed_inquiries(editor, status="forwarded") == {april}
    assert listed_inquiries(editor, status="new") == {march_first, march_last, february}

    for other_form in ("1 March", "20260301", "2026-W09-7"):  # date.fromisoformat reads the last two
        response = editor.get(INQUIRIES, query_string={"from": other_form})
        assert response.status_code == 400, other_form
        assert "is not a date (YYYY-MM-DD)" in response.get_data(as_text=True)
    assert editor.get(f"{INQUIRIES}/export.csv", query_string={"to": "2026-13-01"}).status_code == 400
    backwards = editor.get(INQUIRIES, query_string={"from": "2026-12-31", "to": "2026-01-01"})
    assert backwards.status_code == 400
    assert "is before the first date (2026-12-31)" in backwards.get_data(as_text=True)


def test_marking_an_inquiry_forwarded_is_recorded_once(app):
    a, _, _ = three_vendors()
    inquiry_id = stored_inquiry([a], company="Northwind Retail")
    editor, user = editor_client(app)
    path = f"{INQUIRIES}/{inquiry_id}/forwarded"

    response = post_form(editor, path, token_from=INQUIRIES)
    assert response.status_code == 303 and response.headers["Location"].endswith(INQUIRIES)
    inquiry = current().get(Inquiry, inquiry_id)
    assert inquiry.status == "forwarded" and inquiry.forwarded_by == user.id
    forwarded_at = inquiry.forwarded_at
    assert forwarded_at is not None
    (entry,) = inquiry_audit()
    assert (entry.subject_id, entry.action, entry.user_id) == (inquiry_id, "forward", user.id)
    assert "is marked as forwarded" in editor.get(INQUIRIES).get_data(as_text=True)

    # A second editor marking it again changes nothing.
    other, _ = editor_client(app, "other@example.com")
    assert post_form(other, path, token_from=INQUIRIES).status_code == 303
    assert "was marked as forwarded already" in other.get(INQUIRIES).get_data(as_text=True)
    inquiry = current().get(Inquiry, inquiry_id)
    assert inquiry.status == "forwarded" and inquiry.forwarded_by == user.id
    assert inquiry.forwarded_at == forwarded_at
    assert len(inquiry_audit()) == 1
    assert post_form(editor, f"{INQUIRIES}/999999/forwarded", token_from=INQUIRIES).status_code == 404


def test_the_export_has_one_row_per_filtered_inquiry_with_formulas_neutralised(app):
    a, b, _ = three_vendors()
    plain = stored_inquiry([a, b], at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    at = datetime(2026, 3, 3, tzinfo=UTC)
    formula = stored_inquiry([a], at=at, name='=HYPERLINK("http://x.example")', message="@SUM(A1) now")
    stored_inquiry([b])
    editor, _ = editor_client(app)

    header, *rows = export(editor, vendor=a.slug)
    assert header == list(desk.EXPORT_COLUMNS)
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in rows}
    assert list(by_id) == [formula, plain]  # newest first
    assert by_id[plain]["vendors"] == f"{a.slug} {b.slug}"
    assert by_id[plain]["vendor_emails"] == "sales@a.example sales@b.example"
    assert by_id[plain]["received_at"] == "2026-03-02T09:30:00+00:00"
    assert by_id[plain]["timeline"] == TIMELINES["half-year"]
    assert by_id[formula]["name"] == '\'=HYPERLINK("http://x.example")'
    assert by_id[formula]["message"] == "'@SUM(A1) now"
    assert len(export(editor)) == 4


def test_the_export_starts_with_a_byte_order_mark_so_spreadsheets_read_accented_names(app):
    a, _, _ = three_vendors()
    stored_inquiry([a], name="Zoë Peña", company="Société Générale Café")
    editor, _ = editor_client(app)

    response = editor.get(f"{INQUIRIES}/export.csv")

    assert response.get_data().startswith("\ufeffid,".encode())  # as /admin/export's does
    assert response.headers["Content-Disposition"].startswith('attachment; filename="inquiries-')
    [row] = export(editor)[1:]
    assert "Zoë Peña" in row and "Société Générale Café" in row


def test_nul_characters_typed_into_an_inquiry_are_dropped_not_an_error(client):
    a, b, _ = three_vendors()
    data = inquiry_data([a.slug, b.slug], [a.slug], name="Ann\x00 Lee", message="Please quote\x00 us soon.")
    assert send_inquiry(client, data).status_code == 303
    (inquiry,) = current().scalars(select(Inquiry))
    assert (inquiry.name, inquiry.message) == ("Ann Lee", "Please quote us soon.")


def test_shared_pages_send_no_referrer_and_stay_out_of_shared_caches(client):
    a, b, _ = three_vendors()
    _, path = share_one(client, [a.slug, b.slug])
    for url in (path, path + "/comparison.csv"):
        response = client.get(url)
        assert response.headers["Referrer-Policy"] == "no-referrer", url
        assert response.headers["Cache-Control"] == "private, no-cache", url


def test_the_inquiry_list_takes_the_last_date_and_ignores_stray_arguments(app):
    a, _, _ = three_vendors()
    inquiry_id = stored_inquiry([a])
    editor, _ = editor_client(app)
    assert listed_inquiries(editor, to="9999-12-31") == {inquiry_id}
    assert export(editor, to="9999-12-31")[1][0] == str(inquiry_id)
    response = editor.get(
        "/admin/inquiries", query_string={"endpoint": "x", "_method": "y", "_external": "1"}
    )
    assert response.status_code == 200
    assert 'href="/admin/inquiries/export.csv"' in response.get_data(as_text=True)
    too_large = editor.post(
        f"/admin/inquiries/{2**31}/forwarded", data={"csrf_token": csrf_token(editor, "/admin")}
    )
    assert too_large.status_code == 404


def test_the_inquiry_list_pages_through_every_inquiry_keeping_the_filters(app):
    a, b, _ = three_vendors()
    to_a = [stored_inquiry([a]) for _ in range(PAGE_SIZE + 3)]
    stored_inquiry([b])
    editor, _ = editor_client(app)
    first = editor.get(INQUIRIES, query_string={"vendor": a.slug}).get_data(as_text=True)
    assert "Page 1 of 2" in first
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert f"vendor={a.slug}" in older
    assert listed_inquiries(editor, vendor=a.slug) | listed_inquiries(editor, vendor=a.slug, page=2) == set(
        to_a
    )
    assert listed_inquiries(editor, vendor=a.slug, page=2) == set(sorted(to_a)[:3])


def test_the_inquiry_list_links_its_export_with_the_same_filters(app):
    a, _, _ = three_vendors()
    stored_inquiry([a])
    editor, _ = editor_client(app)
    page = editor.get(INQUIRIES, query_string={"vendor": a.slug, "status": "new"}).get_data(as_text=True)
    link = re.search(r'href="([^"]+)">Export these as CSV', page).group(1).replace("&amp;", "&")
    assert link == f"/admin/inquiries/export.csv?vendor={a.slug}&status=new"
    assert len(export(editor, vendor=a.slug, status="new")) == 2
