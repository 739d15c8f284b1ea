"""The curation area: vendor list, editor, quick actions, imports and exports, audit log and dashboard."""

import csv
import html
import io
import re
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from tests.factories import (
    add_user,
    add_vendors,
    delete_vendor,
    login,
    post_form,
    update_vendor,
    vendor_record,
)
from tests.test_csv_import_export import csv_text, row
from vendors.accounts.models import User
from vendors.accounts.users import create_user
from vendors.admin.imports import PendingImport
from vendors.admin.present import field_label
from vendors.audit import Actor, AuditEntry
from vendors.catalog import csvfiles
from vendors.catalog.forms import form_data
from vendors.catalog.models import Vendor
from vendors.catalog.records import vendor_record as stored_record
from vendors.database import write_transaction
from vendors.extensions import db
from vendors.submissions.models import Submission


@pytest.fixture
def editor(client):
    add_user("ed@example.com", role="editor")
    login(client, "ed@example.com")
    return client


def form_of(vendor: Vendor, **changes) -> dict:
    """What the editor form posts for this vendor, with `changes` typed in."""
    data = form_data(stored_record(vendor)) | {"version": str(vendor.version)} | changes
    return {key: value for key, value in data.items() if value is not None}


def fresh(vendor_id: int) -> Vendor:
    db.session.expire_all()
    return db.session.get(Vendor, vendor_id)


def edit(client, vendor: Vendor, **changes):
    return post_form(client, f"/admin/vendors/{vendor.id}/edit", form_of(vendor, **changes))


def text(response) -> str:
    return response.get_data(as_text=True)


def ticked(page: str, field_name: str) -> list[str]:
    """The ticked boxes of a checkbox list, in page order: what a browser sends for it."""
    return re.findall(rf'<input checked[^>]* name="{field_name}" type="checkbox" value="([^"]*)"', page)


# ------------------------------------------------------------------------------------------ list
@pytest.mark.parametrize("typed", ["équipe", "ÉQUIPE", "ömer", "Équipe Ömer"])
def test_the_list_is_searched_by_name_in_any_case_of_any_letter(editor, typed):
    """SQLite's own lower() knew ASCII letters only: "équipe" missed "Équipe" there, not on PostgreSQL."""
    add_vendors(vendor_record(name="Équipe Ömer Support"), vendor_record(name="Other Desk"))
    page = text(editor.get("/admin/vendors", query_string={"q": typed}))
    assert re.findall(r'/edit">([^<]+)</a>', page) == ["Équipe Ömer Support"]


def test_the_list_shows_every_status_and_filters_by_status_search_and_problem(editor):
    add_vendors(
        vendor_record(name="Alpha Published"),
        vendor_record(name="Beta Draft", status="draft"),
        vendor_record(name="Gamma Archived", status="archived"),
        vendor_record(name="Delta Stale", verified_at="2020-01-01"),
        vendor_record(name="Epsilon Unpriced", hourly_rate_min="", hourly_rate_max=""),
    )

    def names(query: str) -> list[str]:
        return re.findall(r'/edit">([^<]+)</a>', text(editor.get("/admin/vendors" + query)))

    assert names("") == ["Alpha Published", "Beta Draft", "Delta Stale", "Epsilon Unpriced", "Gamma Archived"]
    assert names("?status=draft") == ["Beta Draft"]
    assert names("?q=gamma") == ["Gamma Archived"]
    assert names("?q=100%25") == []  # LIKE wildcards are searched for literally
    assert names("?problem=stale") == ["Delta Stale"]
    assert names("?problem=no-rate") == ["Epsilon Unpriced"]
    page = text(editor.get("/admin/vendors"))
    assert "test suite" in page  # last editor of each vendor


# ------------------------------------------------------------------------------------------ editing
def test_an_edit_is_visible_everywhere_right_after_saving(editor):
    [vendor] = add_vendors(vendor_record(name="Lantern Support", tagline="Before"))

    response = edit(editor, vendor, tagline="Night shift specialists in Quezonia", languages=["en", "es"])

    assert response.status_code == 303
    assert "Lantern Support: 2 field(s) saved." in text(editor.get(response.location))
    page = text(editor.get(f"/vendors/{vendor.slug}"))
    assert "Night shift specialists in Quezonia" in page and "Spanish" in page
    api = editor.get(f"/api/v1/vendors/{vendor.slug}").get_json()
    assert api["tagline"] == "Night shift specialists in Quezonia"
    assert api["languages"] == ["en", "es"]
    found = editor.get("/api/v1/vendors?q=quezonia").get_json()
    assert [item["slug"] for item in found["items"]] == [vendor.slug]
    assert "Lantern Support" in text(editor.get("/vendors?language=es"))


