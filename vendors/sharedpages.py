"""A folder of bytes under string keys that every worker of one server reads and writes (PAGE_CACHE_DIR): the
page cache's store when gunicorn runs the site (vendors.pagecache).

It is a diskcache Cache (SQLite in the folder, bounded in size) used for bytes only. diskcache unpickles
whatever a row says was pickled, so anyone able to write to the folder could run code in the site: the
folder must be this user's and closed to others (gunicorn.conf.py makes it with mkdtemp), and its Disk
refuses to store or return anything but bytes. Those are the diskcache names used beyond its Cache API:
Disk, whose store and fetch a subclass may override (diskcache's documented way to change serialisation),
and the row modes MODE_RAW and MODE_BINARY that say a row holds bytes; tests/test_pagecache.py fails if a
pickled row is ever read back.

Entries go out least recently stored first: least recently used would write to the folder on every hit.
Waiting for another worker's write gives up after a moment. Any failure of the folder (full, locked,
unreadable, an entry it cannot read) is a miss, warned of once a minute; never a failed request.
"""

import logging
import os
import stat

import diskcache
from diskcache.core import MODE_BINARY, MODE_RAW

from vendors.throttle import ThrottledWarnings

log = logging.getLogger(__name__)
WARNINGS = ThrottledWarnings(log)
WRITE_WAIT_SECONDS = 0.05
CLOSED_TO_OTHERS = stat.S_IWGRP | stat.S_IWOTH


class BytesOnlyDisk(diskcache.Disk):
    def store(self, value, read, key=diskcache.core.UNKNOWN):
        if type(value) is not bytes:
            raise TypeError(f"the shared page cache keeps bytes, not {type(value).__name__}")
        return super().store(value, read, key)

    def fetch(self, mode, filename, value, read):
        if mode not in (MODE_RAW, MODE_BINARY):
            raise ValueError(f"an entry that is not bytes (diskcache mode {mode}) was refused")
        return super().fetch(mode, filename, value, read)


class SharedPages:
    def __init__(self, cache: diskcache.Cache):
        self.folder = cache.directory
        self.cache = cache

    @classmethod
    def open(cls, folder: str, megabytes: int) -> "SharedPages | None":
        """The store in folder; None, with a warning, when the folder is not this user's own or cannot be
        opened (each process then keeps its own answers)."""
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            owner = os.stat(folder)
            if owner.st_uid != os.getuid() or owner.st_mode & CLOSED_TO_OTHERS:
                log.warning(
                    "page cache folder %s is not this user's own and closed to others: not used", folder
                )
                return None
            cache = diskcache.Cache(
                folder,
                size_limit=megabytes << 20,
                eviction_policy="least-recently-stored",
                timeout=WRITE_WAIT_SECONDS,
                disk=BytesOnlyDisk,
            )
        except Exception as error:  # a folder that fails must not stop the site from starting
            log.warning("page cache folder %s cannot be used (%s: %s)", folder, type(error).__name__, error)
            return None
        return cls(cache)

    def get(self, key: str) -> bytes | None:
        try:
            return self.cache.get(key)
        except Exception as error:  # whatever the folder does, the page is answered afresh
            self.warn(error)
            return None

    def put(self, key: str, value: bytes) -> bool:
        """Whether the folder took the value."""
        try:
            return self.cache.set(key, value)
        except Exception as error:
            self.warn(error)
            return False

    def close(self) -> None:
        self.cache.close()

    def warn(self, error: Exception) -> None:
        failure = f"{type(error).__name__}: {error}"
        WARNINGS.warning(self.folder, "page cache in %s failed (%s): answering afresh", self.folder, failure)
