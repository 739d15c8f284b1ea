"""Two editors with one vendor open in their browsers: the one who saves second is shown what the other
changed, with focus there, and the form already holding the other's changes. Same set-up as
test_e2e_admin.py, whose fixtures and helpers these tests use, with a second editor account."""

import re

import pytest

from tests.conftest import app_with_data, load_sample_data
from tests.factories import add_user

# Importing the admin browser module skips this one too, with its reason, where Chromium or Playwright is
# missing.
from tests.test_e2e_admin import (  # noqa: F401  (fixtures are used by name)
    browser,
    expect,
    open_page,
    published_vendor,
    save,
    served,
    sign_in,
    stored_vendor,
)

FIRST = "first.editor@example.test"
SECOND = "second.editor@example.test"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app with the sample data and two editor accounts, served over HTTP; yields (base URL, app)."""
    directory = tmp_path_factory.mktemp("admin-conflict")
    url = f"sqlite:///{directory / 'site.sqlite3'}"
    with app_with_data(url, directory / "index", load_sample_data) as app:
        with app.app_context():
            add_user(FIRST, role="editor")
            add_user(SECOND, role="editor")
        with served(app) as base_url:
            yield base_url, app


def test_the_second_to_save_lands_on_the_other_editors_changes_and_keeps_both(site, open_page):  # noqa: F811
    base, app = site
    vendor = published_vendor(app, 0)
    editor_url = f"{base}/admin/vendors/{vendor['id']}/edit"
    their_tagline = "Tagline saved by the other editor meanwhile"
    my_seats = str((vendor["min_seats"] or 0) + 7)

    mine = open_page(expected_status={editor_url: 409})
    sign_in(mine, base, FIRST)
    mine.goto(editor_url)
    theirs = open_page()
    sign_in(theirs, base, SECOND)
    theirs.goto(editor_url)

    theirs.get_by_label("Tagline", exact=True).fill(their_tagline)
    save(theirs)
    expect(theirs.locator(".flash")).to_have_text(f"{vendor['name']}: 1 field(s) saved.")

    mine.get_by_label("Minimum seats", exact=True).fill(my_seats)
    with mine.expect_navigation() as navigation:
        mine.get_by_role("button", name="Save changes").click()
    assert navigation.value.status == 409

    conflict = mine.locator(".conflict")
    expect(conflict).to_be_focused()  # a keyboard or screen reader user starts at the other's changes
    expect(conflict).to_be_in_viewport()
    expect(conflict).to_contain_text("someone else saved this vendor while you were editing")
    expect(conflict).to_contain_text(SECOND)
    expect(conflict.get_by_role("listitem").filter(has_text=re.compile(r"^Tagline:"))).to_have_text(
        f"Tagline: {vendor['tagline']} → {their_tagline}"
    )
    expect(mine.locator(".error-summary")).to_have_count(0)
    expect(mine.get_by_label("Tagline", exact=True)).to_have_value(their_tagline)  # theirs, brought in
    expect(mine.get_by_label("Minimum seats", exact=True)).to_have_value(my_seats)  # mine, kept
    assert stored_vendor(app, vendor["id"])["min_seats"] == vendor["min_seats"], "nothing of mine was saved"

    save(mine)
    expect(mine).to_have_url(editor_url)
    expect(mine.locator(".flash")).to_have_text(f"{vendor['name']}: 1 field(s) saved.")
    stored = stored_vendor(app, vendor["id"])
    assert (stored["tagline"], str(stored["min_seats"])) == (their_tagline, my_seats)
    assert stored["version"] == vendor["version"] + 2