def test_a_new_vendor_can_be_created_as_a_draft_and_is_not_public(editor):
    data = form_of(add_vendors(vendor_record())[0], name="Fresh Desk", slug="", status="draft", version=None)
    response = post_form(editor, "/admin/vendors/new", data)

    assert response.status_code == 303
    created = db.session.scalar(select(Vendor).where(Vendor.slug == "fresh-desk"))
    assert created.status == "draft"
    assert editor.get("/vendors/fresh-desk").status_code == 404
    preview = editor.get(f"/admin/vendors/{created.id}/preview")
    assert preview.status_code == 200
    assert "Preview" in text(preview) and "Fresh Desk" in text(preview)


def test_a_bad_value_is_refused_at_its_field_and_nothing_typed_is_lost(editor):
    [vendor] = add_vendors(vendor_record(name="Keeper Co", tagline="Original"))

    response = edit(
        editor,
        vendor,
        tagline="Typed but not saved",
        employees="lots",
        hourly_rate_min="20",
        hourly_rate_max="10",
        certifications=["hipaa", "soc-2"],
    )

    assert response.status_code == 400
    page = text(response)
    assert "&#39;lots&#39; is not a whole number" in page
    assert "is below the minimum rate" in page
    assert 'value="Typed but not saved"' in page
    assert 'value="lots"' in page
    assert re.search(r'value="hipaa"[^>]*checked|checked[^>]*value="hipaa"', page)
    assert fresh(vendor.id).tagline == "Original"


def test_the_editor_keeps_a_vendors_own_order_of_countries_and_specialisations(editor):
    [vendor] = add_vendors(
        vendor_record(delivery_countries=["PH", "CO"], specialisations=["sales", "healthcare"])
    )
    # Browsers send ticked boxes in page order; the vendor's main country and specialisation stay first.
    response = edit(
        editor,
        vendor,
        delivery_countries=["CO", "IN", "PH"],
        specialisations=["healthcare", "legal", "sales"],
    )
    assert response.status_code == 303
    stored = fresh(vendor.id)
    assert stored.delivery_countries == ["PH", "CO", "IN"]
    assert stored.specialisations == ["sales", "healthcare", "legal"]


def test_a_second_save_based_on_an_older_version_is_refused_and_shows_what_changed(editor, app):
    [vendor] = add_vendors(vendor_record(name="Shared Desk", tagline="First", employees=120))
    add_user("ann@example.com", role="admin")
    other = app.test_client()
    login(other, "ann@example.com")
    opened_by_editor = form_of(vendor, tagline="Editor's tagline", min_seats="5")

    assert edit(other, vendor, tagline="Admin's tagline", employees="300").status_code == 303
    response = post_form(editor, f"/admin/vendors/{vendor.id}/edit", opened_by_editor)

    assert response.status_code == 409
    page = text(response)
    assert "someone else saved this vendor" in page
    assert "ann@example.com" in page
    assert "<del>First</del> → <ins>Admin&#39;s tagline</ins>" in page
    assert "You both changed Tagline" in page
    assert fresh(vendor.id).tagline == "Admin's tagline"
    fields = dict(re.findall(r'<input[^>]* name="(\w+)"[^>]* value="([^"]*)"', page))  # what a browser sends
    assert fields["tagline"] == "Editor&#39;s tagline"  # changed by both: the editor's value stays
    assert fields["employees"] == "300"  # changed only by the admin: the form now holds it
    assert fields["min_seats"] == "5"  # changed only by the editor: kept
    # Saving again, having seen the other change, keeps both sides' work.
    merged = {name: html.unescape(value) for name, value in fields.items() if name != "csrf_token"}
    again = post_form(editor, f"/admin/vendors/{vendor.id}/edit", opened_by_editor | merged)
    assert again.status_code == 303
    saved = fresh(vendor.id)
    assert (saved.tagline, saved.employees, saved.min_seats) == ("Editor's tagline", 300, 5)


def test_a_description_sent_back_with_a_browsers_line_breaks_is_unchanged(editor):
    """A textarea's line breaks come back as CRLF, whatever the stored text holds."""
    [vendor] = add_vendors(vendor_record(name="Lined Desk", description="First paragraph.\n\nSecond one."))
    response = edit(editor, vendor, description="First paragraph.\r\n\r\nSecond one.")
    assert response.status_code == 303
    assert "nothing had changed" in text(editor.get(f"/admin/vendors/{vendor.id}/edit"))
    saved = fresh(vendor.id)
    assert (saved.description, saved.version) == ("First paragraph.\n\nSecond one.", vendor.version)


