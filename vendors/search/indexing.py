"""Keeping an index folder in step with the database: catch-up, rebuild, status.

catch_up applies the change log from the folder's `applied` position: it reads the highest change id first,
then re-reads every vendor changed since, so what it writes is at least as new as the position it records.
Catch-ups run after a commit in the process that made the edit, before a search when changes are pending,
and from `flask index catch-up`; all of them take the folder's writer lock with a deadline.

rebuild builds a complete generation in a fresh folder without holding the lock (searches and catch-ups carry
on against the current one), then takes the lock only to apply the changes made meanwhile and switch.
"""

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import Engine, func, select
from whoosh.index import LockError

from vendors.catalog import changelog
from vendors.search import bulk, registry, schema
from vendors.search.store import Generation, IndexBusy, IndexFolder, IndexMissing, IndexUnreadable
from vendors.search.vocabulary import Vocabulary

log = logging.getLogger(__name__)

# progress(vendors indexed so far, vendors to index)
Progress = Callable[[int, int], None]

WHOOSH_LOCK_TIMEOUT = 10.0  # our process lock is held, so Whoosh's own lock is only a second line of defence
SWITCH_LOCK_TIMEOUT = 120.0
# Past this many changed vendors a catch-up builds a fresh generation instead of updating one by one.
FULL_BUILD_MIN_CHANGES = 5_000
FULL_BUILD_SHARE = 0.3
MIN_DOCUMENTS_PER_PROCESS = 5_000
ANOTHER_DATABASE_FIX = "run flask index catch-up, which builds it anew"
# An index that has applied changes the log does not hold: built from another database with the same
# identity (a copy), or from this one before it was restored from an older backup.
AHEAD_OF_THE_LOG = "has applied more changes than the change log holds"


@dataclass
class CatchUp:
    applied: int
    indexed: int = 0
    removed: int = 0
    rebuilt: bool = False
    documents: int | None = None  # set after a full build
    skipped: str = ""  # why an implicit catch-up left the work to `flask index catch-up`


@dataclass
class Status:
    folder: str
    generation: str | None
    published: int
    documents: int | None
    applied: int | None
    head: int
    pending: int | None
    error: str = ""


def no_progress(_done: int, _total: int) -> None:
    pass


def catch_up(
    engine: Engine,
    root: str,
    lock_timeout: float,
    max_work: int | None = None,
    progress: Progress = no_progress,
    kind: registry.DocumentKind | None = None,
) -> CatchUp:
    """Apply the changes to documents of kind (vendors by default) that its folder under root has not seen
    yet; build the index first if there is none.

    max_work bounds what an implicit catch-up (after a commit, before a search) may take on: with more changed
    vendors than that, or no index and more published vendors than that, it does nothing and says so.
    Raises IndexBusy when the writer lock stays taken past lock_timeout.
    """
    folder = IndexFolder(root, kind)
    kind = folder.kind
    with folder.writer_lock(lock_timeout), engine.connect() as connection:
        database = changelog.identity(connection)
        head = changelog.head(connection)
        replaced = None  # what is wrong with the index there is, when it must be built anew
        try:
            generation = folder.current()
            applied = generation.applied()
            documents = _searchable_documents(generation)
        except IndexMissing:
            generation, applied = None, None
        except (OSError, ValueError, IndexUnreadable) as error:
            generation, applied, replaced = None, None, f"is unreadable ({error})"
        if generation is not None:
            replaced = _wrong_for_the_log(generation, applied, database, head)
            if replaced:
                generation = None
        if generation is None:
            published = _published_count(connection, kind)
            if max_work is not None and published > max_work:
                # Said by the caller, once a minute (an implicit catch-up is tried on every search).
                return CatchUp(0, skipped=_left_for_the_command_line(replaced, published, kind))
            if replaced:
                log.warning("search index in %s %s; building a new one", folder.root, replaced)
            connection.rollback()
            return _switch_to(engine, folder, build_generation(engine, folder, procs=1, progress=progress))
        if applied == head:
            return CatchUp(applied)
        changed = changelog.changed_since(connection, applied, head, kind.name)
        connection.rollback()
        if len(changed) > max(FULL_BUILD_MIN_CHANGES, FULL_BUILD_SHARE * documents):
            if max_work is not None:
                return CatchUp(
                    applied, skipped=f"{len(changed)} {kind.folder} changed: run flask index catch-up"
                )
            new = build_generation(engine, folder, procs=os.cpu_count() or 1, progress=progress)
            return _switch_to(engine, folder, new)
        if max_work is not None and len(changed) > max_work:
            return CatchUp(applied, skipped=f"{len(changed)} {kind.folder} changed: run flask index catch-up")
        return apply_changes(engine, generation, lock_timeout)


