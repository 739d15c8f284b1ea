"""This process's view of an index folder: one long-lived searcher, reopened only when the index changes.

A search costs one tiny file read to confirm the searcher is current (the `current` pointer), and one more
(the generation's `applied` position) after each change to the log; the searcher itself is reopened only
after a catch-up or a rebuild. The docnum -> vendor id arrays are cached per Whoosh segment, which never
changes its documents once written, so reopening after an edit only reads the new small segment's ids.
"""

import itertools
import threading
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.searching import Searcher

from vendors.search import readcache, store
from vendors.search.store import Generation, IndexFolder, IndexUnreadable
from vendors.search.vocabulary import Vocabulary

_open: dict[str, "OpenIndex"] = {}
# root -> (generation, applied, why it could not be opened, when)
_failed: dict[str, tuple[Path, int, str, float]] = {}
RETRY_FAILED_AFTER = 60.0
# Names each opened index for the read cache: one path and applied position can hold other segments for a
# moment (a catch-up commits to Whoosh before it writes `applied`).
_tokens = itertools.count()
_segment_ids: dict[tuple[str, str], array] = {}
_lock = threading.Lock()
# root -> (what it was verified for, generation path, applied): the generation last found caught up to the
# change log, built from its database for the code's schema. Only a change to the log (a catch-up follows),
# to the schema, or a switch to another generation (a rebuild) can make it otherwise.
_found_current: dict[str, tuple[tuple, Path, int]] = {}


def found_current(root: str, verified_for: tuple, generation: Generation) -> int | None:
    """The generation's applied change if it was found current for this state of the log and the schema;
    None if not known."""
    found = _found_current.get(root)
    return found[2] if found is not None and found[:2] == (verified_for, generation.path) else None


def remember_current(root: str, verified_for: tuple, generation: Generation, applied: int) -> None:
    _found_current[root] = (verified_for, generation.path, applied)


@dataclass
class Leaf:
    searcher: Searcher
    offset: int
    vendor_ids: array  # local docnum -> vendor id
    deleted: frozenset[int]
    segment_key: tuple[str, str]  # (generation, segment id): what never changes


@dataclass
class OpenIndex:
    path: Path
    applied: int
    searcher: Searcher
    leaves: list[Leaf]
    doc_count: int
    token: int  # unique per opened index in this process: the read cache's keys name it
    # Whoosh readers seek and read shared file objects: one search at a time per open index.
    lock: threading.Lock = field(default_factory=threading.Lock)
    # (field, term) -> collection frequency, looked up once (vendors.search.matching.key_terms); bounded by
    # the index's vocabulary.
    frequencies: dict = field(default_factory=dict)
    _vocabulary: Vocabulary | None = None
    _all_vendor_ids: array | None = None

    @property
    def vocabulary(self) -> Vocabulary:
        """The generation's words for typo correction, read on first use."""
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.load(self.path)
        return self._vocabulary

    @property
    def vendor_ids(self) -> array:
        """docnum -> vendor id over the whole index (the leaves' arrays end to end)."""
        if self._all_vendor_ids is None:
            joined = array("I")
            for leaf in self.leaves:
                joined.extend(leaf.vendor_ids)
            self._all_vendor_ids = joined
        return self._all_vendor_ids


def segment_postings(leaf: Leaf, field: str, term: str, read) -> tuple[array, array]:
    """A term's postings in one segment (docnums local to it, deleted ones included), in the read cache under
    the segment, which never changes: an edit adds a small segment and marks deletions, so the big segment's
    postings stay valid across catch-ups and are shared by every open index using it."""
    return readcache.CACHE.get_or_make(
        ("segment postings", leaf.segment_key, field, term),
        lambda: read(leaf, field, term),
        lambda found: len(found[0]) * readcache.COST_PER_ARRAY_POSTING,
    )


def open_current(root: str, known: tuple[Generation, int] | None = None) -> OpenIndex:
    """The current generation of the folder at root, opened once per change; IndexMissing if none exists,
    IndexUnreadable if any of it cannot be read. A generation that failed to open is not tried again for
    RETRY_FAILED_AFTER seconds, or until the folder changes (a catch-up or a rebuild), so while it is damaged
    a search costs no more than the database fallback it gets. `known` is the current generation and its
    applied change, when the caller has just read them."""
    generation, applied = known or _current_and_applied(root)
    cached = _open.get(root)
    if cached is not None and cached.path == generation.path and cached.applied == applied:
        return cached
    with _lock:
        failed = _failed.get(root)
        recent = failed is not None and time.monotonic() - failed[3] < RETRY_FAILED_AFTER
        if recent and failed[:2] == (generation.path, applied):
            raise IndexUnreadable(failed[2])
        cached = _open.get(root)
        if cached is None or cached.path != generation.path or cached.applied != applied:
            try:
                cached = _open_generation(generation, applied)
            except IndexUnreadable as error:
                _failed[root] = (generation.path, applied, str(error), time.monotonic())
                raise
            _failed.pop(root, None)
            _open[root] = cached
            _forget_unused_segments()
        return cached


def failed_while_reading(root: str, index: OpenIndex, error: Exception) -> str:
    """Treat an open index that failed while being read (a file damaged after it was opened shows only when
    read) as one that failed to open: dropped, and not opened again for RETRY_FAILED_AFTER seconds unless
    the folder changes. The failure, as IndexUnreadable would say it."""
    why = f"{index.path}: {type(error).__name__}: {error}"
    with _lock:
        if _open.get(root) is index:
            del _open[root]
        _failed[root] = (index.path, index.applied, why, time.monotonic())
    return why


def _current_and_applied(root: str) -> tuple[Generation, int]:
    generation = IndexFolder(root).current()
    return generation, generation.applied()


def forget(root: str) -> None:
    """Drop this process's searcher of the folder, what it remembers of a failure to open it, and of the
    generations' files written once."""
    _open.pop(root, None)
    _failed.pop(root, None)
    _found_current.pop(root, None)
    store.forget_written_once()


def _open_generation(generation: Generation, applied: int) -> OpenIndex:
    """The generation's searcher with every segment's ids read: IndexUnreadable if any part of it fails
    (a damaged segment shows only here, after the table of contents was read), with its files closed."""
    with generation.reading() as read:
        searcher, leaves = read(lambda index: _searcher_and_leaves(generation, index))
    # The previous searcher is not closed: another thread may still be reading it. Its files close when it
    # is garbage-collected, and Whoosh never rewrites a segment file in place.
    return OpenIndex(generation.path, applied, searcher, leaves, searcher.doc_count(), next(_tokens))


def _searcher_and_leaves(generation: Generation, index) -> tuple[Searcher, list[Leaf]]:
    searcher = index.searcher()
    leaves = []
    for leaf_searcher, offset in searcher.leaf_searchers() if searcher.doc_count_all() else []:
        reader = leaf_searcher.reader()
        key = (generation.name, reader.segment().segment_id())
        ids = _segment_ids.get(key)
        if ids is None:
            ids = array("I", reader.column_reader("vid")) if reader.doc_count_all() else array("I")
            _segment_ids[key] = ids
        leaves.append(Leaf(leaf_searcher, offset, ids, reader.deleted_docs_set, key))
    return searcher, leaves


def _forget_unused_segments() -> None:
    in_use = set()
    for opened in _open.values():
        for leaf in opened.leaves:
            in_use.add((opened.path.name, leaf.searcher.reader().segment().segment_id()))
    for key in list(_segment_ids):
        if key not in in_use:
            del _segment_ids[key]