def test_a_save_after_anothers_paragraph_keeps_it_whatever_line_breaks_the_browser_sends(editor, app):
    """Ann adds a paragraph; the editor, who opened the vendor before, changes only its name: the
    description is Ann's alone to have changed, so saving again, as the conflict page asks, keeps it."""
    [vendor] = add_vendors(vendor_record(name="Shared Desk", description="One.\n\nTwo."))
    add_user("ann@example.com", role="admin")
    other = app.test_client()
    login(other, "ann@example.com")
    opened_by_editor = form_of(vendor, name="Shared Desk Ltd", description="One.\r\n\r\nTwo.")
    assert edit(other, vendor, description="One.\r\n\r\nTwo.\r\n\r\nThree.").status_code == 303

    response = post_form(editor, f"/admin/vendors/{vendor.id}/edit", opened_by_editor)
    assert response.status_code == 409 and "You both changed Description" not in text(response)
    merged = re.search(r'<textarea[^>]* name="description"[^>]*>(.*?)</textarea>', text(response), re.DOTALL)
    sent_again = opened_by_editor | {
        "description": html.unescape(merged[1]).lstrip("\n").replace("\n", "\r\n"),
        "version": re.search(r'name="version"[^>]* value="(\d+)"', text(response))[1],
    }
    assert post_form(editor, f"/admin/vendors/{vendor.id}/edit", sent_again).status_code == 303
    saved = fresh(vendor.id)
    assert (saved.name, saved.description) == ("Shared Desk Ltd", "One.\n\nTwo.\n\nThree.")


def test_a_country_not_in_the_list_is_named_once(editor):
    [vendor] = add_vendors(vendor_record(name="Forged Desk"))
    page = html.unescape(text(edit(editor, vendor, hq_country="XX")))
    assert "Not a valid choice" not in page
    assert page.count("'XX' is not a known ISO 3166-1 alpha-2 country code") == 2  # the summary and the field


def test_an_edit_sent_without_its_version_is_refused_not_saved_over_anothers(editor, app):
    [vendor] = add_vendors(vendor_record(name="Shared Desk", tagline="First"))
    add_user("ann@example.com", role="admin")
    other = app.test_client()
    login(other, "ann@example.com")
    opened_by_editor = form_of(vendor, tagline="Editor's tagline")
    assert edit(other, vendor, tagline="Admin's tagline").status_code == 303
    del opened_by_editor["version"]
    response = post_form(editor, f"/admin/vendors/{vendor.id}/edit", opened_by_editor)
    assert response.status_code == 400 and "lost its version number" in text(response)
    assert fresh(vendor.id).tagline == "Admin's tagline"


@pytest.mark.parametrize(
    ("field_name", "stored", "added"),
    [("delivery_countries", ["PH", "CO", "US"], "MX"), ("specialisations", ["healthcare", "sales"], "legal")],
)
def test_a_list_only_the_other_person_changed_is_taken_into_the_form_whatever_its_order(
    editor, app, field_name, stored, added
):
    [vendor] = add_vendors(vendor_record(name="Shared Desk", tagline="First", **{field_name: stored}))
    add_user("ann@example.com", role="admin")
    other = app.test_client()
    login(other, "ann@example.com")
    address = f"/admin/vendors/{vendor.id}/edit"
    # Browsers send ticked boxes in page order, which is not the vendor's own order (its main item first).
    in_page_order = ticked(text(editor.get(address)), field_name)
    assert in_page_order != stored and sorted(in_page_order) == sorted(stored)
    opened_by_editor = form_of(vendor, description="The editor's description", **{field_name: in_page_order})

    by_admin = edit(other, vendor, tagline="Admin's tagline", **{field_name: [*in_page_order, added]})
    assert by_admin.status_code == 303
    response = post_form(editor, address, opened_by_editor)

    assert response.status_code == 409
    page = text(response)
    assert "You both changed" not in page  # the editor left the list as it was
    assert re.search(rf"You had left [^<]*{field_label(field_name)}[^<]* as they were", page)
    assert sorted(ticked(page, field_name)) == sorted([*stored, added])
    fields = dict(re.findall(r'<input[^>]* name="(\w+)"[^>]* value="([^"]*)"', page))
    assert fields["tagline"] == "Admin&#39;s tagline"
    # Saving again keeps both people's work: the admin's tagline and addition, the editor's description.
    merged = {name: html.unescape(value) for name, value in fields.items() if name != "csrf_token"}
    again = post_form(editor, address, opened_by_editor | merged | {field_name: ticked(page, field_name)})
    assert again.status_code == 303
    saved = fresh(vendor.id)
    assert getattr(saved, field_name) == [*stored, added]
    assert (saved.tagline, saved.description) == ("Admin's tagline", "The editor's description")


