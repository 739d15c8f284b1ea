"""The curation area in a real browser, used the way an editor uses it.

Same set-up as test_e2e_browser.py: Debian's Chromium through Playwright against the app served by a real
WSGI server on 127.0.0.1, with the sample data in SQLite and one editor account. Screenshots of the admin
pages at desktop and phone widths go to $SCREENSHOT_DIR, named admin-*.png.
"""

import re
from urllib.parse import quote_plus

import pytest
from sqlalchemy import select

from tests.conftest import app_with_data, load_sample_data
from tests.factories import PASSWORD, add_user

# Importing the browser module skips this one too, with its reason, where Chromium or Playwright is missing.
from tests.test_e2e_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    SCREENS,
    expect,
    no_horizontal_scroll,
    results_count,
    served,
    sync_api,
)
from vendors.catalog.models import Vendor
from vendors.catalog.records import vendor_record
from vendors.extensions import db
from vendors.reference.languages import LANGUAGES

EDITOR = "editor@example.test"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app with the sample data and an editor account, served over HTTP; yields (base URL, app)."""
    directory = tmp_path_factory.mktemp("admin-browser")
    url = f"sqlite:///{directory / 'site.sqlite3'}"
    with app_with_data(url, directory / "index", load_sample_data) as app:
        with app.app_context():
            add_user(EDITOR, role="editor")
        with served(app) as base_url:
            yield base_url, app


@pytest.fixture(scope="module")
def browser():
    """Chromium as people run it: Playwright turns the back/forward cache off unless told not to."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            ignore_default_args=["--disable-back-forward-cache"],
        )
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """Opens pages in a fresh context; fails the test on any JavaScript error or console error.

    expected_status: {url: status} for pages a test means to get an error status for (a refused form is a
    400), whose "Failed to load resource" console line is then not a problem; any other one still is.
    """
    contexts, problems = [], []

    def opener(viewport=DESKTOP, javascript=True, expected_status=None):
        context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5000)
        expected = {
            (url, f"Failed to load resource: the server responded with a status of {status} ")
            for url, status in (expected_status or {}).items()
        }

        def on_console(msg):
            url = msg.location.get("url")
            if msg.type == "error" and (url, msg.text.partition("(")[0]) not in expected:
                problems.append(f"console: {msg.text} ({url})")

        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", on_console)
        return page

    yield opener
    for context in contexts:
        context.close()
    assert not problems, problems


def published_vendor(app, position: int) -> dict:
    """The position-th published sample vendor by slug, as a record plus its id; each test takes its own."""
    with app.app_context():
        vendors = db.session.scalars(
            select(Vendor).where(Vendor.status == "published").order_by(Vendor.slug)
        ).all()
        vendor = vendors[position]
        return vendor_record(vendor) | {"id": vendor.id, "version": vendor.version}


def stored_vendor(app, vendor_id: int) -> dict:
    with app.app_context():
        vendor = db.session.get(Vendor, vendor_id)
        return vendor_record(vendor) | {"id": vendor.id, "version": vendor.version}


def sign_in(page, base: str, email: str = EDITOR) -> None:
    page.goto(base + "/admin/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + "/admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs doing")


def save(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Save changes").click()


def test_an_edit_is_saved_and_found_by_the_public_search_at_once(site, open_page):
    base, app = site
    vendor = published_vendor(app, 0)
    tagline = "Zyxquorth-grade patience on every support queue"
    page = open_page()
    sign_in(page, base)

    page.get_by_role("navigation", name="Curation").get_by_role("link", name="Vendors").click()
    expect(page).to_have_url(base + "/admin/vendors")
    page.get_by_label("Name or slug").fill(vendor["name"])
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape(quote_plus(vendor["name"]))))
    with page.expect_navigation():
        page.locator(".admin-table tbody").get_by_role("link", name=vendor["name"], exact=True).click()
    expect(page).to_have_url(f"{base}/admin/vendors/{vendor['id']}/edit")
    expect(page.get_by_role("heading", level=1)).to_have_text(vendor["name"])
    expect(page.get_by_label("Tagline", exact=True)).to_have_value(vendor["tagline"])

    page.get_by_label("Tagline", exact=True).fill(tagline)
    save(page)
    expect(page).to_have_url(f"{base}/admin/vendors/{vendor['id']}/edit")
    expect(page.locator(".flash")).to_have_text(f"{vendor['name']}: 1 field(s) saved.")
    expect(page.get_by_label("Tagline", exact=True)).to_have_value(tagline)

    page.goto(base + "/vendors?q=zyxquorth")
    assert results_count(page) == 1
    cards = page.locator(".vendor-card")
    expect(cards).to_have_count(1)
    expect(cards.locator("h2")).to_have_text(vendor["name"])
    with page.expect_navigation():
        cards.get_by_role("link", name=vendor["name"], exact=True).click()
    expect(page).to_have_url(re.compile(rf"/vendors/{re.escape(vendor['slug'])}(\?|$)"))
    expect(page.locator(".vendor-header .tagline")).to_have_text(tagline)


