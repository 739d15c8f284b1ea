"""The site under gunicorn with gunicorn.conf.py (what `make serve` runs), and trusting a proxy only when
told to."""

import json
import logging
import os
import re
import runpy
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import flask
import pytest

from tests.conftest import make_app
from tests.served import ROOT, gunicorn, wait_until_rendered_ahead


def served_settings(tmp_path: Path) -> dict:
    """A scratch SQLite database, migrated, and its index folder."""
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "SECRET_KEY": "served-test-secret-key-0123456789",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    environment = {**os.environ, "FLASK_ENV": "", **settings}
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=environment, check=True, capture_output=True)
    return settings


def test_gunicorn_serves_the_site_with_the_config_file_and_logs_json_lines(tmp_path):
    with gunicorn(served_settings(tmp_path), tmp_path / "gunicorn.log", workers=1) as server:
        with urlopen(f"{server.base}/healthz", timeout=5) as response:
            assert response.status == 200
            request_id = response.headers["X-Request-ID"]
        # Without PROXY_FIX_HOPS no one is believed about the scheme, a client on this machine included.
        claimed = Request(f"{server.base}/healthz", headers={"X-Forwarded-Proto": "https"})
        with urlopen(claimed, timeout=5) as response:
            assert "Strict-Transport-Security" not in response.headers
        moved = Request(f"{server.base}/estimate", headers={"SCRIPT_NAME": "/elsewhere"})
        with urlopen(moved, timeout=5) as response:
            assert 'href="/elsewhere' not in response.read().decode()
        # A long search with many filters (over gunicorn's default 4,094-byte request line) reaches the site.
        long_query = "/api/v1/vendors?q=" + "%C3%A9" * 200 + "&language=en" * 500
        assert 7_000 < len(long_query) < 8_000
        with urlopen(f"{server.base}{long_query}", timeout=5) as response:
            assert response.status == 200 and "Content-Security-Policy" in response.headers
        # Past gunicorn's limits it refuses the request itself, as the README says.
        too_long = Request(f"{server.base}/api/v1/vendors?q={'x' * 8200}")
        too_large = Request(f"{server.base}/api/v1/vendors", headers={"X-Filler": "x" * 8200})
        for asked, status in ((too_long, 414), (too_large, 431)):
            with pytest.raises(HTTPError) as refused:
                urlopen(asked, timeout=5)
            refused.value.close()
            assert refused.value.code == status
    lines = [
        json.loads(line.split(" vendors.requests ", 1)[1])
        for line in server.log.read_text().splitlines()
        if "vendors.requests" in line
    ]
    assert {"request_id": request_id, "method": "GET", "path": "/healthz", "status": 200} in [
        {key: line[key] for key in ("request_id", "method", "path", "status")} for line in lines
    ]


