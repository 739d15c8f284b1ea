"""The site served as `make serve` serves it (gunicorn with gunicorn.conf.py) on a free loopback port, for the
tests and bench scripts that need real HTTP: started, waited for, and stopped in one place; and an app of the
test's own served in its process (in_process), for tests that drive it from a browser or a script."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
STOP_SECONDS = 15


@dataclass(frozen=True)
class Server:
    base: str  # http://127.0.0.1:port
    process: subprocess.Popen
    log: Path  # gunicorn's and the app's output

    @property
    def master(self) -> int:
        return self.process.pid

    def workers(self) -> set[int]:
        """The live children of gunicorn's master process but the one rendering pages ahead: its workers."""
        return self._children() - self.page_renderers()

    def page_renderers(self) -> set[int]:
        """The live child rendering vendor pages ahead (gunicorn.conf.py), if any."""
        return {child for child in self._children() if RENDERER_COMMAND in _command_line(child)}

    def _children(self) -> set[int]:
        children = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
            except OSError:
                continue  # the process ended while the list was read
            if int(parent) == self.master and state != "Z":
                children.add(int(stat.parent.name))
        return children


RENDERER_COMMAND = b"render-ahead"


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_environment(port: int, workers: int, settings: dict) -> dict:
    """The environment gunicorn and the app run in: the caller's settings over this process's environment,
    answering the loopback address whatever hosts the developer's own environment names."""
    return {
        **os.environ,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "FLASK_ENV": "",
        "CANONICAL_HOST": "",
        "TRUSTED_HOSTS": "",
        **settings,
    }


@contextmanager
def gunicorn(
    settings: dict,
    log: Path,
    *,
    workers: int = 2,
    application: str = "wsgi:app",
    ready_path: str = "/healthz",
    start_seconds: float = 30,
) -> Iterator[Server]:
    """gunicorn serving application with settings (DATABASE_URL, SEARCH_INDEX_DIR, SECRET_KEY, ...), once
    every worker is up and ready_path answers 200; stopped quickly afterwards. RuntimeError, with the log,
    when it does not start."""
    port = free_port()
    with open(log, "w") as output:  # a file, not a pipe: a full pipe would stall the workers' logging
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"), application],
            cwd=ROOT,
            env=site_environment(port, workers, settings),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_ready(server, workers, ready_path, start_seconds)
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # quick shutdown, without waiting out graceful_timeout
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_SECONDS)


def wait_until_rendered_ahead(server: Server, seconds: float) -> dict:
    """Once /healthz says the server has rendered every published vendor's page ahead (gunicorn.conf.py):
    its count. RuntimeError, with the log, when it has not within seconds."""
    deadline = time.monotonic() + seconds
    while True:
        with urlopen(server.base + "/healthz", timeout=5) as answer:
            rendered = json.load(answer)["vendor_pages_rendered_ahead"]
        if rendered and rendered["rendered"] == rendered["published"]:
            return rendered
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"vendor pages not rendered ahead in {seconds} s ({rendered}):\n{server.log.read_text()}"
            )
        time.sleep(0.5)


def _wait_until_ready(server: Server, workers: int, ready_path: str, start_seconds: float) -> None:
    deadline = time.monotonic() + start_seconds
    while not (len(server.workers()) == workers and _answers(server.base + ready_path)):
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start:\n{server.log.read_text()}")
        time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        with urlopen(url, timeout=2) as response:  # nosec B310: a loopback http:// address made above
            return response.status == 200
    except OSError:  # refused while starting, or an error status (HTTPError)
        return False


@contextmanager
def in_process(app) -> Iterator[str]:
    """The app served over HTTP on a free loopback port by a threaded WSGI server in this process (so the test
    can reach its database and settings directly); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
