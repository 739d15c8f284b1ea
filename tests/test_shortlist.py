"""The buyer's shortlist: "Add to shortlist" on the directory and vendor pages, the header count, /shortlist
with its notes and "Compare", the cookie that finds it, its limit of 50 and the rate limit on changes.

Every change is a POST form with a CSRF token that works without JavaScript (303 back to where the buyer
was); the script sends the same form asking for JSON. Tests drive the site as a browser would, reading the
forms back from the pages, and check the database rows the requests leave.
"""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import make_app
from tests.factories import add_vendors, csrf_token, delete_vendor, update_vendor, vendor_record
from vendors.database import utcnow, write_transaction
from vendors.errors import FORM_NOT_CONFIRMED
from vendors.extensions import db
from vendors.shortlists import store
from vendors.shortlists.models import Shortlist, ShortlistEntry

JSON = {"Accept": "application/json"}


# ---------- helpers ----------


def current():
    """The test's session with its read transaction ended, so it sees what requests committed since."""
    db.session.rollback()
    return db.session


def stored_entries() -> list[ShortlistEntry]:
    return list(current().scalars(select(ShortlistEntry).order_by(ShortlistEntry.id)))


def listed(*names: str):
    """Published vendors with these names (slugs made from them)."""
    return add_vendors(*(vendor_record(slug=name.lower().replace(" ", "-"), name=name) for name in names))


def both_shortlisted(client) -> None:
    """Acme Care and Bravo Desk listed, and both on the client's shortlist."""
    listed("Acme Care", "Bravo Desk")
    change(client, "add", vendor="acme-care")
    change(client, "add", vendor="bravo-desk")


def change(client, action: str, headers: dict | None = None, **fields):
    """POST /shortlist/<action> with the client's CSRF token."""
    data = {"csrf_token": csrf_token(client, "/submit"), **fields}
    return client.post(f"/shortlist/{action}", data=data, headers=headers)


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def header_count(body: str) -> int:
    return int(re.search(r"data-shortlist-count>(\d+)<", body).group(1))


def toggle_of(body: str, slug: str) -> dict[str, str]:
    """The shortlist button of one vendor: where its form posts, where it comes back to, its state."""
    for form in re.findall(r'<form class="shortlist-toggle".*?</form>', body, re.S):
        if f'name="vendor" value="{slug}"' in form:
            return {
                "action": re.search(r'action="([^"]+)"', form).group(1),
                "next": html.unescape(re.search(r'name="next" value="([^"]*)"', form).group(1)),
                "pressed": re.search(r'aria-pressed="(\w+)"', form).group(1),
            }
    raise AssertionError(f"no shortlist button for {slug}")


def set_cookie_header(response) -> str:
    (header,) = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("shortlist=")]
    return header


def flashes(body: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r'<p class="flash">(.*?)</p>', body, re.S)]


def checkboxes(body: str) -> list[str]:
    return re.findall(r'<input type="checkbox" form="compare-form" name="vendor" value="([^"]+)"', body)


# ---------- adding and removing without JavaScript ----------


def test_the_button_on_a_filtered_second_page_comes_back_there_with_its_anchor(client):
    listed("Acme Care", "Bravo Desk", "Cobalt Voice")
    listing = "/vendors?specialisation=customer-support&page=2&per_page=1"
    body = page(client, listing)
    (slug,) = re.findall(r'<li class="vendor-card" id="vendor-([\w-]+)"', body)
    button = toggle_of(body, slug)
    assert button == {"action": "/shortlist/add", "next": f"{listing}#vendor-{slug}", "pressed": "false"}

    response = change(client, "add", vendor=slug, next=button["next"])

    assert response.status_code == 303
    assert response.headers["Location"] == f"{listing}#vendor-{slug}"
    back = page(client, response.headers["Location"])
    assert any(message.endswith("is on your shortlist.") for message in flashes(back))
    assert [entry.vendor_slug for entry in stored_entries()] == [slug]


def test_a_shortlisted_vendors_card_offers_remove_and_the_others_still_offer_add(client):
    listed("Acme Care", "Bravo Desk")
    change(client, "add", vendor="acme-care", next="/vendors")
    on, off = (toggle_of(page(client, "/vendors"), slug) for slug in ("acme-care", "bravo-desk"))
    assert (on["action"], on["pressed"]) == ("/shortlist/remove", "true")
    assert (off["action"], off["pressed"]) == ("/shortlist/add", "false")