def _searchable_documents(generation: Generation) -> int:
    """How many documents the generation holds, read as a search reads it: every segment opened, so one
    damaged since it was written (a search found it unreadable, say) is IndexUnreadable here too, and the
    catch-up builds the index anew rather than failing to add to it."""

    def count(index) -> int:
        with index.searcher() as searcher:
            return searcher.doc_count()

    with generation.reading() as read:
        return read(count)


def _wrong_for_the_log(generation: Generation, applied: int, database: str, head: int) -> str | None:
    """What makes the generation unfit to search beside this database's change log; None when nothing
    does (it may still be behind the log: catching up applies what it lacks)."""
    if generation.database() != database:
        return "was built from another database"
    if applied > head:
        return AHEAD_OF_THE_LOG
    return None


def _left_for_the_command_line(replaced: str | None, published: int, kind: registry.DocumentKind) -> str:
    """Why an implicit catch-up builds no index: too many documents to build one during a request."""
    if replaced is None:
        return f"no index yet and {published} published {kind.folder}: run flask index rebuild"
    return (
        f"the index there {replaced}, and {published} published {kind.folder} are too many to build it "
        f"anew during a request: {ANOTHER_DATABASE_FIX}"
    )


def apply_changes(
    engine: Engine, generation: Generation, lock_timeout: float = WHOOSH_LOCK_TIMEOUT
) -> CatchUp:
    """Bring one generation up to the log's head by re-reading each changed document. Hold the writer
    lock. Raises IndexBusy when Whoosh's own lock stays taken past lock_timeout (at most
    WHOOSH_LOCK_TIMEOUT)."""
    applied, kind = generation.applied(), generation.kind
    with engine.connect() as connection:
        head = changelog.head(connection)
        if head <= applied:
            return CatchUp(applied)
        changed = changelog.changed_since(connection, applied, head, kind.name)
        documents = {doc["vid"]: doc for doc in schema.documents(connection, changed, kind=kind)}
    if not changed:  # only other kinds changed: nothing to write
        generation.set_applied(head)
        return CatchUp(head)
    if documents:
        words = Vocabulary.load(generation.path)
        for doc in documents.values():
            words.add_document(_words_of(doc, kind))
        words.save(generation.path)
    writer = _whoosh_writer(generation, min(lock_timeout, WHOOSH_LOCK_TIMEOUT))
    try:
        for document_id in changed:
            if document_id in documents:
                writer.update_document(**documents[document_id])
            else:
                writer.delete_by_term("id", str(document_id))
        writer.commit()
    except BaseException:
        _abandon(writer)
        raise
    generation.set_applied(head)
    return CatchUp(head, indexed=len(documents), removed=len(changed) - len(documents))


def _whoosh_writer(generation: Generation, timeout: float):
    """The generation's Whoosh writer. Waits for Whoosh's own lock no longer than the caller waits for ours
    (a search must not stall behind a writer outside our lock), then raises IndexBusy as our lock does."""
    try:
        return generation.open().writer(timeout=timeout)
    except LockError:
        raise IndexBusy(f"the search index in {generation.path} is locked by another Whoosh writer") from None


