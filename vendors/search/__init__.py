"""Full-text search: the only package that imports whoosh. The rest of the app uses these functions.

    find(q)                  -> TextMatch: ids of all matching published vendors, best first, and a
                                "did you mean" suggestion when the query's words were misspelt
    has_words(q)             -> whether q holds anything to search for (not only stop words or signs)
    snippets(q, vendor_ids)  -> {vendor id: Markup} highlighted excerpts for one page of results
    highlighted(stems, ids)  -> the same for a match already found, from its stems (TextMatch.stems)
    suggest_vendors(prefix)  -> vendor names and slugs for the search box as it types
    similar(vendor_id)       -> ids of vendors like this one (similar_to(vendor) for one already loaded)

The database is the truth; the index is a replica kept in step by the change log (vendors.catalog.changelog,
vendors.search.indexing). When the index is missing or unreadable, find() answers from the database instead
and logs that it did.
"""

import contextvars
import functools
import logging
import operator
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TypeVar

import flask
from flask import Flask, current_app, g, has_request_context
from markupsafe import Markup
from sqlalchemy import Row, bindparam, event, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from whoosh.filedb.filetables import FileFormatError

from vendors import changesignal
from vendors.catalog import changelog
from vendors.catalog.models import ShowableVendor, Vendor, VendorFacetValue
from vendors.database import read_on_held_connection
from vendors.extensions import db
from vendors.search import fallback, indexing, matching, readcache, registry, replica, schema
from vendors.search.matching import RankedIds
from vendors.search.names import Names
from vendors.search.parsing import MAX_QUERY_LENGTH, QueryTooLong, parse
from vendors.search.schema import WORDS
from vendors.search.snippets import snippets_for
from vendors.search.store import Generation, IndexBusy, IndexFolder, IndexMissing, IndexUnreadable
from vendors.throttle import ThrottledWarnings

T = TypeVar("T")
# What reading damaged index files raises: said in the warning alone. Anything else that fails a read of the
# index (a bug in the ranking, say) also sends searches to the database, with its traceback once a minute.
_READING_FAILURES = (OSError, EOFError, ValueError, struct.error, zlib.error, FileFormatError)

__all__ = [
    "MAX_QUERY_LENGTH",
    "QueryTooLong",
    "TextMatch",
    "find",
    "has_words",
    "highlighted",
    "init_app",
    "similar",
    "similar_to",
    "snippets",
    "suggest_vendors",
]

log = logging.getLogger(__name__)

# An implicit catch-up (after a commit, before a search) waits this long for another writer, and takes on at
# most this many changed vendors; bigger jobs are left to `flask index catch-up`.
AFTER_COMMIT_WAIT = 2.0
BEFORE_SEARCH_WAIT = 0.5
IMPLICIT_MAX_WORK = 2_000
# Every catalogue page asks where the index stands (its cache key names the index's position), so once a
# catch-up before a search found the index behind and unable to catch up now (another writer holding it, or
# more changes than a request takes on), the verdict stands for this long while neither the log nor the
# index moves: each try waits for the writer's lock or reads every change, and a page asked meanwhile would
# pay for it (a kept vendor page, in one process with the lock held by another: 2 a second, 2,138 with this).
BEHIND_VERDICT_SECONDS = 5.0
_behind_verdicts: dict[str, tuple[tuple, str, float]] = {}  # root -> (what it was given for, why, until)
WARNINGS = ThrottledWarnings(log)


@dataclass
class TextMatch:
    ranking: RankedIds  # the matches best first, sorted as far as anyone reads
    suggestion: str | None = None
    stems: frozenset[str] = field(default_factory=frozenset)  # what snippets highlight
    from_index: bool = True
    partial: bool = False  # no vendor matches every word: these match the most of them
    corrections: tuple[tuple[str, str], ...] = ()  # (a misspelt word, its correction) of the suggestion
    # For callers to keep what they derive from the ids (the listing's bitset) for as long as the match is
    # cached; its size is charged with the match (readcache.COST_PER_ID).
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def respelling(self, q: str) -> str | None:
        """A search q, of which this match's words are a part (the rest named filters), with the words the
        match corrected spelt as corrected; None when it corrected none. The whole search, so the suggestion
        keeps the filters its other words named ("bookeeping philippines": "bookkeeping philippines")."""
        return _respelt(" ".join(q.split()), dict(self.corrections))

    @cached_property
    def ids(self) -> list[int]:
        """Vendor ids of all matching published vendors, best first."""
        return list(self.ranking)


