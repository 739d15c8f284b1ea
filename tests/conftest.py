"""Every test that touches the database runs twice: against SQLite and against PostgreSQL.

PostgreSQL is found at DATABASE_TEST_SERVER (default postgresql://postgres@127.0.0.1:5432); each run creates
its own databases there and drops them at the end. Without a server the PostgreSQL pass is skipped with the
reason shown, except under CI (CI=true), where a missing server is a failure.
"""

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import redis
from flask import current_app, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from vendors import create_app
from vendors.catalog import seeding
from vendors.extensions import db, limiter

POSTGRES_SERVER = os.environ.get("DATABASE_TEST_SERVER", "postgresql://postgres@127.0.0.1:5432")


class PostgresServer:
    def __init__(self, url: str):
        self.url = url
        self.created: list[str] = []

    def _admin(self):
        return psycopg.connect(f"{self.url}/postgres", autocommit=True, connect_timeout=3)

    def create_database(self, purpose: str) -> str:
        name = f"vendors_test_{purpose}_{uuid.uuid4().hex[:10]}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return f"postgresql+psycopg://{self.url.removeprefix('postgresql://')}/{name}"

    def drop_all(self) -> None:
        with self._admin() as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_missing(reason: str) -> None:
    """A service the tests need is not running: skip with the reason, but fail under CI, where it must be."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


REDIS_URL = "redis://127.0.0.1:6379"


@pytest.fixture(scope="session")
def redis_server() -> str:
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as client:
            client.ping()
    except redis.RedisError as error:
        server_missing(f"Redis not reachable at {REDIS_URL}: {error}".strip())
    return REDIS_URL


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer(POSTGRES_SERVER)
    try:
        server._admin().close()
    except psycopg.OperationalError as error:
        server_missing(f"PostgreSQL not reachable at {POSTGRES_SERVER}: {error}".strip())
    yield server
    server.drop_all()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


def _database_url(backend: str, request, directory: Path, purpose: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / f'{purpose}.sqlite3'}"
    return request.getfixturevalue("postgres_server").create_database(purpose)


class FreshContextClient(FlaskClient):
    """Runs each request in its own application context, as a server does.

    Tests keep an application context open for their own database work; without this, requests would
    share it, and with it `g` and the database session, so state would leak from one request to the next
    (a signed-in user cached in `g` would outlive the end of their session, for one). The test's session
    then reads what requests wrote, like any other client of the database.
    """

    def open(self, *args, **kwargs):
        if has_app_context() and current_app._get_current_object() is self.application:
            # End the test's own transaction first: its snapshot would hide what the request writes.
            db.session.commit()
        kwargs.setdefault("buffered", True)  # a streamed body is read while its context is still open
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_app(database_url: str, index_dir: Path, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "SEARCH_INDEX_DIR": str(index_dir),
        "WTF_CSRF_ENABLED": True,
        # Counts start afresh with each app: a storage named by the environment (a shared Redis) would carry
        # them from one test, or one run, to the next.
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = FreshContextClient
    return app


@pytest.fixture(scope="session")
def scratch_database(backend, request, tmp_path_factory) -> str:
    """One empty schema per backend; tests using `app` get it emptied after each test."""
    return _database_url(backend, request, tmp_path_factory.mktemp("scratch"), "scratch")


@pytest.fixture
def app(scratch_database, tmp_path):
    with app_emptied_after(scratch_database, tmp_path / "index") as app:
        yield app


@contextmanager
def app_emptied_after(database_url: str, index_dir: Path, **overrides) -> Iterator:
    """An app over the scratch schema, inside its app context, whose tables are emptied afterwards."""
    app = make_app(database_url, index_dir, **overrides)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = db.metadata.sorted_tables
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


@contextmanager
def app_with_data(database_url: str, index_dir: Path, load: Callable[[], object]) -> Iterator:
    """An app over a new schema filled by load(), for tests that only read; disposed of afterwards."""
    app = make_app(database_url, index_dir)
    with app.app_context():
        db.create_all()
        load()
        db.session.remove()
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


def load_sample_data() -> None:
    seeding.seed_sample(seeding.load_sample_records())


@pytest.fixture(scope="session")
def seeded_app(backend, request, tmp_path_factory):
    """The sample vendors, loaded once per backend. Read-only: tests that write use `app`."""
    directory = tmp_path_factory.mktemp("seeded")
    url = _database_url(backend, request, directory, "seeded")
    with app_with_data(url, directory / "index", load_sample_data) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seeded_client(seeded_app):
    return seeded_app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(autouse=True)
def limit_storage_taken_as_working(monkeypatch):
    """The limiter is one for every app of the process, and a test whose limit storage failed marks it as
    failing (counting in memory from then on); the tests after it, whatever order the backends' parameters
    put them in, start from a storage taken as working."""
    monkeypatch.setattr(limiter, "_storage_dead", False)
