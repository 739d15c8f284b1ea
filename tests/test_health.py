"""/healthz, and the site while its database is away: 503s in the site's layout, and recovery by itself.

The outage is real: the app reaches PostgreSQL through a TCP relay on a loopback port, which the tests stop
(refusing and dropping connections, as a stopped database does) and start again.
"""

import html
import logging
import sqlite3
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.conftest import make_app
from tests.factories import add_user, add_vendors, login, vendor_record
from tests.relay import Relay
from vendors import changesignal, database, health, unanswered
from vendors.extensions import db
from vendors.health import DATABASE_DOWN
from vendors.shortlists import views as shortlist_views
from vendors.shortlists.store import COOKIE as SHORTLIST_COOKIE


def test_healthz_reports_the_database_and_the_index(client):
    add_vendors(vendor_record(name="Healthy Co"))
    client.get("/vendors?q=healthy")  # builds the index
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ok" and body["database"] == "ok"
    assert body["index"]["state"] == "ok" and body["index"]["applied"] > 0
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def relayed_app(postgres_server, tmp_path):
    url = postgres_server.create_database("outage")
    parts = urlsplit(url)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 5432))
    relay.start()
    relayed = urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{relay.port}"))
    app = make_app(relayed, tmp_path / "index")
    with app.app_context():
        db.create_all()
        add_vendors(vendor_record(name="Outage Co"))
        db.session.remove()
    yield app, relay
    relay.stop()
    with app.app_context():
        db.engine.dispose()


def test_a_database_outage_is_a_503_in_the_sites_layout_and_the_site_recovers_without_a_restart(
    relayed_app, caplog, monkeypatch
):
    app, relay = relayed_app
    client = app.test_client()
    gzip = {"Accept-Encoding": "gzip"}
    assert client.get("/vendors").status_code == 200
    assert client.get("/vendors", headers=gzip).headers["X-Cache"] == "hit"
    relay.cut()
    monkeypatch.setattr(health.WARNINGS, "warned_at", {})  # no earlier test's minute
    caplog.clear()
    # A network cut: nothing tells the connection listening for the change log's notices, so the page kept a
    # moment ago may be answered until the next refresh reads the log.
    time.sleep(changesignal.REFRESH_SECONDS)

    assert client.get("/vendors", headers=gzip).status_code == 503, "never answered from the cache"
    for path in ("/vendors?q=care", "/api/v1/vendors", "/vendors/outage-co") * 3:
        assert client.get(path).status_code == 503, path
    warned = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len([record for record in warned if record.name == "vendors.health"]) == 1, "one a minute"
    assert not any(record.exc_info for record in warned), "no traceback per request"

    page = client.get("/vendors")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    text = html.unescape(page.get_data(as_text=True))
    assert DATABASE_DOWN in text and 'class="site-header"' in text and "Traceback" not in text
    assert (
        "frame-ancestors 'none'" in page.headers["Content-Security-Policy"] and page.headers["X-Request-ID"]
    )
    api = client.get("/api/v1/vendors")
    assert api.status_code == 503 and api.get_json()["message"] == DATABASE_DOWN
    healthz = client.get("/healthz")
    assert healthz.status_code == 503 and healthz.get_json()["database"].startswith("unreachable")
    assert healthz.headers["Retry-After"] == "30"
    assert client.get("/estimate?headcount=5&salary=40000&hourly_rate=10").status_code == 200
    assert client.get("/estimate?vendor=outage-co").status_code == 503, "a vendor's rates need the database"
    with_shortlist = app.test_client()
    with_shortlist.set_cookie(SHORTLIST_COOKIE, "a-visitors-shortlist-token")
    monkeypatch.setattr(shortlist_views.UNAVAILABLE, "warned_at", {})  # no earlier test's minute
    caplog.clear()
    for _ in range(3):
        estimate = with_shortlist.get("/estimate?headcount=5&salary=40000&hourly_rate=10")
        assert estimate.status_code == 200 and 'class="site-header"' in estimate.get_data(as_text=True)
        assert "data-shortlist-count" not in estimate.get_data(as_text=True), "no count it cannot know"
    warned = [record for record in caplog.records if "shortlist count unavailable" in record.getMessage()]
    assert len(warned) == 1, "one warning a minute, not one a request"

    relay.start()  # the same port again
    assert client.get("/vendors").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_page_kept_before_the_database_stopped_is_not_answered_once_it_has(relayed_app):
    """A stopped server closes its connections, the one listening for notices included, so no kept page
    is answered after it, not even within the refresh's second."""
    app, relay = relayed_app
    client = app.test_client()
    gzip = {"Accept-Encoding": "gzip"}
    for path in ("/vendors", "/api/v1/vendors"):
        assert client.get(path).status_code == 200
        assert client.get(path, headers=gzip).headers["X-Cache"] == "hit"
    relay.stop()
    time.sleep(0.2)  # the close reaching this process, not a refresh (a second)
    for path in ("/vendors", "/api/v1/vendors"):
        assert client.get(path, headers=gzip).status_code == 503, path
    relay.start()
    assert client.get("/vendors", headers=gzip).status_code == 200