def test_the_vendor_page_button_adds_and_removes_and_comes_back_to_the_vendor_page(client):
    listed("Acme Care")
    vendor_page = "/vendors/acme-care?buyer_country=DE"
    button = toggle_of(page(client, vendor_page), "acme-care")
    assert button == {"action": "/shortlist/add", "next": vendor_page, "pressed": "false"}

    added = change(client, "add", vendor="acme-care", next=button["next"])
    assert (added.status_code, added.headers["Location"]) == (303, vendor_page)
    body = page(client, vendor_page)
    assert "Acme Care is on your shortlist." in flashes(body)
    button = toggle_of(body, "acme-care")
    assert (button["action"], button["pressed"]) == ("/shortlist/remove", "true")

    removed = change(client, "remove", vendor="acme-care", next=button["next"])
    assert (removed.status_code, removed.headers["Location"]) == (303, vendor_page)
    assert "Acme Care is off your shortlist." in flashes(page(client, vendor_page))
    assert stored_entries() == []


@pytest.mark.parametrize("outside", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_a_next_outside_the_site_is_not_followed(client, outside):
    listed("Acme Care")
    response = change(client, "add", vendor="acme-care", next=outside)
    assert response.status_code == 303
    assert response.headers["Location"] == "/shortlist"
    assert len(stored_entries()) == 1


def test_a_post_without_a_csrf_token_is_refused_and_nothing_is_stored(client):
    (vendor,) = listed("Acme Care")
    response = client.post("/shortlist/add", data={"vendor": "acme-care", "next": "/vendors"})
    assert response.status_code == 400
    assert "shortlist=" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert current().scalars(select(Shortlist)).all() == [] and stored_entries() == []

    token, _ = store.add(None, vendor)
    client.set_cookie("shortlist", token)
    refused = client.post("/shortlist/remove", data={"vendor": "acme-care"}, headers=JSON)
    assert refused.status_code == 400
    assert len(stored_entries()) == 1


# ---------- with JavaScript ----------


def test_with_javascript_adding_re_adding_and_removing_answer_json(client):
    listed("Acme Care", "Bravo Desk")
    added = change(client, "add", JSON, vendor="acme-care", next="/vendors")
    assert added.status_code == 200 and "Location" not in added.headers
    on = {"message": "Acme Care is on your shortlist.", "count": 1, "limit": 50, "shortlisted": True}
    assert added.get_json() == on

    again = change(client, "add", JSON, vendor="acme-care", next="/vendors")
    assert (again.status_code, again.get_json()["count"], again.get_json()["shortlisted"]) == (200, 1, True)
    assert [entry.vendor_slug for entry in stored_entries()] == ["acme-care"]

    assert change(client, "add", JSON, vendor="bravo-desk").get_json()["count"] == 2
    removed = change(client, "remove", JSON, vendor="acme-care", next="/vendors")
    assert removed.status_code == 200 and "Location" not in removed.headers
    off = {"message": "Acme Care is off your shortlist.", "count": 1, "limit": 50, "shortlisted": False}
    assert removed.get_json() == off
    assert [entry.vendor_slug for entry in stored_entries()] == ["bravo-desk"]


def test_with_javascript_a_refusal_is_json_with_the_message_to_show(app, client):
    listed("Acme Care", "Bravo Desk")
    unconfirmed = client.post("/shortlist/add", data={"vendor": "acme-care"}, headers=JSON)
    assert unconfirmed.status_code == 400 and unconfirmed.get_json()["message"] == FORM_NOT_CONFIRMED

    app.config["SHORTLIST_LIMIT_PER_ADDRESS"] = "1 per minute"
    assert change(client, "add", JSON, vendor="acme-care").status_code == 200
    refused = change(client, "add", JSON, vendor="bravo-desk")
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    too_many = "There have been too many attempts from here. Try again in 1 minute."
    assert refused.get_json()["message"] == too_many
    assert [entry.vendor_slug for entry in stored_entries()] == ["acme-care"]


# ---------- the header count ----------


def test_the_header_shows_the_count_on_every_page(client, app):
    listed("Acme Care", "Bravo Desk", "Cobalt Voice")
    change(client, "add", vendor="acme-care")
    change(client, "add", vendor="bravo-desk")
    for path in ("/", "/vendors", "/vendors/cobalt-voice", "/estimate", "/shortlist"):
        assert header_count(page(client, path)) == 2, path
    assert header_count(page(app.test_client(), "/")) == 0


# ---------- the cookie ----------


def test_the_cookie_is_httponly_lax_long_lived_and_only_its_hash_is_stored(client):
    listed("Acme Care")
    response = change(client, "add", vendor="acme-care")
    header = set_cookie_header(response)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert int(re.search(r"Max-Age=(\d+)", header).group(1)) == 365 * 24 * 3600, "a year, as the README says"

    token = client.get_cookie("shortlist").value
    (shortlist,) = current().scalars(select(Shortlist))
    assert shortlist.token_hash != token and token not in shortlist.token_hash
    assert shortlist.token_hash == store.digest(token)


def test_removing_a_vendor_or_saving_a_note_renews_the_cookie(client):
    both_shortlisted(client)
    entry = stored_entries()[0]
    token = csrf_token(client, "/shortlist")
    noted = client.post(f"/shortlist/notes/{entry.id}", data={"csrf_token": token, "note": "Call back"})
    removed = change(client, "remove", vendor="bravo-desk")
    assert (noted.status_code, removed.status_code) == (303, 303)
    for response in (noted, removed):
        assert "shortlist=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_another_browser_sees_its_own_empty_shortlist(client, app):
    listed("Acme Care")
    change(client, "add", vendor="acme-care")
    other = app.test_client()
    body = page(other, "/shortlist")
    assert "Your shortlist is empty" in body and "Acme Care" not in body and header_count(body) == 0
    assert toggle_of(page(other, "/vendors"), "acme-care")["action"] == "/shortlist/add"
    assert other.get_cookie("shortlist") is None


def test_a_made_up_cookie_shows_an_empty_shortlist_and_adding_starts_a_new_one(client):
    listed("Acme Care", "Bravo Desk")
    client.set_cookie("shortlist", "made-up-value")
    body = page(client, "/shortlist")
    assert "Your shortlist is empty" in body and header_count(body) == 0

    response = change(client, "add", vendor="acme-care")
    token = client.get_cookie("shortlist").value
    assert set_cookie_header(response) and token != "made-up-value"
    (shortlist,) = current().scalars(select(Shortlist))
    assert shortlist.token_hash == store.digest(token)
    assert header_count(page(client, "/shortlist")) == 1


# ---------- the limit of 50 ----------


def test_the_51st_vendor_is_refused_with_a_message_and_50_stay(client):
    vendors = add_vendors(*(vendor_record(slug=f"vendor-{n:02}", name=f"Vendor {n:02}") for n in range(51)))
    token = None
    for vendor in vendors[:50]:
        token, _ = store.add(token, vendor)
    client.set_cookie("shortlist", token)

    response = change(client, "add", vendor="vendor-50", next="/vendors?page=3")
    assert (response.status_code, response.headers["Location"]) == (303, "/vendors?page=3")
    body = page(client, "/vendors?page=3")
    assert any("50" in message for message in flashes(body)), flashes(body)
    assert toggle_of(body, "vendor-50")["action"] == "/shortlist/add"

    refused = change(client, "add", JSON, vendor="vendor-50")
    assert refused.status_code == 409
    answer = refused.get_json()
    assert "50" in answer["message"] and (answer["count"], answer["shortlisted"]) == (50, False)
    # One already on it can still be "added": nothing changes.
    assert change(client, "add", JSON, vendor="vendor-00").get_json()["count"] == 50
    assert len(stored_entries()) == 50
    assert "vendor-50" not in {entry.vendor_slug for entry in stored_entries()}


# ---------- vendors no longer listed ----------


def test_a_vendor_archived_or_deleted_later_stays_as_no_longer_listed_and_can_be_removed(client):
    _, bravo, cobalt = listed("Acme Care", "Bravo Desk", "Cobalt Voice")
    for slug in ("acme-care", "bravo-desk", "cobalt-voice"):
        change(client, "add", vendor=slug)
    update_vendor(bravo.id, status="archived")
    delete_vendor(cobalt.id)

    body = page(client, "/shortlist")
    assert header_count(body) == 3
    assert body.count("No longer listed") == 2
    assert "<h2>Bravo Desk</h2>" in body and "<h2>Cobalt Voice</h2>" in body
    assert checkboxes(body) == ["acme-care"]

    entries = {entry.vendor_slug: entry.id for entry in stored_entries()}
    removed = change(client, "remove", JSON, entry=str(entries["bravo-desk"]))
    assert removed.get_json()["count"] == 2
    response = change(client, "remove", entry=str(entries["cobalt-voice"]), next="/shortlist")
    assert (response.status_code, response.headers["Location"]) == (303, "/shortlist")
    body = page(client, "/shortlist")
    assert "No longer listed" not in body and header_count(body) == 1
    assert [entry.vendor_slug for entry in stored_entries()] == ["acme-care"]


# ---------- /shortlist: notes and compare ----------


def test_a_private_note_is_saved_and_an_overlong_one_is_refused_keeping_the_earlier(client):
    listed("Acme Care")
    change(client, "add", vendor="acme-care")
    (entry,) = stored_entries()
    notes = f"/shortlist/notes/{entry.id}"
    token = csrf_token(client, "/shortlist")

    saved = client.post(notes, data={"csrf_token": token, "note": "Ask about Tagalog", "next": "/shortlist"})
    assert (saved.status_code, saved.headers["Location"]) == (303, "/shortlist")
    body = page(client, "/shortlist")
    assert "Note saved." in flashes(body) and ">Ask about Tagalog</textarea>" in body

    refused = client.post(notes, data={"csrf_token": token, "note": "x" * 1001}, headers=JSON)
    assert refused.status_code == 400 and "1,000" in refused.get_json()["message"]
    client.post(notes, data={"csrf_token": token, "note": "y" * 1001, "next": "/shortlist"})
    body = page(client, "/shortlist")
    assert any("not saved" in message for message in flashes(body))
    assert ">Ask about Tagalog</textarea>" in body
    assert [entry.note for entry in stored_entries()] == ["Ask about Tagalog"]


@pytest.mark.parametrize("refusal", ["past the limit", "unconfirmed form"])
def test_without_javascript_a_refused_note_comes_back_in_its_box_with_why(app, client, refusal):
    if refusal == "past the limit":
        app.config["SHORTLIST_LIMIT_PER_ADDRESS"] = "3 per minute"  # the two adds and the note below
    both_shortlisted(client)
    first, second = stored_entries()
    token = csrf_token(client, "/shortlist")
    client.post(f"/shortlist/notes/{second.id}", data={"csrf_token": token, "note": "Saved earlier"})
    if refusal == "unconfirmed form":
        token = "not-the-token"
    typed = 'Ask about "night shifts" & <Tagalog>\r\nsecond line'

    refused = client.post(f"/shortlist/notes/{second.id}", data={"csrf_token": token, "note": typed})

    body = refused.get_data(as_text=True)
    if refusal == "past the limit":
        assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
        assert "too many attempts from here. Try again in 1 minute." in body
    else:
        assert refused.status_code == 400 and FORM_NOT_CONFIRMED in html.unescape(body)
    assert refused.headers["Cache-Control"] == "private, no-cache"
    unsaved = re.search(rf'<textarea id="note-{second.id}"[^>]*>([^<]*)</textarea>', body)
    assert unsaved and "autofocus" in unsaved.group(0)
    assert html.unescape(unsaved.group(1)).replace("\r\n", "\n") == typed.replace("\r\n", "\n")
    assert f'<textarea id="note-{first.id}" name="note" rows="2" maxlength="1000"></textarea>' in body
    assert "Your note was not saved." in body
    assert [entry.note for entry in stored_entries()] == ["", "Saved earlier"]


def test_with_javascript_or_for_other_changes_a_refusal_is_the_usual_answer(app, client):
    listed("Acme Care")
    change(client, "add", vendor="acme-care")
    (entry,) = stored_entries()
    unconfirmed = {"csrf_token": "not-the-token", "note": "Typed"}
    as_json = client.post(f"/shortlist/notes/{entry.id}", data=unconfirmed, headers=JSON)
    assert as_json.status_code == 400 and as_json.get_json()["message"] == FORM_NOT_CONFIRMED
    other = client.post("/shortlist/remove", data={"csrf_token": "not-the-token", "entry": entry.id})
    shown = html.unescape(other.get_data(as_text=True))
    assert other.status_code == 400 and "Private note" not in shown and FORM_NOT_CONFIRMED in shown


def test_a_note_that_fits_the_textarea_with_line_breaks_is_saved(client):
    listed("Acme Care")
    change(client, "add", vendor="acme-care")
    (entry,) = stored_entries()
    note = ("a" * 99 + "\r\n") * 10  # 1,000 characters in the textarea, 1,010 as posted
    data = {"csrf_token": csrf_token(client, "/shortlist"), "note": note}
    response = client.post(f"/shortlist/notes/{entry.id}", data=data, headers=JSON)
    assert response.status_code == 200, response.get_json()
    assert stored_entries()[0].note.replace("\r\n", "\n") == note.strip().replace("\r\n", "\n")


def test_another_visitor_cannot_write_a_note_on_someone_elses_entry(client, app):
    listed("Acme Care", "Bravo Desk")
    change(client, "add", vendor="acme-care")
    (entry,) = stored_entries()
    intruder = app.test_client()
    data = {"csrf_token": csrf_token(intruder, "/submit"), "note": "mine now"}
    assert intruder.post(f"/shortlist/notes/{entry.id}", data=data).status_code == 404

    change(intruder, "add", vendor="bravo-desk")  # with a shortlist of their own, still not this entry
    data["csrf_token"] = csrf_token(intruder, "/submit")
    assert intruder.post(f"/shortlist/notes/{entry.id}", data=data).status_code == 404
    assert stored_entries()[0].note == ""


def test_the_shortlist_page_offers_compare_for_the_ticked_listed_vendors(client):
    _, _, cobalt = listed("Acme Care", "Bravo Desk", "Cobalt Voice")
    for slug in ("acme-care", "bravo-desk", "cobalt-voice"):
        change(client, "add", vendor=slug)
    update_vendor(cobalt.id, status="archived")

    body = page(client, "/shortlist")
    assert '<form id="compare-form" action="/compare" method="get">' in body
    assert checkboxes(body) == ["acme-care", "bravo-desk"]
    compared = page(client, "/compare?vendor=acme-care&vendor=bravo-desk")
    assert "Acme Care" in compared and "Bravo Desk" in compared


# ---------- rate limit ----------


def test_changes_beyond_the_rate_limit_get_429(app, client):
    app.config["SHORTLIST_LIMIT_PER_ADDRESS"] = "3 per minute"
    listed("Acme Care", "Bravo Desk", "Cobalt Voice", "Delta Chat")
    first = ("acme-care", "bravo-desk", "cobalt-voice")
    assert [change(client, "add", vendor=slug).status_code for slug in first] == [303] * 3
    response = change(client, "add", vendor="delta-chat")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert [entry.vendor_slug for entry in stored_entries()] == list(first)
    assert client.get("/shortlist").status_code == 200  # reading is not limited


def test_every_kind_of_change_draws_on_one_budget(app, client):
    app.config["SHORTLIST_LIMIT_PER_ADDRESS"] = "4 per minute"
    listed("Acme Care")
    answers = [change(client, action, vendor="acme-care").status_code for action in ("add", "remove") * 2]
    assert answers == [303] * 4
    refused = [
        change(client, "add", vendor="acme-care"),
        change(client, "remove", vendor="acme-care"),
        change(client, "share", vendor=["acme-care"]),
    ]
    assert [answer.status_code for answer in refused] == [429] * 3
    assert stored_entries() == []


def test_the_default_rate_limit_is_120_changes_a_minute(app, scratch_database, tmp_path, monkeypatch):
    monkeypatch.delenv("SHORTLIST_LIMIT_PER_ADDRESS", raising=False)
    limited = make_app(scratch_database, tmp_path / "limited-index")
    try:
        assert limited.config["SHORTLIST_LIMIT_PER_ADDRESS"] == "120 per minute"
    finally:
        with limited.app_context():
            db.engine.dispose()


def test_nul_bytes_and_odd_slugs_are_answers_not_errors(client):
    """PostgreSQL refuses NUL characters outright; each is turned away before it reaches the database."""
    [vendor] = listed("Acme Care")
    for url in ("/compare?vendor=%00&vendor=acme-care", "/api/v1/compare?vendor=acme-care&vendor=a%00b"):
        assert client.get(url).status_code == 400, url
    for url in ("/s/%00", "/s/" + "x" * 300, "/vendors/%00", "/admin/inquiries?vendor=%00"):
        assert client.get(url).status_code in (302, 404), url
    assert client.get("/inquiry?vendor=%00&vendor=acme-care").status_code == 200
    assert client.get("/api/v1/suggest?q=ac%00").get_json()["names"] == ["Acme Care"]
    assert change(client, "add", headers=JSON, vendor="acme\x00care").status_code == 404
    assert change(client, "remove", headers=JSON, vendor="\x00").status_code == 404
    assert change(client, "add", headers=JSON, vendor=vendor.slug).status_code == 200
    [entry] = stored_entries()
    assert change(client, f"notes/{entry.id}", headers=JSON, note="call\x00 back").status_code == 200
    assert [entry.note for entry in stored_entries()] == ["call back"]


def test_removing_a_vendor_that_is_not_on_the_shortlist_says_nothing_about_it(client):
    listed("Acme Care")
    add_vendors(vendor_record(slug="secret-draft", name="Secret Draft Co", status="draft"))
    change(client, "add", vendor="acme-care")
    response = change(client, "remove", headers=JSON, vendor="secret-draft")
    assert response.status_code == 404
    assert "Secret Draft" not in response.get_data(as_text=True)
    assert len(stored_entries()) == 1


def test_ids_too_large_for_the_database_are_not_found(client):
    listed("Acme Care")
    change(client, "add", vendor="acme-care")
    huge = str(2**31)
    assert change(client, "remove", headers=JSON, entry=huge + "0" * 20).status_code == 404
    assert change(client, f"notes/{huge}", note="x").status_code == 404
    assert change(client, f"shared/{huge}/revoke").status_code == 404
    assert len(stored_entries()) == 1


def test_pages_with_notes_are_kept_out_of_shared_caches(client):
    listed("Acme Care")
    change(client, "add", vendor="acme-care")
    for path in ("/shortlist", "/shortlist.csv"):
        assert client.get(path).headers["Cache-Control"] == "private, no-cache", path


def test_a_refused_selection_keeps_the_vendors_ticked_in_the_picker(client):
    both_shortlisted(client)
    response = client.get("/compare?vendor=acme-care")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert re.search(r'value="acme-care" id="pick-\d+" checked', body)
    assert not re.search(r'value="bravo-desk" id="pick-\d+" checked', body)


def test_a_vendor_already_off_the_shortlist_or_the_directory_is_answered_as_not_shortlisted(client):
    """The script shows the button as the answer says: taken off in another tab, it must read "Add"."""
    listed("Acme Care")
    change(client, "add", vendor="acme-care")
    assert change(client, "remove", headers=JSON, vendor="acme-care").status_code == 200
    again = change(client, "remove", headers=JSON, vendor="acme-care")
    assert again.status_code == 404 and again.get_json()["shortlisted"] is False
    gone = change(client, "add", headers=JSON, vendor="never-listed")
    assert gone.status_code == 404 and gone.get_json()["shortlisted"] is False


def test_the_picker_keeps_the_team_typed_in_the_address(client):
    """An old link naming a vendor taken out since shows the picker: choosing vendors there keeps the team."""
    both_shortlisted(client)
    response = client.get("/compare?vendor=acme-care&vendor=gone-since&headcount=25&salary=50%2C000")
    assert response.status_code == 400
    picker = re.search(r'<section class="compare-picker".*?</form>', response.get_data(as_text=True), re.S)[0]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', picker))
    assert hidden == {"headcount": "25", "salary": "50,000"}
    chosen = client.get("/compare", query_string={"vendor": ["acme-care", "bravo-desk"], **hidden})
    assert chosen.status_code == 200
    assert re.search(r'name="headcount"[^>]*value="25"', chosen.get_data(as_text=True))


def test_purge_deletes_shortlists_left_alone_for_longer_than_asked(app, client, runner):
    listed("Acme Care")
    change(client, "add", vendor="acme-care")
    assert "Deleted 0 shortlists unchanged for 400 days" in runner.invoke(args=["shortlists", "purge"]).output
    with write_transaction() as session:
        session.execute(update(Shortlist).values(updated_at=utcnow() - timedelta(days=401)))
    result = runner.invoke(args=["shortlists", "purge"])
    assert result.exit_code == 0 and "Deleted 1 shortlist unchanged for 400 days or more." in result.output
    assert stored_entries() == [] and current().scalar(select(func.count()).select_from(Shortlist)) == 0


def test_share_this_shortlist_is_offered_for_two_to_six_vendors(client):
    names = ["Acme Care", "Bravo Desk", "Cobalt Voice", "Delta Chat", "Echo Line", "Foxtrot Help", "Golf Ops"]
    listed(*names)
    offered = []
    for name in names:
        change(client, "add", vendor=name.lower().replace(" ", "-"))
        body = page(client, "/shortlist")
        offered.append('action="/shortlist/share"' in body)
        assert ("appears here when it lists 2 to 6 vendors" in body) is not offered[-1]
    assert offered == [False, True, True, True, True, True, False]
