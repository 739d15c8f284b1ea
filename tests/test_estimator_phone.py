"""The estimator in a real browser: on a 360 px phone no page is wider than the screen and every table fits
or scrolls inside its own box, from the keyboard too; with its folded parts open, axe-core finds nothing
serious; "Copy link" copies the estimate's address. Debian's Chromium through Playwright, against the sample
data served on 127.0.0.1.
"""

import pytest
from sqlalchemy import select

# Importing the browser module skips this one too, with its reason, where Chromium or Playwright is missing.
from tests.test_e2e_browser import (  # noqa: F401  (fixtures are used by name)
    DESKTOP,
    NARROW_360,
    SERIOUS,
    browser,
    expect,
    open_page,
    site,
)
from vendors.catalog.models import Vendor
from vendors.extensions import db

axe_playwright = pytest.importorskip(
    "axe_playwright_python.sync_playwright", reason="the dev extra installs it"
)


def sample_vendor(app, *, disclosed: bool) -> str:
    rate = Vendor.hourly_rate_min.is_not(None) if disclosed else Vendor.hourly_rate_min.is_(None)
    with app.app_context():
        return db.session.scalars(
            select(Vendor.slug).where(Vendor.status == "published", rate).order_by(Vendor.slug).limit(1)
        ).one()


def estimator_pages(app) -> list[str]:
    return [
        "/estimate",
        "/estimate?buyer_country=GB&work=it-services",
        "/estimate?buyer_country=PH&salary=35kk&years=0",
        "/estimate?headcount=10,000&salary=1,000,000&overhead_per_fte=100k&years=10",
        f"/estimate?vendor={sample_vendor(app, disclosed=True)}",
        f"/estimate?vendor={sample_vendor(app, disclosed=False)}&buyer_country=JP",
    ]


def table_boxes(page) -> list[dict]:
    """Each table's scroll box: where it ends, whether the table fits in it, and whether it can scroll."""
    return page.evaluate(
        """() => [...document.querySelectorAll(".estimator table")].map(table => {
            const box = table.closest(".table-scroll");
            if (!box) return {caption: table.caption?.textContent, boxed: false};
            const edges = box.getBoundingClientRect();
            return {
                caption: table.caption?.textContent,
                boxed: true,
                left: edges.left,
                right: edges.right,
                fits: table.getBoundingClientRect().width <= box.clientWidth + 1,
                scrolls: getComputedStyle(box).overflowX === "auto" && box.scrollWidth > box.clientWidth,
            };
        })"""
    )


def open_everything(page) -> None:
    page.evaluate("document.querySelectorAll('details').forEach(details => { details.open = true; })")


