"""The index folder on disk: generations, the `current` pointer, the writers' lock, the applied position.

    SEARCH_INDEX_DIR/
        vendors/                                    one folder per kind of document (registry.DocumentKind)
            current -> gen-20250101T120000-4242     symlink, switched atomically with os.replace
            gen-20250101T120000-4242/               a complete Whoosh index
                applied                             highest change-log id applied to this generation
                database                            identity of the database it was built from
                schema                              signature of the schema it was written for
                pair-words                          the common stems whose adjacent pairs it indexes
            writer.lock                             flock()-ed by whoever writes (catch-up, rebuild's switch)

Readers never lock: they follow `current` and open the generation's latest Whoosh commit. Writers take the
process lock with a deadline (never waiting forever, never failing at once as a bare Whoosh writer does), so
gunicorn workers and CLI commands on one machine take turns. `applied` is written after the Whoosh commit;
a crash in between only makes the next catch-up apply the same changes again, which is harmless because a
catch-up re-reads each changed vendor from the database.
"""

import contextlib
import fcntl
import os
import shutil
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.util import random_name

from vendors.search import registry
from vendors.search.schema import build_schema, schema_signature

CURRENT = "current"
LOCK_FILE = "writer.lock"
APPLIED_FILE = "applied"
DATABASE_FILE = "database"
SCHEMA_FILE = "schema"
PAIR_WORDS_FILE = "pair-words"
GENERATION_PREFIX = "gen-"


class IndexBusy(RuntimeError):
    """Another process held the index writer lock for longer than we were willing to wait."""


class IndexMissing(RuntimeError):
    """No index has been built in this folder yet."""


class IndexUnreadable(RuntimeError):
    """The index folder exists but Whoosh cannot open it (damaged or partly deleted files)."""


class Generation:
    """One complete index folder of one kind of document."""

    def __init__(self, path: Path, kind: registry.DocumentKind):
        self.path = path
        self.kind = kind

    @property
    def name(self) -> str:
        return self.path.name

    def create(self, database: str, pair_words: frozenset[str] = frozenset()) -> whoosh_index.Index:
        """A new empty index holding documents of the database with this identity, indexing the adjacent
        pairs of pair_words (schema.AdjacentPairs)."""
        self.path.mkdir(parents=True)
        self.set_applied(0)
        (self.path / DATABASE_FILE).write_text(f"{database}\n")
        (self.path / SCHEMA_FILE).write_text(f"{schema_signature(self.kind)}\n")
        (self.path / PAIR_WORDS_FILE).write_text("".join(f"{word}\n" for word in sorted(pair_words)))
        return whoosh_index.create_in(str(self.path), self._schema())

    def _schema(self):
        """The schema this generation was written with: the code's, with the generation's pair words."""
        try:
            pair_words = frozenset((self.path / PAIR_WORDS_FILE).read_text().split())
        except FileNotFoundError:
            raise IndexUnreadable(f"{self.path}: no {PAIR_WORDS_FILE} file") from None
        return build_schema(self.kind, pair_words)

    def fits_schema(self) -> bool:
        """Whether the generation was written for the schema the code builds now."""
        return self._written_for() == schema_signature(self.kind)

    def _written_for(self) -> str:
        try:
            return _written_once(self.path / SCHEMA_FILE)
        except FileNotFoundError:
            return "(not recorded)"

    def database(self) -> str | None:
        """The identity of the database this generation was built from; None for one built before
        generations recorded it."""
        try:
            return _written_once(self.path / DATABASE_FILE) or None
        except FileNotFoundError:
            return None

    def open(self) -> whoosh_index.Index:
        """The generation's Whoosh index; IndexUnreadable if its files are damaged or missing, or were
        written for another schema.

        The schema comes from the code, never from the index: Whoosh's copy in the table of contents (a
        pickle, of stand-ins for the project's own classes, see vendors.search.schema) is skipped unread.
        """
        with self.reading() as read:
            return read(lambda index: index)

    @contextmanager
    def reading(self) -> Iterator:
        """Yields read(use): `use(index)` run on the generation's index, where any failure, in the table of
        contents or later in a damaged segment, is IndexUnreadable and closes every file opened so far
        (Whoosh would leave them to the garbage collector)."""
        if not self.fits_schema():
            raise IndexUnreadable(f"{self.path}: built for another schema: {self._written_for()}")
        storage = _ClosingStorage(str(self.path))

        def read(use):
            try:
                return use(storage.open_index(schema=self._schema()))
            except Exception as error:
                storage.close_opened()
                raise IndexUnreadable(f"{self.path}: {type(error).__name__}: {error}") from None

        try:
            yield read
        finally:
            storage.opened = None

    def applied(self) -> int:
        return int((self.path / APPLIED_FILE).read_text().strip() or 0)

    def set_applied(self, change_id: int) -> None:
        temporary = self.path / f"{APPLIED_FILE}.{os.getpid()}.tmp"
        temporary.write_text(f"{change_id}\n")
        os.replace(temporary, self.path / APPLIED_FILE)


