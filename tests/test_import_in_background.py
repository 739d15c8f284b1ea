"""/admin/import/<token>: a confirmed import runs in the background, and the upload's page follows it.

The import takes minutes for the largest uploads, longer than gunicorn lets a request run, so the confirmation
answers at once; what became of the upload is kept in the database, where any worker can show it.
"""

import html
import io
import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.factories import TEST_ACTOR, add_user, add_vendors, login, post_form, update_vendor, vendor_record
from tests.test_csv_import_export import csv_text, row
from vendors import search
from vendors.admin import imports
from vendors.admin.imports import PendingImport
from vendors.audit import AuditEntry
from vendors.catalog import csvfiles
from vendors.catalog.models import Vendor
from vendors.database import utcnow, write_transaction
from vendors.extensions import db
from vendors.search import indexing

WAIT_SECONDS = 30


@pytest.fixture(autouse=True)
def imports_end_before_the_tables_are_emptied(app):
    """Let every import thread a test started end before `app` empties the tables under it."""
    yield
    for thread in threading.enumerate():
        if thread.name.startswith("import-"):
            thread.join(WAIT_SECONDS)


class HeldApply:
    """csvfiles.apply for imports (not previews), held back until released; counts the imports started."""

    def __init__(self):
        self.real = csvfiles.apply
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args, **kwargs):
        if kwargs.get("dry_run"):
            return self.real(*args, **kwargs)
        self.calls += 1
        self.started.set()
        assert self.release.wait(WAIT_SECONDS), "the test never released the import"
        return self.real(*args, **kwargs)


@pytest.fixture
def held_apply(monkeypatch):
    held = HeldApply()
    monkeypatch.setattr(csvfiles, "apply", held)
    yield held
    held.release.set()


@pytest.fixture
def editor(client):
    add_user("ed@example.com", role="editor")
    login(client, "ed@example.com")
    return client


def upload(client, text: str, name: str = "vendors.csv") -> str:
    """Upload a file that passes its checks; the token its Import button confirms."""
    report = post_form(
        client, "/admin/import", {"file": (io.BytesIO(text.encode()), name)}, token_from="/admin/import"
    )
    assert report.status_code == 200
    return re.search(r'action="/admin/import/([^"]+)"', report.get_data(as_text=True)).group(1)


def confirm(client, token: str):
    return post_form(client, f"/admin/import/{token}", token_from="/admin/import")


def status_page(client, token: str) -> str:
    response = client.get(f"/admin/import/{token}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def stored(token: str) -> PendingImport:
    db.session.commit()  # a fresh snapshot: the import commits from another thread
    return db.session.scalar(select(PendingImport).where(PendingImport.token == token))


def page_once_over(client, token: str) -> str:
    """The status page once the import stopped running."""
    deadline = time.monotonic() + WAIT_SECONDS
    while stored(token).status == imports.RUNNING:
        assert time.monotonic() < deadline, "the import did not end"
        time.sleep(0.05)
    return status_page(client, token)


def a_file_adding_one_and_updating_one() -> str:
    add_vendors(vendor_record(slug="lakeside-contact", tagline="Before the import"))
    return csv_text(row(slug="lakeside-contact"), row(name="Mountain Ledger"))


def nothing_was_written() -> bool:
    db.session.commit()
    tagline = db.session.scalar(select(Vendor.tagline).where(Vendor.slug == "lakeside-contact"))
    added = db.session.scalar(select(Vendor).where(Vendor.slug == "mountain-ledger"))
    return tagline == "Before the import" and added is None and import_audit_entries() == 0


def import_audit_entries() -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.note == "import of vendors.csv")
    )


def left_running_by_a_stopped_worker(token: str, ago: timedelta) -> None:
    """Make the upload look like an import a worker started `ago`, then stopped with the worker."""
    with write_transaction() as session:
        session.execute(
            update(PendingImport)
            .where(PendingImport.token == token)
            .values(state=imports.RUNNING, attempt=PendingImport.attempt + 1, started_at=utcnow() - ago)
        )


def move_start_back(token: str, ago: timedelta) -> None:
    with write_transaction() as session:
        session.execute(
            update(PendingImport).where(PendingImport.token == token).values(started_at=utcnow() - ago)
        )


