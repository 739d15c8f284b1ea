"""The database set-up: SQLite tuned for several worker processes (a lone read left outside any
transaction), and migrations that match the models."""

import multiprocessing
import time
from datetime import UTC, timedelta

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import make_app
from tests.factories import TEST_ACTOR, add_vendors, vendor_record
from vendors import database
from vendors.audit import AuditEntry
from vendors.catalog import changelog
from vendors.catalog.models import Vendor
from vendors.catalog.writes import catalogue_writes
from vendors.database import SQLITE_BUSY_TIMEOUT_MS, one_statement, read_on_held_connection
from vendors.extensions import db

WORKERS = 3
INCREMENTS_PER_WORKER = 15


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(app, backend):
    if backend != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS == 10_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_one_statement_read_holds_no_transaction_open(app):
    with db.engine.connect() as plain, db.engine.connect() as lone:
        plain.exec_driver_sql("SELECT 1")
        one_statement(lone).exec_driver_sql("SELECT 1")
        assert _in_transaction(plain)
        assert not _in_transaction(lone)
        handed_back = lone.connection.dbapi_connection
    if db.engine.dialect.name == "postgresql":
        assert handed_back.autocommit is False  # the pool hands it on to work in transactions again


def test_the_read_every_request_makes_keeps_one_connection_and_survives_its_loss(app, backend):
    checkouts = []
    event.listen(db.engine, "checkout", lambda *_: checkouts.append(1))
    server_process = "SELECT pg_backend_pid()" if backend == "postgresql" else "SELECT 1"

    def read(connection):
        return connection.exec_driver_sql(server_process).scalar()

    first = read_on_held_connection(db.engine, read)
    assert read_on_held_connection(db.engine, read) == first
    assert len(checkouts) == 1
    assert not _in_transaction(app.extensions[database.HELD_CONNECTIONS][db.engine].connection), (
        "nothing held open between reads"
    )
    with db.engine.connect() as other:
        if backend == "postgresql":
            other.exec_driver_sql(f"SELECT pg_terminate_backend({first})")  # as a server restart would
            other.commit()
    answer = read_on_held_connection(db.engine, read)
    assert (answer != first) if backend == "postgresql" else answer == first
    assert read_on_held_connection(db.engine, read) == answer


def test_the_held_connection_is_closed_with_its_engine(app, backend):
    if backend != "postgresql":
        pytest.skip("a server counts its connections")
    engine = create_engine(db.engine.url)
    count_them = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    before = read_on_held_connection(
        db.engine, lambda connection: connection.exec_driver_sql(count_them).scalar()
    )
    read_on_held_connection(engine, lambda connection: connection.exec_driver_sql("SELECT 1").scalar())
    engine.dispose()
    # A server ends the session of a closed connection a moment after the close: wait for it, briefly.
    deadline = time.monotonic() + 5
    while (
        count := read_on_held_connection(
            db.engine, lambda connection: connection.exec_driver_sql(count_them).scalar()
        )
    ) != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert count == before


def test_a_failing_read_on_the_held_connection_is_raised(app):
    with pytest.raises(DBAPIError):
        read_on_held_connection(db.engine, lambda connection: connection.exec_driver_sql("SELECT nowhere"))
    assert (
        read_on_held_connection(db.engine, lambda connection: connection.exec_driver_sql("SELECT 7").scalar())
        == 7
    )


def test_the_log_state_every_request_reads_is_the_last_change_and_the_identity(app, backend):
    """changelog.state reads on a server as plain SQL and converts the change's time itself: it must give
    what latest() and identity() give, empty or not, in UTC whatever the session's time zone."""
    with db.engine.connect() as connection:
        if backend == "postgresql":
            connection.exec_driver_sql("SET TIME ZONE 'Asia/Kolkata'")
        identity = changelog.identity(connection)
        assert (
            changelog.state(connection) == ((0, None), identity) == (changelog.latest(connection), identity)
        )
        connection.commit()
        add_vendors(vendor_record(), vendor_record())
        (last_id, changed_at), same_identity = changelog.state(connection)
        assert ((last_id, changed_at), same_identity) == (changelog.latest(connection), identity)
        assert last_id == changelog.head(connection) > 0
        assert changed_at.utcoffset() == timedelta(0) and changed_at.tzinfo is UTC


def _in_transaction(connection) -> bool:
    dbapi_connection = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite":
        return dbapi_connection.in_transaction
    return dbapi_connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


def _increment_employees(database_url: str, index_dir: str, slug: str) -> None:
    app = make_app(database_url, index_dir)
    with app.app_context():
        for _ in range(INCREMENTS_PER_WORKER):
            # Read then write in one transaction: without the write lock taken up front, two workers
            # read the same value and one of them fails with "database is locked" on upgrade.
            with catalogue_writes(TEST_ACTOR) as writer:
                vendor = writer.session.scalar(select(Vendor).where(Vendor.slug == slug))
                writer.update(vendor, {"employees": vendor.employees + 1})


