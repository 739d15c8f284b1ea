"""The change signal (vendors.changesignal): an answer read from the database is given again only while the
database provably has not changed, whoever changed it."""

import os
import shutil
import sqlite3
from itertools import count

import pytest
from sqlalchemy import create_engine, text

from tests.factories import add_vendors, vendor_record
from vendors import changesignal
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


def test_a_database_server_reads_every_time(app, backend):
    read = reads_of(db.engine)
    assert [read(), read()] == ([1, 1] if backend == "sqlite" else [1, 2])


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
    answer = app.test_client().get("/vendors")
    assert answer.headers["X-Cache"] == "miss"
    assert b"New Name Support" in answer.data
