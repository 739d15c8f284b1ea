"""The database set-up: SQLite tuned for several worker processes (a lone read left outside any
transaction), and migrations that match the models."""

import multiprocessing

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from tests.conftest import make_app
from tests.factories import TEST_ACTOR, add_vendors, vendor_record
from vendors.audit import AuditEntry
from vendors.catalog.models import Vendor
from vendors.catalog.writes import catalogue_writes
from vendors.database import SQLITE_BUSY_TIMEOUT_MS, one_statement
from vendors.extensions import db

WORKERS = 3
INCREMENTS_PER_WORKER = 15


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(app, backend):
    if backend != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS == 30_000
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

    app = make_app(_database_url(backend, request, tmp_path, "migrated"), tmp_path / "index")
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert differences == []
            assert conn.execute(text("SELECT count(*) FROM vendors")).scalar() == 0
        db.engine.dispose()
