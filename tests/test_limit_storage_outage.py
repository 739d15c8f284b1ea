"""Rate limits while their shared storage is away: served by gunicorn (one worker, so its own count is the
only one), counting in Redis through a TCP relay that the test stops and starts again.

With Redis gone, limited requests are neither failed nor let through unlimited: the worker counts in its own
memory, and goes back to Redis once it answers again, without a restart."""

import json
import logging
import random
import time
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import urlopen

import redis
from limits.storage import MemoryStorage

from tests.conftest import make_app
from tests.relay import Relay
from tests.served import gunicorn
from tests.test_serving import served_settings
from tests.test_sharing_and_inquiries import count, inquiry_data, send_inquiry, three_vendors
from vendors.config import rate_limit_storage
from vendors.extensions import db, limiter
from vendors.inquiries import desk
from vendors.inquiries.models import Inquiry
from vendors.limitstorage import MemoryStorageCleanedEverySecond

LIMIT = 5
RECOVERY_SECONDS = 45  # Flask-Limiter looks at a dead storage again after 1, 2, 4 ... 32 seconds


def status_and_remaining(base: str) -> tuple[int, str | None]:
    try:
        with urlopen(f"{base}/api/v1/vendors?per_page=1", timeout=10) as response:
            json.load(response)
            return response.status, response.headers["X-RateLimit-Remaining"]
    except HTTPError as refused:
        return refused.code, refused.headers["X-RateLimit-Remaining"]


def test_with_redis_away_limits_are_counted_in_each_worker_until_it_is_back(redis_server, tmp_path):
    parts = urlsplit(redis_server)
    relay = Relay((parts.hostname, parts.port or 6379))
    relay.start()
    # A window of its own: the limit's key in Redis names it, so no other run's count is met.
    window = random.randrange(600, 60_000)
    settings = {
        **served_settings(tmp_path),
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{relay.port}",
        "API_LIMIT_PER_ADDRESS": f"{LIMIT} per {window} seconds",
    }
    try:
        with gunicorn(settings, tmp_path / "gunicorn.log", workers=1) as server:
            counted_in_redis = [status_and_remaining(server.base) for _ in range(2)]
            assert [status for status, _ in counted_in_redis] == [200, 200]

            relay.stop()
            while_away = [status_and_remaining(server.base) for _ in range(LIMIT + 1)]
            assert while_away == [(200, str(LIMIT - n)) for n in range(1, LIMIT + 1)] + [(429, "0")]
            log = server.log.read_text()
            assert log.count("falling back to in-memory storage") == 1 and "Traceback" not in log

            relay.start()  # the same port again: Redis, where two of the five were used
            deadline = time.monotonic() + RECOVERY_SECONDS
            while (answer := status_and_remaining(server.base))[0] == 429 and time.monotonic() < deadline:
                time.sleep(0.5)
            assert answer[0] == 200, f"still counting in memory {RECOVERY_SECONDS} s after Redis came back"
    finally:
        relay.stop()
        with redis.Redis.from_url(redis_server) as client:
            for key in client.scan_iter(f"*/{LIMIT}/{window}/second*"):
                client.delete(key)


def test_a_redis_that_stops_answering_is_given_up_on_after_its_timeout_and_counted_in_memory(
    redis_server, tmp_path
):
    """A Redis that keeps its connections open and answers nothing (hung, or behind a network that drops
    packets) is waited on for the 1 s socket timeout (vendors.config), not for ever: the request is answered,
    and the worker counts in its own memory from then on, as when Redis is away."""
    parts = urlsplit(redis_server)
    relay = Relay((parts.hostname, parts.port or 6379))
    relay.start()
    window = random.randrange(600, 60_000)
    settings = {
        **served_settings(tmp_path),
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{relay.port}",
        "API_LIMIT_PER_ADDRESS": f"{LIMIT} per {window} seconds",
    }
    try:
        with gunicorn(settings, tmp_path / "gunicorn.log", workers=1) as server:
            assert [status_and_remaining(server.base)[0] for _ in range(2)] == [200, 200]

            relay.go_silent()
            started = time.monotonic()
            while_hung = [status_and_remaining(server.base) for _ in range(LIMIT + 1)]
            took = time.monotonic() - started

            assert while_hung == [(200, str(LIMIT - n)) for n in range(1, LIMIT + 1)] + [(429, "0")]
            assert 1 <= took < 10, f"{took:.1f} s: the socket timeout did not bound the wait"
            log = server.log.read_text()
            assert log.count("falling back to in-memory storage") == 1 and "Traceback" not in log
    finally:
        relay.stop()
        with redis.Redis.from_url(redis_server) as client:
            for key in client.scan_iter(f"*/{LIMIT}/{window}/second*"):
                client.delete(key)


def test_an_accepted_form_is_answered_as_sent_when_redis_goes_away_before_it_is_counted(
    app, scratch_database, redis_server, tmp_path, monkeypatch
):
    """Accepted inquiries are counted once the answer is known (a 303), after the check and the save: Redis
    going away in between must not turn a saved inquiry into an error page, or the buyer sends it twice."""
    a, b, _ = three_vendors()
    parts = urlsplit(redis_server)
    relay = Relay((parts.hostname, parts.port or 6379))
    relay.start()
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", f"redis://127.0.0.1:{relay.port}")
    window = random.randrange(600, 60_000)
    limited = make_app(
        scratch_database,
        tmp_path / "limited-index",
        **rate_limit_storage(),
        INQUIRY_LIMIT_PER_ADDRESS=f"{LIMIT} per {window} seconds",
    )
    received = desk.receive

    def received_then_redis_goes(*args):
        inquiry = received(*args)
        relay.stop()
        return inquiry

    monkeypatch.setattr(desk, "receive", received_then_redis_goes)
    try:
        response = send_inquiry(limited.test_client(), inquiry_data([a.slug, b.slug], [a.slug]))
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        assert count(Inquiry) == 1
    finally:
        relay.stop()
        with limited.app_context():
            db.engine.dispose()
        with redis.Redis.from_url(redis_server) as client:
            for key in client.scan_iter(f"*/{LIMIT}/{window}/second*"):
                client.delete(key)


def test_a_limit_that_cannot_be_worked_out_lets_the_form_through_and_logs_why(
    app, scratch_database, tmp_path, monkeypatch, caplog
):
    """RATELIMIT_SWALLOW_ERRORS (vendors.config) applies to every limit: one that fails even in memory, a
    bug, is logged with its traceback and guards nothing, rather than failing the form it guards."""
    a, b, _ = three_vendors()
    limited = make_app(scratch_database, tmp_path / "limited-index", **rate_limit_storage())

    def broken(*_args, **_kwargs):
        raise RuntimeError("a limit that cannot be counted")

    for in_memory in (MemoryStorageCleanedEverySecond, MemoryStorage):  # the site's, and the fallback's
        monkeypatch.setattr(in_memory, "incr", broken)
    # The failure marks the shared limiter's storage dead; put it back as it was once the test is over.
    monkeypatch.setattr(limiter, "_storage_dead", False)
    try:
        with caplog.at_level(logging.ERROR, logger="flask-limiter"):
            response = send_inquiry(limited.test_client(), inquiry_data([a.slug, b.slug], [a.slug]))
        assert response.status_code == 303
        assert count(Inquiry) == 1
        assert any(record.exc_info for record in caplog.records if record.name == "flask-limiter")
    finally:
        with limited.app_context():
            db.engine.dispose()
