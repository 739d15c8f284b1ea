"""Rate-limit counts in this process's memory (RATELIMIT_STORAGE_URI=memory://, and no Redis), as `limits`'
MemoryStorage keeps them, with its clean-up of expired counts started at most once a second.

MemoryStorage frees expired counts on a `threading.Timer` of 10 ms, which every count made after the last
clean-up ran starts again: under load, a new thread every 10 ms in each worker, and a request that waits for
it to start (Thread.start waits until the new thread runs), about a tenth of a kept API answer's time (in one
process, 288 to 317 against 263 to 273 us). Counts are right without the clean-up, since MemoryStorage drops
an expired count when it is read; the clean-up only frees memory, so once a second is soon enough.

This is the one module that uses `limits`' internals: it overrides MemoryStorage's private, name-mangled
`_MemoryStorage__schedule_expiry`, through which every count starts the timer. The storage is registered
through `limits`' documented registry (a Storage subclass naming its STORAGE_SCHEME), and
tests/test_limitstorage.py fails loudly if MemoryStorage no longer starts its timer through that name.
"""

import threading
import time

from limits.storage import MemoryStorage

SCHEME = "vendors-memory"
CLEAN_UP_EVERY_SECONDS = 1.0


class MemoryStorageCleanedEverySecond(MemoryStorage):
    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 (limits reads a list)

    def __init__(self, *args, **kwargs):
        self._clean_up_lock = threading.Lock()
        self._next_clean_up = 0.0
        super().__init__(*args, **kwargs)

    def _MemoryStorage__schedule_expiry(self) -> None:
        with self._clean_up_lock:
            now = time.monotonic()
            if now < self._next_clean_up:
                return
            self._next_clean_up = now + CLEAN_UP_EVERY_SECONDS
        super()._MemoryStorage__schedule_expiry()


def storage_uri(uri: str) -> str:
    """The URI to count under: this module's storage in place of memory://, any other as given."""
    return f"{SCHEME}://" if uri == "memory://" else uri