def test_renaming_a_slug_keeps_old_links_working_with_a_301(editor):
    [vendor] = add_vendors(vendor_record(slug="old-address"))

    assert edit(editor, vendor, slug="new-address").status_code == 303

    page = editor.get("/vendors/old-address?buyer_country=GB")
    assert page.status_code == 301
    assert page.location == "/vendors/new-address?buyer_country=GB"
    # Browsers ask again each time: kept, it would loop once the vendor takes its old slug back.
    assert page.cache_control.no_cache and page.cache_control.max_age is None
    odd = editor.get("/vendors/old-address?slug=x&_external=1")
    assert (odd.status_code, odd.location) == (301, "/vendors/new-address?slug=x&_external=1")
    api = editor.get("/api/v1/vendors/old-address")
    assert (api.status_code, api.location) == (301, "/api/v1/vendors/new-address")
    assert editor.get("/vendors/new-address").status_code == 200
    assert edit(editor, fresh(vendor.id), slug="old-address").status_code == 303  # taken back
    back = editor.get("/vendors/new-address")
    assert (back.status_code, back.location, back.cache_control.no_cache) == (
        301,
        "/vendors/old-address",
        True,
    )
    assert editor.get("/vendors/old-address").status_code == 200
    update_vendor(vendor.id, status="draft")
    assert editor.get("/vendors/old-address").status_code == 404  # nothing public to send people to


def test_quick_actions_publish_unpublish_archive_and_mark_verified(editor):
    [vendor] = add_vendors(vendor_record(status="draft", verified_at="2024-01-01"))
    back = "/admin/vendors?status=draft"

    response = post_form(editor, f"/admin/vendors/{vendor.id}/status", {"status": "published", "back": back})
    assert (response.status_code, response.location) == (303, back)
    assert fresh(vendor.id).status == "published"
    assert editor.get(f"/vendors/{vendor.slug}").status_code == 200

    post_form(editor, f"/admin/vendors/{vendor.id}/verify")
    assert fresh(vendor.id).verified_at == date.today()

    post_form(editor, f"/admin/vendors/{vendor.id}/status", {"status": "archived"})
    assert fresh(vendor.id).status == "archived"
    assert editor.get(f"/vendors/{vendor.slug}").status_code == 404
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_id == vendor.id).order_by(AuditEntry.id)
    )
    assert list(actions) == ["created", "published", "verified", "archived"]
    assert post_form(editor, f"/admin/vendors/{vendor.id}/status", {"status": "gone"}).status_code == 400


def test_back_links_never_leave_the_site(editor):
    [vendor] = add_vendors(vendor_record())
    response = post_form(editor, f"/admin/vendors/{vendor.id}/verify", {"back": "//evil.example/"})
    assert response.location == "/admin"


def test_delete_asks_for_confirmation_then_deletes(editor):
    [vendor] = add_vendors(vendor_record(name="Doomed Partners"))
    vendor_id, slug = vendor.id, vendor.slug
    confirm = editor.get(f"/admin/vendors/{vendor_id}/delete")
    assert confirm.status_code == 200
    assert "Delete Doomed Partners?" in text(confirm)
    assert fresh(vendor_id) is not None

    response = post_form(
        editor, f"/admin/vendors/{vendor_id}/delete", token_from=f"/admin/vendors/{vendor_id}/delete"
    )

    assert response.status_code == 303
    assert fresh(vendor_id) is None
    assert editor.get(f"/vendors/{slug}").status_code == 404
    assert editor.get(f"/admin/vendors/{vendor_id}/edit").status_code == 404


# ------------------------------------------------------------------------------------------ audit log
def test_the_audit_trail_of_an_edit_names_who_when_and_each_field(editor):
    [vendor] = add_vendors(vendor_record(name="Traceable", tagline="Before", employees=120))
    edit(editor, vendor, tagline="After", employees="450")

    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.actor, entry.action, entry.subject_id) == ("ed@example.com", "updated", vendor.id)
    assert entry.changes == {"tagline": ["Before", "After"], "employees": [120, 450]}
    assert entry.user_id is not None

    page = text(editor.get(f"/admin/audit?vendor={vendor.id}"))
    assert "ed@example.com" in page
    assert "<del>Before</del> → <ins>After</ins>" in page
    assert "<del>120</del> → <ins>450</ins>" in page


