"""The change signal (vendors.changesignal): an answer read from the database is given again only while the
database provably has not changed, whoever changed it."""

import os
import resource
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from types import SimpleNamespace

import flask
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.factories import add_user, add_vendors, login, post_form, vendor_record
from vendors import changesignal, search
from vendors.catalog.changelog import NOTICE_TABLES, NOTICE_TRIGGER
from vendors.catalog.forms import form_data
from vendors.catalog.models import Vendor
from vendors.catalog.records import vendor_record as stored_record
from vendors.extensions import db


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'signal.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("PRAGMA journal_mode=WAL"))
        connection.execute(text("CREATE TABLE facts (value INTEGER)"))
        connection.execute(text("INSERT INTO facts VALUES (1)"))
    yield engine
    engine.dispose()


# Notices are PostgreSQL's; SQLite's signal is tested above.
on_postgresql = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def reads_of(engine):
    """A read whose answers count how often it really ran."""
    runs = count(1)

    def read():
        return next(runs)

    return lambda: changesignal.remembered(engine, read)


def test_an_answer_is_given_again_until_another_connection_commits(engine):
    read = reads_of(engine)
    assert [read(), read(), read()] == [1, 1, 1]
    with engine.begin() as connection:  # the app's own pool
        connection.execute(text("UPDATE facts SET value = 2"))
    assert [read(), read()] == [2, 2]
    with sqlite3.connect(engine.url.database) as other_process:  # another program, another connection
        other_process.execute("UPDATE facts SET value = 3")
    assert [read(), read()] == [3, 3]


def test_a_read_without_a_commit_changes_nothing(engine):
    read = reads_of(engine)
    assert read() == 1
    with engine.connect() as connection:
        connection.execute(text("SELECT value FROM facts")).all()
    with engine.begin() as connection:
        connection.execute(text("UPDATE facts SET value = 1 WHERE value = 99"))  # commits, changes no row
    assert read() == 1


def test_a_database_file_replaced_by_another_is_read_afresh(engine, tmp_path):
    read = reads_of(engine)
    assert read() == 1
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(engine.url.database, copy)  # the same data version, another file
    engine.dispose()
    os.replace(copy, engine.url.database)
    assert read() == 2


def test_a_new_process_never_takes_an_answer_remembered_before_it(engine, monkeypatch):
    read = reads_of(engine)
    assert read() == 1
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as after a fork: its own connection, numbered afresh
    assert [read(), read()] == [2, 2]


def test_a_missing_file_or_a_database_in_memory_reads_every_time(engine, tmp_path):
    in_memory = create_engine("sqlite://")
    read = reads_of(in_memory)
    assert [read(), read()] == [1, 2]
    gone = create_engine(f"sqlite:///{tmp_path / 'gone' / 'nothing.sqlite3'}")
    read = reads_of(gone)
    assert [read(), read()] == [1, 2]


def test_each_read_function_keeps_its_own_answer(engine):
    first, second = reads_of(engine), reads_of(engine)
    assert (first(), second(), first(), second()) == (1, 1, 1, 1)


@on_postgresql
def test_postgresql_gives_an_answer_again_until_the_change_log_sends_a_notice(app, monkeypatch):
    monkeypatch.setattr(changesignal, "REFRESH_SECONDS", 1e9)
    read = reads_of(db.engine)
    # The first read, having worked, starts the listening; the second is the first remembered.
    assert [read(), read(), read()] == [1, 2, 2]
    with_another_connection("CREATE TEMPORARY TABLE elsewhere AS SELECT 1 AS x")
    assert answer_within(0.3, read, until=lambda value: value != 2) == 2  # a commit elsewhere sends no notice
    with_another_connection("INSERT INTO search_changes (document_id, changed_at) VALUES (1, now())")
    assert answer_within(2.0, read, until=lambda value: value != 2) == 3
    assert read() == 3


