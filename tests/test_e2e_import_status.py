"""A running import's page in a real browser: it follows the import without reloading itself, so a screen
reader is not started over every few seconds, and puts the outcome in place, read out, once the import has
ended; without JavaScript the page reloads itself until then. Same set-up as test_e2e_admin.py, whose
fixtures and helpers these tests use."""

import pytest
from sqlalchemy import delete, update

from tests.test_csv_import_export import csv_text, row

# Importing the admin browser module skips this one too, with its reason, where Chromium or Playwright is
# missing.
from tests.test_e2e_admin import (  # noqa: F401  (fixtures are used by name)
    EDITOR,
    browser,
    expect,
    open_page,
    sign_in,
    site,
)
from vendors.admin import imports
from vendors.admin.imports import PendingImport
from vendors.database import utcnow, write_transaction

FILE_NAME = "followed.csv"


@pytest.fixture
def quick_looks(monkeypatch):
    monkeypatch.setattr(imports, "STATUS_REFRESH_SECONDS", 1)


def uploaded(page, base: str, tmp_path) -> str:
    """Upload a file that passes its checks; the upload's token."""
    path = tmp_path / FILE_NAME
    path.write_text(csv_text(row(name="Followed Import Contact")), encoding="utf-8")
    page.goto(f"{base}/admin/import")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("button", name=f"Import {FILE_NAME}")).to_be_visible()
    return page.locator("form[action^='/admin/import/']").get_attribute("action").rsplit("/", 1)[1]


def set_state(app, token: str, **values) -> None:
    with app.app_context(), write_transaction() as session:
        session.execute(update(PendingImport).where(PendingImport.token == token).values(**values))


def running(app, token: str) -> None:
    set_state(app, token, state=imports.RUNNING, attempt=1, started_at=utcnow())


def a_running_upload(page, served_site, tmp_path) -> str:
    """Sign the page in, upload a file, and make its import look running; the upload's token."""
    base, app = served_site
    sign_in(page, base, EDITOR)
    token = uploaded(page, base, tmp_path)
    running(app, token)
    return token


def done(app, token: str) -> None:
    report = {"added": 1, "updated": 0, "unchanged": 0, "catching_up": False}
    set_state(app, token, state=imports.DONE, finished_at=utcnow(), report=report)


def test_a_running_import_is_followed_in_place_and_its_outcome_read_out(
    site,  # noqa: F811
    open_page,  # noqa: F811
    tmp_path,
    quick_looks,
):
    base, app = site
    page = open_page()
    token = a_running_upload(page, site, tmp_path)

    page.goto(f"{base}/admin/import/{token}")
    report = page.locator(".import-report")
    expect(report).to_contain_text("Importing")
    expect(report).to_have_attribute("aria-live", "polite")
    page.evaluate("window.loadedOnce = true")
    page.wait_for_timeout(2500)  # two looks while it runs
    assert page.evaluate("window.loadedOnce") is True, "the page reloaded itself"

    done(app, token)

    expect(report).to_contain_text(f"Imported {FILE_NAME}: 1 added, 0 updated, 0 unchanged, 0 rejected.")
    assert page.evaluate("window.loadedOnce") is True, "the page reloaded itself"
    page.wait_for_timeout(1500)
    expect(report).not_to_have_attribute("data-refresh-seconds", "1")  # it has stopped looking


def test_without_javascript_a_running_import_page_reloads_itself_until_it_ends(
    site,  # noqa: F811
    open_page,  # noqa: F811
    tmp_path,
    quick_looks,
):
    base, app = site
    page = open_page(javascript=False)
    token = a_running_upload(page, site, tmp_path)

    page.goto(f"{base}/admin/import/{token}")
    expect(page.locator(".import-report")).to_contain_text("Importing")
    done(app, token)

    expect(page.locator(".import-report")).to_contain_text(f"Imported {FILE_NAME}: 1 added")


def test_a_followed_import_whose_upload_is_gone_loads_the_page_that_says_so(
    site,  # noqa: F811
    open_page,  # noqa: F811
    tmp_path,
    quick_looks,
):
    base, app = site
    token = a_running_upload(open_page(), site, tmp_path)
    status_url = f"{base}/admin/import/{token}"
    page = open_page(expected_status={status_url: 404})
    sign_in(page, base, EDITOR)
    page.goto(status_url)
    expect(page.locator(".import-report")).to_contain_text("Importing")

    with app.app_context(), write_transaction() as session:
        session.execute(delete(PendingImport).where(PendingImport.token == token))

    expect(page.get_by_text("No such upload")).to_be_visible()
    expect(page.locator(".import-report")).to_have_count(0)