def init_app(app: Flask) -> None:
    from vendors.search.cli import catch_up_after_import, index_group

    app.cli.add_command(index_group)
    readcache.CACHE.resize(app.config["SEARCH_CACHE_MEGABYTES"])
    changelog.many_changed.connect(catch_up_after_import)
    app.add_template_global(similar_vendors)
    _listen_to_sessions()


def find(q: str) -> TextMatch:
    """All published vendors matching q, best first. Raises QueryTooLong past MAX_QUERY_LENGTH characters."""
    parsed = parse(" ".join(q.split()))
    index = _open_index()
    if index is None:
        ranking = RankedIds.in_order(fallback.find_ids(parsed))
        return TextMatch(ranking, None, parsed.highlight_stems(), from_index=False)
    key = ("find", index.token, parsed.text)
    cached = readcache.CACHE.get(key)
    if cached is None:
        ranked = _read(index, lambda: matching.rank(index, parsed))
        if ranked is None:
            ranking = RankedIds.in_order(fallback.find_ids(parsed))
            return TextMatch(ranking, None, parsed.highlight_stems(), from_index=False)
        cached = TextMatch(
            ranked.vendor_ids,
            _respelt(parsed.text, ranked.corrections),
            ranked.stems,
            partial=ranked.partial,
            corrections=tuple(ranked.corrections.items()),
        )
        readcache.CACHE.put(key, cached, len(cached.ranking) * readcache.COST_PER_ID)
    return cached


def has_words(q: str) -> bool:
    """Whether q holds anything to search for: a word that is not a stop word, to find or to leave out."""
    parsed = parse(" ".join(q.split()))
    return bool(parsed.required or parsed.excluded)


def snippets(q: str, vendor_ids: list[int]) -> dict[int, Markup]:
    return highlighted(find(q).stems, vendor_ids)


def highlighted(stems: frozenset[str], vendor_ids: list[int]) -> dict[int, Markup]:
    """Snippets for a match already found, from its stems (TextMatch.stems), so a listing does not run its
    search twice. Kept in the read cache under the vendors' texts as of the change log's position, whether
    the index has caught up or not."""
    return readcache.CACHE.get_or_make(
        ("snippets", stems, tuple(vendor_ids), log_position()),
        lambda: snippets_for(stems, vendor_ids),
        lambda found: sum(len(snippet) for snippet in found.values()) * readcache.COST_PER_CHARACTER,
    )


def suggest_vendors(prefix: str, limit: int = 8) -> list[tuple[str, str]]:
    """(name, slug) of published vendors whose name starts with prefix, then of those with a word starting
    with it."""
    prefix = schema.fold(" ".join(prefix.replace("\x00", "").split()))[:MAX_QUERY_LENGTH]
    if not prefix:
        return []
    known = readcache.CACHE.get_or_make(
        ("names", database_identity(), log_position()),
        lambda: Names.read(db.session),
        lambda names: names.cost,
    )
    return known.starting_with(prefix, limit)


SIMILAR_CANDIDATES = 100  # vendors alike in words, reordered by kind of work


def similar(vendor_id: int, limit: int = 5) -> list[int]:
    """Published vendors most like this one: those doing its main kind of work first, each group most alike
    in words (more-like-this) first; [] if it is not in the index."""
    return _similar(vendor_id, limit, lambda: _described_in_database(vendor_id))


def similar_to(vendor: ShowableVendor, limit: int = 5) -> list[int]:
    """similar(vendor.id, limit) for a published vendor already loaded with its attribute values (as the
    vendor page has it): its words and kinds of work are taken from it rather than read again (two queries:
    2.6-2.8 ms down to 1.5-1.7 ms, of a vendor page not yet kept that takes 6 to 12)."""
    return _similar(vendor.id, limit, lambda: _described_by(vendor))


