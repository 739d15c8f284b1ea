"""Security scan: sqlmap against the public pages and API of a freshly seeded site, and bandit over the code.

    .venv/bin/python bench/security_scan.py            # every target at level 2 (cookies too)
    .venv/bin/python bench/security_scan.py --quick    # the main parameters of fewer targets, level 1
    .venv/bin/python bench/security_scan.py --database-url postgresql://postgres@127.0.0.1:5432/vendors_scan

The site is served by gunicorn with gunicorn.conf.py on a free loopback port, from a scratch SQLite database
with the sample vendors (or the database --database-url names: a scratch one, since the sample vendors are
added to it), with FLASK_ENV=production. The API's rate limit is raised for the scan, so sqlmap measures the
code rather than 429s. Nothing leaves the machine: every request goes to 127.0.0.1.

sqlmap runs with --batch and bounds (level, risk 1, 2-second time tests, a request timeout, two threads, a
wall clock per target) against the directory page, a vendor page, the API's listing, vendor, suggest,
estimate and compare, the estimator page and the comparison page, with every parameter they read. The
parameter names come from the code's own declarations (facets, estimator inputs), so new ones are scanned.
bandit reads vendors/, migrations/, bench/, wsgi.py and gunicorn.conf.py (not the tests).

Severity: an injection sqlmap confirms is high; a 5xx answer to sqlmap's input (the site promises none,
tests/test_fuzz.py), or sqlmap's heuristic finding reflected markup (XSS), a file-inclusion error or a
template engine's error (SSTI), is medium; an unconfirmed SQL heuristic, and sqlmap's other heuristic hints
(NoSQL, LDAP, XPath, JWT and the like), are low. bandit's own severities are used; a reviewed false positive
is marked in the code (`# nosec B###` with the reason) and counted as such.

Exit status: 0 nothing of medium severity or higher; 1 a finding of medium or higher; 2 the scan did not
finish (a target over its time bound, a tool, the site or this script failing to run). Not part of the
test suite.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vendors.directory.params import FACET_VALUES
from vendors.estimator import in_house, presets
from vendors.estimator.parameters import PARAMETERS

ROOT = Path(__file__).resolve().parent.parent
BANDIT_PATHS = ("vendors", "migrations", "bench", "wsgi.py", "gunicorn.conf.py")
# High enough that no scan reaches it; the output says it was raised.
RAISED_LIMITS = {"API_LIMIT_PER_ADDRESS": "1000000 per minute"}
# Settings that would make the site refuse or redirect requests to a loopback address.
HOST_SETTINGS = ("CANONICAL_HOST", "TRUSTED_HOSTS", "PROXY_FIX_HOPS")
SEVERITIES = ("HIGH", "MEDIUM", "LOW")
FAILING = ("HIGH", "MEDIUM")

TESTED = re.compile(r"testing for SQL injection on (.+?parameter '[^']+')")
INJECTION_POINT = re.compile(r"^Parameter: (.+)$", re.MULTILINE)
HEURISTIC_SQL = re.compile(
    r"heuristic \(basic\) test shows that (.+?parameter '[^']+') might be SQL injectable"
)
HEURISTIC_XSS = re.compile(r"heuristic \(XSS\) test shows that (.+?parameter '[^']+')")
HEURISTIC_FI = re.compile(r"heuristic \(FI\) test shows that (.+?parameter '[^']+')")
HEURISTIC_SSTI = re.compile(r"heuristic \(SSTI\) test shows that (.+?parameter '[^']+')")
# sqlmap's other hints (NoSQL, LDAP, XPath, HQL, XSLT, SPARQL, OData, GraphQL, JWT...): an error message of
# that kind came back, or the request carries such a token. Reported, so that none is dropped unread.
HEURISTIC_OTHER = re.compile(
    r"heuristic \((?!basic\)|extended\)|XSS\)|FI\)|SSTI\))([^)]+)\) test shows that (.+?)(?: \(rerun.*)?$",
    re.MULTILINE,
)
CLEAN_END = "all tested parameters do not appear to be injectable"
REQUEST_STATUS = re.compile(r' vendors\.requests \{.*"status": (\d{3})')
ERROR_CODES = re.compile(r"\b(\d{3}) \([^)]*\) - (\d+) times")


@dataclass(frozen=True)
class Settings:
    level: int
    minutes_per_target: float
    dbms: str | None


@dataclass(frozen=True)
class Target:
    """One URL for sqlmap. A `*` in the path or cookie marks a place to inject (a path segment, a value);
    without one, sqlmap tests every query parameter."""

    name: str
    path: str
    cookie: str | None = None
    page: bool = False  # an HTML page rather than JSON
    parameters: tuple[str, ...] = ()  # what is tested: (), everything the target offers
    quick: tuple[str, ...] | None = None  # what --quick tests: None, not this target; (), all it offers


@dataclass(frozen=True)
class Finding:
    tool: str
    severity: str
    where: str
    what: str


@dataclass
class TargetResult:
    target: Target
    seconds: float = 0.0
    parameters: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    problem: str | None = None  # why the target's scan did not finish


@dataclass
class BanditResult:
    files: int = 0
    lines: int = 0
    counts: Counter = field(default_factory=Counter)
    low_tests: Counter = field(default_factory=Counter)
    reviewed: int = 0
    findings: list[Finding] = field(default_factory=list)
    problem: str | None = None


# ------------------------------------------------------------------------------------------ the site
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dbms_of(database_url: str) -> str | None:
    """sqlmap's name for the database being served: its payloads are limited to that one."""
    if database_url.startswith("sqlite"):
        return "SQLite"
    if database_url.startswith("postgres"):
        return "PostgreSQL"
    return None