def test_the_audit_log_filters_by_user_vendor_and_date(editor):
    first, second = add_vendors(vendor_record(slug="first-one"), vendor_record(slug="second-one"))
    edit(editor, first, tagline="Edited by ed")
    with write_transaction() as session:  # an old entry, to filter by date
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.subject_id == second.id)
            .values(at=datetime(2025, 1, 15, 10, tzinfo=UTC))
        )

    def labels(query: str) -> list[str]:
        return re.findall(r'vendor=\d+">([^<]+)</a>', text(editor.get("/admin/audit" + query)))

    assert labels("?actor=ed%40example.com") == ["first-one"]
    assert sorted(labels("?vendor=second-one")) == ["second-one"]
    assert labels("?until=2025-12-31") == ["second-one"]
    assert "second-one" not in labels(f"?since={date.today().isoformat()}")
    bad = editor.get("/admin/audit?since=yesterday")
    assert bad.status_code == 400 and "is not a date" in text(bad)
    backwards = editor.get("/admin/audit?since=2026-12-31&until=2026-01-01")
    assert backwards.status_code == 400
    assert "is before the first date (2026-12-31): nothing falls between them" in text(backwards)


def test_an_editor_sees_neither_account_entries_nor_who_made_only_those(editor, app):
    create_user(
        "accounts-only@example.com", "editor", "a long and unusual passphrase", Actor("accounts-only admin")
    )
    [vendor] = add_vendors(vendor_record(slug="first-one"))
    edit(editor, vendor, tagline="Edited by ed")
    page = text(editor.get("/admin/audit"))
    actors = re.findall(r"<option[^>]*>([^<]+)</option>", page.split('id="actor"')[1].split("</select>")[0])
    assert "ed@example.com" in actors and "accounts-only admin" not in actors
    assert "accounts-only@example.com" not in page


@pytest.mark.parametrize(
    "query",
    ["?vendor=2147483648", "?vendor=99999999999999999999", "?vendor=%C2%B2", "?until=9999-12-31"],
    ids=["id past INTEGER", "id past BIGINT", "superscript two", "the last day there is"],
)
def test_the_audit_log_answers_any_vendor_or_last_day_it_is_given(editor, query):
    add_vendors(vendor_record(slug="first-one"))
    response = editor.get("/admin/audit" + query)
    assert response.status_code == 200
    shown = re.findall(r'vendor=\d+">([^<]+)</a>', text(response))
    assert shown == (["first-one"] if "until" in query else [])


@pytest.mark.parametrize(
    "version",
    ["\u00b2", "2147483648", "9" * 5000],
    ids=["superscript two", "past INTEGER", "past int()'s 4,300 digits"],
)
def test_an_edit_whose_version_is_not_one_the_database_holds_is_refused(editor, version):
    [vendor] = add_vendors(vendor_record(slug="first-one"))
    response = edit(editor, vendor, tagline="Never saved", version=version)
    assert response.status_code == 400 and "lost its version number" in text(response)
    assert fresh(vendor.id).tagline != "Never saved"


@pytest.mark.parametrize("version", ["999", "2147483647"], ids=["past the vendor's", "the largest INTEGER"])
def test_an_edit_based_on_a_version_the_vendor_has_not_reached_is_refused_as_out_of_step(editor, version):
    [vendor] = add_vendors(vendor_record(slug="first-one"))
    response = edit(editor, vendor, tagline="Never saved", version=version)
    assert response.status_code == 409
    assert "out of step" in text(response) and "open the vendor again" in text(response)
    saved = fresh(vendor.id)
    assert (saved.tagline, saved.version) == (vendor.tagline, vendor.version)


def test_editors_do_not_see_the_accounts_part_of_the_log(editor, client, runner, monkeypatch):
    monkeypatch.setenv("PW", "a long and unusual passphrase")
    runner.invoke(
        args=["users", "create", "newcomer@example.com", "--role", "editor", "--password-env", "PW"]
    )
    assert "newcomer@example.com" not in text(editor.get("/admin/audit"))
    post_form(editor, "/admin/logout")
    add_user("ann@example.com", role="admin")
    login(client, "ann@example.com")
    assert "newcomer@example.com" in text(client.get("/admin/audit"))


def test_a_deleted_vendors_history_is_found_by_its_slug(editor):
    [vendor] = add_vendors(vendor_record(slug="short-lived"))
    post_form(editor, f"/admin/vendors/{vendor.id}/delete", token_from=f"/admin/vendors/{vendor.id}/delete")
    page = text(editor.get("/admin/audit?vendor=short-lived"))
    assert "deleted" in page and "created" in page


