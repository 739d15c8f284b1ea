"""Requests per second under gunicorn, page kind by page kind, against a bare Flask endpoint in the same run.

    .venv/bin/python bench/load.py                          # 20 s per kind, data in a temporary folder
    .venv/bin/python bench/load.py --dir bench-data/load --seconds 30   # keeps the data for the next run

The site serves the sample vendors plus 10,000 generated ones (vendors.catalog.synthetic) from SQLite, or
from the database --database-url names, under gunicorn with gunicorn.conf.py (WEB_CONCURRENCY workers).
wrk (Debian's package) drives each kind for a bounded time, sending a browser's Accept-Encoding. Each kind
has a list of distinct URLs, and the requests draw from it as visitors do: a few URLs are asked for far more
often than the rest. The draw is Zipfian with exponent 0.99 over the shuffled list, the default request
distribution of YCSB, the standard benchmark for serving systems. Each kind first runs for --warmup seconds
on draws of its own, so the figures are those of a site in service rather than of one just started; the
measured run then makes new draws. The lists:

- directory: at least 1,000 listing URLs drawn from the facet values, sorts, pages and search words;
- vendor: every vendor's page for several buyer countries;
- api: the listing API with the same kind of parameters, every vendor's record and name suggestions;
- estimator: the estimate page with inputs drawn at random within their ranges, some from a vendor;
- bare: bench/bare_app.py, Flask answering "ok" under the same gunicorn settings: the ceiling. It is driven
  right after each kind, for as long, and that kind's shares are of that rate: a shared machine's speed
  drifts within a run (one throttled for a while ran every server at a third of its speed), and a ceiling
  measured minutes away would turn the drift into the shares.

Prints, per kind, the distinct URLs in its list and how many of them the run asked for, requests per second,
p50/p95/p99 latency, errors (socket errors and 4xx/5xx) and the share of answers served from the page cache
(the X-Cache header: vendors.pagecache), then the bare endpoint's rate beside it and the kind's rate as a
share of that. After its measured run, each kind's most asked-for URL is driven alone (--one-url-seconds):
every answer then comes from the page cache, so its "one URL" share is the most that kind could reach with
every page kept, and the gap to it is what pages not yet kept cost. The API's per-address limit is lifted for
the run, since every request comes from one address. Not part of the test suite.
"""

import argparse
import itertools
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.served import gunicorn, wait_until_rendered_ahead  # noqa: E402
from vendors.catalog import synthetic  # noqa: E402
from vendors.directory.params import FACET_VALUES, SORTS  # noqa: E402
from vendors.estimator import in_house, parameters  # noqa: E402

BUYER_COUNTRIES = ("US", "GB", "DE", "AU")
PER_PAGE = (10, 20, 50)
SEARCH_PHRASES = (
    "customer support",
    "medical billing",
    "content moderation",
    "accounts payable",
    "help desk",
    "appointment setting",
    "bilingual",
    "24/7",
    "nearshore",
    "ISO 27001",
)
ZIPF_EXPONENT = 0.99
DRAWS = 400_000  # requests written out per kind: more than a run of --seconds makes
TARGETS = {"directory": 0.30, "vendor": 0.40, "api": 0.40, "estimator": 0.15}
SCRIPT = Path(__file__).with_name("load.lua")
RENDER_AHEAD_SECONDS = 600


@dataclass(frozen=True)
class Result:
    distinct: int  # distinct URLs among those asked for
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    cache_hits: int
    cache_made: int
    cache_misses: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def share(self, answers: int) -> str:
        answered = self.cache_hits + self.cache_made + self.cache_misses
        return f"{answers / answered:.0%}" if answered else "-"