def site_environment(database_url: str, folder: Path, port: int) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name not in HOST_SETTINGS}
    environment.update(
        DATABASE_URL=database_url,
        SEARCH_INDEX_DIR=str(folder / "index"),
        SECRET_KEY=secrets.token_hex(32),
        FLASK_ENV="production",
        CANONICAL_HOST=f"127.0.0.1:{port}",
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        LOG_LEVEL="info",
        # Per-worker memory, so a shared Redis is never touched; unbuffered, so each target's requests are
        # in the log by the time its scan ends.
        RATELIMIT_STORAGE_URI="memory://",
        PYTHONUNBUFFERED="1",
        **RAISED_LIMITS,
    )
    return environment


def prepare_database(environment: dict[str, str]) -> None:
    """Migrate, load the sample vendors and build the index: what `make setup` does, idempotent."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for step in (["db", "upgrade"], ["seed"], ["index", "catch-up"]):
        done = subprocess.run([*flask, *step], cwd=ROOT, env=environment, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(step)} failed:\n{done.stdout}{done.stderr}")


def wait_until_healthy(base_url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if loopback_get(base_url, "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not start; see its log")
        time.sleep(0.3)


@contextmanager
def running_site(database_url: str, folder: Path):
    """The seeded site under gunicorn; yields its base URL and the file its log goes to."""
    port = free_port()
    environment = site_environment(database_url, folder, port)
    prepare_database(environment)
    log_path = folder / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(base_url, server)
            yield base_url, log_path
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def loopback_get(base_url: str, path: str, timeout: float = 10) -> tuple[int, bytes]:
    """GET from the site this script started: a plain HTTP connection to 127.0.0.1, whatever the path."""
    connection = HTTPConnection("127.0.0.1", urlsplit(base_url).port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def get_json(base_url: str, path: str, args: dict | None = None) -> dict:
    query = f"?{urlencode(args, doseq=True)}" if args else ""
    status, body = loopback_get(base_url, f"{path}{query}")
    if status != 200:
        raise RuntimeError(f"GET {path}{query} answered {status}")
    return json.loads(body)


# ------------------------------------------------------------------------------------------ targets
def busiest_facets(base_url: str) -> dict[str, str]:
    """A value for every facet, each the most common given the ones before it. sqlmap's boolean tests compare
    the page a true condition gives with a false one's, so the base page must still list vendors."""
    chosen: dict[str, str] = {}
    for facet in FACET_VALUES:
        counts = get_json(base_url, "/api/v1/vendors", {**chosen, "per_page": 1})["facets"].get(facet, {})
        if counts:
            chosen[facet] = max(counts, key=counts.get)
    return chosen


def estimator_inputs(names: tuple[str, ...] | None = None) -> dict[str, str]:
    """The estimator's inputs at their defaults (all of them, or those named)."""
    return {p.name: f"{p.default}" for p in PARAMETERS if names is None or p.name in names}


def any_preset() -> str:
    keys = list(presets.all_presets())
    return "PH-customer-support" if "PH-customer-support" in keys else keys[0]