@on_postgresql
def test_postgresql_hears_notices_on_a_listener_numbered_past_the_first_1024_files(app, monkeypatch):
    """A worker may have a thousand files and sockets open when it listens again after an outage; select()
    takes no file number past 1023, and would have failed every page of the worker."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if min(hard, 4096) < 1200:
        pytest.skip(f"this process may open {hard} files, and the test needs 1,200")
    monkeypatch.setattr(changesignal, "REFRESH_SECONDS", 1e9)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    opened = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        read = reads_of(db.engine)
        assert [read(), read(), read()] == [1, 2, 2]
        assert changesignal._by_engine[db.engine].source.connection.fileno() > 1023
        with_another_connection("INSERT INTO search_changes (document_id, changed_at) VALUES (1, now())")
        assert answer_within(2.0, read, until=lambda value: value != 2) == 3
    finally:
        for descriptor in opened:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@on_postgresql
def test_postgresql_reads_again_every_refresh_whatever_it_hears(app, monkeypatch):
    """The bound on a notice lost on the way: a listener behind a pooler that drops them, say."""
    now = [1000.0]
    monkeypatch.setattr(changesignal, "time", SimpleNamespace(monotonic=lambda: now[0]))
    read = reads_of(db.engine)
    assert [read(), read(), read()] == [1, 2, 2]
    now[0] += changesignal.REFRESH_SECONDS
    assert [read(), read()] == [3, 3]


@on_postgresql
def test_postgresql_without_the_trigger_reads_every_time(app):
    with notices_off():
        read = reads_of(db.engine)
        assert [read(), read(), read()] == [1, 2, 3]
        assert listeners(expecting=0) == 0
        next_try = changesignal._by_engine[db.engine].source.next_try - time.monotonic()
        assert changesignal.LISTEN_RETRY_SECONDS < next_try <= changesignal.NOT_MIGRATED_RETRY_SECONDS


@on_postgresql
def test_postgresql_forgets_its_answers_when_this_process_commits_a_change(app, monkeypatch):
    """Its own edit is shown on its next request, without waiting for the notice (here, none is sent)."""
    monkeypatch.setattr(changesignal, "REFRESH_SECONDS", 1e9)
    read = reads_of(db.engine)
    assert [read(), read(), read()] == [1, 2, 2]
    with notices_off():
        add_vendors(vendor_record())
        assert [read(), read()] == [3, 3]


@on_postgresql
def test_a_visitor_who_saved_a_change_is_never_shown_the_log_from_before_it(app, monkeypatch):
    """The page after a save, asked of another worker whose notice is still on its way (here, none is sent):
    the mark the save left in the session makes it read the log afresh; others wait for the notice."""
    monkeypatch.setattr(changesignal, "REFRESH_SECONDS", 1e9)
    identity = search.database_identity()
    [first, second] = [a_request(app, search.log_position) for _ in range(2)]  # the second is remembered
    with notices_off():
        with_another_connection("INSERT INTO search_changes (document_id, changed_at) VALUES (1, now())")
        assert a_request(app, search.log_position) == second
        marked = {search.LAST_SAVED_CHANGE: (identity, second[0] + 1)}
        assert a_request(app, search.log_position, marked)[0] == second[0] + 1
    assert first == second


def test_saving_a_change_marks_the_visitors_session_with_the_log_after_it(app):
    add_user("ed@example.com")
    client = app.test_client()
    login(client, "ed@example.com")
    [vendor] = add_vendors(vendor_record())
    form = {**form_data(stored_record(vendor)), "name": "Renamed Support", "version": vendor.version}
    assert post_form(client, f"/admin/vendors/{vendor.id}/edit", form).status_code == 303
    expected = a_request(app, lambda: (search.database_identity(), search.log_position()[0]))
    with client.session_transaction() as visit:
        assert visit[search.LAST_SAVED_CHANGE] == expected


def test_the_saved_change_mark_is_dropped_once_the_log_shows_the_change(app):
    identity, (position, _time) = search.database_identity(), a_request(app, search.log_position)
    with app.app_context(), app.test_request_context():
        flask.session[search.LAST_SAVED_CHANGE] = (identity, position)
        search.log_position()
        assert search.LAST_SAVED_CHANGE not in flask.session


def test_a_save_whose_position_cannot_be_read_afterwards_is_still_a_save(app, monkeypatch, caplog):
    add_user("ed@example.com")
    client = app.test_client()
    login(client, "ed@example.com")
    [vendor] = add_vendors(vendor_record())

    def database_gone(*_arguments):
        raise OperationalError("SELECT", {}, Exception("the server closed the connection"))

    monkeypatch.setattr(search, "_log_state", database_gone)
    form = {**form_data(stored_record(vendor)), "name": "Renamed Support", "version": vendor.version}
    assert post_form(client, f"/admin/vendors/{vendor.id}/edit", form).status_code == 303
    assert db.session.get(Vendor, vendor.id).name == "Renamed Support"
    with client.session_transaction() as visit:
        assert search.LAST_SAVED_CHANGE not in visit
    assert "could not read the change log's position after a save" in caplog.text


@on_postgresql
def test_postgresql_reads_every_time_after_losing_its_listener_until_it_listens_again(app, monkeypatch):
    monkeypatch.setattr(changesignal, "REFRESH_SECONDS", 1e9)
    read = reads_of(db.engine)
    assert [read(), read(), read()] == [1, 2, 2]
    assert listeners(expecting=1) == 1
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :listener"
            ),
            {"listener": changesignal.LISTENER_NAME},
        )
    assert answer_within(2.0, read, until=lambda value: value == 3) == 3  # the loss is noticed: read again
    assert read() == 4  # and again: it tries to listen only LISTEN_RETRY_SECONDS after its last try
    monkeypatch.setattr(changesignal, "LISTEN_RETRY_SECONDS", 0.0)
    changesignal._by_engine[db.engine].source.next_try = 0.0
    assert [read(), read(), read()] == [5, 6, 6]
    assert listeners(expecting=1) == 1


@on_postgresql
def test_postgresql_listens_with_every_part_of_the_database_url(app):
    """A password and options with spaces, as the engine itself takes them (the server here trusts loopback
    connections, so the password is carried but not checked)."""
    url = db.engine.url.set(password="two words", query={"options": "-c statement_timeout=5000"})
    engine = create_engine(url)
    try:
        reads_of(engine)()
        assert listeners(expecting=1) == 1
    finally:
        engine.dispose()


@on_postgresql
def test_postgresql_closes_its_listener_with_its_engine(app):
    read = reads_of(db.engine)
    read()
    assert listeners(expecting=1) == 1
    db.engine.dispose()
    assert listeners(expecting=0) == 0


def a_request(app, answer, session: dict | None = None):
    """answer() in a request of its own, from a visitor with that session."""
    with app.app_context(), app.test_request_context():
        flask.session.update(session or {})
        return answer()


@contextmanager
def notices_off() -> Iterator[None]:
    """The notice trigger disabled on every table it is on, for as long as the block runs."""

    def turn(state: str) -> None:
        with db.engine.begin() as connection:
            for table in NOTICE_TABLES:
                connection.execute(text(f"ALTER TABLE {table.name} {state} TRIGGER {NOTICE_TRIGGER}"))

    turn("DISABLE")
    try:
        yield
    finally:
        turn("ENABLE")


def with_another_connection(statement: str) -> None:
    other_program = create_engine(db.engine.url)
    with other_program.begin() as connection:
        connection.execute(text(statement))
    other_program.dispose()


def answer_within(seconds: float, read, until) -> object:
    """read()'s first answer for which until() holds, asked for up to `seconds`; the last one otherwise."""
    deadline = time.monotonic() + seconds
    while not until(value := read()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return value


def listeners(expecting: int) -> int:
    """How many connections listen for the change log's notices on this database, asked again for up to 2 s
    until there are as many as expected: a closed connection's server process leaves pg_stat_activity a
    moment after the connection is closed, longer on a busy machine."""
    return answer_within(2.0, _listeners_now, until=lambda count: count == expecting)


def _listeners_now() -> int:
    with db.engine.connect() as connection:
        return connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :listener"
            ),
            {"listener": changesignal.LISTENER_NAME},
        )


def test_a_page_kept_by_the_cache_shows_an_edit_written_by_another_program(app):
    """An import run from the command line, say: it writes with its own connection, and the next request
    sees the change log move even though this process did not write."""
    [vendor] = add_vendors(vendor_record(name="Old Name Support"))
    assert b"Old Name Support" in app.test_client().get("/vendors").data
    assert app.test_client().get("/vendors").headers["X-Cache"] == "hit"
    other_program = create_engine(db.engine.url)
    with other_program.begin() as connection:
        connection.execute(
            text("UPDATE vendors SET name = 'New Name Support' WHERE id = :id"), {"id": vendor.id}
        )
        connection.execute(
            text("INSERT INTO search_changes (kind, document_id, changed_at) VALUES ('vendor', :id, :now)"),
            {"id": vendor.id, "now": "2026-12-05 12:00:00.000000"},
        )
    other_program.dispose()
    # At once on SQLite; on PostgreSQL once the change log's notice has arrived.
    answer = answer_within(
        2.0, lambda: app.test_client().get("/vendors"), until=lambda page: b"New Name Support" in page.data
    )
    assert answer.headers["X-Cache"] == "miss"
    assert b"New Name Support" in answer.data