def main() -> None:
    arguments = parse_arguments()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    folder = arguments.dir or Path(tempfile.mkdtemp(prefix="vendors-load-"))
    folder.mkdir(parents=True, exist_ok=True)
    environment = site_environment(folder, arguments)
    prepare_data(environment, arguments.vendors)
    slugs = published_slugs(environment)
    rng = random.Random(arguments.seed)
    # Every list is drawn, in this order, so a kind's URLs are the same whichever kinds are driven.
    every_mix = {
        "directory": directory_urls(rng, arguments.distinct),
        "vendor": vendor_urls(rng, slugs),
        "api": api_urls(rng, slugs, arguments.distinct),
        "estimator": estimator_urls(rng, slugs, arguments.distinct),
    }
    mixes = {kind: urls for kind, urls in every_mix.items() if kind in arguments.kinds}
    results, one_url, bare_beside = {}, {}, {}
    bare_environment = {**environment, "PYTHONPATH": str(ROOT / "bench"), "RENDER_AHEAD": "0"}
    with serving(bare_environment, "bare_app:app", "/", folder / "gunicorn-bare.log", arguments) as bare:
        bare_port = port_of(bare)
        print(f"Warming bare up for {arguments.warmup} s", flush=True)
        drive(bare_port, ["/"], folder / "bare.urls", arguments.warmup, arguments)
        for kind, urls in mixes.items():
            # A server of its own per kind, as for the bare endpoint: each kind starts from the same state,
            # and never meets the closed connections (server-side TIME_WAIT) of the kinds driven before it.
            log = folder / f"gunicorn-{kind}.log"
            with serving(environment, "wsgi:app", "/healthz", log, arguments) as server:
                print("Waiting for the vendor pages to be rendered ahead", flush=True)
                rendered = wait_until_rendered_ahead(server, RENDER_AHEAD_SECONDS)
                print(f"  {rendered['rendered']:,} of {rendered['published']:,} rendered", flush=True)
                results[kind], one_url[kind] = drive_kind(port_of(server), kind, urls, folder, arguments)
            # The ceiling is measured again beside each kind: a shared machine's speed drifts within a run.
            print(f"Driving bare beside {kind} for {arguments.seconds} s", flush=True)
            bare_beside[kind] = drive(bare_port, ["/"], folder / "bare.urls", arguments.seconds, arguments)
    report(results, one_url, bare_beside, mixes, arguments)


def drive_kind(port: int, kind: str, urls: list[str], folder: Path, arguments):
    """The kind's measured run after its warm-up, then its most asked-for URL alone. Each kind draws from a
    generator of its own, so its requests are the same whichever other kinds are driven."""
    rng = random.Random(f"{arguments.seed}:{kind}")
    popularity = rng.sample(urls, len(urls))
    print(f"Warming {kind} up for {arguments.warmup} s", flush=True)
    drive(port, zipfian_draws(rng, popularity), folder / f"{kind}.urls", arguments.warmup, arguments)
    print(f"Driving {kind}: {len(urls):,} distinct URLs for {arguments.seconds} s", flush=True)
    measured = drive(
        port, zipfian_draws(rng, popularity), folder / f"{kind}.urls", arguments.seconds, arguments
    )
    print(f"Driving {kind}: its most asked-for URL alone for {arguments.one_url_seconds} s", flush=True)
    alone = drive(port, popularity[:1], folder / f"{kind}-one.urls", arguments.one_url_seconds, arguments)
    return measured, alone


def zipfian_draws(rng: random.Random, by_popularity: list[str]) -> list[str]:
    """DRAWS requests, the k-th URL of by_popularity asked for in proportion to 1 / k ** ZIPF_EXPONENT."""
    weights = list(itertools.accumulate(1 / rank**ZIPF_EXPONENT for rank in range(1, len(by_popularity) + 1)))
    return rng.choices(by_popularity, cum_weights=weights, k=DRAWS)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, help="keep the database and index here (default: a temp folder)")
    parser.add_argument("--database-url", help="serve from this database instead of SQLite in --dir")
    parser.add_argument("--vendors", type=int, default=10_000, help="generated vendors beside the sample")
    parser.add_argument("--seconds", type=int, default=20, help="how long each kind is measured")
    parser.add_argument("--warmup", type=int, default=10, help="how long each kind runs before that")
    parser.add_argument(
        "--one-url-seconds",
        type=int,
        default=5,
        help="how long each kind's most asked-for URL is driven alone",
    )
    parser.add_argument("--connections", type=int, default=8, help="wrk's open connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--distinct", type=int, default=1_500, help="distinct URLs per generated mix")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--kinds",
        nargs="+",
        choices=list(TARGETS),
        default=list(TARGETS),
        help="drive only these kinds (each still beside the bare endpoint)",
    )
    return parser.parse_args()


