"""Login attempts are counted in Redis, so the login limit holds across gunicorn's worker processes.

With memory:// storage every worker process keeps its own counts, and a client whose guesses are spread over
three workers gets up to three times the limit. This module serves the app the way it is deployed (gunicorn,
three sync workers) with RATELIMIT_STORAGE_URI pointing at Redis, sends wrong passwords for one account from
several clients at once (each with its own session and CSRF token), and checks that exactly
LOGIN_LIMIT_PER_ACCOUNT of them are answered 401 and the rest 429. The access log records the pid of the
worker that served each request, which shows that the attempts really were spread over several workers.

Each attempt is counted before its password is checked, so attempts sent at the same moment near the limit
cannot all get through: the last test sends more at once than the limit has left.

Limits apply per account and per client address. Every test uses random account emails, so its per-account
counts never meet another run's in Redis; every request comes from 127.0.0.1, so the per-address limit is set
high enough never to be reached by this module.

Redis is looked for at 127.0.0.1:6379; without it the module is skipped with the reason shown, except under
CI (CI=true), where a missing server is a failure.
"""

import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import make_app
from tests.factories import add_user
from vendors.accounts.views import WRONG_CREDENTIALS
from vendors.errors import TOO_MANY
from vendors.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
WORKERS = 3
LIMIT = 4
WINDOW_SECONDS = 15 * 60
WRONG_PASSWORD = "not the password at all 7"
STARTUP_SECONDS = 30


class Site:
    """The served app: its URL, its access log, and a way to add accounts to its database."""

    def __init__(self, url: str, app, access_log: Path):
        self.url, self.app, self.access_log = url, app, access_log

    def new_account(self) -> str:
        """An active editor with a random email; returns the email."""
        email = random_email()
        with self.app.app_context():
            add_user(email)
        return email

    def access_log_mark(self) -> int:
        return self.access_log.stat().st_size

    def served_since(self, mark: int, request_line: str, expected: int) -> list[tuple[int, int]]:
        """(worker pid, status) of each `request_line` request in the access log after `mark`.

        Gunicorn writes the line after sending the answer, so wait (briefly) until `expected` are there.
        """
        deadline = time.monotonic() + 5
        while True:
            with self.access_log.open("rb") as log:
                log.seek(mark)
                lines = log.read().decode().splitlines()
            # Each line is "<pid> status request line", in the format given to gunicorn below.
            served = [line.split(" ", 2) for line in lines if line.endswith(f" {request_line} HTTP/1.1")]
            if len(served) >= expected or time.monotonic() > deadline:
                return [(int(pid.strip("<>")), int(status)) for pid, status, _ in served]
            time.sleep(0.02)


def random_email() -> str:
    return f"limit-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture(scope="module")
def site(redis_server, tmp_path_factory):
    """The app served by gunicorn with WORKERS sync workers, counting login attempts in Redis."""
    directory = tmp_path_factory.mktemp("login-limit")
    database_url = f"sqlite:///{directory / 'site.sqlite3'}"
    app = make_app(database_url, directory / "index")
    with app.app_context():
        db.create_all()
    # FLASK_ENV=production would make the session cookie Secure, which is never sent over plain HTTP.
    env = {key: value for key, value in os.environ.items() if key not in {"FLASK_ENV", "GUNICORN_CMD_ARGS"}}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=uuid.uuid4().hex,
        SEARCH_INDEX_DIR=str(directory / "index"),
        RATELIMIT_STORAGE_URI=redis_server,
        LOGIN_LIMIT_PER_ACCOUNT=f"{LIMIT} per 15 minutes",
        LOGIN_LIMIT_PER_ADDRESS="100000 per 15 minutes",
    )
    access_log, error_log = directory / "access.log", directory / "error.log"
    (directory / "no-config.py").write_text("")
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "--bind=127.0.0.1:0",  # any free port; gunicorn logs the one it got
            f"--workers={WORKERS}",
            "--no-control-socket",  # the default socket in $HOME would be shared with any other gunicorn
            f"--config={directory / 'no-config.py'}",  # gunicorn's defaults, not gunicorn.conf.py
            f"--access-logfile={access_log}",
            "--access-logformat=%(p)s %(s)s %(r)s",
            f"--error-logfile={error_log}",
            "wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    try:
        site = Site(wait_until_serving(server, error_log), app, access_log)
        wait_until_every_worker_serves(site)
        yield site
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        with app.app_context():
            db.engine.dispose()


def wait_until_serving(server: subprocess.Popen, error_log: Path) -> str:
    """The base URL once the login page answers; fails with gunicorn's log if it does not start."""
    deadline = time.monotonic() + STARTUP_SECONDS
    url = None
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}:\n{error_log.read_text()}")
        if url is None and error_log.exists():
            match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", error_log.read_text())
            url = match and match.group(1)
        if url:
            try:
                with urllib.request.urlopen(f"{url}/admin/login", timeout=5) as response:
                    if response.status == 200:
                        return url
            except OSError:
                pass
        time.sleep(0.05)
    pytest.fail(f"gunicorn did not answer within {STARTUP_SECONDS} s:\n{error_log.read_text()}")


