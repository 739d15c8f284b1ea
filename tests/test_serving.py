"""The site under gunicorn with gunicorn.conf.py (what `make serve` runs), and trusting a proxy only when
told to."""

import json
import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_serves_the_site_with_the_config_file_and_logs_json_lines(tmp_path):
    port = free_port()
    environment = {
        **os.environ,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "SECRET_KEY": "served-test-secret-key-0123456789",
        "FLASK_ENV": "",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=environment, check=True, capture_output=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    request_id = response.headers["X-Request-ID"]
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    lines = [
        json.loads(line.split(" vendors.requests ", 1)[1])
        for line in output.splitlines()
        if "vendors.requests" in line
    ]
    assert {"request_id": request_id, "method": "GET", "path": "/healthz", "status": 200} in [
        {key: line[key] for key in ("request_id", "method", "path", "status")} for line in lines
    ]


def test_a_proxys_headers_are_trusted_only_when_configured(tmp_path):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    for hops, trusted in ((0, False), (1, True)):
        app = make_app(
            f"sqlite:///{tmp_path / f'proxy{hops}.sqlite3'}", tmp_path / "index", PROXY_FIX_HOPS=hops
        )
        with app.app_context():
            from vendors.extensions import db

            db.create_all()
        response = app.test_client().get("/healthz", headers=forwarded)
        assert ("Strict-Transport-Security" in response.headers) is trusted, hops


def test_workers_are_replaced_rarely_and_never_together(monkeypatch):
    monkeypatch.delenv("MAX_REQUESTS", raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (100_000, 10_000)
    monkeypatch.setenv("MAX_REQUESTS", "0")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["max_requests"] == 0