@dataclass(frozen=True)
class _Described:
    """What similar vendors are found from: the vendor's text in each similar-vendor field, and its kinds of
    work in its own order (the first is its main one)."""

    texts: dict[str, str]
    specialisations: list[str]


def _similar(vendor_id: int, limit: int, described: Callable[[], "_Described | None"]) -> list[int]:
    index = _open_index()
    if index is None:
        return _similar_from_database(vendor_id, limit)
    key = ("similar", index.token, vendor_id, limit)
    cached = readcache.CACHE.get(key)
    if cached is None:
        cached = []
        vendor = described()
        if vendor is not None:
            alike = _read(
                index, lambda: _similar_in_index(index, vendor_id, vendor.texts, SIMILAR_CANDIDATES)
            )
            if alike is None:
                return _similar_from_database(vendor_id, limit)
            if alike:
                cached = _main_specialisation_first(vendor_id, vendor.specialisations, alike, limit)
        readcache.CACHE.put(key, cached, len(cached) * readcache.COST_PER_ID)
    return cached


def _similar_fields() -> list[registry.TextField]:
    return [text_field for text_field in registry.VENDORS.fields if text_field.similar]


def _described_in_database(vendor_id: int) -> _Described | None:
    published = select(Vendor).where(Vendor.id == vendor_id, registry.VENDORS.published)
    vendor = db.session.scalars(published).one_or_none()
    return _described_by(vendor) if vendor is not None else None


def _described_by(vendor: ShowableVendor) -> _Described:
    """The vendor as its index document describes it (the same registry texts of the same values)."""
    values = {facet: vendor.values(facet) for facet in registry.VENDORS.stored_facets}
    texts = {field.name: registry.VENDORS.text(field, vendor, values) for field in _similar_fields()}
    return _Described(texts, values["specialisation"])


def _main_specialisation_first(vendor_id: int, mine: list[str], alike: list[int], limit: int) -> list[int]:
    """Vendors doing the same main kind of work (the first of `mine`) come first, then those sharing another
    of its kinds of work, each most alike in words first; when too few are alike in words, others with the
    same main kind of work fill the list, lowest id first.

    Who does which kind of work is read from the directory's bitsets of published vendors, kept in step with
    the change log."""
    # Imported here: the directory's bitsets are built on this module.
    from vendors.directory import bitsets

    if not mine:
        return alike[:limit]
    doing = bitsets.current().values.get("specialisation", {})
    main = doing.get(mine[0], 0)
    sharing = functools.reduce(operator.or_, (doing.get(value, 0) for value in mine))
    others = [other for other in alike if other != vendor_id]
    ordered = [other for other in others if main >> other & 1]
    if len(ordered) < limit:
        ordered += _lowest_ids(main, {vendor_id, *ordered}, limit - len(ordered))
    ordered += [other for other in others if not main >> other & 1 and sharing >> other & 1]
    ordered += [other for other in others if not sharing >> other & 1]
    return ordered[:limit]


def _lowest_ids(bits: int, leaving_out: set[int], take: int) -> list[int]:
    """The lowest ids set in bits, but not in leaving_out, at most take."""
    found: list[int] = []
    while bits and len(found) < take:
        lowest = (bits & -bits).bit_length() - 1
        bits &= bits - 1
        if lowest not in leaving_out:
            found.append(lowest)
    return found


# Built once: building and keying the statement took three times as long as running it.
_SHOWN_OF_SIMILAR = select(Vendor.id, Vendor.slug, Vendor.name, Vendor.tagline).where(
    Vendor.id.in_(bindparam("ids", expanding=True))
)


