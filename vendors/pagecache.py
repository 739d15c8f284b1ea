"""Whole answers kept for the pages and API reads that every visitor is shown alike: in a folder shared by
a server's workers (PAGE_CACHE_DIR, which gunicorn.conf.py sets), or else in each process's memory.

An answer is kept under everything it depends on: the app, the address (host, path and query), the change
log's position, the database's identity and the search index's position when it shows catalogue data (so an
edit makes exactly the answers that could show it unreachable, and they age out like any other entry),
today's date (pages say how long ago a vendor was verified), the visitor's cookies (the buyer country it
remembers), and whatever else a view names with `vary`.

The one part of a page that belongs to one visitor, the CSRF token of its forms, is recorded as a placeholder
and filled in on every answer, kept or not; bodies are kept gzip-compressed around it (vendors.splicedgzip).
A visitor with a shortlist (every page shows it), or whose session holds anything but that token (a message
to show, a signed-in account), is answered afresh.

Beside the answers, parts of pages (keep_part: a vendor page's skeleton) are kept in a store of their own,
so that answers stored after them never push them out; a view may make its answer from them (`made_early`)
before the request hooks, and that answer is then kept as any other.
Answers carry X-Cache: hit, made (from kept parts) or miss, which bench/load.py counts.
"""

import functools
import hashlib
import importlib.metadata
import itertools
import json
import os
import secrets
import struct
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_accept_header, parse_set_header

from vendors import search
from vendors.search.readcache import ReadCache
from vendors.sharedpages import SharedPages
from vendors.shortlists.store import COOKIE as SHORTLIST_COOKIE
from vendors.splicedgzip import SplicedGzip

PAGES = ReadCache(0)  # sized by init_app from PAGE_CACHE_MEGABYTES
# The parts of pages this process used last (keep_part), apart, so that answers kept after them never push
# them out of its memory either; as large as PAGES.
PARTS = ReadCache(0)
# Stands in for the CSRF token while a page is recorded; random per process so no text can forge it.
CSRF_PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(16)}"
CSRF_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
SESSION_KEYS_SHARED_BY_ALL = {"csrf_token"}
KEPT_FORMAT = 2  # of _Kept.to_bytes, in the shared folder's keys
# With a shared folder, each process also keeps the answers it last used, read back and decoded, in this
# share of PAGE_CACHE_MEGABYTES of its own memory: an answer under a key never changes, so the copy is as good
# as the folder's, and the most asked-for pages skip the folder's read and decoding.
SHARED_TO_NEAR = 4
PARTS_FOLDER = "parts"


class KeptPart(Protocol):
    """A part of pages kept beside them (keep_part), decoded; its size is what it takes of this process's
    memory."""

    @property
    def size(self) -> int: ...


T = TypeVar("T", bound=KeptPart)