# ------------------------------------------------------------------------------------------ confirming
def test_confirming_answers_at_once_with_a_page_that_follows_the_import(editor, held_apply):
    token = upload(editor, a_file_adding_one_and_updating_one())
    waiting = status_page(editor, token)
    assert "Waiting to be imported" in waiting and 'http-equiv="refresh"' not in waiting

    confirmed = confirm(editor, token)

    assert confirmed.status_code == 303  # answered while the import is held back: it did not wait for it
    assert confirmed.location == f"/admin/import/{token}"
    assert held_apply.started.wait(WAIT_SECONDS)
    running = status_page(editor, token)
    assert "Importing vendors.csv since" in running
    assert f'<meta http-equiv="refresh" content="{imports.STATUS_REFRESH_SECONDS}">' in running
    assert "<script" not in running.split("</main>")[0]
    assert nothing_was_written()

    held_apply.release.set()
    done = page_once_over(editor, token)

    assert "Imported vendors.csv: 1 added, 1 updated, 0 unchanged, 0 rejected." in done
    assert "catching up" not in done
    assert 'http-equiv="refresh"' not in done
    db.session.expire_all()
    assert db.session.scalar(select(Vendor.tagline).where(Vendor.slug == "lakeside-contact")) == (
        "Customer care from Manila"
    )
    assert db.session.scalar(select(Vendor).where(Vendor.slug == "mountain-ledger")) is not None
    assert stored(token).data == b""  # the file is not kept once imported


def test_an_import_the_directory_came_to_match_meanwhile_says_it_changed_nothing(editor):
    text = a_file_adding_one_and_updating_one()
    token = upload(editor, text)
    csvfiles.apply(csvfiles.text_of(text.encode()), TEST_ACTOR, note="the same file, from the command line")

    confirm(editor, token)

    assert (
        "Imported vendors.csv: 0 added, 0 updated, 2 unchanged, 0 rejected. "
        "Nothing changed: every row matches the directory."
    ) in page_once_over(editor, token)


def test_confirming_again_while_it_runs_or_once_it_is_done_starts_nothing(editor, held_apply):
    token = upload(editor, a_file_adding_one_and_updating_one())
    confirm(editor, token)
    assert held_apply.started.wait(WAIT_SECONDS)

    while_running = confirm(editor, token)
    held_apply.release.set()
    page_once_over(editor, token)
    once_done = confirm(editor, token)

    assert while_running.status_code == once_done.status_code == 303
    assert while_running.location == once_done.location == f"/admin/import/{token}"
    assert held_apply.calls == 1
    assert import_audit_entries() == 2  # one vendor added, one updated, once


def test_two_confirmations_sent_together_start_one_import(app, editor, held_apply, monkeypatch):
    token = upload(editor, a_file_adding_one_and_updating_one())
    same_editor_elsewhere = app.test_client()
    login(same_editor_elsewhere, "ed@example.com")
    # Both requests have read the upload as waiting before either marks it running.
    both_read_it = threading.Barrier(2, timeout=WAIT_SECONDS)
    real_claim = imports._claim

    def claim_once_both_read_it(upload):
        both_read_it.wait()
        return real_claim(upload)

    monkeypatch.setattr(imports, "_claim", claim_once_both_read_it)
    answers = []
    clients = [editor, same_editor_elsewhere]
    requests = [threading.Thread(target=lambda c=c: answers.append(confirm(c, token))) for c in clients]
    for request in requests:
        request.start()
    for request in requests:
        request.join(WAIT_SECONDS)
    held_apply.release.set()

    assert [answer.status_code for answer in answers] == [303, 303]
    assert "Imported vendors.csv: 1 added, 1 updated" in page_once_over(editor, token)
    assert held_apply.calls == 1
    assert stored(token).attempt == 1