def test_the_workers_share_one_page_cache_in_a_folder_removed_when_gunicorn_stops(tmp_path):
    settings = {**served_settings(tmp_path), "LOG_LEVEL": "info"}
    with gunicorn(settings, tmp_path / "gunicorn.log", workers=2) as server:
        [folder] = _page_cache_folders(server)
        assert folder.is_dir()
        address = "/estimate?salary=41000"
        first = _asked(server, address)
        # A request whose headers are still coming holds the worker that took it (a sync worker reads each
        # request whole), so the next is answered by the other one; then the held request is finished.
        port = int(server.base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as held:
            held.sendall(f"GET {address} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())
            time.sleep(0.2)  # taken by a worker
            second = _asked(server, address)
            held.sendall(b"Connection: close\r\n\r\n")
            answer = held.makefile("rb").read().decode("latin-1")
        request_id = re.search(r"X-Request-ID: (\S+)", answer, re.IGNORECASE).group(1)
        third = (_answered_by(server, request_id), re.search(r"X-Cache: (\w+)", answer).group(1))
        assert second[0] != third[0], "one worker answered every request"
        assert [first[1], second[1], third[1]] == ["miss", "hit", "hit"]
    assert not folder.exists()


def test_a_reload_gives_the_workers_a_fresh_folder_and_stopping_removes_every_one(tmp_path):
    settings = {**served_settings(tmp_path), "LOG_LEVEL": "info"}
    with gunicorn(settings, tmp_path / "gunicorn.log", workers=1) as server:
        server.process.send_signal(signal.SIGHUP)  # new code or settings: the old answers must not be served
        deadline = time.monotonic() + 20
        while len(folders := _page_cache_folders(server)) < 2:
            assert time.monotonic() < deadline, "gunicorn did not reload"
            time.sleep(0.1)
        assert folders[0] != folders[1] and all(folder.is_dir() for folder in folders)
    assert not any(folder.exists() for folder in folders)


def test_the_server_renders_vendor_pages_ahead_beside_its_workers_until_it_stops(tmp_path):
    settings = {**served_settings(tmp_path), "LOG_LEVEL": "info"}
    flask_command = [sys.executable, "-m", "flask", "--app", "wsgi", "seed"]
    subprocess.run(flask_command, cwd=ROOT, env={**os.environ, **settings}, check=True, capture_output=True)
    with gunicorn(settings, tmp_path / "gunicorn.log", workers=1) as server:
        [renderer] = server.page_renderers()
        assert len(server.workers()) == 1
        rendered = wait_until_rendered_ahead(server, RENDERING_AHEAD_SECONDS)
        assert rendered["rendered"] == rendered["published"] > 20
        assert _niceness(renderer) == 10, "it renders at a low priority, the workers first"
        slug = _a_published_slug(tmp_path / "served.sqlite3")
        with urlopen(Request(f"{server.base}/vendors/{slug}", headers={"Accept-Encoding": "gzip"})) as page:
            assert page.headers["X-Cache"] == "made"
        server.process.send_signal(signal.SIGHUP)  # a fresh folder: rendered ahead again by a new process
        deadline = time.monotonic() + 20
        while server.page_renderers() in (set(), {renderer}):
            assert time.monotonic() < deadline, "no new process rendering ahead after a reload"
            time.sleep(0.1)
        assert not _alive(renderer)
        [renderer] = server.page_renderers()
    deadline = time.monotonic() + 10
    while _alive(renderer):
        assert time.monotonic() < deadline, "the process rendering ahead outlived the server"
        time.sleep(0.1)


@pytest.mark.parametrize(
    "told", [{"RENDER_AHEAD": "0"}, {"PAGE_CACHE_MEGABYTES": "0"}], ids=["off", "no cache"]
)
def test_the_server_renders_nothing_ahead_when_told_not_to(tmp_path, told):
    settings = {**served_settings(tmp_path), **told}
    with gunicorn(settings, tmp_path / "gunicorn.log", workers=1) as server:
        assert server.page_renderers() == set()
        with urlopen(f"{server.base}/healthz", timeout=5) as health:
            assert json.load(health)["vendor_pages_rendered_ahead"] is None


RENDERING_AHEAD_SECONDS = 60


def _a_published_slug(database: Path) -> str:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT slug FROM vendors WHERE status = 'published' LIMIT 1").fetchone()[0]


def _niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _page_cache_folders(server) -> list[Path]:
    return [Path(folder) for folder in re.findall(r"page cache in (\S+)", server.log.read_text())]


def _asked(server, address: str) -> tuple[int, str]:
    """The worker that answered a GET of address, and whether the page cache had the answer."""
    with urlopen(server.base + address, timeout=5) as response:
        return _answered_by(server, response.headers["X-Request-ID"]), response.headers["X-Cache"]


def _answered_by(server, request_id: str) -> int:
    """The process id of the worker whose request log line has request_id."""
    for _ in range(50):
        for line in server.log.read_text().splitlines():
            if request_id in line and "vendors.requests" in line:
                return json.loads(line.split(" vendors.requests ", 1)[1])["pid"]
        time.sleep(0.02)
    raise AssertionError(f"no request log line for {request_id}")


def test_a_proxys_headers_are_trusted_only_when_configured(tmp_path, caplog):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    for hops, trusted in ((0, False), (1, True)):
        caplog.clear()
        app = make_app(
            f"sqlite:///{tmp_path / f'proxy{hops}.sqlite3'}", tmp_path / "index", PROXY_FIX_HOPS=hops
        )
        with app.app_context():
            from vendors.extensions import db

            db.create_all()
        # The address per-address limits count under.
        app.add_url_rule("/client-address", "client_address", lambda: flask.request.remote_addr)
        # From a public address the header is a visitor's own proxy, or anyone's: not taken for one in front.
        app.test_client().get("/healthz", headers=forwarded, environ_base={"REMOTE_ADDR": "8.8.4.4"})
        response = app.test_client().get("/healthz", headers=forwarded)
        assert ("Strict-Transport-Security" in response.headers) is trusted, hops
        client_address = app.test_client().get("/client-address", headers=forwarded).get_data(as_text=True)
        assert client_address == ("203.0.113.9" if trusted else "127.0.0.1"), hops
        # Untrusted, the header from this machine says a proxy may stand in front unconfigured: said once, not
        # per request.
        unconfigured = [record for record in caplog.records if "PROXY_FIX_HOPS is 0" in record.getMessage()]
        assert [record.args for record in unconfigured] == ([] if trusted else [("127.0.0.1",)]), hops


def test_workers_are_replaced_rarely_and_never_together(monkeypatch):
    for name in ("MAX_REQUESTS", "BIND", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (100_000, 10_000)
    # The defaults the README's Deploying section names.
    assert (settings["bind"], settings["workers"], settings["timeout"]) == ("127.0.0.1:8000", 2, 30)
    monkeypatch.setenv("MAX_REQUESTS", "0")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["max_requests"] == 0


def test_gunicorns_access_log_is_written_when_asked_for_and_only_then(tmp_path):
    settings = served_settings(tmp_path)
    for asked in (False, True):
        log = tmp_path / f"gunicorn-access-{asked}.log"
        also = {"GUNICORN_CMD_ARGS": "--access-logfile -"} if asked else {}
        with gunicorn({**settings, **also}, log, workers=1) as server:
            urlopen(f"{server.base}/healthz?probe", timeout=5).close()
        assert ('"GET /healthz?probe HTTP/1.1" 200' in log.read_text()) == asked


def test_no_access_log_line_is_assembled_unless_a_handler_will_write_it():
    logger_class = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["logger_class"]
    logger = logger_class.__new__(
        logger_class
    )  # without setup(), which would configure this process's logging
    logger.cfg, logger._access_log_enabled = SimpleNamespace(access_log_format="%(h)s"), True
    logger.access_log = logging.getLogger("tests.access-log-under-test")
    logger.access_log.propagate = False
    assembled = []
    logger.atoms = lambda *request: assembled.append(request) or {"h": "127.0.0.1"}
    logger.access(None, None, {}, None)
    assert assembled == []
    handler = logging.NullHandler()
    logger.access_log.addHandler(handler)
    try:
        logger.access(None, None, {}, None)
    finally:
        logger.access_log.removeHandler(handler)
    assert len(assembled) == 1


def test_make_serve_installs_the_site_without_the_development_tools(tmp_path):
    venv = tmp_path / "venv"
    planned = subprocess.run(
        ["make", "--no-print-directory", "--dry-run", "--always-make", "serve", f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    installs = [line for line in planned if " install " in line and "--upgrade pip" not in line]
    assert installs == [f"{venv}/bin/pip install --quiet -e ."]
    assert planned[-1] == f"{venv}/bin/gunicorn --config gunicorn.conf.py wsgi:app"
    flask = f"{venv}/bin/flask --app wsgi"
    assert [line for line in planned if line.startswith(flask)] == [
        f"{flask} db upgrade",
        f"{flask} index catch-up",
    ]


def make_plan(*arguments: str) -> list[str]:
    """The commands make would run, without running them."""
    done = subprocess.run(
        ["make", "--no-print-directory", "--dry-run", *arguments], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.splitlines()


def test_make_run_serves_where_host_port_and_workers_say(tmp_path):
    venv = tmp_path / "venv"
    serving = f"{venv}/bin/gunicorn --config gunicorn.conf.py wsgi:app"
    assert make_plan("--always-make", "run", f"VENV={venv}")[-1] == (
        f"BIND=127.0.0.1:5000 WEB_CONCURRENCY=2 {serving}"
    )
    chosen = make_plan("--always-make", "run", f"VENV={venv}", "HOST=0.0.0.0", "PORT=8080", "WORKERS=4")
    assert chosen[-1] == f"BIND=0.0.0.0:8080 WEB_CONCURRENCY=4 {serving}"


def test_make_installs_again_only_when_pyproject_changed(tmp_path):
    venv = tmp_path / "venv"
    venv.mkdir()
    stamp = venv / ".installed"
    stamp.touch()
    assert not [line for line in make_plan("install", f"VENV={venv}") if "pip install" in line]
    older = (ROOT / "pyproject.toml").stat().st_mtime - 60
    os.utime(stamp, (older, older))
    assert f"{venv}/bin/pip install --quiet -e '.[dev]'" in make_plan("install", f"VENV={venv}")


def test_a_server_that_cannot_listen_leaves_no_page_cache_folder_behind(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    environment = {
        **os.environ,
        **served_settings(tmp_path),
        "BIND": f"127.0.0.1:{taken.getsockname()[1]}",
        "TMPDIR": str(scratch),  # where the folder would be made
    }
    with taken:
        failed = subprocess.run(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert failed.returncode != 0 and "Address already in use" in failed.stdout + failed.stderr
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(("storage", "workers", "warned"), [("memory://", 2, True), ("memory://", 1, False)])
def test_several_workers_counting_limits_apart_are_warned_of_at_start(tmp_path, storage, workers, warned):
    settings = {**served_settings(tmp_path), "RATELIMIT_STORAGE_URI": storage}
    with gunicorn(settings, tmp_path / "gunicorn.log", workers=workers):
        pass
    said = (tmp_path / "gunicorn.log").read_text()
    assert ("are counted by each of the 2 workers apart" in said) is warned


def test_workers_counting_limits_in_redis_are_not_warned_of(tmp_path, redis_server):
    settings = {**served_settings(tmp_path), "RATELIMIT_STORAGE_URI": redis_server}
    with gunicorn(settings, tmp_path / "gunicorn.log", workers=2):
        pass
    assert "counted by each of" not in (tmp_path / "gunicorn.log").read_text()