def test_concurrent_writer_processes_wait_for_each_other_instead_of_failing(app, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is how SQLite serialises writers; PostgreSQL locks rows itself")
    add_vendors(vendor_record(slug="counter", employees=100))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_increment_employees, args=(url, str(tmp_path / "index"), "counter"))
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * WORKERS
    db.session.expire_all()
    employees = db.session.scalar(select(Vendor.employees).where(Vendor.slug == "counter"))
    assert employees == 100 + WORKERS * INCREMENTS_PER_WORKER


def test_write_transaction_rolls_back_everything_on_error(app):
    with pytest.raises(RuntimeError), catalogue_writes(TEST_ACTOR) as writer:
        writer.create(vendor_record(slug="half-saved"))
        writer.flush()
        raise RuntimeError("the import failed half way")
    assert db.session.scalar(select(Vendor).where(Vendor.slug == "half-saved")) is None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_migrations_build_the_schema_the_models_describe(backend, request, tmp_path):
    from tests.conftest import _database_url

    notified = sorted(table.name for table in changelog.NOTICE_TABLES) if backend == "postgresql" else []
    app = make_app(_database_url(backend, request, tmp_path, "migrated"), tmp_path / "index")
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert differences == []
            assert conn.execute(text("SELECT count(*) FROM vendors")).scalar() == 0
            assert notice_triggers(conn) == notified
        db.engine.dispose()
    assert notice_triggers_made_by_the_models(backend, request, tmp_path) == notified


def test_migration_0009_leaves_descriptions_with_lf_only_and_names_and_taglines_on_one_line(
    backend, request, tmp_path
):
    from tests.conftest import _database_url

    app = make_app(_database_url(backend, request, tmp_path, "line-breaks"), tmp_path / "index")
    with app.app_context():
        upgrade(revision="0008")
        [saved_by_a_browser, imported, plain] = add_vendors(
            vendor_record(slug="saved-by-a-browser"),
            vendor_record(slug="imported"),
            vendor_record(slug="plain"),
        )
        as_stored = {
            saved_by_a_browser.id: ("Browser Co", "", "One.\r\n\r\nTwo.\rThree."),
            imported.id: ("Line \n Broken", "A tag\u2028line", "Kept.\n\nAs it is."),
            plain.id: ("Plain Co", "Plain", "Plain."),
        }
        for vendor_id, (name, tagline, description) in as_stored.items():
            db.session.execute(
                text("UPDATE vendors SET name = :n, tagline = :t, description = :d WHERE id = :id"),
                {"n": name, "t": tagline, "d": description, "id": vendor_id},
            )
        db.session.commit()
        upgrade()
        db.session.expire_all()
        stored = {
            vendor.id: (vendor.name, vendor.tagline, vendor.description)
            for vendor in db.session.scalars(select(Vendor))
        }
        assert stored == {
            saved_by_a_browser.id: ("Browser Co", "", "One.\n\nTwo.\nThree."),
            imported.id: ("Line Broken", "A tag line", "Kept.\n\nAs it is."),
            plain.id: ("Plain Co", "Plain", "Plain."),
        }
        db.session.remove()
        db.engine.dispose()


def notice_triggers(conn) -> list[str]:
    """The tables carrying the change log's notice trigger (vendors.changesignal); none on SQLite."""
    if conn.dialect.name != "postgresql":
        return []
    statement = "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = :name ORDER BY 1"
    return list(conn.scalars(text(statement), {"name": changelog.NOTICE_TRIGGER}))


def notice_triggers_made_by_the_models(backend, request, tmp_path) -> list[str]:
    from tests.conftest import _database_url

    app = make_app(_database_url(backend, request, tmp_path, "created"), tmp_path / "created-index")
    with app.app_context():
        db.create_all()
        with db.engine.connect() as conn:
            made = notice_triggers(conn)
        db.engine.dispose()
    return made


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        ("42", 42),
        ("0042", 42),
        ("2147483647", 2**31 - 1),
        ("2147483648", None),
        ("0", None),
        ("9" * 5000, None),
    ],
)
def test_an_id_or_page_from_a_form_or_address_is_read_only_when_a_column_holds_it(raw, read):
    assert database.whole_number(raw) == read


def test_ids_and_pages_of_thousands_of_digits_are_simply_not_found(client):
    from tests.factories import add_user, login

    add_user("pages@example.com", role="admin")
    login(client, "pages@example.com")
    nines = "9" * 5000
    assert client.get(f"/admin/inquiries?page={nines}").status_code == 200
    assert client.get(f"/admin/audit?vendor={nines}").status_code == 200