class _ClosingStorage(FileStorage):
    """A FileStorage that can close what it opened while an index was being opened: Whoosh leaves its table
    of contents open when it cannot read it, and that file would otherwise wait for the garbage collector.
    Likewise for the files a writer created, when the writer fails and cannot even cancel (a full disk)."""

    def __init__(self, path: str):
        super().__init__(path)
        self.opened: list | None = []
        self.created: list = []  # files made here, and temporary storages (where a writer keeps work files)

    def create_file(self, name, **kwargs):
        file = super().create_file(name, **kwargs)
        self.created.append(file)
        return file

    def temp_storage(self, name=None):
        temporary = _ClosingStorage(os.path.join(self.folder, name or f"{random_name()}.tmp")).create()
        self.created.append(temporary)
        return temporary

    def close_created(self) -> None:
        """Close the files written through this storage that are still open, their contents abandoned: a
        close that fails to write them out (a full disk) still releases them."""
        for made in self.created:
            if isinstance(made, _ClosingStorage):
                made.close_created()
            elif not made.is_closed:
                with contextlib.suppress(OSError):
                    made.close()

    def open_file(self, name, **kwargs):
        file = super().open_file(name, **kwargs)
        if self.opened is not None:
            self.opened.append(file)
        # A searcher replaced by a newer one is left to the garbage collector (another thread may still be
        # reading it): its segment files are then closed here, not by the interpreter with a warning.
        weakref.finalize(file, file.file.close)
        return file

    def close_opened(self) -> None:
        for file in self.opened or ():
            if not file.is_closed:  # Whoosh closes the table of contents itself once it has read it
                file.close()


_WRITTEN_ONCE: dict[Path, str] = {}
_WRITTEN_ONCE_KEPT = 64


def _written_once(path: Path) -> str:
    """The stripped text of a file written when its generation is created and never again (the identity of
    the database it was built from, its schema), read once per process: every request checks both. Safe
    because a generation's name (its time to the microsecond and the writer's process id) is never reused;
    replica.forget() reads them again."""
    text = _WRITTEN_ONCE.get(path)
    if text is None:
        text = path.read_text().strip()
        if len(_WRITTEN_ONCE) >= _WRITTEN_ONCE_KEPT:
            _WRITTEN_ONCE.clear()
        _WRITTEN_ONCE[path] = text
    return text


def forget_written_once() -> None:
    """Read those files again: for a process told to forget what it knows of its index (replica.forget)."""
    _WRITTEN_ONCE.clear()


class IndexFolder:
    """The folder of one kind's generations under the search root (SEARCH_INDEX_DIR); vendors by default."""

    def __init__(self, root: str | os.PathLike, kind: registry.DocumentKind | None = None):
        self.kind = kind or registry.VENDORS
        self.root = Path(root) / self.kind.folder
        self._pointer = str(self.root / CURRENT)
        self._last: tuple[str, Generation] | None = None  # the pointer's target last read, and its Generation

    def current(self) -> Generation:
        """The generation searches are served from; IndexMissing when none has been built. The pointer is
        read every time; a folder that keeps one IndexFolder (every request asks) reuses the Generation while
        it names the same one."""
        try:
            target = os.readlink(self._pointer)
        except FileNotFoundError:
            raise IndexMissing(f"no search index in {self.root}") from None
        last = self._last
        if last is None or last[0] != target:
            last = self._last = (target, Generation(self.root / target, self.kind))
        return last[1]

    def new_generation(self) -> Generation:
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        return Generation(self.root / f"{GENERATION_PREFIX}{stamp}-{os.getpid()}", self.kind)

    def switch_to(self, generation: Generation) -> None:
        """Point `current` at generation in one rename: a reader sees the old index or the new, never neither.

        Call with the writer lock held.
        """
        temporary = self.root / f"{CURRENT}.{os.getpid()}.tmp"
        temporary.unlink(missing_ok=True)
        os.symlink(generation.name, temporary)
        os.replace(temporary, self.root / CURRENT)

    def remove_old_generations(self, keep: int = 2) -> None:
        """Delete all but the current generation and the newest keep - 1 others.

        The previous generation is kept so a process that opened it a moment ago can finish its search.
        Call with the writer lock held.
        """
        try:
            current = self.current().name
        except IndexMissing:
            current = None
        others = sorted(
            (
                path
                for path in self.root.glob(f"{GENERATION_PREFIX}*")
                if path.is_dir() and path.name != current
            ),
            key=lambda path: path.stat().st_mtime,
            reverse=True,
        )
        for path in others[max(0, keep - 1) :]:
            shutil.rmtree(path, ignore_errors=True)

    @contextmanager
    def writer_lock(self, timeout: float) -> Iterator[None]:
        """Hold the folder's writer lock; IndexBusy if it is not free within timeout seconds."""
        self.root.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        with open(self.root / LOCK_FILE, "a+") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusy(
                            f"the search index in {self.root} is locked by another writer"
                        ) from None
                    time.sleep(0.01)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