def test_a_signed_in_editor_meets_the_outage_as_everyone_does(relayed_app, caplog):
    app, relay = relayed_app
    with app.app_context():
        add_user("outage-editor@example.com")
    editor = app.test_client()
    assert login(editor, "outage-editor@example.com").status_code == 303
    assert editor.get("/admin/vendors").status_code == 200
    relay.stop()
    time.sleep(changesignal.REFRESH_SECONDS)
    caplog.clear()

    for path in ("/admin", "/admin/vendors", "/vendors", "/"):
        page = editor.get(path)
        assert page.status_code == 503, path
        text = html.unescape(page.get_data(as_text=True))
        assert DATABASE_DOWN in text and 'class="site-header"' in text, path
        assert (
            page.headers["X-Request-ID"]
            and "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        )
    missing = editor.get("/no-such-page")
    assert missing.status_code == 404 and 'class="site-header"' in missing.get_data(as_text=True)
    estimate = editor.get("/estimate?headcount=5&salary=40000&hourly_rate=10")
    assert estimate.status_code == 200, "the estimator needs no database, signed in or not"
    assert not any(record.exc_info for record in caplog.records), "no traceback per request"

    relay.start()
    assert editor.get("/admin/vendors").status_code == 200, "still signed in once the database is back"


def test_a_query_the_database_rejects_is_still_a_500_not_an_outage(app, monkeypatch):
    from sqlalchemy import text

    from vendors.site import views

    def broken_home():
        db.session.execute(text("SELECT no_such_column FROM vendors"))

    monkeypatch.setitem(app.view_functions, "site.home", broken_home)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production: a 500 page
    response = app.test_client().get("/")
    assert response.status_code == 500 and views is not None


def test_a_database_too_slow_to_answer_is_unhealthy_within_the_health_timeout(relayed_app, monkeypatch):
    app, _relay = relayed_app
    client = app.test_client()
    monkeypatch.setattr(health, "HEALTH_QUERY", "SELECT pg_sleep(30)")
    started = time.monotonic()
    slow = client.get("/healthz")
    waited = time.monotonic() - started
    assert slow.status_code == 503 and slow.get_json()["database"].startswith("unreachable")
    assert waited < health.HEALTH_TIMEOUT_MILLISECONDS / 1000 + 2, f"/healthz took {waited:.1f} s"
    monkeypatch.setattr(health, "HEALTH_QUERY", "SELECT 1")
    assert client.get("/healthz").status_code == 200
    assert client.get("/vendors").status_code == 200


def test_a_database_that_takes_statements_and_never_answers_is_a_503_within_seconds(relayed_app, monkeypatch):
    """A server whose process is stopped or stuck: connections and statements are accepted, none answered."""
    app, relay = relayed_app
    monkeypatch.setattr(unanswered, "UNANSWERED_SECONDS", 1.0)
    monkeypatch.setattr(unanswered.WATCHDOG, "not_asked_until", 0.0)
    client = app.test_client()
    slug = client.get("/api/v1/vendors").get_json()["items"][0]["slug"]
    relay.go_silent()

    def timed(path: str) -> tuple[int, float]:
        """The answer's status and how long it took; in a thread of its own, since a request the site does
        not give up on would never end."""
        answers = []
        started = time.monotonic()
        asking = threading.Thread(target=lambda: answers.append(client.get(path).status_code), daemon=True)
        asking.start()
        asking.join(timeout=10)
        if not answers:
            relay.stop()  # ends the wait, so the failure does not hold the test run
        assert answers, f"{path}: no answer after 10 s"
        return answers[0], time.monotonic() - started

    status, waited = timed(f"/vendors/{slug}?buyer_country=GB")  # a page not kept
    assert status == 503 and 1.0 <= waited < 2.5, f"{status} after {waited:.1f} s"
    # While the statement's wait is fresh, pages that need the database answer at once, and the estimator
    # goes on as ever.
    for path in ("/vendors?sort=rate", f"/api/v1/vendors/{slug}", "/healthz"):
        status, waited = timed(path)
        assert status == 503 and waited < 0.5, f"{path}: {status} after {waited:.1f} s"
    status, waited = timed("/estimate?headcount=5&salary=40000&hourly_rate=10")
    assert status == 200 and waited < 0.5
    time.sleep(unanswered.UNANSWERED_SECONDS)
    # Asked again, and still unanswered: within the longer of a statement's wait and a connection's.
    status, waited = timed("/vendors?sort=size")
    longest = max(unanswered.UNANSWERED_SECONDS, database.CONNECT_TIMEOUT_SECONDS)
    assert status == 503 and 1.0 <= waited < longest + 1.5, f"{status} after {waited:.1f} s"
    status, waited = timed("/vendors?sort=verified")
    assert status == 503 and waited < 0.5, f"{status} after {waited:.1f} s"

    relay.silent = False
    time.sleep(unanswered.UNANSWERED_SECONDS)
    assert client.get(f"/vendors/{slug}?buyer_country=DE").status_code == 200
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("pooled", [True, False], ids=["a pooled connection", "a new connection"])
def test_a_database_that_never_answers_is_unhealthy_within_the_health_timeout(
    relayed_app, monkeypatch, pooled
):
    """The health check does not wait the statements' usual UNANSWERED_SECONDS: a load balancer waits only a
    few seconds, and on a pooled connection its ping and then a new connection would wait twice."""
    app, relay = relayed_app
    monkeypatch.setattr(unanswered.WATCHDOG, "not_asked_until", 0.0)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    if not pooled:
        with app.app_context():
            db.engine.dispose()
    relay.go_silent()
    started = time.monotonic()
    answer = client.get("/healthz")
    waited = time.monotonic() - started
    assert answer.status_code == 503 and answer.get_json()["database"].startswith("unreachable")
    within = health.HEALTH_TIMEOUT_MILLISECONDS / 1000 + health.UNANSWERED_MARGIN_SECONDS + 0.5
    assert waited < within < unanswered.UNANSWERED_SECONDS, f"/healthz took {waited:.1f} s"


def test_commands_are_not_given_up_on_however_long_a_statement_takes(relayed_app, monkeypatch):
    app, _relay = relayed_app
    monkeypatch.setattr(unanswered, "UNANSWERED_SECONDS", 0.2)
    with app.app_context():
        assert db.session.execute(text("SELECT pg_sleep(0.5), 1")).one()[1] == 1


def test_a_database_without_the_schema_is_unhealthy_and_says_to_migrate(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path / "index")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"].startswith("not migrated (run flask db upgrade)")


def test_a_sqlite_file_moved_away_is_an_outage_not_a_500(tmp_path, caplog):
    """SQLite makes a missing file anew, empty: every page meets a database without its tables."""
    app = make_app(f"sqlite:///{tmp_path / 'moved.sqlite3'}", tmp_path / "index")
    with app.app_context():
        db.create_all()
        add_vendors(vendor_record(name="Moved Co"))
        db.engine.dispose()
    (tmp_path / "moved.sqlite3").rename(tmp_path / "elsewhere.sqlite3")
    client = app.test_client()
    for path in ("/vendors", "/vendors/moved-co", "/api/v1/vendors", "/"):
        page = client.get(path)
        assert page.status_code == 503 and page.headers["Retry-After"], path
    assert 'class="site-header"' in client.get("/vendors").text
    assert not any(record.exc_info for record in caplog.records), "no traceback per request"
    assert client.get("/healthz").get_json()["database"].startswith("not migrated")


def test_a_database_behind_the_codes_migrations_is_unhealthy_and_says_which(backend, request, tmp_path):
    """Code deployed without `flask db upgrade`: the tables are there, but not the newest migration's
    columns. A database ahead of the code (a newer release migrated it) stays healthy."""
    from tests.conftest import _database_url

    app = make_app(_database_url(backend, request, tmp_path, "behind"), tmp_path / "index")
    client = app.test_client()
    with app.app_context():
        head = ScriptDirectory(app.extensions["migrate"].directory).get_current_head()
        previous = ScriptDirectory(app.extensions["migrate"].directory).get_revision(head).down_revision
        upgrade(revision=previous)
        behind = client.get("/healthz")
        assert behind.status_code == 503, behind.get_json()
        assert behind.get_json()["database"] == (
            f"not migrated (run flask db upgrade): the database is at {previous}, this code needs {head}"
        )
        upgrade()
        assert client.get("/healthz").status_code == 200
        db.session.execute(text("UPDATE alembic_version SET version_num = 'from-a-newer-release'"))
        db.session.commit()
        ahead = client.get("/healthz")
        assert ahead.status_code == 200 and ahead.get_json()["database"] == "ok"
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()  # back at the head, with the release's migrations folder gone:
        app.extensions["migrate"].directory = str(tmp_path / "no-migrations")
        unreadable = client.get("/healthz")
        assert unreadable.status_code == 503
        assert "this release's migrations cannot be read" in unreadable.get_json()["database"]
        db.session.remove()
        db.engine.dispose()


def test_postgresql_connections_give_up_on_a_server_that_stops_acknowledging(relayed_app):
    app, _relay = relayed_app
    with app.app_context():
        parameters = db.session.connection().connection.dbapi_connection.info.get_parameters()
    assert parameters["connect_timeout"] == "3" and parameters["tcp_user_timeout"] == "10000"


def test_sqlite_locked_past_its_busy_timeout_is_a_503_and_the_site_recovers(tmp_path, monkeypatch):
    from tests.factories import csrf_token
    from vendors import database

    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "locked.sqlite3"
    app = make_app(f"sqlite:///{path}", tmp_path / "index")
    with app.app_context():
        db.create_all()
        slug = add_vendors(vendor_record(name="Locked Co"))[0].slug
    client = app.test_client()
    token = csrf_token(client, "/vendors")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process's long write
    try:
        refused = client.post("/shortlist/add", data={"vendor": slug, "csrf_token": token})
        # The outage's own wait, not the shortlist limit's window (Flask-Limiter would raise it to that).
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"
        assert DATABASE_DOWN in html.unescape(refused.get_data(as_text=True))
        by_script = client.post(
            "/shortlist/add",
            data={"vendor": slug, "csrf_token": token},
            headers={"Accept": "application/json"},
        )
        assert (by_script.status_code, by_script.headers["Retry-After"]) == (503, "30")
        assert by_script.get_json()["message"] == DATABASE_DOWN and "Accept" in by_script.vary
        assert client.get("/vendors").status_code == 200, "readers are not held up by a writer (WAL)"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert client.post("/shortlist/add", data={"vendor": slug, "csrf_token": token}).status_code == 303


def test_a_pending_count_the_database_fails_is_an_unhealthy_answer_in_json(client, monkeypatch):
    add_vendors(vendor_record(name="Counted Co"))
    client.get("/vendors?q=counted")  # builds the index

    def times_out(*_args):
        raise OperationalError(
            "SELECT count(*)", {}, Exception("canceling statement due to statement timeout")
        )

    monkeypatch.setattr(health.changelog, "pending_count", times_out)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.is_json
    assert response.get_json()["database"] == "unreachable: OperationalError"