def similar_vendors(vendor: ShowableVendor, limit: int = 5) -> list[Row]:
    """The similar vendors' slug, name and tagline, in order: what the vendor page shows of them (whole
    Vendor objects would load every attribute row of each). One statement, read on the connection the app
    holds open, as the vendor page reads its vendor (catalog.models.published_vendor_to_show)."""
    ids = similar_to(vendor, limit)
    if not ids:
        return []
    shown = read_on_held_connection(
        db.engine, lambda held: held.execute(_SHOWN_OF_SIMILAR, {"ids": ids}).all()
    )
    by_id = {row.id: row for row in shown}
    return [by_id[vendor_id] for vendor_id in ids if vendor_id in by_id]


def _read(index: replica.OpenIndex, read: Callable[[], T]) -> T | None:
    """read() of the open index; None when it fails, as a file damaged after the index was opened makes it:
    the index then counts as unreadable (replica.failed_while_reading), and this request and the next ones
    are answered from the database, with one warning a minute."""
    try:
        with index.lock:
            return read()
    except Exception as error:  # damage reads as anything, but a failure not of reading is shown whole
        root = current_app.config["SEARCH_INDEX_DIR"]
        why = replica.failed_while_reading(root, index, error)
        _warn(
            root,
            "search index unreadable (%s): answering searches from the database (slower)",
            why,
            exc_info=not isinstance(error, _READING_FAILURES),
        )
        if has_request_context():
            g.search_index = None  # the rest of the request reads the database too
        return None


def _open_index() -> replica.OpenIndex | None:
    """This process's searcher, caught up first if changes are pending; None means use the database.

    Checked once per request: the listing, its snippets and suggestions then read the same index.
    """
    if has_request_context() and "search_index" in g:
        return g.search_index
    index = _fresh_index()
    if has_request_context():
        g.search_index = index
    return index


def _fresh_index() -> replica.OpenIndex | None:
    root = current_app.config["SEARCH_INDEX_DIR"]
    try:
        return replica.open_current(root, _catch_up_if_pending(root))
    except IndexMissing:
        _warn(
            root,
            "no search index in %s: answering searches from the database (slower) until it is built",
            root,
        )
    except IndexUnreadable as error:
        _warn(root, "search index unreadable (%s): answering searches from the database (slower)", error)
    except _IndexBehind as why:
        _warn(
            root,
            "search index in %s is behind the change log and cannot catch up now (%s): answering searches "
            "from the database (slower) until it does",
            root,
            why,
        )
    except SQLAlchemyError:
        raise  # the database failed, not the index: the request answers that (a 503 while it is away)
    except Exception as error:
        # Something no one foresaw: the traceback once a minute, not once a search. An OSError (the folder
        # unreadable, unwritable or full) is foreseen: its message says all that a traceback would.
        _warn(
            root,
            "search index in %s failed (%s: %s): answering searches from the database (slower)",
            root,
            type(error).__name__,
            error,
            exc_info=not isinstance(error, OSError),
        )
        replica.forget(root)
    return None


def index_position() -> tuple[str, int] | None:
    """The index generation this request searches and the change it is caught up to; None when searches
    are answered from the database (the index missing, unreadable, or behind the log and unable to catch up
    now). An answer kept for later names this as well as the log's position."""
    index = _open_index()
    return (index.path.name, index.applied) if index is not None else None


def log_position() -> tuple[int, datetime | None]:
    """The change log's last entry (id, time), read once per request: what every per-process cache of
    search and listing data is keyed by."""
    return _log_state()[0]


def database_identity() -> str:
    """The identity of the database the change log belongs to, read with its position once per request."""
    return _log_state()[1]


# In the session of a visitor who saved a change to the catalogue: (the database's identity, the change log's
# position after it); see _before_what_this_visitor_saved.
LAST_SAVED_CHANGE = "last_saved_change"


def _log_state() -> tuple[tuple[int, datetime | None], str]:
    """The change log's last entry and the database's identity, read together once per request."""
    if has_request_context() and "search_log_state" in g:
        return g.search_log_state
    state = changesignal.remembered(db.engine, _read_log_state)
    if has_request_context():
        if _before_what_this_visitor_saved(state):
            changesignal.forget(db.engine)
            state = changesignal.remembered(db.engine, _read_log_state)
        g.search_log_state = state
    return state