def test_a_bad_value_is_refused_next_to_its_field_and_the_rest_of_the_form_is_kept(site, open_page):
    base, app = site
    vendor = published_vendor(app, 1)
    new_language = next(code for code in ("de", "fr", "ja", "pt", "es") if code not in vendor["languages"])
    typed = {
        "Tagline": "A tagline typed before the mistake",
        "Founded (year)": "1999" if vendor["founded_year"] != 1999 else "2001",
        "Minimum seats": "7",
        "Description": "A description typed before the mistake.\n\nIts second paragraph.",
    }
    editor = f"{base}/admin/vendors/{vendor['id']}/edit"
    page = open_page(expected_status={editor: 400})
    sign_in(page, base)
    page.goto(editor)
    for label, value in typed.items():
        page.get_by_label(label, exact=True).fill(value)
    languages = page.get_by_role("group", name="Languages")
    languages.get_by_role("checkbox", name=LANGUAGES[new_language], exact=True).check()
    page.get_by_label("Employees", exact=True).fill("lots")

    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Save changes").click()
    assert navigation.value.status == 400

    employees = page.get_by_label("Employees", exact=True)
    expect(page.locator(".error-summary")).to_contain_text("Nothing was saved: 1 field needs attention")
    expect(page.locator(".error-summary")).to_be_focused()  # a keyboard or screen reader user starts there
    error = page.locator(".field.has-error").filter(has=page.locator("#employees")).locator(".field-error")
    expect(error).to_have_text(re.compile(r"'lots' is not a whole number"))
    expect(employees).to_have_attribute("aria-invalid", "true")
    expect(employees).to_have_attribute("aria-describedby", re.compile(r"\bemployees-error\b"))
    field_box, error_box = employees.bounding_box(), error.bounding_box()
    assert 0 <= field_box["y"] - (error_box["y"] + error_box["height"]) < 40, "the message sits by the field"
    assert abs(field_box["x"] - error_box["x"]) < 5
    expect(page.locator(".error-summary").get_by_role("link", name="Employees")).to_have_attribute(
        "href", "#employees"
    )

    expect(employees).to_have_value("lots")
    for label, value in typed.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    expect(languages.get_by_role("checkbox", name=LANGUAGES[new_language], exact=True)).to_be_checked()
    for code in vendor["languages"]:
        expect(languages.get_by_role("checkbox", name=LANGUAGES[code], exact=True)).to_be_checked()
    expect(page.get_by_label("Company name", exact=True)).to_have_value(vendor["name"])
    expect(page.locator(".flash")).to_have_count(0)
    assert stored_vendor(app, vendor["id"]) == vendor, "nothing was written"


def test_after_signing_out_back_and_the_admin_pages_lead_to_the_login_page(site, open_page):
    base, _ = site
    page = open_page()
    sign_in(page, base)
    page.goto(base + "/admin/vendors")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vendors")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(base + "/admin/login")
    expect(page.locator(".flash")).to_have_text("You are signed out.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # The Back button must ask the server again, even in a browser with a back/forward cache;
    # "commit", because a page restored from that cache fires no load event.
    page.go_back(wait_until="commit")
    expect(page).to_have_url(re.compile(r"/admin/login\?next=(/|%2F)admin(/|%2F)vendors$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to curate the directory")
    expect(page.locator(".admin-table")).to_have_count(0)
    expect(page.get_by_text(EDITOR)).to_have_count(0)

    page.goto(base + "/admin/vendors")
    expect(page).to_have_url(re.compile(r"/admin/login\?next=(/|%2F)admin(/|%2F)vendors$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto(base + "/admin")
    expect(page).to_have_url(re.compile(r"/admin/login\?next=(/|%2F)admin$"))


def test_the_editor_works_without_javascript(site, open_page):
    base, app = site
    vendor = published_vendor(app, 2)
    new_language = next(code for code in ("de", "fr", "ja", "pt", "es") if code not in vendor["languages"])
    page = open_page(javascript=False)
    sign_in(page, base)
    page.goto(f"{base}/admin/vendors/{vendor['id']}/edit")
    languages = page.get_by_role("group", name="Languages")
    languages.get_by_role("checkbox", name=LANGUAGES[new_language], exact=True).check()
    save(page)
    expect(page).to_have_url(f"{base}/admin/vendors/{vendor['id']}/edit")
    expect(page.locator(".flash")).to_have_text(f"{vendor['name']}: 1 field(s) saved.")
    expect(languages.get_by_role("checkbox", name=LANGUAGES[new_language], exact=True)).to_be_checked()
    stored = stored_vendor(app, vendor["id"])
    assert stored["languages"] == [*vendor["languages"], new_language]
    assert stored["version"] == vendor["version"] + 1


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_screenshots_of_the_admin_pages(site, open_page, viewport):
    base, app = site
    vendor = published_vendor(app, 3)
    width = viewport["width"]
    SCREENS.mkdir(parents=True, exist_ok=True)
    page = open_page(viewport=viewport)
    sign_in(page, base)
    sideways = []

    def shoot(name: str) -> None:
        page.screenshot(path=str(SCREENS / f"admin-{name}-{width}.png"), full_page=True)
        if not no_horizontal_scroll(page):
            sideways.append(page.url.removeprefix(base))

    for name, path in (
        ("dashboard", "/admin"),
        ("vendors", "/admin/vendors"),
        ("vendor-edit", f"/admin/vendors/{vendor['id']}/edit"),
    ):
        page.goto(base + path)
        shoot(name)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(base + "/admin/login")
    shoot("login")
    assert not sideways, f"these pages scroll sideways at {width}px: {sideways}"