def site_environment(folder: Path, arguments) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": arguments.database_url or f"sqlite:///{folder / 'load.sqlite3'}",
        "SEARCH_INDEX_DIR": str(folder / "index"),
        "SECRET_KEY": "load-bench-secret-key-0123456789abcdef",
        "API_LIMIT_PER_ADDRESS": "1000000 per minute",
        "LOG_LEVEL": "warning",
        "FLASK_ENV": "",
    }


def flask(environment: dict, *command: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *command],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def prepare_data(environment: dict, generated: int) -> None:
    """Migrate, seed the sample and enough generated vendors to reach `generated`, and index; each step is
    idempotent, so a kept --dir is reused as it is."""
    print("Preparing the data (migrate, seed, generate, index)", flush=True)
    flask(environment, "db", "upgrade")
    flask(environment, "seed")
    present = count_generated(environment)
    if present < generated:
        print(f"  generating {generated - present:,} vendors", flush=True)
        flask(environment, "seed", "--synthetic", str(generated - present))
    print("  " + flask(environment, "index", "catch-up"), flush=True)


def count_generated(environment: dict) -> int:
    return sum(slug.startswith(synthetic.SLUG_PREFIX) for slug in published_slugs(environment))


def published_slugs(environment: dict) -> list[str]:
    url = environment["DATABASE_URL"]
    query = "SELECT slug FROM vendors WHERE status = 'published' ORDER BY slug"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return [slug for (slug,) in connection.execute(query)]
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        return [slug for (slug,) in connection.execute(query)]


def directory_urls(rng: random.Random, count: int) -> list[str]:
    words = search_words()
    urls: set[str] = set()
    while len(urls) < count:
        urls.add("/vendors?" + urlencode(listing_arguments(rng, words), doseq=True))
    return sorted(urls)


def listing_arguments(rng: random.Random, words: list[str], paged: bool = True) -> dict:
    """A buyer's listing: some words, a few facet values, maybe a sort, a page and a page size. The API
    refuses a page past the last one (the page shows the last), so its listings are asked unpaged."""
    arguments: dict = {}
    if rng.random() < 0.5:
        arguments["q"] = rng.choice(SEARCH_PHRASES) if rng.random() < 0.4 else " ".join(rng.sample(words, 2))
    for facet in rng.sample(sorted(FACET_VALUES), rng.choice((0, 1, 1, 2, 3))):
        arguments[facet] = rng.sample(sorted(FACET_VALUES[facet]), rng.choice((1, 1, 2)))
    if rng.random() < 0.3:
        arguments["sort"] = rng.choice(sorted(SORTS))
    if paged and rng.random() < 0.3:
        arguments["page"] = rng.randint(2, 5)
    if rng.random() < 0.2:
        arguments["per_page"] = rng.choice(PER_PAGE)
    if rng.random() < 0.4:
        arguments["buyer_country"] = rng.choice(BUYER_COUNTRIES)
    return arguments


def search_words() -> list[str]:
    """Words buyers might type: 300 of the generator's vocabulary, past the commonest ("and", "the")."""
    lines = synthetic.VOCABULARY_FILE.read_text(encoding="utf-8").splitlines()
    words = [line.split()[0] for line in lines if line.strip() and not line.startswith("#")]
    return [word for word in words if len(word) >= 4][20:320]


def vendor_urls(rng: random.Random, slugs: list[str]) -> list[str]:
    urls = [f"/vendors/{slug}?buyer_country={country}" for slug in slugs for country in BUYER_COUNTRIES]
    rng.shuffle(urls)
    return urls