def init_app(app: Flask) -> None:
    folder, megabytes = app.config["PAGE_CACHE_DIR"], app.config["PAGE_CACHE_MEGABYTES"]
    shared = SharedPages.open(folder, megabytes) if folder and megabytes else None
    if shared is not None:
        PAGES.resize(megabytes // SHARED_TO_NEAR)
        PARTS.resize(megabytes // SHARED_TO_NEAR)
        # Parts of pages in a store of their own, so that the answers stored after them never push them out.
        parts = SharedPages.open(os.path.join(folder, PARTS_FOLDER), megabytes)
        app.extensions["pagecache"] = _InFolder(shared, parts, _settings_fingerprint(app))
    else:
        PAGES.resize(megabytes)
        PARTS.resize(megabytes)
        # Answers depend on the app's settings too; each app of the process keeps its own.
        app.extensions["pagecache"] = _InMemory(secrets.token_hex(8))
    # Flask-WTF offers csrf_token() both ways; this module's must win both.
    app.jinja_env.globals["csrf_token"] = _csrf_token_or_placeholder
    app.context_processor(lambda: {"csrf_token": _csrf_token_or_placeholder})


class _InMemory:
    """Answers kept in this process's memory (PAGES), under keys that name the app."""

    def __init__(self, app_token: str):
        self.app_token = app_token

    def get(self, key: tuple) -> "_Kept | None":
        return PAGES.get((self.app_token, *key))

    def put(self, key: tuple, kept: "_Kept") -> None:
        PAGES.put((self.app_token, *key), kept, kept.size)

    def get_part(self, key: tuple, _decode: Callable[[bytes], T]) -> T | None:
        return PARTS.get((self.app_token, *key))

    def put_part(self, key: tuple, part: "KeptPart", _encoded: bytes) -> None:
        PARTS.put((self.app_token, *key), part, part.size)


class _InFolder:
    """Answers kept as bytes in the folder a server's workers share (vendors.sharedpages), so a page rendered
    by one worker is a hit in all, under keys that name the code's version and the app's settings; the ones
    this process used last are also in its memory (PAGES), decoded."""

    def __init__(self, shared: SharedPages, parts: SharedPages | None, fingerprint: str):
        self.shared = shared
        self.parts = parts
        self.fingerprint = fingerprint

    def get(self, key: tuple) -> "_Kept | None":
        kept = PAGES.get((self.fingerprint, *key))
        if kept is not None:
            return kept
        stored = self.shared.get(self._digest(key))
        if stored is None:
            return None
        try:
            kept = _Kept.from_bytes(stored)
        except ValueError as error:
            self.shared.warn(error)
            return None
        PAGES.put((self.fingerprint, *key), kept, kept.size)
        return kept

    def put(self, key: tuple, kept: "_Kept") -> None:
        if self.shared.put(self._digest(key), kept.to_bytes()):  # a folder that fails keeps nothing
            PAGES.put((self.fingerprint, *key), kept, kept.size)

    def get_part(self, key: tuple, decode: Callable[[bytes], T]) -> T | None:
        near_key = (self.fingerprint, *key)
        part = PARTS.get(near_key)
        if part is not None:
            return part
        stored = self.parts.get(self._digest(key)) if self.parts is not None else None
        if stored is None:
            return None
        try:
            part = decode(stored)
        except ValueError as error:
            self.parts.warn(error)
            return None
        PARTS.put(near_key, part, part.size)
        return part

    def put_part(self, key: tuple, part: "KeptPart", encoded: bytes) -> None:
        if self.parts is not None and self.parts.put(self._digest(key), encoded):
            PARTS.put((self.fingerprint, *key), part, part.size)

    def put_note(self, key: tuple, note: dict) -> None:
        if self.parts is not None:
            self.parts.put(self._digest(("note", *key)), json.dumps(note).encode())

    def get_note(self, key: tuple) -> dict | None:
        stored = self.parts.get(self._digest(("note", *key))) if self.parts is not None else None
        try:
            return json.loads(stored) if stored is not None else None
        except ValueError:
            return None

    def close(self) -> None:
        for store in (self.shared, self.parts):
            if store is not None:
                store.close()

    def _digest(self, key: tuple) -> str:
        """The key's parts are strings, numbers, dates and tuples of them, whose repr is the same in every
        process."""
        return hashlib.blake2b(repr((self.fingerprint, *key)).encode(), digest_size=20).hexdigest()


def _settings_fingerprint(app: Flask) -> str:
    """The code's version and every plain setting: answers kept under one are never read under another."""
    plain = sorted(
        (name, value)
        for name, value in app.config.items()
        if isinstance(value, str | int | float | bool | type(None))
    )
    version = importlib.metadata.version("vendors")
    return hashlib.blake2b(repr((KEPT_FORMAT, version, plain)).encode(), digest_size=16).hexdigest()


def cached(
    catalogue: Callable[[], bool] = lambda: True,
    vary: Callable[[], Hashable] = lambda: None,
    made_early: Callable[..., "Made | None"] | None = None,
) -> Callable:
    """Keep the view's 200 answers under what they depend on; `catalogue()` says whether this answer shows
    catalogue data, `vary()` names anything else it depends on. `made_early(**view_args)`, when given, makes
    the answer from parts kept beside the answers (keep_part), or None when they are not kept, quickly enough
    for the front door to give it before the request hooks (kept_gzip_hit, vendors.frontdoor); it is then
    kept as the view's answers are."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def answer(*args, **kwargs):
            key = g.pop("page_key") if "page_key" in g else _key_if_shared_alike(catalogue, vary)
            if key is None:
                return view(*args, **kwargs)
            pages = current_app.extensions["pagecache"]
            kept = pages.get(key)
            if kept is not None:
                return _replayed(kept, "hit")
            response = _recorded(view, args, kwargs)
            if response.status_code != 200 or response.direct_passthrough:
                return _with_token(response)
            kept = _Kept.of(response)
            if kept is None:
                return _with_token(response)
            pages.put(key, kept)
            return _replayed(kept, "miss")

        answer.kept_under = (catalogue, vary)
        answer.made_early = made_early
        return answer

    return decorate


@dataclass(frozen=True)
class GzipHit:
    """A kept answer as the visitor gets it, gzip-compressed: its headers but Vary, whose values are apart so
    that what is added to the answer after it (the session's "Cookie") joins them."""

    status: int
    headers: list[tuple[str, str]]
    vary: list[str]
    body: bytes


def kept_gzip_hit(view: Callable, csrf_token: Callable[[], str] = generate_csrf) -> GzipHit | None:
    """The view's kept answer, gzip-compressed, for a visitor who takes gzip, with the token csrf_token()
    gives, or the answer its made_early() makes (see `cached`); None when there is neither to give (the view
    answers for itself). What the view's decorator would answer, without running the view."""
    kept_under = getattr(view, "kept_under", None)
    if kept_under is None or not takes_gzip():
        return None
    key = g.page_key = _key_if_shared_alike(*kept_under)  # the view's decorator reuses it
    if key is None:
        return None
    kept = current_app.extensions["pagecache"].get(key)
    if kept is None:
        return _made_gzip_answer(view, key, csrf_token)
    return _gzip_answer(kept, csrf_token, "hit")


@dataclass(frozen=True)
class Made:
    """An answer a view's made_early() makes from parts kept beside the answers, for a page whose forms carry
    the visitor's CSRF token: its status and headers, and compress(n), its body compressed with places for
    tokens of n bytes (vendors.splicedgzip)."""

    status: int
    headers: list[tuple[str, str]]
    compress: Callable[[int], SplicedGzip]


def _made_gzip_answer(view: Callable, key: tuple, csrf_token: Callable[[], str]) -> GzipHit | None:
    """The answer the view's made_early() makes, kept as an answer the view would have given."""
    made_early = getattr(view, "made_early", None)
    made = made_early(**request.view_args) if made_early is not None else None
    if made is None:
        return None
    kept = _Kept(made.status, made.headers, made.compress(len(csrf_token())), None)
    current_app.extensions["pagecache"].put(key, kept)
    return _gzip_answer(kept, csrf_token, "made")


def _gzip_answer(kept: "_Kept", csrf_token: Callable[[], str], outcome: str) -> GzipHit | None:
    if kept.compressed is None:
        return None
    token = csrf_token().encode() if kept.needs_token else b""
    if len(token) != kept.compressed.token_length:
        return None
    body = kept.compressed.gzip(token)
    headers = [(name, value) for name, value in kept.headers if name.lower() not in _SET_ON_REPLAY]
    headers += [("X-Cache", outcome), ("Content-Length", str(len(body))), ("Content-Encoding", "gzip")]
    return GzipHit(kept.status, headers, _vary_with_accept_encoding(kept.headers), body)


def _vary_with_accept_encoding(headers: list[tuple[str, str]]) -> list[str]:
    vary = [value for name, value in headers if name.lower() == "vary" for value in parse_set_header(value)]
    if "accept-encoding" not in {value.lower() for value in vary}:
        vary.append("Accept-Encoding")
    return vary


def takes_gzip() -> bool:
    """Whether the visitor takes gzip, as request.accept_encodings would say; each distinct header is read
    once, since reading it was a twentieth of a kept page's time, and browsers send a handful of them."""
    return _takes_gzip(request.environ.get("HTTP_ACCEPT_ENCODING", ""))


@functools.lru_cache(maxsize=256)
def _takes_gzip(accept_encoding: str) -> bool:
    return parse_accept_header(accept_encoding)["gzip"] > 0


# Headers of a kept answer that kept_gzip_hit sets afresh, as _replayed does through its response.
_SET_ON_REPLAY = {"content-length", "content-encoding", "x-cache", "vary"}


def kept_part(key: tuple, decode: Callable[[bytes], T]) -> T | None:
    """A part of pages kept by keep_part under key (which names what it depends on), decoded; None when none
    is kept."""
    return current_app.extensions["pagecache"].get_part(key, decode)


def keep_part(key: tuple, part: T, encoded: bytes) -> None:
    """Keep a part of pages, such as a page with places left to fill in (vendors.directory.vendorpages),
    beside the answers: in this process as it is, and in the workers' shared folder encoded (decoded there
    by the function kept_part is given)."""
    current_app.extensions["pagecache"].put_part(key, part, encoded)


def keeps_parts() -> bool:
    """Whether parts kept by keep_part are seen by every process of the server: kept in a shared folder."""
    store = current_app.extensions["pagecache"]
    return isinstance(store, _InFolder) and store.parts is not None


def keep_note(key: tuple, note: dict) -> None:
    """Keep a note beside the parts of pages for every process of the server to read (kept_note), such as
    how far a process rendering them has got; a page cache without a shared folder keeps none."""
    if keeps_parts():
        current_app.extensions["pagecache"].put_note(key, note)


def kept_note(key: tuple) -> dict | None:
    """The note last kept under key; None when there is none (or it cannot be read)."""
    return current_app.extensions["pagecache"].get_note(key) if keeps_parts() else None


def catalogue_position() -> tuple:
    """Where the catalogue and the search index stand: what an answer showing catalogue data is kept under.
    Raises SQLAlchemyError when the database cannot say."""
    return (search.database_identity(), search.log_position(), search.index_position())


def _key_if_shared_alike(catalogue: Callable[[], bool], vary: Callable[[], Hashable]) -> tuple | None:
    return _key(catalogue, vary) if _shared_alike() else None


def _shared_alike() -> bool:
    return (
        request.method in ("GET", "HEAD")
        and SHORTLIST_COOKIE not in request.cookies
        and set(session.keys()) <= SESSION_KEYS_SHARED_BY_ALL
    )


def _key(catalogue: Callable[[], bool], vary: Callable[[], Hashable]) -> tuple | None:
    """What the answer depends on; None when the database cannot say (the view then answers for itself)."""
    try:
        edits = catalogue_position() if catalogue() else None
    except SQLAlchemyError:
        return None
    session_cookie = current_app.config["SESSION_COOKIE_NAME"]
    cookies = tuple(sorted(item for item in request.cookies.items() if item[0] != session_cookie))
    return (
        request.endpoint,
        request.scheme,
        request.host,
        request.full_path,
        edits,
        date.today(),
        cookies,
        vary(),
    )


def _recorded(view: Callable, args, kwargs):
    g.recording_page = True
    try:
        return current_app.make_response(view(*args, **kwargs))
    finally:
        g.recording_page = False


@dataclass(frozen=True)
class _Kept:
    """A kept answer: its status and headers, and its body compressed once with places for the token (see
    vendors.splicedgzip), or, when it cannot be kept so, the body's parts between those places."""

    status: int
    headers: list
    compressed: SplicedGzip | None
    parts: tuple[bytes, ...] | None

    @classmethod
    def of(cls, response) -> "_Kept | None":
        """The response to keep; None when its body holds a visitor's own CSRF token (a form that did not
        ask for csrf_token() while the page was recorded), which must never be shown to anyone else."""
        body, headers = response.get_data(), list(response.headers.items())
        own_token = g.get(current_app.config["WTF_CSRF_FIELD_NAME"])
        if own_token and own_token.encode() in body:
            return None
        token_length = len(generate_csrf()) if CSRF_PLACEHOLDER_BYTES in body else 0
        compressed = SplicedGzip.compress(body, CSRF_PLACEHOLDER_BYTES, token_length)
        parts = None if compressed else tuple(body.split(CSRF_PLACEHOLDER_BYTES))
        return cls(response.status_code, headers, compressed, parts)

    @property
    def size(self) -> int:
        return self.compressed.size if self.compressed else sum(map(len, self.parts))

    @property
    def needs_token(self) -> bool:
        return bool(self.compressed.splices if self.compressed else len(self.parts) - 1)

    def to_bytes(self) -> bytes:
        """The answer as bytes to keep outside this process; from_bytes reads it back."""
        parts = None if self.parts is None else [len(part) for part in self.parts]
        described = json.dumps({"status": self.status, "headers": self.headers, "parts": parts}).encode()
        body = self.compressed.to_bytes() if self.compressed else b"".join(self.parts)
        return struct.pack(">I", len(described)) + described + body

    @classmethod
    def from_bytes(cls, kept: bytes) -> "_Kept":
        """What to_bytes wrote; ValueError when kept is not that."""
        try:
            (described_length,) = struct.unpack_from(">I", kept)
            described = json.loads(kept[4 : 4 + described_length])
            body, sizes = kept[4 + described_length :], described["parts"]
            status, headers = described["status"], [tuple(header) for header in described["headers"]]
        except (struct.error, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not a kept answer: {error}") from None
        if sizes is None:
            return cls(status, headers, SplicedGzip.from_bytes(body), None)
        starts = [0, *itertools.accumulate(sizes)]
        if starts[-1] != len(body):
            raise ValueError("not a kept answer: its parts do not add up to its length")
        return cls(status, headers, None, tuple(body[a:b] for a, b in itertools.pairwise(starts)))


def _replayed(kept: _Kept, outcome: str):
    """The kept answer with this visitor's token in its forms, gzip-compressed when the visitor takes it."""
    response = current_app.response_class(status=kept.status, headers=kept.headers)
    response.headers["X-Cache"] = outcome
    token = generate_csrf().encode() if kept.needs_token else b""
    if kept.compressed is None:
        response.set_data(token.join(kept.parts))
    elif takes_gzip() and len(token) == kept.compressed.token_length:
        response.set_data(kept.compressed.gzip(token))
        response.headers["Content-Encoding"] = "gzip"
    else:
        response.set_data(kept.compressed.text(token))
    if kept.compressed is not None:
        response.vary.add("Accept-Encoding")
    return response


def _with_token(response):
    body = response.get_data()
    if CSRF_PLACEHOLDER_BYTES in body:
        response.set_data(body.replace(CSRF_PLACEHOLDER_BYTES, generate_csrf().encode()))
    return response


def _csrf_token_or_placeholder() -> str:
    return CSRF_PLACEHOLDER if g.get("recording_page") else generate_csrf()