def _before_what_this_visitor_saved(state: tuple[tuple[int, datetime | None], str]) -> bool:
    """Whether this visitor saved a change the state does not have yet: one whose notice has not reached this
    worker (vendors.changesignal), when the page after a save is asked of another worker or machine. Only a
    visitor's session that saved a change holds the mark (`in` leaves the session unmarked as read), and only
    until a state shows the change (or belongs to another database)."""
    if LAST_SAVED_CHANGE not in flask.session:
        return False
    identity, position = flask.session[LAST_SAVED_CHANGE]
    if identity == state[1] and state[0][0] < position:
        return True
    flask.session.pop(LAST_SAVED_CHANGE)
    return False


def _mark_the_saved_change() -> None:
    """Mark the visitor's session with the log's position after the change just saved; a database failing to
    say leaves no mark (other workers then show the change when its notice arrives), not a failed save."""
    try:
        (position, _time), identity = _log_state()
    except SQLAlchemyError as error:
        log.warning("could not read the change log's position after a save: %s", error)
        return
    flask.session[LAST_SAVED_CHANGE] = (identity, position)


def _read_log_state() -> tuple[tuple[int, datetime | None], str]:
    return read_on_held_connection(db.engine, changelog.state)


_index_folders: dict[str, IndexFolder] = {}


def _index_folder(root: str) -> IndexFolder:
    """The vendors' folder under root, made once for the kind the registry declares: every request reads its
    pointer."""
    folder = _index_folders.get(root)
    if folder is None or folder.kind is not registry.VENDORS:
        folder = _index_folders[root] = IndexFolder(root)
    return folder


class _IndexBehind(RuntimeError):
    """The index misses logged changes and could not apply them now: searching it would leave them out."""


def _catch_up_if_pending(root: str) -> tuple[Generation, int] | None:
    """Bring the index up to the log first when it is behind, or was built from another database or for
    another schema; an index of another database that cannot be rebuilt now is IndexUnreadable, never
    searched. Returns the current generation and its applied change when it was current already."""
    state = _log_state()
    (head, _), database = state
    try:
        generation = _index_folder(root).current()
        # What the verdict below depends on besides the generation: the log and the code's schema.
        verified_for = (state, schema.schema_signature())
        applied = replica.found_current(root, verified_for, generation)
        if applied is not None:
            return generation, applied
        applied, built_from, fits = generation.applied(), generation.database(), generation.fits_schema()
    except (IndexMissing, OSError, ValueError):
        applied, built_from, fits = None, None, False
    if applied is not None and head == applied and built_from == database and fits:
        replica.remember_current(root, verified_for, generation, applied)
        return generation, applied
    given_for = (state, applied)
    verdict = _behind_verdicts.get(root)
    if verdict is not None and verdict[0] == given_for and time.monotonic() < verdict[2]:
        raise _IndexBehind(verdict[1])
    try:
        behind = _quietly(indexing.catch_up, db.engine, root, BEFORE_SEARCH_WAIT, IMPLICIT_MAX_WORK).skipped
    except IndexBusy:
        behind = "another writer holds it"
    current = _index_folder(root).current()
    if current.database() != database:
        raise IndexUnreadable(f"{root} was built from another database: {indexing.ANOTHER_DATABASE_FIX}")
    if behind and _ahead_of(current, head):
        raise IndexUnreadable(f"{root} {indexing.AHEAD_OF_THE_LOG}: {indexing.ANOTHER_DATABASE_FIX}")
    if behind:
        _behind_verdicts[root] = (given_for, behind, time.monotonic() + BEHIND_VERDICT_SECONDS)
        raise _IndexBehind(behind)
    return None


def _ahead_of(generation: Generation, head: int) -> bool:
    """Whether the generation has applied changes past the log's head; False when that cannot be read (the
    search that opens it then says what is wrong)."""
    try:
        return generation.applied() > head
    except (OSError, ValueError):
        return False


def _respelt(text: str, corrections: dict[str, str]) -> str | None:
    """text with its misspelt words as corrected; None when none is."""
    if not corrections:
        return None
    pieces, cursor = [], 0
    for token in WORDS(text, chars=True):
        if token.text in corrections:
            pieces += [text[cursor : token.startchar], corrections[token.text]]
            cursor = token.endchar
    return "".join([*pieces, text[cursor:]])