def api_urls(rng: random.Random, slugs: list[str], count: int) -> list[str]:
    words = search_words()
    urls = {
        "/api/v1/vendors?" + urlencode(listing_arguments(rng, words, paged=False), doseq=True)
        for _ in range(count)
    }
    last_page = min(20, len(slugs) // 20)  # the unfiltered listing's pages of 20 that surely exist
    urls |= {f"/api/v1/vendors?page={page}&sort={sort}" for page in range(2, last_page + 1) for sort in SORTS}
    urls |= {f"/api/v1/vendors/{slug}?buyer_country={rng.choice(BUYER_COUNTRIES)}" for slug in slugs}
    urls |= {"/api/v1/suggest?" + urlencode({"q": word[: rng.randint(2, 5)]}) for word in words}
    shuffled = sorted(urls)
    rng.shuffle(shuffled)
    return shuffled


def estimator_urls(rng: random.Random, slugs: list[str], count: int) -> list[str]:
    urls: set[str] = set()
    while len(urls) < count:
        arguments = {
            parameter.name: random_value(rng, parameter)
            for parameter in parameters.PARAMETERS
            if rng.random() < 0.5
        }
        if rng.random() < 0.3:
            arguments["vendor"] = rng.choice(slugs)
        if rng.random() < 0.5:
            arguments["buyer_country"] = rng.choice(in_house.countries())
        urls.add("/estimate?" + urlencode(arguments))
    return sorted(urls)


def random_value(rng: random.Random, parameter) -> str:
    low, high = float(parameter.low), float(parameter.high)
    if parameter.whole:
        return str(rng.randint(int(low), int(min(high, low + (high - low) / 4 + 1))))
    return f"{rng.uniform(low, (low + high) / 2):.2f}"


def serving(environment: dict, application: str, ready_path: str, log: Path, arguments):
    """gunicorn serving application on a loopback port (tests.served), logging to log."""
    return gunicorn(
        environment, log, workers=arguments.workers, application=application, ready_path=ready_path
    )


def port_of(server) -> int:
    return int(server.base.rsplit(":", 1)[1])


def drive(port: int, urls: list[str], url_file: Path, seconds: int, arguments) -> Result:
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    threads = 2
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{arguments.connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(SCRIPT),
            f"http://127.0.0.1:{port}",
            "--",
            str(url_file),
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    figures = json.loads(line.removeprefix("RESULT "))
    return Result(
        distinct=len(set(urls[: figures["requests"]])),
        requests=figures["requests"],
        seconds=figures["microseconds"] / 1e6,
        p50_ms=figures["p50"] / 1000,
        p95_ms=figures["p95"] / 1000,
        p99_ms=figures["p99"] / 1000,
        errors=figures["socket_errors"] + figures["error_statuses"],
        cache_hits=figures["cache_hits"],
        cache_made=figures["cache_made"],
        cache_misses=figures["cache_misses"],
    )


def report(
    results: dict[str, Result],
    one_url: dict[str, Result],
    bare_beside: dict[str, Result],
    mixes: dict[str, list[str]],
    arguments,
) -> None:
    print(
        f"\n{arguments.workers} gunicorn workers, {arguments.connections} connections, "
        f"{arguments.seconds} s per kind; each kind's share is of the bare endpoint driven right after it"
    )
    header = ("kind", "URLs", "asked", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "kept", "made")
    print(
        "{:<10}{:>8}{:>8}{:>9}{:>9}{:>9}{:>9}{:>8}{:>7}{:>7}{:>8}{:>9}{:>8}{:>9}".format(
            *header, "bare", "of bare", "target", "one URL"
        )
    )
    shares = {}
    for kind, result in results.items():
        bare = bare_beside[kind].per_second
        shares[kind] = result.per_second / bare
        print(
            f"{kind:<10}{len(mixes[kind]):>8,}{result.distinct:>8,}{result.per_second:>9.0f}"
            f"{result.p50_ms:>9.1f}{result.p95_ms:>9.1f}{result.p99_ms:>9.1f}{result.errors:>8}"
            f"{result.share(result.cache_hits):>7}{result.share(result.cache_made):>7}{bare:>8.0f}{shares[kind]:>9.0%}{TARGETS[kind]:>8.0%}"
            f"{one_url[kind].per_second / bare:>9.0%}"
        )
    missed = [kind for kind in results if shares[kind] < TARGETS[kind]]
    errors = sum(result.errors for result in [*results.values(), *one_url.values(), *bare_beside.values()])
    bare_rates = [result.per_second for result in bare_beside.values()]
    print(
        f"Summary: bare endpoint {min(bare_rates):.0f} to {max(bare_rates):.0f} req/s; "
        + ", ".join(f"{kind} {share:.0%}" for kind, share in shares.items())
        + f" of it; {errors} errors; "
        + ("every target met" if not missed and not errors else f"targets missed: {', '.join(missed) or '-'}")
    )
    if missed or errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
