"""The one per-process read cache of search and listing data: least recently used out, past one memory bound.

What it holds is only ever derived from an index generation or the change log, and every key names what its
value depends on (the generation and its applied position, a segment, the change-log position), so an edit
or a catch-up makes exactly the entries it affects unreachable; they then age out like any other.

Costs are estimates in bytes that the caller gives with each entry (COST_* below): the bound is on what the
entries hold, not on Python's own bookkeeping, which it follows closely enough to size a worker's memory.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

# Estimated bytes per item of what the cache holds (CPython 3.11 objects, rounded up).
# A vendor id in a match: 36 bytes in its ranking, 8 in its `ids` list; a similar-vendors list costs less.
COST_PER_ID = 44
COST_PER_CHARACTER = 2  # a snippet's text (a str of Markup)
COST_PER_POSTING = 100  # a docnum -> frequency (or -> positions) entry of a dict
COST_PER_ARRAY_POSTING = 8  # a docnum and a frequency in two arrays
COST_PER_LISTED_VENDOR = 4_000  # a ShownVendor with its attribute rows, kept alone or in a listing
COST_OVERHEAD = 200  # any entry


@dataclass(frozen=True)
class Usage:
    entries: int
    held_bytes: int
    bound_bytes: int
    hits: int
    misses: int


class ReadCache:
    def __init__(self, megabytes: int):
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._held = 0
        self._bound = megabytes << 20
        self._hits = self._misses = 0
        self._lock = threading.Lock()

    def resize(self, megabytes: int) -> None:
        with self._lock:
            self._bound = megabytes << 20
            self._evict(0)

    def get(self, key: Hashable, default=None):
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self._misses += 1
                return default
            self._entries.move_to_end(key)
            self._hits += 1
            return found[0]

    def put(self, key: Hashable, value, cost: int) -> None:
        """Keep value under key; a value larger than the whole bound is not kept."""
        cost += COST_OVERHEAD
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._held -= previous[1]
            if cost > self._bound:
                return
            self._evict(cost)
            self._entries[key] = (value, cost)
            self._held += cost

    def get_or_make(self, key: Hashable, make: Callable[[], Any], cost_of: Callable[[Any], int]):
        """The value under key, made (outside the lock) and kept when missing."""
        found = self.get(key, _MISSING)
        if found is _MISSING:
            found = make()
            self.put(key, found, cost_of(found))
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._held = 0

    def usage(self) -> Usage:
        with self._lock:
            return Usage(len(self._entries), self._held, self._bound, self._hits, self._misses)

    def _evict(self, room: int) -> None:
        while self._entries and self._held + room > self._bound:
            _key, (_value, cost) = self._entries.popitem(last=False)
            self._held -= cost


_MISSING = object()
CACHE = ReadCache(0)  # holds nothing until vendors.search.init_app sizes it from SEARCH_CACHE_MEGABYTES