def test_a_slug_shows_the_whole_history_of_the_one_vendor_that_has_it_or_had_it_last(editor):
    def history(vendor: str) -> tuple[str, list[tuple[str, str]]]:
        """The page's heading, and (action, vendor id) for each entry shown."""
        page = text(editor.get(f"/admin/audit?vendor={vendor}"))
        heading = re.search(r"<h1>([^<]*)</h1>", page).group(1)
        return heading, re.findall(r'· ([a-z]+) vendor\s*<a href="/admin/audit\?vendor=(\d+)"', page)

    [renamed] = add_vendors(vendor_record(slug="kalesa-desk-partners", name="Kalesa Desk Partners"))
    for slug in ("kalesa-two", "kalesa-three", "kalesa-desk-partners"):
        update_vendor(renamed.id, slug=slug)
    renamed_history = [("updated", str(renamed.id))] * 3 + [("created", str(renamed.id))]
    assert history("kalesa-two") == ("Audit log: Kalesa Desk Partners", renamed_history)
    delete_vendor(renamed.id)
    whole_history = [("deleted", str(renamed.id)), *renamed_history]
    assert history("kalesa-desk-partners") == ("Audit log", whole_history)  # no one has it now
    [newcomer] = add_vendors(vendor_record(slug="kalesa-desk-partners", name="Kalesa Newcomer"))

    assert history("kalesa-desk-partners") == ("Audit log: Kalesa Newcomer", [("created", str(newcomer.id))])
    assert history("kalesa-two") == ("Audit log", whole_history)  # a former slug: whoever had it last
    assert history("kalesa-three") == ("Audit log", whole_history)
    assert history(str(renamed.id)) == ("Audit log", whole_history)
    assert history("never-anyones")[1] == []


# ------------------------------------------------------------------------------------------ import and export
def test_export_downloads_everything_or_the_current_filter(editor):
    add_vendors(vendor_record(slug="kept-public"), vendor_record(slug="a-draft", status="draft"))

    everything = editor.get("/admin/export")
    drafts = editor.get("/admin/export?status=draft")

    assert everything.headers["Content-Disposition"].startswith('attachment; filename="vendors-')
    assert everything.mimetype == "text/csv"
    assert everything.get_data(as_text=True).startswith("\ufeffslug,name,")
    rows = list(csv.DictReader(io.StringIO(everything.get_data(as_text=True).removeprefix("\ufeff"))))
    assert [row["slug"] for row in rows] == ["a-draft", "kept-public"]
    draft_rows = list(csv.DictReader(io.StringIO(drafts.get_data(as_text=True).removeprefix("\ufeff"))))
    assert [row["slug"] for row in draft_rows] == ["a-draft"]


def upload(client, content: bytes, name: str = "vendors.csv"):
    response = post_form(
        client, "/admin/import", {"file": (io.BytesIO(content), name)}, token_from="/admin/import"
    )
    # The test client spools a large body to a temporary file and leaves it open.
    response.request.environ["wsgi.input"].close()
    return response


def exported(client, *query) -> bytes:
    return client.get("/admin/export" + "".join(query)).get_data()


def import_page_once_over(client, location: str) -> str:
    """An import's page once it has stopped refreshing itself: the import runs in the background."""
    deadline = time.monotonic() + 30
    while 'http-equiv="refresh"' in (page := text(client.get(location))):
        assert time.monotonic() < deadline, "the import did not end"
        time.sleep(0.05)
    return page


def test_an_upload_is_checked_then_imported_only_when_confirmed(editor):
    [vendor] = add_vendors(vendor_record(slug="to-change", tagline="Old tagline"))
    content = exported(editor).decode("utf-8-sig").replace("Old tagline", "New tagline").encode()
    extra = ",".join(csvfiles.row_of(stored_record(vendor))).replace("to-change", "brand-new") + ",\r\n"

    report = upload(editor, content + extra.encode())

    assert report.status_code == 200
    page = text(report)
    assert '<strong data-count="added">1</strong>' in page
    assert '<strong data-count="updated">1</strong>' in page
    assert fresh(vendor.id).tagline == "Old tagline"  # nothing written before the confirmation
    token = re.search(r'action="/admin/import/([^"]+)"', page).group(1)

    done = post_form(editor, f"/admin/import/{token}", token_from="/admin/import")

    assert done.status_code == 303
    assert "1 added, 1 updated, 0 unchanged, 0 rejected" in import_page_once_over(editor, done.location)
    assert fresh(vendor.id).tagline == "New tagline"
    assert db.session.scalar(select(Vendor).where(Vendor.slug == "brand-new")) is not None
    again = post_form(editor, f"/admin/import/{token}", token_from="/admin/import")
    assert again.status_code == 303 and again.location == done.location  # the result again; nothing re-run


