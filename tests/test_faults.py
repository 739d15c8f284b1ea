"""Faults the site rides out, each bounded to seconds and on loopback only.

- A gunicorn worker killed with SIGKILL under load: only the request in flight in it fails, the arbiter starts
  a new worker, and every other request is answered.
- The index folder deleted, unreadable or locked by another Whoosh writer: searches still answer with the
  right vendors, an edit is saved and indexed once the folder is back, /healthz says what state the index is
  in, and a lasting fault logs one warning a minute.
- A full disk under the index (a tiny tmpfs where mounting is allowed, writes failing with ENOSPC where it is
  not): edits are saved, the failed catch-up leaves no lock behind, and the site keeps answering.
- Form bodies of 1 MB, or malformed, on every public POST: 413 or 400 in the site's layout, nothing written.
"""

import builtins
import errno
import gc
import html
import http.client
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from flask import url_for
from sqlalchemy import func, select

from tests.factories import (
    PASSWORD,
    add_user,
    add_vendors,
    csrf_token,
    login,
    post_form,
    update_vendor,
    vendor_record,
)
from tests.served import Server, gunicorn
from tests.test_submissions import submission_data
from vendors import search
from vendors.accounts.access import ADMIN_PREFIX, PUBLIC
from vendors.catalog.models import Vendor
from vendors.errors import FORM_MAX_BYTES, LARGE_UPLOADS
from vendors.extensions import db
from vendors.search import indexing, readcache, replica
from vendors.search.store import IndexBusy, IndexFolder
from vendors.shortlists.models import SharedComparison, ShortlistEntry


def wait_for(condition: Callable[[], bool], seconds: float, failure: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)


# ---------- a worker killed with SIGKILL under load ----------

LOAD_THREADS = 6


@dataclass
class Answer:
    started: float
    ended: float
    status: int | None  # None: no HTTP answer at all (the connection was reset or closed)
    error: str = ""


def fetch(url: str) -> Answer:
    started = time.monotonic()
    try:
        with urlopen(url, timeout=10) as response:
            response.read()
            status = response.status
    except HTTPError as error:
        error.close()
        status = error.code
    except (OSError, http.client.HTTPException) as error:
        return Answer(started, time.monotonic(), None, repr(error))
    return Answer(started, time.monotonic(), status)


def keep_requesting(urls: list[str], stop: threading.Event, answers: list[Answer]) -> None:
    while not stop.is_set():
        for url in urls:
            answers.append(fetch(url))


@dataclass
class Served:
    base: str
    server: Server
    log: Path
    slugs: list[str]

    def workers(self) -> set[int]:
        return self.server.workers()


@pytest.fixture
def served(seeded_app, tmp_path) -> Iterator[Served]:
    """gunicorn as `make serve` runs it (gunicorn.conf.py), with two workers over the sample vendors."""
    index = tmp_path / "index"
    with seeded_app.app_context():
        indexing.catch_up(db.engine, str(index), 10.0)  # built before the workers start, as `make serve` does
        published = select(Vendor.slug).where(Vendor.status == "published").order_by(Vendor.id).limit(4)
        slugs = list(db.session.scalars(published))
    settings = {
        "DATABASE_URL": seeded_app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": str(index),
        "SECRET_KEY": "fault-test-secret-key-0123456789",
    }
    with gunicorn(settings, tmp_path / "gunicorn.log", workers=2) as server:
        yield Served(server.base, server, server.log, slugs)


def test_a_worker_killed_mid_load_fails_only_its_request_in_flight_and_is_replaced(served):
    paths = ["/vendors", "/vendors?q=billing", *(f"/vendors/{slug}" for slug in served.slugs)]
    urls = [served.base + path for path in paths]
    answers: list[Answer] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=keep_requesting, args=(urls[i:] + urls[:i], stop, answers), daemon=True)
        for i in range(LOAD_THREADS)
    ]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(answers) >= 30, 15, "the load never got going")
        booted = served.workers()
        victim = min(booted)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(lambda: len(served.workers() - booted) == 1, 15, "the killed worker was not replaced")
        replaced_at = time.monotonic()
        # Long enough for the new worker to boot and take its share of the load.
        wait_for(lambda: time.monotonic() - replaced_at > 2 and len(answers) > 100, 20, "the load stalled")
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)

    failed = [answer for answer in answers if answer.status is None]
    in_flight_at_kill = [answer for answer in answers if answer.started < killed_at < answer.ended]
    statuses = Counter(answer.status for answer in answers)
    assert set(statuses) <= {200, None}, statuses  # no error page: a request was answered well or not at all
    # A sync worker holds one request at a time, so at most one was in flight in it when it died.
    assert len(failed) <= 1, [answer.error for answer in failed]
    assert all(any(answer is busy for busy in in_flight_at_kill) for answer in failed)
    after_the_kill = [answer for answer in answers if answer.started >= killed_at]
    assert len(after_the_kill) >= 20 and all(answer.status == 200 for answer in after_the_kill)
    workers = served.workers()
    [replacement] = workers - booted
    assert workers == booted - {victim} | {replacement}
    log = served.log.read_text()
    assert f"Worker (pid:{victim}) was sent SIGKILL!" in log
    assert f"Booting worker with pid: {replacement}" in log