def test_another_editor_can_neither_see_nor_start_an_upload(app, editor):
    token = upload(editor, a_file_adding_one_and_updating_one())
    add_user("other@example.com", role="editor")
    other = app.test_client()
    login(other, "other@example.com")

    assert other.get(f"/admin/import/{token}").status_code == 404
    assert confirm(other, token).status_code == 404
    assert stored(token).state == imports.WAITING
    assert nothing_was_written()
    confirm(editor, token)
    page_once_over(editor, token)
    assert other.get(f"/admin/import/{token}").status_code == 404


def test_an_upload_over_a_day_old_is_gone(editor):
    token = upload(editor, a_file_adding_one_and_updating_one())
    with write_transaction() as session:
        session.execute(
            update(PendingImport)
            .where(PendingImport.token == token)
            .values(created_at=utcnow() - imports.UPLOAD_LIFETIME - timedelta(minutes=1))
        )
    assert editor.get(f"/admin/import/{token}").status_code == 404
    assert confirm(editor, token).status_code == 404
    assert nothing_was_written()


def test_only_a_users_newest_uploads_wait_for_confirmation(app, editor):
    text = a_file_adding_one_and_updating_one()
    tokens = [upload(editor, text) for _ in range(imports.WAITING_PER_USER + 2)]
    for token in tokens[:2]:
        assert editor.get(f"/admin/import/{token}").status_code == 404, "an older upload is dropped"
    for token in tokens[2:]:
        assert editor.get(f"/admin/import/{token}").status_code == 200
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(PendingImport)) == imports.WAITING_PER_USER


# ------------------------------------------------------------------------------------------ outcomes
def test_an_import_the_directory_no_longer_fits_shows_its_problems_and_writes_nothing(editor):
    [renamed] = add_vendors(vendor_record(slug="old-name"))
    old_name_row = csv_text(row(slug="old-name")).split("\n", 1)[1]  # line 4
    token = upload(editor, a_file_adding_one_and_updating_one() + old_name_row)
    update_vendor(renamed.id, slug="new-name")  # after the file was checked

    confirm(editor, token)
    page = page_once_over(editor, token)

    assert "Nothing was imported: 1 problem in 1 line." in page
    assert (
        "<td>4</td><td>slug</td>"
        "<td>'old-name' is a former slug of 'new-name', which it leads to: use 'new-name'</td>"
    ) in page
    assert "Start the import again" not in page  # the file must be fixed and uploaded again
    assert nothing_was_written()
    assert stored(token).data == b""


def test_an_import_that_would_undo_a_save_made_after_the_check_is_refused_and_writes_nothing(editor):
    text = a_file_adding_one_and_updating_one()
    [vendor] = db.session.scalars(select(Vendor).where(Vendor.slug == "lakeside-contact"))
    header, *lines = text.splitlines()
    existing, added = lines  # only the existing vendor's row names the version it was exported at
    versioned = "\n".join([f"{header},version", f"{existing},{vendor.version}", f"{added},"]) + "\n"
    token = upload(editor, versioned)
    update_vendor(vendor.id, name="Saved after the check")

    confirm(editor, token)
    page = html.unescape(page_once_over(editor, token))

    assert "Nothing was imported: 1 problem in 1 line." in page
    assert "<td>2</td><td>version</td><td>'lakeside-contact' has changed since this row was exported" in page
    db.session.expire_all()
    assert db.session.get(Vendor, vendor.id).tagline == "Before the import"
    assert db.session.scalar(select(Vendor).where(Vendor.slug == "mountain-ledger")) is None


def test_a_failed_import_writes_nothing_and_can_be_started_again(editor, monkeypatch):
    token = upload(editor, a_file_adding_one_and_updating_one())
    real_apply = csvfiles.apply

    def failing_as_it_commits(*args, also, **kwargs):
        def also_then_fail(session):
            also(session)
            raise RuntimeError("the database went away")

        return real_apply(*args, also=also_then_fail, **kwargs)

    monkeypatch.setattr(csvfiles, "apply", failing_as_it_commits)
    confirm(editor, token)
    failed = page_once_over(editor, token)

    assert (
        "vendors.csv was not imported: an error stopped it (the server's log has the details). "
        "Nothing was written; try again."
    ) in failed
    assert "Start the import again" in failed
    assert nothing_was_written()

    monkeypatch.setattr(csvfiles, "apply", real_apply)
    assert confirm(editor, token).status_code == 303
    assert "Imported vendors.csv: 1 added, 1 updated, 0 unchanged, 0 rejected." in page_once_over(
        editor, token
    )