def test_an_uploaded_export_that_would_undo_a_later_save_is_refused_with_the_reason(editor):
    [vendor] = add_vendors(vendor_record(slug="to-keep", tagline="At export"))
    content = exported(editor).decode("utf-8-sig").replace("At export", "From the file").encode()
    update_vendor(vendor.id, name="Saved after the export")

    report = upload(editor, content)

    assert report.status_code == 422
    page = html.unescape(text(report))
    assert "<td>2</td><td>version</td><td>'to-keep' has changed since this row was exported" in page
    assert fresh(vendor.id).tagline == "At export"


def test_an_upload_that_takes_too_long_to_check_is_sent_to_the_command_line(editor, monkeypatch):
    content = csv_text(*(row(name=f"Vendor {number}") for number in range(csvfiles.CHUNK + 1)))
    monkeypatch.setattr(csvfiles, "time", SimpleNamespace(monotonic=lambda: float("inf")))  # time is up

    report = upload(editor, content.encode())

    assert report.status_code == 422
    page = html.unescape(text(report))
    assert f"Checking vendors.csv took longer than 20 seconds ({csvfiles.CHUNK:,} rows by then)" in page
    assert "import it on the server with flask vendors import" in page
    assert db.session.scalar(select(func.count()).select_from(PendingImport)) == 0


def test_a_large_browser_import_brings_the_search_index_up_to_date_in_the_background(
    editor, app, monkeypatch
):
    from vendors import search
    from vendors.search import indexing

    [vendor] = add_vendors(vendor_record(slug="seed-one"))
    monkeypatch.setattr(search, "IMPLICIT_MAX_WORK", 1)
    content = exported(editor).decode("utf-8-sig")
    for number in range(3):
        content += (
            ",".join(csvfiles.row_of(stored_record(vendor))).replace("seed-one", f"more-{number}") + ",\r\n"
        )
    token = re.search(r'action="/admin/import/([^"]+)"', text(upload(editor, content.encode()))).group(1)

    done = post_form(editor, f"/admin/import/{token}", token_from="/admin/import")

    assert "catching up with the import in the background" in import_page_once_over(editor, done.location)
    deadline = time.monotonic() + 30
    while indexing.status(db.engine, app.config["SEARCH_INDEX_DIR"]).pending:
        assert time.monotonic() < deadline, "the index did not catch up"
        time.sleep(0.1)
    assert indexing.status(db.engine, app.config["SEARCH_INDEX_DIR"]).documents == 4


def test_an_upload_with_bad_rows_shows_every_problem_and_offers_no_import(editor):
    add_vendors(vendor_record(slug="good-one"))
    content = exported(editor).decode("utf-8-sig")
    bad = (
        content.replace(",PH,PH,", ",XX,PH,", 1)
        + content.splitlines()[1].replace("good-one", "other").replace(",120,", ",none,")
        + "\r\n"
    )

    report = upload(editor, bad.encode())

    assert report.status_code == 422
    page = text(report)
    assert "Nothing was imported" in page
    assert "<td>2</td><td>hq_country</td>" in page
    assert "<td>3</td><td>employees</td>" in page
    assert "/admin/import/" not in page.split("Upload another file")[0]
    assert db.session.scalar(select(func.count()).select_from(Vendor)) == 1


def test_an_upload_whose_first_line_is_not_utf8_is_refused_with_the_reason(editor):
    utf16 = exported(editor).decode("utf-8-sig").encode("utf-16")
    report = upload(editor, utf16)
    assert report.status_code == 422
    assert "the first line is not UTF-8 text (save the file as CSV UTF-8)" in text(report)
    assert db.session.scalar(select(func.count()).select_from(Vendor)) == 0