def address(path: str, args: dict) -> str:
    return f"{path}?{urlencode(args, doseq=True)}"


def build_targets(base_url: str) -> list[Target]:
    """Every parser, in full, through the API; and the pages, with everything they read, as pages."""
    first, second = get_json(base_url, "/api/v1/vendors", {"sort": "name", "per_page": 2})["items"]
    slug, pair = first["slug"], {"vendor": [first["slug"], second["slug"]]}
    # Small pages: sqlmap compares every answer with the first, and the site renders less.
    search = {"q": "customer support", "rate_min": 5, "rate_max": 60, "sort": "relevance", "page": 1}
    search.update(per_page=5, buyer_country="US")
    facets = {**busiest_facets(base_url), "per_page": 5}
    carried_sort = {"q": "billing", "sort": "name", "shown_q": "claims", "shown_sort": "name"}
    inputs = estimator_inputs()
    without_rate = {name: value for name, value in inputs.items() if name != "hourly_rate"}
    some = estimator_inputs(("headcount", "salary", "years"))
    page_inputs = {**estimator_inputs(("headcount", "salary", "hourly_rate", "years")), "buyer_country": "US"}
    page_inputs["work"] = in_house.DEFAULT_WORK
    remembered = "buyer_country=US"  # the pages fall back to the buyer country a cookie remembers
    return [
        Target("API listing: search, rates, sort, paging", address("/api/v1/vendors", search), quick=("q",)),
        Target("API listing: facets", address("/api/v1/vendors", facets)),
        Target("API vendor (slug in the path)", f"/api/v1/vendors/{slug}*?buyer_country=US*", quick=()),
        Target("API suggest (search box)", address("/api/v1/suggest", {"q": first["name"][:4]}), quick=()),
        Target("API estimate", address("/api/v1/estimate", inputs), quick=("salary",)),
        Target("API estimate with a rate preset",
               address("/api/v1/estimate", {"preset": any_preset(), **some})),
        Target("API compare", address("/api/v1/compare", {**pair, "buyer_country": "US", **without_rate}),
               quick=("vendor",)),
        Target("directory page: search, rates, sort, paging", address("/vendors", search), remembered,
               page=True, quick=("q", "sort")),
        Target("directory page: facets", address("/vendors", facets), remembered, page=True),
        Target("directory page: the sort carried from the form", address("/vendors", carried_sort),
               page=True, parameters=("shown_q", "shown_sort")),
        Target("vendor page (slug in the path)", f"/vendors/{slug}*?buyer_country=US*", f"{remembered}*",
               page=True, quick=()),
        Target("estimator page", address("/estimate", page_inputs), remembered, page=True),
        Target("estimator page with a preset", address("/estimate", {"preset": any_preset(), **some}),
               remembered, page=True, parameters=("preset",)),
        Target("estimator page for a vendor", address("/estimate", {"vendor": slug, **some}), remembered,
               page=True, parameters=("vendor",), quick=("vendor",)),
        Target("comparison page", address("/compare", {**pair, "buyer_country": "US", **some}), remembered,
               page=True, parameters=("vendor", "buyer_country", "salary")),
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------ sqlmap
def tool(name: str) -> str:
    """A tool installed beside this Python (the virtualenv's bin), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed: run `make install` (it is in the dev extras)")
    return found


def sqlmap_command(target: Target, base_url: str, settings: Settings, output_dir: Path, quick: bool) -> list:
    command = [
        tool("sqlmap"),
        "-u", base_url + target.path,
        "--batch",
        f"--level={settings.level}",
        "--risk=1",  # no OR payloads (in an UPDATE they change every row) and no heavy queries
        "--time-sec=2",
        "--timeout=10",
        "--retries=1",
        "--threads=2",
        "--skip-waf",  # there is none on loopback; saves its probes
        # vendors has 19 columns; 30 leaves room for a join. Unbounded, sqlmap believes an ORDER BY probe,
        # tries UNIONs of 999 columns and spends minutes on 414 answers.
        "--union-cols=1-30",
        # With --batch sqlmap stops at the first injectable parameter; every one should be reported.
        "--answers=keep testing=Y",
        f"--output-dir={output_dir}",
        "--disable-coloring",
    ]  # fmt: skip
    if settings.dbms:
        command.append(f"--dbms={settings.dbms}")
    if target.page:
        # No UNION tests on pages: sqlmap searches every answer for database error messages, which on a
        # 40-130 KB page makes UNION's column hunt 30-60 s a parameter. The same parsers are UNION-tested
        # through the API's small answers, and a spot open to UNION is open to the boolean tests too.
        command.append("--technique=BEST")
    if target.cookie and not (quick and "*" not in target.cookie):
        command.append(f"--cookie={target.cookie}")
    tested = target.quick if quick else target.parameters
    if tested:
        command += ["-p", ",".join(tested)]
    return command


def run_sqlmap(command: list, folder: Path, seconds: float, show_progress) -> tuple[str, str | None]:
    """sqlmap's output, and why it did not finish (None when it did). Runs in its own session so a target
    over its bound is stopped with everything it started; HOME is the scratch folder, so sqlmap keeps no
    files in the user's home."""
    log_path = folder / "sqlmap.out"
    environment = {**os.environ, "HOME": str(folder), "TERM": "dumb"}
    with log_path.open("w") as log:
        scan = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=environment,
            start_new_session=True,
        )
        deadline, shown = time.monotonic() + seconds, 0
        try:
            while scan.poll() is None and time.monotonic() < deadline:
                time.sleep(1)
                shown = show_progress(log_path.read_text(errors="replace"), shown)
        finally:
            # Over its bound, or this script interrupted: sqlmap is in a session of its own, out of reach
            # of a Ctrl-C, so it is stopped here.
            over = scan.poll() is None
            if over:
                stop_session(scan)
    output = log_path.read_text(errors="replace")
    if over:
        return output, f"over its bound of {seconds / 60:g} minutes"
    show_progress(output, shown)
    if scan.returncode != 0:
        return output, f"sqlmap exited with {scan.returncode}"
    return output, None


