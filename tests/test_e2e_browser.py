"""The site in a real browser, used the way a person uses it.

Runs Debian's Chromium (`apt-get install -y chromium`) through Playwright against the app served by a real
WSGI server on 127.0.0.1, with the sample data in SQLite. Playwright's own browser downloads are never used.
Screenshots of the main pages at desktop and phone widths are written to $SCREENSHOT_DIR (default: a folder
in the system temporary directory) for a human to look at.
"""

import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import app_with_data, load_sample_data
from tests.served import in_process as served
from vendors.catalog import rules
from vendors.catalog.models import Vendor
from vendors.extensions import db
from vendors.reference.countries import country_name

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS = Path(os.environ.get("SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "vendor-directory-screens")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
NARROW_360 = {"width": 360, "height": 740}  # the narrowest phone screen a page must fit
DESKTOP_1366 = {"width": 1366, "height": 768}
SERIOUS = {"serious", "critical"}  # the axe-core findings no page may have

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} not found: install Debian's chromium package: apt-get install -y chromium",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the dev extra installs playwright")
expect = sync_api.expect


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app with the sample data, served over HTTP; yields (base URL, app)."""
    directory = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{directory / 'site.sqlite3'}"
    with app_with_data(url, directory / "index", load_sample_data) as app, served(app) as base_url:
        yield base_url, app


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """Opens pages in a fresh context; fails the test on any JavaScript error or console error."""
    contexts, problems = [], []

    def opener(viewport=DESKTOP, javascript=True, refusals_expected_from=()):
        """refusals_expected_from: addresses (paths) the test means the page's scripts to be refused by."""
        context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5000)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda msg: (
                _a_problem(msg, page, refusals_expected_from) and problems.append(f"console: {msg.text}")
            ),
        )
        return page

    yield opener
    for context in contexts:
        context.close()
    assert not problems, problems


def _a_problem(message, page, refusals_expected_from) -> bool:
    """A console error, other than the browser noting that the page itself came with an error status (the
    404 page is meant to), or a script's request the test means to be refused."""
    if message.type != "error":
        return False
    url = message.location.get("url", "")
    expected = url == page.url or urlsplit(url).path in refusals_expected_from
    return not (message.text.startswith("Failed to load resource") and expected)


def results_count(page) -> int:
    return int(
        re.match(r"([\d,]+) vendors?", page.locator("#results-heading").inner_text())
        .group(1)
        .replace(",", "")
    )


def facet_count(page, checkbox_id: str) -> int:
    """The count beside a facet value, once the filter panel shows it (the script opens the panel where the
    browser's CSS cannot, just after the page loads)."""
    count = page.locator(f"label[for='{checkbox_id}'] .count")
    expect(count).to_be_visible()
    return int(count.inner_text())