def _abandon(writer) -> None:
    """Cancel a writer whose work failed. When cancelling fails too, as on a full disk (closing the writer's
    files writes them out again), close its files and free Whoosh's lock anyway: otherwise both stay taken
    until the garbage collector happens to free the writer, and every catch-up meanwhile waits for the lock,
    then fails. The caller raises the error that made the writer fail."""
    try:
        writer.cancel()
    except Exception:
        writer.storage.close_created()
        lock = writer.writelock
        if lock is not None and lock.fd is not None:
            lock.release()


def build_generation(
    engine: Engine, folder: IndexFolder, procs: int = 1, progress: Progress = no_progress
) -> Generation:
    """A complete new generation holding every published document of the folder's kind, not yet switched
    to.

    Its `applied` is the log's head read before the documents, so apply_changes afterwards covers every edit
    made while it was being built. progress(done, total) is called as documents are indexed.
    """
    started = time.monotonic()
    generation, kind = folder.new_generation(), folder.kind
    with engine.connect() as connection:
        sample = list(islice(schema.documents(connection, kind=kind), schema.PAIR_WORD_SAMPLE))
        index = generation.create(changelog.identity(connection), schema.choose_pair_words(sample, kind))
        head = changelog.head(connection)
        published = _published_count(connection, kind)
    procs = max(1, min(procs, published // MIN_DOCUMENTS_PER_PROCESS))
    # Each process writes segments of its own (merging them again would cost about as much as the
    # parallelism saves); a search reads the few segments one after the other.
    done = 0

    def segment_written(vendors: int) -> None:
        nonlocal done
        done += vendors
        progress(done, published)

    words = bulk.build(engine, index, procs, segment_written, kind)
    words.save(generation.path)
    generation.set_applied(head)
    took = time.monotonic() - started
    log.info("built search index %s: %s %s in %.1f s", generation.name, published, kind.folder, took)
    return generation


def rebuild(
    engine: Engine,
    root: str,
    procs: int | None = None,
    progress: Progress = no_progress,
    kind: registry.DocumentKind | None = None,
) -> CatchUp:
    """Build a complete new generation and switch to it; searches use the old one until the switch."""
    folder = IndexFolder(root, kind)
    new = build_generation(engine, folder, procs=procs or os.cpu_count() or 1, progress=progress)
    with folder.writer_lock(SWITCH_LOCK_TIMEOUT):
        return _switch_to(engine, folder, new)


def _switch_to(engine: Engine, folder: IndexFolder, new: Generation) -> CatchUp:
    """Apply the changes made while `new` was built, then make it the folder's current generation."""
    result = apply_changes(engine, new)
    folder.switch_to(new)
    folder.remove_old_generations()
    result.rebuilt, result.documents = True, new.open().doc_count()
    return result


def status(engine: Engine, root: str, kind: registry.DocumentKind | None = None) -> Status:
    folder = IndexFolder(root, kind)
    with engine.connect() as connection:
        database = changelog.identity(connection)
        head = changelog.head(connection)
        published = _published_count(connection, folder.kind)
        try:
            generation = folder.current()
            applied = generation.applied()
            documents = _searchable_documents(generation)
        except IndexMissing as error:
            return Status(str(folder.root), None, published, None, None, head, None, str(error))
        except Exception as error:
            return Status(str(folder.root), None, published, None, None, head, None, f"unreadable: {error}")
        wrong = _wrong_for_the_log(generation, applied, database, head)
        if wrong:
            problem = f"the index {wrong}: {ANOTHER_DATABASE_FIX}"
            return Status(
                str(folder.root), generation.name, published, documents, applied, head, None, problem
            )
        pending = changelog.pending_count(connection, applied, folder.kind.name)
    return Status(str(folder.root), generation.name, published, documents, applied, head, pending)


def _words_of(doc: dict, kind: registry.DocumentKind) -> set[str]:
    return schema.words_in(" ".join(doc[field] for field in schema.text_fields(kind)))


def _published_count(connection, kind: registry.DocumentKind) -> int:
    return connection.scalar(select(func.count()).select_from(kind.model).where(kind.published)) or 0