# ---------- the index folder deleted, unreadable or locked ----------

QUERIES = ("billing", "chat", "support", "voice -chat", "spanish")
WHOOSH_WRITE_LOCK = "MAIN_WRITELOCK"  # Whoosh's own lock file in a generation (its index is named MAIN)


def index_root(app) -> str:
    return app.config["SEARCH_INDEX_DIR"]


def three_vendors() -> list[Vendor]:
    return add_vendors(
        vendor_record(name="Ledger Billing Co", description="Medical billing and coding for clinics."),
        vendor_record(
            name="Parlour Chat",
            description="Spanish chat support around the clock.",
            channels=["chat"],
            languages=["en", "es"],
        ),
        vendor_record(name="Harbour Voice", description="Inbound voice support for retailers."),
    )


def slugs_found(client, q: str) -> list[str]:
    response = client.get("/api/v1/vendors", query_string={"q": q})
    assert response.status_code == 200, (q, response.status_code)
    return sorted(item["slug"] for item in response.get_json()["items"])


def answers_to(client, queries=QUERIES) -> dict[str, list[str]]:
    return {q: slugs_found(client, q) for q in queries}


def pages_answer(client, vendor: Vendor) -> None:
    for path in ("/vendors?q=support", f"/vendors/{vendor.slug}", "/"):
        assert client.get(path).status_code == 200, path


def index_health(client) -> dict:
    response = client.get("/healthz")
    assert response.status_code == 200, "the index alone never makes the machine unhealthy"
    return response.get_json()["index"]


def stored_name(vendor_id: int) -> str:
    db.session.rollback()  # see what requests committed since
    return db.session.get(Vendor, vendor_id).name


def warnings_logged(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("vendors")]


def test_a_deleted_index_folder_is_answered_from_the_database_until_a_catch_up_builds_it(
    app, client, runner, monkeypatch
):
    billing, chat, _voice = three_vendors()
    expected = answers_to(client)
    monkeypatch.setattr(search, "IMPLICIT_MAX_WORK", 0)  # a directory too big to index during a request
    shutil.rmtree(index_root(app))
    assert index_health(client) == {"state": "missing"}

    update_vendor(chat.id, name="Quokka Chat")
    assert stored_name(chat.id) == "Quokka Chat"
    assert answers_to(client) == expected
    assert slugs_found(client, "quokka") == [chat.slug]
    assert not search.find("quokka").from_index
    pages_answer(client, billing)
    assert index_health(client) == {"state": "missing"}

    result = runner.invoke(args=["index", "catch-up"])
    assert result.exit_code == 0, result.output
    match = search.find("quokka")
    assert match.from_index and match.ids == [chat.id]
    assert index_health(client)["pending"] == 0


def test_a_deleted_index_folder_of_a_small_directory_is_built_again_by_the_next_search(app, client):
    three_vendors()
    expected = answers_to(client)
    shutil.rmtree(index_root(app))
    assert answers_to(client) == expected
    assert search.find("billing").from_index
    assert index_health(client)["state"] == "ok"


@dataclass
class Breakage:
    """A way to make the index folder (SEARCH_INDEX_DIR/vendors) unreadable, and to put it right."""

    damage: Callable[[Path], None]
    repair: Callable[[Path], None]


def _garble_tables_of_contents(folder: Path) -> None:
    for toc in (folder / "current").glob("*.toc"):
        toc.write_bytes(b"not an index")


def _put_a_file_in_its_place(folder: Path) -> None:
    shutil.rmtree(folder)
    folder.write_text("not an index folder")


