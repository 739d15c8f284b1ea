"""The shortlist and the comparison in a real browser: Debian's Chromium through Playwright, against the
sample data served by a real WSGI server on 127.0.0.1. Screenshots go to $SCREENSHOT_DIR as shortlist-*.png.
"""

import json
import re
from decimal import Decimal
from urllib.request import urlopen

# Importing the browser module skips this one too, with its reason, where Chromium or Playwright is missing.
from tests.test_e2e_browser import (  # noqa: F401  (fixtures are used by name)
    DESKTOP,
    PHONE,
    SCREENS,
    browser,
    expect,
    no_horizontal_scroll,
    open_page,
    site,
)


def shortlist_count(page) -> int:
    return int(page.locator("header [data-shortlist-count]").inner_text())


def card_slugs(page, count: int) -> list[str]:
    ids = page.locator("ol.vendor-list > li.vendor-card").evaluate_all("cards => cards.map(card => card.id)")
    return [card_id.removeprefix("vendor-") for card_id in ids[:count]]


def api_figure(base_url: str, query: str) -> Decimal:
    with urlopen(f"{base_url}/api/v1/estimate?{query}") as response:
        return Decimal(str(json.load(response)["outsourced_annual"]))


def test_a_buyer_shortlists_two_results_and_compares_them_on_a_phone(site, open_page):  # noqa: F811
    base_url, _ = site
    page = open_page(viewport=PHONE)
    page.goto(f"{base_url}/vendors?q=support")
    assert shortlist_count(page) == 0
    first, second = card_slugs(page, 2)
    page.evaluate("window.stillTheSamePage = true")

    for position, slug in enumerate((first, second), 1):
        page.locator(f"#vendor-{slug} .shortlist-button").click()
        expect(page.locator(f"#vendor-{slug} .shortlist-button")).to_have_attribute("aria-pressed", "true")
        expect(page.locator("header [data-shortlist-count]")).to_have_text(str(position))
    expect(page.locator("#shortlist-status")).to_contain_text("is on your shortlist")
    assert page.evaluate("window.stillTheSamePage === true"), "adding reloaded the page"
    assert "q=support" in page.url

    page.goto(f"{base_url}/shortlist")
    for slug in (first, second):
        page.locator(f"input[type=checkbox][value='{slug}']").check()
    page.get_by_role("button", name="Compare ticked vendors").click()
    expect(page.locator("h1")).to_have_text("Comparing 2 vendors")

    page.fill("#headcount", "25")
    page.get_by_role("button", name="Update the comparison").click()
    cell = page.locator(f"#low-outsourced_annual-{first}")
    expect(cell).to_be_visible()
    shown = Decimal(re.search(r"\$([\d,]+\.\d\d)", cell.inner_text()).group(1).replace(",", ""))
    api = page.request.get(f"{base_url}/api/v1/compare?vendor={first}&vendor={second}&headcount=25").json()
    low_rate = api["vendors"][0]["estimate_low"]["inputs"]["hourly_rate"]
    assert shown == api_figure(base_url, f"headcount=25&hourly_rate={low_rate}")

    assert no_horizontal_scroll(page), "the page itself scrolls sideways; only the table may"
    attribute = page.locator(".compare-table tbody th.attribute").first
    left_before = attribute.bounding_box()["x"]
    page.locator(".compare-scroll").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    assert attribute.bounding_box()["x"] == left_before, "the attribute column scrolled away"
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "shortlist-compare-phone.png"), full_page=True)

    page.emulate_media(media="print")
    expect(page.locator(".compare-inputs")).to_be_hidden()
    expect(page.locator(".compare-actions")).to_be_hidden()
    expect(page.locator(".inputs-used")).to_be_visible()
    expect(page.locator(".inputs-used")).to_contain_text("25 full-time positions")


def test_two_quick_first_clicks_keep_both_vendors(site, open_page):  # noqa: F811
    base_url, _ = site
    page = open_page(viewport=DESKTOP)
    page.goto(f"{base_url}/vendors?q=support")
    first, second = card_slugs(page, 2)
    page.evaluate(
        """([a, b]) => [a, b].forEach((slug) =>
             document.querySelector(`#vendor-${slug} form.shortlist-toggle`).requestSubmit())""",
        [first, second],
    )
    expect(page.locator("header [data-shortlist-count]")).to_have_text("2")
    page.goto(f"{base_url}/shortlist")
    for slug in (first, second):
        expect(page.locator(f"input[type=checkbox][value='{slug}']")).to_have_count(1)


def test_without_javascript_adding_comes_back_to_the_same_results(site, open_page):  # noqa: F811
    base_url, _ = site
    page = open_page(viewport=DESKTOP, javascript=False)
    page.goto(f"{base_url}/vendors?q=support&sort=name")
    [slug] = card_slugs(page, 1)
    page.locator(f"#vendor-{slug} .shortlist-button").click()
    page.wait_for_url(re.compile(r"/vendors\?q=support&sort=name#vendor-"))
    assert shortlist_count(page) == 1
    expect(page.locator(".flash")).to_contain_text("is on your shortlist")
    expect(page.locator(f"#vendor-{slug} .shortlist-button")).to_have_attribute("aria-pressed", "true")
    page.locator(f"#vendor-{slug} .shortlist-button").click()
    page.wait_for_load_state()
    assert shortlist_count(page) == 0
    page.goto(f"{base_url}/shortlist")
    page.screenshot(path=str(SCREENS / "shortlist-empty-desktop.png"), full_page=True)


def test_a_refused_click_says_why_in_place_and_changes_nothing(site, open_page):  # noqa: F811
    base_url, _ = site
    page = open_page(viewport=DESKTOP, refusals_expected_from=("/shortlist/add",))
    page.goto(f"{base_url}/vendors?q=support")
    [slug] = card_slugs(page, 1)
    page.evaluate("window.stillTheSamePage = true")
    # As a form left open past its session would be: the token it carries is no longer accepted.
    page.locator(f"#vendor-{slug} form.shortlist-toggle input[name=csrf_token]").evaluate(
        "field => { field.value = 'expired'; }"
    )
    page.locator(f"#vendor-{slug} .shortlist-button").click()
    expect(page.locator("#shortlist-status")).to_contain_text("could not be confirmed")
    assert page.evaluate("window.stillTheSamePage === true"), "the refusal replaced the page"
    expect(page.locator(f"#vendor-{slug} .shortlist-button")).to_have_attribute("aria-pressed", "false")
    assert shortlist_count(page) == 0


def test_a_refused_note_comes_back_in_its_box_with_why(site, open_page):  # noqa: F811
    base_url, _ = site
    page = open_page(viewport=DESKTOP, refusals_expected_from=("/shortlist/notes/",))
    page.goto(f"{base_url}/vendors?q=support")
    [slug] = card_slugs(page, 1)
    page.locator(f"#vendor-{slug} .shortlist-button").click()
    expect(page.locator(f"#vendor-{slug} .shortlist-button")).to_have_attribute("aria-pressed", "true")
    page.goto(f"{base_url}/shortlist")
    typed = "Ask about night shifts\nand Tagalog"
    page.locator(".note-form textarea").fill(typed)
    # As a form the site cannot confirm would be: the token it carries is not accepted.
    page.locator(".note-form input[name=csrf_token]").evaluate("field => { field.value = 'expired'; }")
    page.locator(".note-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".note-form [role=alert]")).to_contain_text("could not be confirmed")
    expect(page.locator(".note-form textarea")).to_have_value(typed)
    expect(page.locator(".note-form textarea")).to_be_focused()