def stop_session(process: subprocess.Popen) -> None:
    """Stop a process started with start_new_session and everything it started."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def progress_printer(total: int):
    """Prints each parameter as sqlmap starts on it; returns how many it has printed."""

    def show(output: str, shown: int) -> int:
        started = list(dict.fromkeys(TESTED.findall(output)))
        for number, parameter in enumerate(started[shown:], start=shown + 1):
            print(f"      {number}/{total or '?'} {parameter}", flush=True)
        return len(started)

    return show


def sqlmap_findings(target: Target, output: str, output_dir: Path) -> list[Finding]:
    findings = [
        Finding("sqlmap", "HIGH", target.name, f"injection confirmed: {point}")
        for point in INJECTION_POINT.findall(output)
    ]
    logged = [path for path in output_dir.rglob("log") if path.stat().st_size]
    if logged and not findings:
        findings.append(Finding("sqlmap", "HIGH", target.name, f"injection logged in {logged[0]}"))
    for pattern, severity, what in (
        (HEURISTIC_XSS, "MEDIUM", "sqlmap's probe came back unescaped (possible XSS)"),
        (HEURISTIC_FI, "MEDIUM", "a file-inclusion error came back (possible FI)"),
        (HEURISTIC_SSTI, "MEDIUM", "a template engine's error came back (possible SSTI)"),
        (HEURISTIC_SQL, "LOW", "heuristic hint of SQL injection, not confirmed"),
    ):
        findings += [
            Finding("sqlmap", severity, target.name, f"{what}: {where}")
            for where in dict.fromkeys(pattern.findall(output))
        ]
    findings += [
        Finding("sqlmap", "LOW", target.name, f"heuristic ({kind}) hint, not confirmed: {what}")
        for kind, what in dict.fromkeys(HEURISTIC_OTHER.findall(output))
    ]
    return findings


def statuses_since(log_path: Path, offset: int, output: str) -> Counter:
    """The status of every request the site logged after `offset` bytes of its log, and of those gunicorn
    answered itself (a request line too long: 414) and the app never logged, from sqlmap's tally of error
    statuses."""
    with log_path.open("rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    logged = Counter(int(status) for status in REQUEST_STATUS.findall(text))
    tallied = Counter({int(status): int(count) for status, count in ERROR_CODES.findall(output)})
    return logged | tallied


def parameter_count(target: Target, quick: bool) -> int:
    """How many places sqlmap will test, to show progress as n of m."""
    tested = target.quick if quick else target.parameters
    markers = target.path.count("*") + (target.cookie or "").count("*")
    if markers and not tested:
        return markers
    query = target.path.partition("?")[2]
    places = list({pair.partition("=")[0] for pair in query.split("&") if pair})
    # At level 2 (not --quick) sqlmap also tests each cookie it is given, under -p too when one is named.
    if target.cookie and not quick:
        places += [pair.partition("=")[0].strip() for pair in target.cookie.split(";")]
    return len([place for place in places if not tested or place in tested])


def scan_target(
    target: Target, base_url: str, settings: Settings, folder: Path, log_path: Path, quick: bool
) -> TargetResult:
    folder.mkdir(parents=True)
    output_dir = folder / "output"
    offset = log_path.stat().st_size
    started = time.monotonic()
    command = sqlmap_command(target, base_url, settings, output_dir, quick)
    show = progress_printer(parameter_count(target, quick))
    output, problem = run_sqlmap(command, folder, settings.minutes_per_target * 60, show)
    result = TargetResult(target, seconds=time.monotonic() - started, problem=problem)
    result.parameters = list(dict.fromkeys(TESTED.findall(output)))
    time.sleep(0.5)  # the last requests' log lines
    result.statuses = statuses_since(log_path, offset, output)
    result.findings = sqlmap_findings(target, output, output_dir)
    server_errors = sum(count for status, count in result.statuses.items() if status >= 500)
    if server_errors:
        result.findings.append(
            Finding("sqlmap", "MEDIUM", target.name, f"{server_errors} answers with a 5xx status (site log)")
        )
    if problem is None and CLEAN_END not in output and not result.findings:
        result.problem = "sqlmap ended without its verdict (see its output)"
    if not result.parameters and problem is None:
        result.problem = "sqlmap tested no parameter"
    return result


def describe_statuses(statuses: Counter) -> str:
    return ", ".join(f"{status}: {count:,}" for status, count in sorted(statuses.items())) or "none"


def report_target(result: TargetResult) -> None:
    failing = [f for f in result.findings if f.severity in FAILING]
    verdict = (
        f"{len(failing)} finding(s) of medium or higher"
        if failing
        else "nothing found before it stopped"
        if result.problem
        else "nothing injectable"
    )
    print(
        f"    {result.seconds:.0f} s, {len(result.parameters)} parameters tested, "
        f"{result.statuses.total():,} requests ({describe_statuses(result.statuses)}): {verdict}"
    )
    for finding in result.findings:
        print(f"    {finding.severity}: {finding.what}")
    if result.problem:
        print(f"    INCOMPLETE: {result.problem}")
    if result.statuses.get(429):
        print("    note: the rate limit still answered 429; raise RAISED_LIMITS")


# ------------------------------------------------------------------------------------------ bandit
def run_bandit() -> BanditResult:
    done = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", *BANDIT_PATHS, "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return BanditResult(problem=f"bandit gave no report (exit {done.returncode}): {done.stderr[-500:]}")
    totals = report["metrics"]["_totals"]
    result = BanditResult(
        files=len(report["metrics"]) - 1,  # one entry a file, and the totals
        lines=totals["loc"],
        reviewed=totals["skipped_tests"] + totals["nosec"],
    )
    for issue in report["results"]:
        severity = issue["issue_severity"]
        result.counts[severity] += 1
        where = f"{issue['filename']}:{issue['line_number']}"
        if severity in FAILING:
            what = (
                f"{issue['test_id']} {issue['issue_text']} (confidence {issue['issue_confidence'].lower()})"
            )
            result.findings.append(Finding("bandit", severity, where, what))
        else:
            result.low_tests[issue["test_id"]] += 1
    if report["errors"]:
        result.problem = "bandit could not read " + ", ".join(error["filename"] for error in report["errors"])
    return result


def report_bandit(result: BanditResult) -> None:
    counts = ", ".join(f"{severity.lower()} {result.counts[severity]}" for severity in SEVERITIES)
    paths = ", ".join(BANDIT_PATHS)
    print(
        f"  {result.files} files, {result.lines:,} lines in {paths}: {counts}; "
        f"{result.reviewed} reviewed false positives (# nosec)"
    )
    for finding in result.findings:
        print(f"    {finding.severity}: {finding.where} {finding.what}")
    if result.low_tests:
        print(
            f"    low, by test: {', '.join(f'{test} x{n}' for test, n in sorted(result.low_tests.items()))}"
        )
    if result.problem:
        print(f"    INCOMPLETE: {result.problem}")


# ------------------------------------------------------------------------------------------ the run
def scan_site(args, work: Path) -> list[TargetResult]:
    database_url = args.database_url or f"sqlite:///{work / 'scan.sqlite3'}"
    settings = Settings(
        level=1 if args.quick else 2,
        minutes_per_target=args.minutes_per_target or (2 if args.quick else 5),
        dbms=dbms_of(database_url),
    )
    print(f"Serving the sample vendors from {database_url.split('@')[-1]} (FLASK_ENV=production)")
    print("  limits raised for the scan: " + ", ".join(f"{k}={v!r}" for k, v in RAISED_LIMITS.items()))
    results = []
    with running_site(database_url, work) as (base_url, log_path):
        targets = [t for t in build_targets(base_url) if t.quick is not None or not args.quick]
        print(
            f"sqlmap: {len(targets)} targets at {base_url}, level {settings.level}, risk 1, "
            f"payloads for {settings.dbms or 'every database'}, at most {settings.minutes_per_target:g} "
            "minutes each"
        )
        for number, target in enumerate(targets, start=1):
            print(f"  [{number}/{len(targets)}] {target.name}: {target.path}", flush=True)
            result = scan_target(target, base_url, settings, work / f"target-{number}", log_path, args.quick)
            report_target(result)
            results.append(result)
    return results


def severity_counts(findings: list[Finding]) -> str:
    counts = Counter(finding.severity for finding in findings)
    return ", ".join(f"{severity.lower()} {counts[severity]}" for severity in SEVERITIES)


def summarise(results: list[TargetResult], bandit: BanditResult, seconds: float) -> int:
    sqlmap_found = [finding for result in results for finding in result.findings]
    failing = [f for f in sqlmap_found + bandit.findings if f.severity in FAILING]
    incomplete = [r for r in results if r.problem] + ([bandit] if bandit.problem else [])
    requests = sum((result.statuses for result in results), Counter())
    parameters = sum(len(result.parameters) for result in results)
    finished = len(results) - len([r for r in results if r.problem])
    injections = sum(1 for finding in sqlmap_found if finding.severity == "HIGH")
    server_errors = sum(count for status, count in requests.items() if status >= 500)
    print("\nFigures")
    print(
        f"  sqlmap: {finished}/{len(results)} targets finished, {parameters} parameters tested, "
        f"{requests.total():,} requests ({describe_statuses(requests)})"
    )
    print(f"  sqlmap findings: {severity_counts(sqlmap_found)}")
    bandit_counts = ", ".join(f"{severity.lower()} {bandit.counts[severity]}" for severity in SEVERITIES)
    print(
        f"  bandit findings: {bandit_counts} in {bandit.files} files, {bandit.lines:,} lines; "
        f"{bandit.reviewed} reviewed false positives marked # nosec"
    )
    print(f"  time: {seconds / 60:.1f} minutes")
    verdict = "FAIL" if failing else "INCOMPLETE" if incomplete else "PASS"
    print(
        f"Summary: {verdict}: sqlmap {finished}/{len(results)} targets, {parameters} parameters, "
        f"{requests.total():,} requests, {injections} injections, {server_errors} server errors; bandit "
        f"{bandit_counts} ({bandit.reviewed} reviewed, # nosec); {len(failing)} findings of medium or "
        f"higher; {seconds / 60:.1f} min"
    )
    return 1 if failing else 2 if incomplete else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer targets and parameters, sqlmap level 1")
    parser.add_argument(
        "--database-url",
        help="serve from this database instead of a scratch SQLite file; the sample vendors are added to it",
    )
    parser.add_argument("--minutes-per-target", type=float, help="sqlmap's wall clock per target")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (database, logs)")
    args = parser.parse_args()
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="security-scan-"))
    try:
        print("bandit: medium and high severity fail the scan")
        bandit = run_bandit()
        report_bandit(bandit)
        results = scan_site(args, work)
    except RuntimeError as error:
        print(f"The scan could not run: {error}")
        return 2
    except Exception:
        # Anything unforeseen is a scan that did not finish (2), not a finding (1, Python's own status).
        traceback.print_exc()
        print("The scan could not run: see the traceback above")
        return 2
    finally:
        if args.keep:
            print(f"Kept the scratch folder: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return summarise(results, bandit, time.monotonic() - started)


if __name__ == "__main__":
    sys.exit(main())