def test_on_a_360_px_phone_every_table_fits_or_scrolls_in_its_own_box(site, open_page):  # noqa: F811
    base, app = site
    page = open_page(viewport=NARROW_360)
    for path in estimator_pages(app):
        page.goto(base + path)
        open_everything(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_360["width"], path
        boxes = table_boxes(page)
        assert boxes, path
        for box in boxes:
            assert box["boxed"], (path, box)
            assert box["left"] >= 0 and box["right"] <= NARROW_360["width"], (path, box)
            assert box["fits"] or box["scrolls"], (path, box)


def captions_out_of_view(page) -> list[str]:
    """The captions of scrolling tables not wholly inside their box's visible width, each box scrolled to
    its start and then to its end."""
    return page.evaluate(
        """() => {
            const outside = [];
            for (const box of document.querySelectorAll(".table-scroll")) {
                const caption = box.querySelector("caption");
                if (!caption) continue;
                for (const scrolled of [0, box.scrollWidth]) {
                    box.scrollLeft = scrolled;
                    const seen = box.getBoundingClientRect(), text = caption.firstElementChild || caption;
                    const edges = text.getBoundingClientRect();
                    if (edges.width === 0) continue;  // a table folded away, not shown
                    if (edges.left < seen.left - 1 || edges.right > seen.left + box.clientWidth + 1) {
                        outside.push(`${caption.textContent} (scrolled to ${box.scrollLeft})`);
                    }
                }
            }
            return outside;
        }"""
    )


def test_on_a_phone_a_scrolling_tables_caption_stays_in_view(site, open_page):  # noqa: F811
    base, app = site
    page = open_page(viewport=NARROW_360)
    for path in [*estimator_pages(app), "/api"]:
        page.goto(base + path)
        open_everything(page)
        assert page.evaluate("document.querySelectorAll('.table-scroll caption').length"), path
        assert captions_out_of_view(page) == [], path


def shown_charts(page) -> list[dict]:
    """Each chart's figure: how wide it is, the drawings shown in it, the smallest size the shown one's labels
    come out at (their font size, in the drawing's units, times the drawing's scale), and how many of them
    reach past its edges."""
    return page.evaluate(
        """() => [...document.querySelectorAll("figure.chart")].map(figure => {
            const shown = [...figure.querySelectorAll(".savings-chart")]
                .filter(svg => svg.getBoundingClientRect().width > 0);
            const svg = shown[0], box = svg.getBoundingClientRect();
            const scale = box.width / svg.viewBox.baseVal.width, labels = [...svg.querySelectorAll("text")];
            const sizes = labels.map(label => parseFloat(getComputedStyle(label).fontSize) * scale);
            return {
                room: figure.clientWidth,
                drawings: shown.map(drawing => drawing.getAttribute("class")),
                smallest_px: Math.min(...sizes),
                past_edges: labels.map(label => label.getBoundingClientRect())
                    .filter(edges => edges.left < box.left - 0.5 || edges.right > box.right + 0.5
                            || edges.top < box.top - 0.5 || edges.bottom > box.bottom + 0.5).length,
            };
        })"""
    )


CHART_WIDTHS = {
    "phone": NARROW_360,
    "small tablet": {"width": 481, "height": 800},
    "laptop": {"width": 1024, "height": 768},
    "wide desktop": {"width": 1440, "height": 900},
}
WIDE_FROM_PX = 640  # the wide drawing is shown in this much room or more


@pytest.mark.parametrize("viewport", list(CHART_WIDTHS.values()), ids=list(CHART_WIDTHS))
def test_the_chart_shown_has_labels_of_12_px_or_more_inside_it(site, open_page, viewport):  # noqa: F811
    base, app = site
    page = open_page(viewport=viewport)
    estimates = [
        *estimator_pages(app),  # one vendor's low and high side by side, on a wide screen
        "/estimate?hourly_rate=60&salary=20000&headcount=400&years=10",
        "/estimate?hourly_rate=500&headcount=1&years=10",  # the longest labels: "-$12.5M"
    ]
    charted = 0
    for path in estimates:
        if page.goto(base + path).status != 200:  # inputs refused: no estimate, no chart
            continue
        charts = shown_charts(page)
        assert charts, path
        charted += 1
        for chart in charts:
            drawing = "wide" if chart["room"] >= WIDE_FROM_PX else "narrow"
            assert chart["drawings"] == [f"savings-chart {drawing}"], (path, chart)
            assert chart["smallest_px"] >= 11.9, (path, chart)
            assert chart["past_edges"] == 0, (path, chart)
    assert charted >= 6


def test_a_table_wider_than_the_phone_scrolls_from_the_keyboard(site, open_page):  # noqa: F811
    base, _ = site
    page = open_page(viewport=NARROW_360)
    page.goto(base + "/estimate")
    open_everything(page)
    box = page.locator(".preset-table .table-scroll")
    assert box.evaluate("box => box.scrollWidth > box.clientWidth"), (
        "the presets table fits: nothing to scroll"
    )
    box.focus()
    assert box.evaluate("box => box === document.activeElement")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.preset-table .table-scroll').scrollLeft > 0")


def test_axe_finds_nothing_serious_with_every_folded_part_open(site, open_page):  # noqa: F811
    base, app = site
    page = open_page(viewport=NARROW_360)
    axe = axe_playwright.Axe()
    found = {}
    for path in estimator_pages(app):
        page.goto(base + path)
        open_everything(page)
        violations = axe.run(page).response["violations"]
        serious = [f"{v['id']}: {v['nodes'][0]['target']}" for v in violations if v["impact"] in SERIOUS]
        if serious:
            found[path] = serious
    assert found == {}


def test_copy_link_copies_the_address_of_the_estimate(site, open_page):  # noqa: F811
    base, _ = site
    page = open_page(viewport=DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.goto(base + "/estimate?headcount=7&buyer_country=GB")
    link = page.get_by_role("link", name="Link to this estimate")
    button = page.get_by_role("button", name="Copy link")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator("[data-copy-link]")).to_have_text("Copied")
    expect(page.locator("[data-copy-status]")).to_have_text("Link copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == link.evaluate("link => link.href")
    assert "headcount=7" in copied and "buyer_country=GB" in copied


def test_without_script_the_link_stays_and_no_dead_button_shows(site, open_page):  # noqa: F811
    base, _ = site
    page = open_page(viewport=NARROW_360, javascript=False)
    page.goto(base + "/estimate?headcount=7")
    expect(page.get_by_role("link", name="Link to this estimate")).to_be_visible()
    expect(page.locator("[data-copy-link]")).to_be_hidden()