def vendor_with_most_shores(app) -> Vendor:
    """A published vendor whose delivery countries are not all the same shore for a US buyer."""
    hours = app.config["NEARSHORE_MAX_HOURS"]
    with app.app_context():
        vendors = db.session.scalars(select(Vendor).where(Vendor.status == "published")).all()
        vendor = max(
            vendors,
            key=lambda v: (len({rules.shore_for("US", c, hours) for c in v.delivery_countries}), v.slug),
        )
        db.session.expunge(vendor)
        return vendor


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_visitor_filters_the_directory_and_the_back_button_restores_it(site, open_page):
    base, _ = site
    page = open_page()
    page.goto(base + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Find, compare and shortlist")
    page.get_by_role("link", name="Browse all vendors").click()
    expect(page).to_have_url(re.compile(r"/vendors$"))
    everyone = results_count(page)
    assert everyone > 0 and page.locator(".vendor-card").count() == min(everyone, 20)

    offshore = facet_count(page, "shore-offshore")
    assert 0 < offshore < everyone, "the sample data should mix shores for a US buyer"
    with page.expect_navigation():
        page.locator("#shore-offshore").check()
    expect(page).to_have_url(re.compile(r"[?&]shore=offshore(&|#|$)"))
    assert not re.search(r"[?&](q|rate_min|rate_max)=(&|$)", page.url), "empty fields stay out of the URL"
    assert results_count(page) == offshore
    expect(page.locator("#shore-offshore")).to_be_checked()
    expect(page.get_by_role("link", name="Remove filter Shore: Offshore")).to_be_visible()
    expect(page.locator("#shore-offshore")).to_be_focused()  # the reader stays where they were

    page.go_back()
    expect(page).to_have_url(re.compile(r"/vendors$"))
    expect(page.locator("#shore-offshore")).not_to_be_checked()
    assert results_count(page) == everyone
    page.go_forward()
    expect(page.locator("#shore-offshore")).to_be_checked()
    assert results_count(page) == offshore


def test_shore_badges_follow_the_buyer_country(site, open_page):
    base, app = site
    vendor = vendor_with_most_shores(app)
    hours = app.config["NEARSHORE_MAX_HOURS"]
    page = open_page()
    page.goto(f"{base}/vendors/{vendor.slug}?buyer_country=US")
    expect(page.get_by_role("heading", level=1)).to_have_text(vendor.name)
    for buyer in ("US", "GB", "AU"):
        if buyer != "US":
            with page.expect_navigation():  # the choice applies at once; the Update button is for no script
                page.get_by_label("Shore seen from").select_option(buyer)
        centres = page.locator("ul.delivery li")
        expect(centres).to_have_count(len(vendor.delivery_countries))
        for code in vendor.delivery_countries:
            shore = rules.shore_for(buyer, code, hours)
            centre = centres.filter(has_text=country_name(code))
            expect(centre.locator(f".badge.shore-{shore}")).to_have_text(rules.SHORES[shore])

    # the choice is remembered: the directory now judges shores from Australia
    page.goto(base + "/vendors")
    expect(page.locator("#buyer_country")).to_have_value("AU")


def test_keyboard_skips_to_the_results_and_reaches_the_first_result_in_a_few_tabs(site, open_page):
    base, _ = site
    page = open_page()
    page.goto(base + "/vendors")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to results")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport(ratio=1)  # hidden above the page until focused
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_be_focused()
    first_link = page.locator(".vendor-card h2 a").first
    for _ in range(5):
        page.keyboard.press("Tab")
        if first_link.evaluate("link => link === document.activeElement"):
            break
    expect(first_link).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus is visible"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".vendor-page h1")).to_be_visible()


def test_keyboard_reaches_every_kind_of_filter_before_the_results(site, open_page):
    base, _ = site
    page = open_page()
    page.goto(base + "/vendors")
    page.evaluate(
        """window.visited = [];
        document.addEventListener("focusin", (event) => visited.push(
            event.target.closest(".vendor-card") ? "first-result" : event.target.id));"""
    )
    for _ in range(20):  # a batch of Tabs at a time; the log says where focus went
        for _ in range(20):
            page.keyboard.press("Tab")
        visited = page.evaluate("visited")
        if "first-result" in visited:
            break
    assert {"q", "buyer_country", "sort", "shore-onshore", "size-large", "rate_min"} <= set(visited)
    assert "first-result" in visited, "Tab never reached the results"


def test_on_a_phone_the_filters_fold_away_and_nothing_scrolls_sideways(site, open_page):
    base, app = site
    page = open_page(viewport=PHONE)
    page.goto(base + "/vendors")
    assert no_horizontal_scroll(page)
    expect(page.locator("#q")).to_be_visible()
    expect(page.locator("#shore-offshore")).to_be_hidden()
    page.locator("#filter-panel > summary").click()
    expect(page.locator("#shore-offshore")).to_be_visible()
    with page.expect_navigation():
        page.locator("#shore-offshore").check()
    expect(page.locator("#shore-offshore")).to_be_visible()  # the panel stays open after the reload
    expect(page.locator("#filter-panel > summary")).to_contain_text("1 active")

    vendor = vendor_with_most_shores(app)
    page.goto(f"{base}/vendors/{vendor.slug}")
    assert no_horizontal_scroll(page)
    about = page.locator(".description").bounding_box()
    facts = page.locator(".vendor-facts").bounding_box()
    assert facts["y"] >= about["y"] + about["height"], "one column on a phone"


def test_filters_work_without_javascript(site, open_page):
    base, _ = site
    page = open_page(javascript=False)
    page.goto(base + "/vendors")
    expect(page.locator("#size-large")).to_be_visible()  # the panel is open on wide screens without JS
    large = facet_count(page, "size-large")
    page.locator("#size-large").check()
    page.get_by_label("Your country").select_option("GB")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"size=large"))
    expect(page).to_have_url(re.compile(r"buyer_country=GB"))
    assert results_count(page) == large
    page.go_back()
    expect(page.locator("#size-large")).not_to_be_checked()
    assert results_count(page) > large


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_screenshots_of_the_main_pages(site, open_page, viewport):
    base, app = site
    vendor = vendor_with_most_shores(app)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page = open_page(viewport=viewport)
    for name, path in (("home", "/"), ("vendors", "/vendors"), ("vendor", f"/vendors/{vendor.slug}")):
        page.goto(base + path)
        assert no_horizontal_scroll(page), f"{path} scrolls sideways at {viewport['width']}px"
        page.screenshot(path=str(SCREENS / f"{name}-{viewport['width']}.png"), full_page=True)