def wait_until_every_worker_serves(site: Site) -> None:
    """Each worker loads the app once it has started; until all have, attempts sent together would queue."""
    mark = site.access_log_mark()
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        together(lambda _: Visitor(site.url), range(WORKERS))
        if len({pid for pid, _ in site.served_since(mark, "GET /admin/login", 0)}) == WORKERS:
            return
    pytest.fail(f"not all {WORKERS} gunicorn workers answered within {STARTUP_SECONDS} s")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Answer:
    status: int
    headers: dict
    body: str


class Visitor:
    """One browser: its own cookie jar, so its own session and CSRF token."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects
        )
        page = self.request("GET", "/admin/login")
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.body)
        assert page.status == 200 and match, "no CSRF token on the login page"
        self.csrf_token = match.group(1)

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, dict(error.headers), error.read().decode())

    def log_in(self, email: str) -> Answer:
        form = {"email": email, "password": WRONG_PASSWORD, "csrf_token": self.csrf_token}
        return self.request("POST", "/admin/login", form)


def together(call, items) -> list:
    """call(item) for every item, each in its own thread, all released at the same moment."""
    items = list(items)
    start = threading.Barrier(len(items))

    def run(item):
        start.wait()
        return call(item)

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(run, items))


def wrong_passwords_at_once(visitors: list[Visitor], email: str) -> list[Answer]:
    """Every visitor sends a wrong password for `email` at the same moment.

    A sync worker serves one request at a time and checking a password takes a while (Argon2), so attempts
    sent together are served by different workers.
    """
    return together(lambda visitor: visitor.log_in(email), visitors)


def use_up(visitors: list[Visitor], email: str, count: int) -> list[Answer]:
    """`count` wrong passwords for `email`, in rounds of (at most) one per visitor sent at once."""
    answers = []
    while len(answers) < count:
        answers += wrong_passwords_at_once(visitors[: count - len(answers)], email)
    return answers


def statuses(answers: list[Answer]) -> list[int]:
    return [answer.status for answer in answers]


def test_failed_logins_are_counted_once_for_all_workers(site):
    email = site.new_account()
    visitors = [Visitor(site.url) for _ in range(WORKERS)]
    mark = site.access_log_mark()

    # Rounds never hold more attempts than the limit has left; the last one, an attempt per worker, comes
    # after the limit is used up.
    answers = use_up(visitors, email, LIMIT) + wrong_passwords_at_once(visitors, email)

    assert statuses(answers) == [401] * LIMIT + [429] * WORKERS
    assert all(WRONG_CREDENTIALS in answer.body for answer in answers[:LIMIT])
    for answer in answers[LIMIT:]:
        retry_after = answer.headers.get("Retry-After", "")
        assert re.fullmatch(r"[1-9]\d*", retry_after), f"Retry-After: {retry_after!r}"
        assert int(retry_after) <= WINDOW_SECONDS
    served = site.served_since(mark, "POST /admin/login", len(answers))
    assert Counter(status for _, status in served) == Counter(statuses(answers))
    # Counts kept in each worker's memory would give the same answers only if one worker served them all.
    workers = {pid for pid, _ in served}
    assert len(workers) >= 2, f"every attempt was served by worker {workers}"


def refusal(email: str, site: Site) -> Answer:
    """The answer to a login for `email` once wrong passwords have used up its limit."""
    visitors = [Visitor(site.url) for _ in range(WORKERS)]
    answers = [*use_up(visitors, email, LIMIT), visitors[0].log_in(email)]
    assert statuses(answers) == [401] * LIMIT + [429], email
    return answers[-1]


def test_the_refusal_does_not_tell_whether_the_account_exists(site):
    existing, unknown = site.new_account(), random_email()

    for_existing, for_unknown = refusal(existing, site), refusal(unknown, site)

    said = [
        re.search(TOO_MANY.format(wait=r"(\d+) minutes?"), page.body) for page in (for_existing, for_unknown)
    ]
    assert all(said), "the refusal says when to try again"
    assert existing not in for_existing.body
    # The page has no CSRF token (it is not a form), so the two pages can be compared as they are, but for
    # the minutes to wait, which each account's own window decides.
    assert for_existing.body.replace(said[0][0], "") == for_unknown.body.replace(said[1][0], "")
    assert sorted(for_existing.headers) == sorted(for_unknown.headers)


def test_attempts_sent_together_near_the_limit_are_not_all_let_through(site):
    email = random_email()
    visitors = [Visitor(site.url) for _ in range(WORKERS)]
    answers = use_up(visitors, email, LIMIT - 1)

    answers += wrong_passwords_at_once(visitors, email)

    # Which of the simultaneous attempts gets the last place under the limit is up to the workers.
    assert Counter(statuses(answers)) == Counter({401: LIMIT, 429: WORKERS - 1})