def _similar_in_index(
    index: replica.OpenIndex, vendor_id: int, texts: dict[str, str], limit: int
) -> list[int]:
    if index.searcher.doc_count() == 0:
        return []
    terms: dict[str, float] = {}
    for field_name, text in texts.items():
        for term, weight in matching.key_terms(index, field_name, text, number=10):
            terms[term] = max(weight, terms.get(term, 0.0))
    return matching.more_like(index, terms, limit, exclude=vendor_id)


def _similar_from_database(vendor_id: int, limit: int) -> list[int]:
    """Vendors sharing the most attribute values with this one, among the attributes whose labels make up
    the registry's similar-vendor fields (specialisations, channels, certifications)."""
    facets = [
        facet
        for text_field in registry.VENDORS.fields
        if text_field.similar
        for facet in text_field.labels_of
    ]
    mine = select(VendorFacetValue.facet, VendorFacetValue.value).where(
        VendorFacetValue.vendor_id == vendor_id, VendorFacetValue.facet.in_(facets)
    )
    pairs = list(db.session.execute(mine).tuples())
    if not pairs:
        return []
    shared = func.count().label("shared")
    statement = (
        select(VendorFacetValue.vendor_id, shared)
        .join(Vendor, Vendor.id == VendorFacetValue.vendor_id)
        .where(
            registry.VENDORS.published,
            Vendor.id != vendor_id,
            or_(*((VendorFacetValue.facet == f) & (VendorFacetValue.value == v) for f, v in pairs)),
        )
        .group_by(VendorFacetValue.vendor_id)
        .order_by(shared.desc(), VendorFacetValue.vendor_id)
        .limit(limit)
    )
    return [row.vendor_id for row in db.session.execute(statement)]


def _warn(root: str, message: str, *args, exc_info: bool = False) -> None:
    """Each kind of message at most once a minute per index folder."""
    WARNINGS.warning((root, message), message, *args, exc_info=exc_info)


def _quietly(function, *args):
    """Run function outside the caller's contextvars, so an open write transaction's BEGIN IMMEDIATE
    intent (vendors.database) does not leak into the index's read-only database connections."""
    return contextvars.Context().run(function, *args)


# Session hooks: catch up after a commit that logged changes (vendors.catalog.writes sets the flag), forget
# the flag on rollback.

_hooks_installed = threading.Lock()


def _listen_to_sessions() -> None:
    with _hooks_installed:
        if not event.contains(Session, "after_commit", _after_commit):
            event.listen(Session, "after_commit", _after_commit)
            event.listen(Session, "after_soft_rollback", _after_rollback)


def _after_rollback(session: Session, _previous_transaction) -> None:
    session.info.pop(changelog.PENDING_KEY, None)


def _after_commit(session: Session) -> None:
    if not session.info.pop(changelog.PENDING_KEY, False):
        return
    if has_request_context():
        g.pop("search_index", None)
        g.pop("search_log_state", None)
    try:
        engine, root = db.engine, current_app.config["SEARCH_INDEX_DIR"]
    except RuntimeError:
        return  # no app context: the next search or `flask index catch-up` applies the change
    changesignal.forget(engine)
    if has_request_context():
        _mark_the_saved_change()
    try:
        result = _quietly(indexing.catch_up, engine, root, AFTER_COMMIT_WAIT, IMPLICIT_MAX_WORK)
        if result.skipped:
            _warn(root, "search index in %s is behind: %s", root, result.skipped)
    except IndexBusy:
        log.warning("search index in %s is busy; the edit is saved and the next catch-up will index it", root)
    except OSError as error:
        # The folder unreadable, unwritable or full: a warning a minute while it lasts, no traceback per edit.
        _warn(
            root,
            "could not update the search index in %s (%s); the edit is saved and will be indexed later",
            root,
            error,
        )
    except Exception:
        log.exception(
            "could not update the search index in %s; the edit is saved and will be indexed later", root
        )