def test_an_import_whose_worker_stopped_shows_as_failed_and_can_be_started_again(editor):
    token = upload(editor, a_file_adding_one_and_updating_one())
    left_running_by_a_stopped_worker(token, timedelta(minutes=1))
    assert "Importing vendors.csv since" in status_page(editor, token)
    confirm(editor, token)  # still taken to be running: not started a second time
    assert stored(token).attempt == 1

    move_start_back(token, imports.PRESUMED_STOPPED_AFTER + timedelta(minutes=1))
    stopped = status_page(editor, token)

    assert (
        "vendors.csv was not imported: the server process running it stopped before it finished. "
        "Nothing was written; try again."
    ) in stopped
    assert 'http-equiv="refresh"' not in stopped
    assert nothing_was_written()
    assert confirm(editor, token).status_code == 303
    assert "Imported vendors.csv: 1 added, 1 updated, 0 unchanged, 0 rejected." in page_once_over(
        editor, token
    )


def test_an_import_whose_counts_were_not_recorded_still_says_it_was_imported(editor):
    token = upload(editor, a_file_adding_one_and_updating_one())
    with write_transaction() as session:  # committed, then its worker stopped before recording the counts
        session.execute(
            update(PendingImport)
            .where(PendingImport.token == token)
            .values(state=imports.DONE, attempt=1, started_at=utcnow(), finished_at=utcnow())
        )
    assert "Importing vendors.csv since" in status_page(editor, token)  # the counts follow in a moment

    move_finish_back = update(PendingImport).values(finished_at=utcnow() - imports.COUNTS_FOLLOW_WITHIN)
    with write_transaction() as session:
        session.execute(move_finish_back.where(PendingImport.token == token))

    assert "Imported vendors.csv; its counts were not recorded" in status_page(editor, token)
    assert confirm(editor, token).status_code == 303
    assert stored(token).attempt == 1  # not started again


def test_a_run_presumed_stopped_cannot_commit_once_the_upload_was_started_again(editor, monkeypatch):
    real_apply = csvfiles.apply
    runs = []
    first_run_started, first_run_may_go_on = threading.Event(), threading.Event()

    def first_slow_then_failing(*args, **kwargs):
        if kwargs.get("dry_run"):
            return real_apply(*args, **kwargs)
        runs.append(len(runs) + 1)
        if runs[-1] == 1:
            first_run_started.set()
            assert first_run_may_go_on.wait(WAIT_SECONDS)
            return real_apply(*args, **kwargs)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(csvfiles, "apply", first_slow_then_failing)
    token = upload(editor, a_file_adding_one_and_updating_one())
    confirm(editor, token)
    assert first_run_started.wait(WAIT_SECONDS)
    move_start_back(token, imports.PRESUMED_STOPPED_AFTER + timedelta(minutes=1))  # taken to have stopped
    confirm(editor, token)  # the second run fails: the page says nothing was written
    assert "Nothing was written; try again." in page_once_over(editor, token)

    first_run_may_go_on.set()
    for thread in threading.enumerate():
        if thread.name.startswith("import-"):
            thread.join(WAIT_SECONDS)

    assert runs == [1, 2]
    assert nothing_was_written()
    assert "Start the import again" in status_page(editor, token)


def test_a_large_import_brings_the_search_index_up_to_date_in_the_background(app, editor, monkeypatch):
    monkeypatch.setattr(search, "IMPLICIT_MAX_WORK", 1)
    token = upload(editor, a_file_adding_one_and_updating_one())

    confirm(editor, token)

    assert (
        "The search index is catching up with the import in the background; see the dashboard."
        in page_once_over(editor, token)
    )
    root = app.config["SEARCH_INDEX_DIR"]
    deadline = time.monotonic() + WAIT_SECONDS
    while indexing.status(db.engine, root).pending:
        assert time.monotonic() < deadline, "the index did not catch up"
        time.sleep(0.1)
    assert indexing.status(db.engine, root).documents == 2