def test_only_csv_files_within_the_size_limit_are_accepted(editor, app):
    assert "Only .csv files" in text(upload(editor, b"slug,name\n", name="vendors.xlsx"))
    app.config["IMPORT_MAX_MEGABYTES"] = 1
    too_big = upload(editor, b"x" * ((1 << 20) + 1))
    assert too_big.status_code == 400
    assert "larger than 1 MB" in text(too_big)


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(editor, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == (app.config["IMPORT_MAX_MEGABYTES"] + 1) << 20
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = upload(editor, b"x" * 2000)
    assert response.status_code == 413
    assert "Request Entity Too Large" in text(response)


def test_re_uploading_an_export_offers_nothing_to_import(editor):
    add_vendors(vendor_record(), vendor_record())
    page = text(upload(editor, exported(editor)))
    assert "Nothing would change" in page
    assert '<strong data-count="unchanged">2</strong>' in page


# ------------------------------------------------------------------------------------------ dashboard
def test_the_dashboard_counts_the_work_to_do(editor):
    add_vendors(
        vendor_record(name="Stale One", verified_at="2020-05-05"),
        vendor_record(name="Never Checked", verified_at=""),
        vendor_record(name="No Rate", hourly_rate_min="", hourly_rate_max="", status="draft"),
        vendor_record(name="Fresh One", verified_at=date.today().isoformat()),
    )
    with write_transaction() as session:
        session.execute(
            update(Vendor)
            .where(Vendor.name == "No Rate")
            .values(created_at=datetime.now(UTC) - timedelta(days=45))
        )
        session.add(
            Submission(record={"name": "Waiting Co"}, submitter_name="W", submitter_email="w@example.com")
        )

    page = text(editor.get("/admin"))

    assert '<span data-count="stale">2</span>' in page
    assert '<span data-count="no-rate">1</span>' in page
    assert '<span data-count="old-draft">1</span>' in page
    assert '<span data-count="submissions">1</span>' in page
    assert '<dd data-index="published">3</dd>' in page
    assert '<dd data-index="documents">3</dd>' in page


def test_the_dashboard_rebuilds_the_search_index(editor, app):
    add_vendors(vendor_record(name="Indexed Vendor"))
    from vendors.search import indexing

    before = indexing.status(db.engine, app.config["SEARCH_INDEX_DIR"]).generation

    response = post_form(editor, "/admin/index/rebuild")

    assert response.status_code == 303
    deadline = time.monotonic() + 30
    while indexing.status(db.engine, app.config["SEARCH_INDEX_DIR"]).generation == before:
        assert time.monotonic() < deadline, "the rebuild did not finish"
        time.sleep(0.1)
    status = indexing.status(db.engine, app.config["SEARCH_INDEX_DIR"])
    assert (status.documents, status.pending) == (1, 0)


# ------------------------------------------------------------------------------------------ users
def test_admins_create_and_disable_users_in_the_browser(client, app):
    add_user("ann@example.com", role="admin")
    login(client, "ann@example.com")
    strong = "another long passphrase here"

    response = post_form(
        client,
        "/admin/users",
        {"email": "new@example.com", "role": "editor", "new_password": strong, "confirm_password": strong},
        token_from="/admin/users",
    )
    assert response.status_code == 303
    newcomer = app.test_client()
    assert login(newcomer, "new@example.com", strong).status_code == 303

    weak = post_form(
        client,
        "/admin/users",
        {
            "email": "weak@example.com",
            "role": "editor",
            "new_password": "password",
            "confirm_password": "password",
        },
        token_from="/admin/users",
    )
    assert weak.status_code == 400 and "at least 12 characters" in text(weak)

    new_id = db.session.scalar(select(User.id).where(User.email == "new@example.com"))
    post_form(client, f"/admin/users/{new_id}/disable", token_from="/admin/users")
    assert newcomer.get("/admin/vendors").status_code == 302
    own_id = db.session.scalar(select(User.id).where(User.email == "ann@example.com"))
    assert post_form(client, f"/admin/users/{own_id}/disable", token_from="/admin/users").status_code == 400


def test_an_upload_named_with_a_nul_is_checked_under_its_name_without_it(editor):
    report = upload(editor, exported(editor), name="vendors\x00.csv")
    assert report.status_code == 200
    assert "vendors.csv" in text(report)


STYLESHEET = re.compile(r'<link rel="stylesheet" href="/static/css/([a-z]+)\.[0-9a-f]{12}\.css">')


def test_public_pages_load_the_shared_form_styles_and_only_the_curation_area_loads_its_own(editor, client):
    [vendor] = add_vendors(vendor_record(name="Styled Desk"))
    public = [
        "/submit",
        "/inquiry",
        "/shortlist",
        f"/compare?vendor={vendor.slug}",
        f"/vendors/{vendor.slug}",
    ]
    for path in public:
        sheets = STYLESHEET.findall(client.get(path).get_data(as_text=True))
        assert "admin" not in sheets and sheets[0] == "site", path
    for path in ("/submit", "/inquiry", "/shortlist", f"/compare?vendor={vendor.slug}"):
        assert "forms" in STYLESHEET.findall(client.get(path).get_data(as_text=True)), path
    for path in ("/admin", "/admin/vendors", f"/admin/vendors/{vendor.id}/edit"):
        assert STYLESHEET.findall(editor.get(path).get_data(as_text=True)) == ["site", "forms", "admin"], path
    # The preview is the public page with the curation area's banner, styled by admin.css.
    preview = editor.get(f"/admin/vendors/{vendor.id}/preview").get_data(as_text=True)
    assert "preview-banner" in preview and STYLESHEET.findall(preview) == ["site", "admin"]
