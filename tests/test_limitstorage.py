"""Rate-limit counts in memory (vendors.limitstorage): counted as `limits`' MemoryStorage counts them, with
the clean-up of expired counts started at most once a second instead of every 10 ms."""

import threading
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from vendors.extensions import limiter
from vendors.limitstorage import MemoryStorageCleanedEverySecond


def clean_ups_started(storage_class, monkeypatch) -> int:
    """Clean-up timers a storage of storage_class starts while counting 20 times over 0.3 s."""
    started = []

    class CountedTimer(threading.Timer):
        def start(self):
            started.append(self)
            super().start()

    monkeypatch.setattr(threading, "Timer", CountedTimer)
    storage = storage_class()
    for _ in range(20):
        storage.incr("visitor", 60)
        time.sleep(0.015)  # longer than the 10 ms MemoryStorage's timer waits
    return len(started)


def test_counting_starts_the_clean_up_at_most_once_a_second(monkeypatch):
    # What the module works around, through limits' internals: if this changes, so must vendors.limitstorage.
    assert clean_ups_started(MemoryStorage, monkeypatch) >= 10
    assert clean_ups_started(MemoryStorageCleanedEverySecond, monkeypatch) <= 2


def test_it_counts_and_forgets_as_memory_storage_does():
    limit = parse("3 per 1 second")
    for storage in (MemoryStorage(), MemoryStorageCleanedEverySecond()):
        counter = FixedWindowRateLimiter(storage)
        assert [counter.hit(limit, "visitor") for _ in range(4)] == [True, True, True, False]
        time.sleep(1.05)
        assert counter.hit(limit, "visitor"), type(storage).__name__


def test_expired_counts_are_still_freed(monkeypatch):
    monkeypatch.setattr("vendors.limitstorage.CLEAN_UP_EVERY_SECONDS", 0.1)
    storage = MemoryStorageCleanedEverySecond()
    storage.incr("visitor", 0.05)
    time.sleep(0.15)
    storage.incr("another", 60)  # starts the next clean-up
    time.sleep(0.05)
    assert "visitor" not in storage.storage


def test_the_site_counts_in_memory_with_it(app):
    assert isinstance(limiter.storage, MemoryStorageCleanedEverySecond)
