"""Rate limits while their shared storage is away: served by gunicorn (one worker, so its own count is the
only one), counting in Redis through a TCP relay that the test stops and starts again.

With Redis gone, limited requests are neither failed nor let through unlimited: the worker counts in its own
memory, and goes back to Redis once it answers again, without a restart."""

import json
import logging
import random
import time
from dataclasses import dataclass
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
import redis
from limits.storage import MemoryStorage

from tests.conftest import make_app
from tests.relay import Relay
from tests.served import gunicorn
from tests.test_serving import served_settings
from tests.test_sharing_and_inquiries import count, inquiry_data, send_inquiry, three_vendors
from vendors.config import rate_limit_storage
from vendors.extensions import db
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


@dataclass(frozen=True)
class RedisThroughRelay:
    """Redis reached through a relay the test stops or silences, counting a limit of LIMIT in a window of the
    test's own: the limit's key in Redis names it, so no other run's count is met."""

    relay: Relay
    window: int

    @property
    def uri(self) -> str:
        return f"redis://127.0.0.1:{self.relay.port}"

    @property
    def limit(self) -> str:
        return f"{LIMIT} per {self.window} seconds"


@pytest.fixture
def redis_through_relay(redis_server):
    parts = urlsplit(redis_server)
    relay = Relay((parts.hostname, parts.port or 6379))
    relay.start()
    through = RedisThroughRelay(relay, random.randrange(600, 60_000))
    try:
        yield through
    finally:
        relay.stop()
        with redis.Redis.from_url(redis_server) as client:
            for key in client.scan_iter(f"*/{LIMIT}/{through.window}/second*"):
                client.delete(key)


def api_served_counting_in(through: RedisThroughRelay, tmp_path):
    """gunicorn with one worker (so its own count is the only one), the API limited to LIMIT in Redis."""
    settings = {
        **served_settings(tmp_path),
        "RATELIMIT_STORAGE_URI": through.uri,
        "API_LIMIT_PER_ADDRESS": through.limit,
    }
    return gunicorn(settings, tmp_path / "gunicorn.log", workers=1)


def test_with_redis_away_limits_are_counted_in_each_worker_until_it_is_back(redis_through_relay, tmp_path):
    with api_served_counting_in(redis_through_relay, tmp_path) as server:
        counted_in_redis = [status_and_remaining(server.base) for _ in range(2)]
        assert [status for status, _ in counted_in_redis] == [200, 200]

        redis_through_relay.relay.stop()
        while_away = [status_and_remaining(server.base) for _ in range(LIMIT + 1)]
        assert while_away == [(200, str(LIMIT - n)) for n in range(1, LIMIT + 1)] + [(429, "0")]
        log = server.log.read_text()
        assert log.count("falling back to in-memory storage") == 1 and "Traceback" not in log

        redis_through_relay.relay.start()  # the same port again: Redis, where two of the five were used
        deadline = time.monotonic() + RECOVERY_SECONDS
        while (answer := status_and_remaining(server.base))[0] == 429 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert answer[0] == 200, f"still counting in memory {RECOVERY_SECONDS} s after Redis came back"


def test_a_redis_that_stops_answering_is_given_up_on_after_its_timeout_and_counted_in_memory(
    redis_through_relay, tmp_path
):
    """A Redis that keeps its connections open and answers nothing (hung, or behind a network that drops
    packets) is waited on for the 1 s socket timeout (vendors.config), not for ever: the first request to
    meet it waits twice (to count, then to see whether Redis is back) and is answered, and the worker counts
    in its own memory from then on, as when Redis is away."""
    with api_served_counting_in(redis_through_relay, tmp_path) as server:
        assert [status_and_remaining(server.base)[0] for _ in range(2)] == [200, 200]

        redis_through_relay.relay.go_silent()
        started = time.monotonic()
        while_hung = [status_and_remaining(server.base)]
        first_took = time.monotonic() - started
        while_hung += [status_and_remaining(server.base) for _ in range(LIMIT)]
        others_took = time.monotonic() - started - first_took

        assert while_hung == [(200, str(LIMIT - n)) for n in range(1, LIMIT + 1)] + [(429, "0")]
        assert 1 <= first_took < 3, f"{first_took:.1f} s: the socket timeout did not bound the wait"
        assert others_took < 1, f"{others_took:.1f} s: the worker kept waiting for Redis"
        log = server.log.read_text()
        assert log.count("falling back to in-memory storage") == 1 and "Traceback" not in log


def test_an_accepted_form_is_answered_as_sent_when_redis_goes_away_before_it_is_counted(
    app, scratch_database, redis_through_relay, tmp_path, monkeypatch
):
    """Accepted inquiries are counted once the answer is known (a 303), after the check and the save: Redis
    going away in between must not turn a saved inquiry into an error page, or the buyer sends it twice."""
    a, b, _ = three_vendors()
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", redis_through_relay.uri)
    limited = make_app(
        scratch_database,
        tmp_path / "limited-index",
        **rate_limit_storage(),
        INQUIRY_LIMIT_PER_ADDRESS=redis_through_relay.limit,
    )
    received = desk.receive

    def received_then_redis_goes(*args):
        inquiry = received(*args)
        redis_through_relay.relay.stop()
        return inquiry

    monkeypatch.setattr(desk, "receive", received_then_redis_goes)
    try:
        response = send_inquiry(limited.test_client(), inquiry_data([a.slug, b.slug], [a.slug]))
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        assert count(Inquiry) == 1
    finally:
        with limited.app_context():
            db.engine.dispose()


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
    try:
        with caplog.at_level(logging.ERROR, logger="flask-limiter"):
            response = send_inquiry(limited.test_client(), inquiry_data([a.slug, b.slug], [a.slug]))
        assert response.status_code == 303
        assert count(Inquiry) == 1
        assert any(record.exc_info for record in caplog.records if record.name == "flask-limiter")
    finally:
        with limited.app_context():
            db.engine.dispose()