def _deny_access(folder: Path) -> None:
    folder.chmod(0)
    try:
        os.listdir(folder)
    except PermissionError:
        return
    folder.chmod(0o755)
    pytest.skip(
        "this process reads a folder whatever its permission bits say (root); 'a file in its place' makes "
        "the same reads fail with an OSError from the filesystem, which is all a denied read is to the site"
    )


BREAKAGES = {
    # Repaired by the next catch-up, which builds anew a generation it cannot read.
    "garbage-in-its-files": Breakage(_garble_tables_of_contents, lambda folder: None),
    "a-file-in-its-place": Breakage(_put_a_file_in_its_place, lambda folder: folder.unlink()),
    "no-permission": Breakage(_deny_access, lambda folder: folder.chmod(0o755)),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_an_unreadable_index_is_answered_from_the_database_with_one_warning_a_minute(
    app, client, caplog, breakage
):
    billing, chat, _voice = three_vendors()
    expected = answers_to(client)
    folder = IndexFolder(index_root(app)).root
    BREAKAGES[breakage].damage(folder)
    try:
        replica.forget(index_root(app))  # as a worker started after the damage, with nothing open yet
        search.WARNINGS.warned_at.clear()
        caplog.clear()
        for _ in range(10):
            assert answers_to(client) == expected
            pages_answer(client, billing)
        assert index_health(client)["state"] == "unreadable"
        assert not search.find("billing").from_index
        [warning] = warnings_logged(caplog)
        assert "answering searches from the database" in warning.getMessage() and not warning.exc_info

        for key in search.WARNINGS.warned_at:
            search.WARNINGS.warned_at[key] -= 61  # as if a minute had passed with the fault still there
        caplog.clear()
        for _ in range(5):
            assert answers_to(client, ["billing"]) == {"billing": expected["billing"]}
        assert len(warnings_logged(caplog)) == 1

        update_vendor(chat.id, name="Quokka Chat")
        assert stored_name(chat.id) == "Quokka Chat"
        assert all(not record.exc_info for record in warnings_logged(caplog))
    finally:
        BREAKAGES[breakage].repair(folder)
    match = search.find("quokka")
    assert match.from_index and match.ids == [chat.id]
    health = index_health(client)
    assert health["state"] == "ok" and health["pending"] == 0


def test_an_index_damaged_while_open_is_answered_from_the_database_with_one_warning_a_minute(
    app, client, caplog
):
    """Garbage written over the segments of an index a worker has open shows only when they are read: the
    search that meets it, and every one after it, is answered from the database, and /healthz says so."""
    billing, chat, _voice = three_vendors()
    fresh = ["clinics", "spanish", "retailers"]  # words no search has asked for, so none is kept
    expected = answers_to(client, fresh)
    readcache.CACHE.clear()
    assert answers_to(client, ["inbound"]) == {"inbound": [_voice.slug]}  # the index is open
    current = IndexFolder(index_root(app)).root / "current"
    for segment in [*current.glob("*.trm"), *current.glob("*.pst")]:
        segment.write_bytes(os.urandom(4000))
    search.WARNINGS.warned_at.clear()
    caplog.clear()
    for _ in range(3):
        assert answers_to(client, fresh) == expected
        pages_answer(client, billing)
    assert index_health(client)["state"] == "unreadable"
    assert not search.find("coding").from_index
    [warning] = warnings_logged(caplog)
    assert "answering searches from the database" in warning.getMessage() and not warning.exc_info

    update_vendor(chat.id, name="Quokka Chat")  # the next catch-up builds a generation it can read
    match = search.find("quokka")
    assert match.from_index and match.ids == [chat.id]
    assert index_health(client)["state"] == "ok"


def test_a_failure_of_the_index_that_is_not_damage_is_logged_with_its_traceback(
    app, client, caplog, monkeypatch
):
    """A bug in the ranking sends searches to the database too, rather than failing them, but is shown whole:
    only damage reads as a one-line warning."""
    billing, _chat, _voice = three_vendors()
    assert answers_to(client, ["clinics"]) == {"clinics": [billing.slug]}  # the index is open

    def ranking_bug(_index, _parsed):
        raise RuntimeError("a bug in the ranking")

    monkeypatch.setattr(search.matching, "rank", ranking_bug)
    search.WARNINGS.warned_at.clear()
    caplog.clear()
    assert answers_to(client, ["coding"]) == {"coding": [billing.slug]}  # asked for no earlier: not kept
    [warning] = warnings_logged(caplog)
    assert "a bug in the ranking" in warning.getMessage() and warning.exc_info


_HOLD_LOCK = """
import fcntl, sys
handle = open(sys.argv[1], "a+")
fcntl.flock(handle, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


@contextmanager
def lock_held_by_another_process(lock_file: Path) -> Iterator[None]:
    """Another process holding the flock() on lock_file (as Whoosh takes it) until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(lock_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.close()
        holder.wait(15)
        holder.stdout.close()


def test_an_index_ahead_of_the_log_too_big_to_build_during_a_search_is_warned_of_once_a_minute(
    app, client, runner, caplog, monkeypatch
):
    """Every search tries to catch the index up first; one that must be built anew (it has applied changes
    this database's log does not hold: another database's, or this one's before a restore), in a directory
    too big to build it during a request, is left for the command line, and said so once a minute."""
    billing, _chat, _voice = three_vendors()
    expected = answers_to(client)
    monkeypatch.setattr(search, "IMPLICIT_MAX_WORK", 1)
    IndexFolder(index_root(app)).current().set_applied(10_000)
    replica.forget(index_root(app))
    search.WARNINGS.warned_at.clear()
    caplog.clear()
    for _ in range(5):
        assert answers_to(client) == expected
        pages_answer(client, billing)
    [warning] = warnings_logged(caplog)
    assert not warning.exc_info
    assert "applied more changes than the change log holds" in warning.getMessage()
    assert "run flask index catch-up, which builds it anew" in warning.getMessage()
    assert not search.find("billing").from_index

    status = runner.invoke(args=["index", "status"]).output
    assert "applied more changes than the change log holds" in status
    built = runner.invoke(args=["index", "catch-up"])
    assert built.exit_code == 0 and "Built the search index: 3 vendors" in built.output
    assert search.find("billing").from_index


def test_an_index_locked_by_another_whoosh_writer_is_passed_over_for_the_database_until_the_lock_is_freed(
    app, client, caplog, monkeypatch
):
    billing, chat, _voice = three_vendors()
    expected = answers_to(client)
    monkeypatch.setattr(search, "AFTER_COMMIT_WAIT", 0.2)
    monkeypatch.setattr(search, "BEFORE_SEARCH_WAIT", 0.1)
    monkeypatch.setattr(search, "BEHIND_VERDICT_SECONDS", 1.0)
    generation = IndexFolder(index_root(app)).current()
    with lock_held_by_another_process(generation.path / WHOOSH_WRITE_LOCK):
        started = time.monotonic()
        update_vendor(chat.id, name="Quokka Chat")
        assert time.monotonic() - started < 1.5, "the edit waited out Whoosh's lock"
        assert stored_name(chat.id) == "Quokka Chat"

        caplog.clear()
        started = time.monotonic()
        assert answers_to(client) == expected
        assert time.monotonic() - started < len(QUERIES), "searches waited out Whoosh's lock"
        assert slugs_found(client, "quokka") == [chat.slug], "the edit, found in the database"
        assert not search.find("quokka").from_index
        pages_answer(client, billing)
        health = index_health(client)
        assert health["state"] == "ok" and health["pending"] == 1
        behind = [
            record for record in warnings_logged(caplog) if "behind the change log" in record.getMessage()
        ]
        assert len(behind) == 1 and not behind[0].exc_info, "one warning a minute, no traceback"
    time.sleep(search.BEHIND_VERDICT_SECONDS)  # the last search's verdict, that the index is behind, stands
    match = search.find("quokka")
    assert match.from_index and match.ids == [chat.id]
    assert index_health(client)["pending"] == 0


# ---------- a full disk under the index ----------


class Tmpfs:
    """A 1 MB tmpfs mounted where the index goes; fill() writes a ballast file until the disk is full."""

    def __init__(self, where: Path):
        self.where = where
        self.ballast = where / "ballast"
        where.mkdir(parents=True)
        try:
            mounted = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True
            )
        except FileNotFoundError:
            pytest.skip("no mount command here; the failing-writes variant stands in for a full disk")
        if mounted.returncode != 0:
            reason = mounted.stderr.decode().strip().splitlines()[0]
            pytest.skip(f"cannot mount a tmpfs here ({reason}); the failing-writes variant stands in for it")

    def unmount(self) -> None:
        # Lazily: this process may still hold the index's files open.
        subprocess.run(["umount", "--lazy", str(self.where)], check=True)

    def fill(self) -> None:
        handle = os.open(self.ballast, os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(handle, bytes(4096))
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
        finally:
            os.close(handle)

    def free(self) -> None:
        self.ballast.unlink()


class _NoSpaceLeft(io.FileIO):
    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.name)


class FailingWrites:
    """Where no tmpfs can be mounted, the same fault one level up: files opened for writing under the index
    folder are created but take no bytes, their writes failing with ENOSPC when flushed, as on a full disk."""

    def __init__(self, where: Path):
        self.where = str(where)
        self.patch = pytest.MonkeyPatch()
        self.real_open = io.open

    def fill(self) -> None:
        self.patch.setattr(builtins, "open", self._open)
        self.patch.setattr(io, "open", self._open)  # what pathlib calls

    def free(self) -> None:
        self.patch.undo()

    def _open(self, file, mode="r", buffering=-1, encoding=None, errors=None, newline=None, **rest):
        writes = set(mode) & set("wax") and "+" not in mode
        if isinstance(file, int) or not writes or not os.fspath(file).startswith(self.where):
            return self.real_open(file, mode, buffering, encoding, errors, newline, **rest)
        buffered = io.BufferedWriter(_NoSpaceLeft(file, mode.replace("b", "").replace("t", "")))
        return buffered if "b" in mode else io.TextIOWrapper(buffered, encoding or "utf-8", errors, newline)


@pytest.fixture(params=["tmpfs", "failing-writes"])
def full_disk(request, app):
    where = Path(index_root(app))
    if request.param == "failing-writes":
        disk = FailingWrites(where)
        yield disk
        disk.free()
    else:
        disk = Tmpfs(where)
        yield disk
        disk.unmount()


@contextmanager
def garbage_collector_paused() -> Iterator[None]:
    """A lock held only by an object no one refers to any more is then seen held, not freed by chance."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def locks_are_free(root: str) -> bool:
    """Whether a catch-up could start now: the folder's writer lock and Whoosh's own lock are both free."""
    folder = IndexFolder(root)
    whoosh_lock = folder.current().open().lock("WRITELOCK")
    try:
        with folder.writer_lock(0):
            if not whoosh_lock.acquire():
                return False
            whoosh_lock.release()
    except IndexBusy:
        return False
    return True


def test_a_full_disk_under_the_index_keeps_edits_and_leaves_no_lock_behind(app, client, full_disk, caplog):
    billing, chat, voice = three_vendors()
    root = index_root(app)
    full_disk.fill()
    with garbage_collector_paused():
        update_vendor(voice.id, status="archived")  # a removal: only Whoosh's writer writes
        assert locks_are_free(root)
        update_vendor(chat.id, name="Quokka Chat")  # an edit: the index's word list is written first
        assert locks_are_free(root)
    assert "No space left on device" in caplog.text
    assert stored_name(chat.id) == "Quokka Chat"

    assert slugs_found(client, "quokka") == [chat.slug]
    assert slugs_found(client, "voice") == [billing.slug]  # the archived vendor is gone; billing takes calls
    pages_answer(client, billing)
    health = index_health(client)
    assert health["state"] == "ok" and health["pending"] == 2

    full_disk.free()
    started = time.monotonic()
    result = indexing.catch_up(db.engine, root, 1.0)
    assert time.monotonic() - started < 2 and result.indexed == 1 and result.removed == 1
    match = search.find("quokka")
    assert match.from_index and match.ids == [chat.id]
    assert search.find("harbour").ids == []
    assert index_health(client)["pending"] == 0


# ---------- oversized and malformed form bodies ----------

MEGABYTE = 1 << 20
BOUNDARY = "fault-test-boundary"
URLENCODED = "application/x-www-form-urlencoded"
EDITOR = "forms-editor@example.com"
SHARE_INPUTS = {"headcount": "20", "salary": "40000", "oversight_pct": "12", "buyer_country": "US"}
BUYER = {
    "name": "Ana Reyes",
    "company": "Northwind Retail",
    "email": "ana@northwind.example",
    "headcount": "25",
    "timeline": "half-year",
    "message": "Bilingual chat support, around the clock.",
    "website": "",
}


def filled_in(endpoint: str, slugs: list[str]) -> dict:
    """Each form complete, as a visitor sends it about the vendors named: refused for its body alone."""
    return {
        "submissions.submit": submission_data(),
        "inquiries.inquiry": {"offered": slugs, "vendors": slugs, **BUYER},
        "accounts.login": {"email": EDITOR, "password": PASSWORD},
        "shortlists.save_note": {"note": "Ask about weekend cover."},
        "shortlists.share": {"vendor": slugs, **SHARE_INPUTS},
    }.get(endpoint, {"vendor": slugs[0]})


def urlencoded(fields: dict) -> bytes:
    return urlencode(fields, doseq=True).encode()


def multipart(fields: dict, files: dict[str, bytes] | None = None) -> bytes:
    parts = []
    for name, values in fields.items():
        for value in values if isinstance(values, list) else [values]:
            parts.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode())
    for name, content in (files or {}).items():
        header = f'Content-Disposition: form-data; name="{name}"; filename="{name}.bin"\r\n'
        parts.append(header.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + content)
    separator = f"--{BOUNDARY}\r\n".encode()
    return b"".join(separator + part + b"\r\n" for part in parts) + f"--{BOUNDARY}--\r\n".encode()


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
# name -> (body and content type from the complete form, the status it must get)
BODIES: dict[str, tuple[Callable[[dict], tuple[bytes, str]], int]] = {
    "1-MB-urlencoded": (lambda form: (urlencoded({**form, "padding": "x" * MEGABYTE}), URLENCODED), 413),
    "1-MB-multipart-field": (lambda form: (multipart({**form, "padding": "x" * MEGABYTE}), MULTIPART), 413),
    "1-MB-multipart-file": (lambda form: (multipart(form, {"upload": bytes(MEGABYTE)}), MULTIPART), 413),
    "json": (lambda form: (json.dumps(form).encode(), "application/json"), 400),
    "plain-text": (lambda form: (urlencoded(form), "text/plain"), 400),
    "broken-percent-escape": (lambda form: (b"note=100%&" + urlencoded(form), URLENCODED), 400),
    "escaped-bytes-not-utf-8": (lambda form: (b"name=Harbour%FF&" + urlencoded(form), URLENCODED), 400),
    "raw-bytes-not-utf-8": (lambda form: (b"name=Harbour\xff&" + urlencoded(form), URLENCODED), 400),
    "truncated-multipart": (lambda form: (multipart(form)[: -len(BOUNDARY) - 12], MULTIPART), 400),
    "multipart-without-boundary": (lambda form: (multipart(form), "multipart/form-data"), 400),
    "multipart-boundary-not-ascii": (
        lambda form: (multipart(form), "multipart/form-data; boundary*=utf-8''%E2%82%AC"),
        400,
    ),
    "multipart-bytes-not-utf-8": (
        lambda form: (multipart({**form, "name": "NAME"}).replace(b"NAME", b"Harbour\xff\xfe"), MULTIPART),
        400,
    ),
    "json-with-a-lone-surrogate": (
        lambda form: (json.dumps({**form, "name": "\ud800"}).encode(), "application/json"),
        400,
    ),
    "no-content-type": (lambda form: (urlencoded(form), ""), 400),
}


@dataclass
class Visitor:
    slugs: list[str]  # the vendors on their shortlist
    token: str
    posts: dict[str, str]  # path (with the visitor's own ids) -> endpoint


def public_posts(app, ids: dict[str, int]) -> dict[str, str]:
    """Every POST route a visitor can use without signing in, found in the URL map."""
    posts = {}
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            role = getattr(app.view_functions[rule.endpoint], "required_role", None)
            if "POST" in rule.methods and (not rule.rule.startswith(ADMIN_PREFIX) or role == PUBLIC):
                path = url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
                posts[path] = rule.endpoint
    return posts


@pytest.fixture
def visitor(app, client) -> Visitor:
    """Two vendors on the shortlist and a comparison shared, so every public POST has something to act on."""
    slugs = [vendor.slug for vendor in add_vendors(vendor_record(), vendor_record())]
    add_user(EDITOR)
    for slug in slugs:
        assert post_form(client, "/shortlist/add", {"vendor": slug}, token_from="/submit").status_code == 303
    shared = post_form(client, "/shortlist/share", filled_in("shortlists.share", slugs), token_from="/submit")
    assert shared.status_code == 303
    ids = {
        "entry_id": db.session.scalar(select(ShortlistEntry.id)),
        "share_id": db.session.scalar(select(SharedComparison.id)),
    }
    posts = public_posts(app, ids)
    assert {"/submit", "/inquiry", "/admin/login", "/shortlist/add"} <= set(posts)
    return Visitor(slugs, csrf_token(client, "/submit"), posts)


def row_counts() -> dict[str, int]:
    db.session.rollback()  # see what requests committed since
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def assert_error_page(response) -> None:
    body = html.unescape(response.get_data(as_text=True))
    assert response.mimetype == "text/html"
    assert 'class="site-header"' in body and 'class="error-page"' in body
    assert "Traceback" not in body


# The CSRF token in the form, and in the header Flask-WTF also reads it from: with it there, Flask-WTF's forms
# would read a JSON body as their fields.
TOKEN_PLACES = ["in the form", "in the header too"]


@pytest.mark.parametrize("token_place", TOKEN_PLACES)
def test_every_public_post_refuses_a_big_or_malformed_body_in_the_layout_and_writes_nothing(
    client, visitor, token_place
):
    headers = {"X-CSRFToken": visitor.token} if token_place == "in the header too" else {}
    before = row_counts()
    for body, (make, status) in BODIES.items():
        for path, endpoint in visitor.posts.items():
            data, content_type = make({"csrf_token": visitor.token, **filled_in(endpoint, visitor.slugs)})
            response = client.post(path, data=data, content_type=content_type, headers=headers)
            assert response.status_code == status, (body, path, response.status_code)
            assert_error_page(response)
    assert row_counts() == before


def test_a_body_just_over_the_form_limit_is_refused_everywhere_but_the_csv_import(client, visitor):
    over_the_limit = {"csrf_token": visitor.token, "padding": "x" * FORM_MAX_BYTES}
    for path in visitor.posts:
        refused = client.post(path, data=over_the_limit)
        assert refused.status_code == 413, path
        assert_error_page(refused)
    # The import page takes it (its limit is MAX_CONTENT_LENGTH), then sends this visitor to sign in first.
    assert client.post("/admin/import", data=over_the_limit).status_code == 302


def posted_in_chunks(client, path: str, body: bytes, content_type: str):
    """A POST with no Content-Length (Transfer-Encoding: chunked, which gunicorn passes on): its size is met
    while reading, not announced beforehand."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        content_type=content_type,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_body_sent_in_chunks_past_the_form_limit_is_refused_not_read_cut_short(client, visitor):
    before = row_counts()
    for path, endpoint in visitor.posts.items():
        form = {"csrf_token": visitor.token, **filled_in(endpoint, visitor.slugs)}
        for body, content_type in (
            (urlencoded({**form, "padding": "x" * MEGABYTE}), URLENCODED),
            (multipart(form, {"upload": bytes(MEGABYTE)}), MULTIPART),
        ):
            response = posted_in_chunks(client, path, body, content_type)
            assert response.status_code == 413, (path, content_type, response.status_code)
            assert_error_page(response)
    assert row_counts() == before
    small = urlencoded({"csrf_token": visitor.token, **filled_in("shortlists.remove", visitor.slugs[:1])})
    taken = posted_in_chunks(client, "/shortlist/remove", small, URLENCODED)
    assert taken.status_code == 303, "a chunked form under the limit is read as any other"


@pytest.mark.parametrize("token_place", TOKEN_PLACES)
def test_every_admin_post_refuses_a_big_or_malformed_body_in_the_layout_and_writes_nothing(
    app, client, visitor, token_place
):
    # `visitor` made vendor 1 and other rows, so a POST that got through (a delete, say) would show below.
    add_user("body-admin@example.com", role="admin")
    login(client, "body-admin@example.com")
    token = csrf_token(client, "/admin")
    with app.test_request_context():
        posts = [
            url_for(rule.endpoint, **{name: "x" if name == "token" else 1 for name in rule.arguments})
            for rule in app.url_map.iter_rules()
            if "POST" in rule.methods
            and rule.rule.startswith(ADMIN_PREFIX)
            and rule.endpoint not in LARGE_UPLOADS
        ]
    assert len(posts) >= 10, posts
    before = row_counts()
    for body, (make, status) in BODIES.items():
        for path in posts:
            data, content_type = make({"csrf_token": token})
            headers = {"X-CSRFToken": token} if token_place == "in the header too" else {}
            response = client.post(path, data=data, content_type=content_type, headers=headers)
            assert response.status_code == status, (body, path, response.status_code)
            assert_error_page(response)
    assert row_counts() == before
