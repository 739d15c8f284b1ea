"""Search benchmark: N synthetic vendors, our search through /api/v1/vendors, and SQLite FTS5 side by side.

    .venv/bin/python bench/search_bench.py --n 10000
    .venv/bin/python bench/search_bench.py --n 100000 --procs 2

Deterministic: the same --n and --seed always give the same vendors and queries. The vendors come from the
project's generator (vendors.catalog.synthetic): descriptions of 80-200 words drawn from
seed_data/vocabulary.txt (~2,800 words, Zipf-like frequency, so common words match most vendors and rare ones
a few) with each vendor's domain phrases ("medical billing"), countries and languages mixed in.

Prints: full rebuild time and peak memory; p50/p95/p99 of cold queries (every per-process cache emptied
before each one) and repeated queries, by kind; the same queries answered by SQLite FTS5 over the same
vendors, with the ratio of our p50/p95 to FTS5's; and the time from an edit's commit to its appearance in
search. Not part of the test suite.
"""

import argparse
import heapq
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from vendors import create_app
from vendors.audit import Actor
from vendors.catalog import synthetic
from vendors.catalog.models import Vendor
from vendors.catalog.writes import catalogue_writes
from vendors.extensions import db
from vendors.search import indexing, readcache, replica, schema

# Phrases buyers search for; the generator writes them into the descriptions of vendors in their field.
PHRASES = [
    "medical billing",
    "appointment setting",
    "customer support",
    "content moderation",
    "accounts payable",
    "order management",
]
FILTERS = [
    {"country": "PH"},
    {"language": "es"},
    {"specialisation": "healthcare"},
    {"channel": "chat"},
    {"size": "medium"},
    {"certification": "iso-27001"},
    {"shore": "nearshore"},
    {"rate_band": "10-20"},
]


def load(n: int, seed: int) -> None:
    """n vendors from the project's generator (vendors.catalog.synthetic), which also logs their changes."""
    synthetic.insert_synthetic(n, seed=seed)


def vocabulary_by_rank() -> list[str]:
    """The generator's vocabulary, most frequent first, without the stop words search ignores."""
    lines = synthetic.VOCABULARY_FILE.read_text(encoding="utf-8").splitlines()
    words = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return [word for word in words if word.isalpha() and len(word) > 1 and word not in schema.STOP_LIST]


def query_set(seed: int) -> list[tuple[str, dict]]:
    """A fixed mix: words common, middling and rare, 2-3 words, phrases, misspellings, exclusions, and
    queries with 1-3 facet filters. Every request also computes all facet counts, as the page does."""
    pick = random.Random(seed)
    words = vocabulary_by_rank()
    common, middling, rare = words[:40], words[100:600], words[1500:]

    def misspell(word: str) -> str:
        i = pick.randrange(1, len(word) - 1)
        return word[:i] + word[i + 1 :]

    queries: list[tuple[str, dict]] = []
    for pool in (common, common, common, middling, middling, middling, rare, rare):
        queries.append(("1 word", {"q": pick.choice(pool)}))
    for _ in range(8):
        queries.append(("2-3 words", {"q": " ".join(pick.sample(common + middling, pick.choice((2, 3))))}))
    for phrase in PHRASES:
        queries.append(("phrase", {"q": f'"{phrase}"'}))
    for _ in range(6):
        queries.append(
            ("misspelt", {"q": misspell(pick.choice([w for w in common + middling if len(w) > 6]))})
        )
    for _ in range(10):
        params = {"q": " ".join(pick.sample(common + middling, pick.choice((1, 2))))}
        for extra in pick.sample(FILTERS, pick.choice((1, 2, 3))):
            params.update(extra)
        queries.append(("with filters", params))
    for _ in range(4):
        queries.append(("word -word", {"q": f"{pick.choice(common)} -{pick.choice(middling)}"}))
    return queries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def clear_process_caches(root: str) -> None:
    replica.forget(root)
    readcache.CACHE.clear()
    from vendors.search import parsing

    parsing.parse.cache_clear()


def run_ours(app, queries) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]]]:
    """Cold and repeated wall-clock times, and the cold queries' CPU time (the machine may be shared)."""
    client = app.test_client()
    root = app.config["SEARCH_INDEX_DIR"]
    cold: dict[str, list[float]] = {}
    cold_cpu: dict[str, list[float]] = {}
    repeated: dict[str, list[float]] = {}
    client.get("/api/v1/vendors?q=warmup&per_page=10")  # open the searcher once, as a running worker has
    for kind, params in queries:
        clear_process_caches(root)
        client.get("/api/v1/vendors?q=warmup&per_page=10")
        url = "/api/v1/vendors?" + urlencode({**params, "per_page": 10})
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        cold.setdefault(kind, []).append(time.perf_counter() - started)
        cold_cpu.setdefault(kind, []).append(time.process_time() - cpu)
        assert response.status_code == 200, (url, response.get_json())
    for _kind, params in queries:  # one unmeasured round: the cold loop left only its last query cached
        client.get("/api/v1/vendors?" + urlencode({**params, "per_page": 10}))
    for _ in range(3):
        for kind, params in queries:
            url = "/api/v1/vendors?" + urlencode({**params, "per_page": 10})
            started = time.perf_counter()
            client.get(url)
            repeated.setdefault(kind, []).append(time.perf_counter() - started)
    return cold, repeated, cold_cpu


def build_fts(database: Path, app) -> float:
    started = time.perf_counter()
    fts = sqlite3.connect(database)
    fts.execute("DROP TABLE IF EXISTS vendor_fts")
    fts.execute(
        "CREATE VIRTUAL TABLE vendor_fts USING fts5(name, tagline, labels, places, description, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    with app.app_context(), db.engine.connect() as connection:
        rows = (
            (doc["vid"], doc["name"], doc["tagline"], doc["labels"], doc["places"], doc["description"])
            for doc in schema.documents(connection)
        )
        fts.executemany(
            "INSERT INTO vendor_fts(rowid, name, tagline, labels, places, description) VALUES (?,?,?,?,?,?)",
            rows,
        )
    fts.commit()
    fts.close()
    return time.perf_counter() - started


def fts_expression(q: str) -> str:
    words, negative = [], []
    for token in q.split():
        target = negative if token.startswith("-") else words
        cleaned = token.lstrip("-").replace('"', "")
        if cleaned:
            target.append(cleaned)
    if q.startswith('"'):
        return f'"{q.strip(chr(34))}"'
    expression = " ".join(f'"{word}"' for word in words)
    return expression + "".join(f' NOT "{word}"' for word in negative)


FTS_FACETS = ("country", "language", "specialisation", "channel", "certification")


def run_fts(database: Path, queries, with_facets: bool) -> dict[str, list[float]]:
    """The same queries through FTS5: bm25 top 10; with_facets adds filters, the total and facet counts
    (counted once over the matching set, which is less work than the listing's per-facet counts)."""
    connection = sqlite3.connect(database)
    connection.execute("CREATE TEMP TABLE matched (id INTEGER PRIMARY KEY)")
    times: dict[str, list[float]] = {}
    for kind, params in queries:
        expression = fts_expression(params["q"])
        started = time.perf_counter()
        if not with_facets:
            connection.execute(
                "SELECT rowid FROM vendor_fts WHERE vendor_fts MATCH ? "
                "ORDER BY bm25(vendor_fts, 8, 4, 2.5, 2.5, 1) LIMIT 10",
                (expression,),
            ).fetchall()
        else:
            conditions, args = ["v.status = 'published'"], [expression]
            for facet in FTS_FACETS:
                if facet in params:
                    conditions.append(
                        "v.id IN (SELECT vendor_id FROM vendor_facet_values WHERE facet = ? AND value = ?)"
                    )
                    args += [facet, params[facet]]
            rows = connection.execute(
                "SELECT f.rowid, bm25(vendor_fts, 8, 4, 2.5, 2.5, 1) FROM vendor_fts f CROSS JOIN vendors v "
                f"ON v.id = f.rowid WHERE vendor_fts MATCH ? AND {' AND '.join(conditions)}",  # nosec B608  # fixed conditions, bound values
                args,
            ).fetchall()
            heapq.nsmallest(10, rows, key=lambda row: row[1])
            connection.execute("DELETE FROM matched")
            connection.executemany("INSERT INTO matched VALUES (?)", ((row[0],) for row in rows))
            connection.execute(
                "SELECT facet, value, count(*) FROM vendor_facet_values "
                "JOIN matched ON matched.id = vendor_id GROUP BY facet, value"
            ).fetchall()
        times.setdefault(kind, []).append(time.perf_counter() - started)
    connection.close()
    return times


def edit_to_search_latency(app, samples: int = 5) -> list[float]:
    latencies = []
    with app.test_request_context():
        from vendors import search

        ids = list(db.session.scalars(select(Vendor.id).where(Vendor.status == "published").limit(samples)))
        run = time.time_ns()  # a word no earlier run (with --reuse) left in the index
        for number, vendor_id in enumerate(ids):
            word = f"zqxedit{run}x{number}"
            with catalogue_writes(Actor.command("search bench")) as writer:
                writer.update(writer.session.get(Vendor, vendor_id), {"tagline": f"Now offering {word}"})
                committed = time.perf_counter()
            while vendor_id not in search.find(word).ids:
                time.sleep(0.001)
            latencies.append(time.perf_counter() - committed)
        db.session.remove()
    return latencies


def flatten(times: dict[str, list[float]]) -> list[float]:
    return [value for values in times.values() for value in values]


def ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def report(title: str, times: dict[str, list[float]]) -> None:
    print(f"\n{title}")
    print(f"  {'kind':<14}{'n':>4}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for kind, values in [*times.items(), ("ALL", flatten(times))]:
        print(
            f"  {kind:<14}{len(values):>4}{ms(percentile(values, 0.5)):>10}{ms(percentile(values, 0.95)):>10}"
            f"{ms(percentile(values, 0.99)):>10}"
        )


def peak_memory_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    parser.add_argument("--procs", type=int, default=None, help="indexing processes for the rebuild")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="keep the database a previous run left")
    parser.add_argument("--keep-index", action="store_true", help="with --reuse, keep its index too")
    args = parser.parse_args()

    work = args.dir or Path(tempfile.mkdtemp(prefix="search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    database = work / f"bench-{args.n}.sqlite3"
    reuse = args.reuse and database.exists()
    if not reuse:
        database.unlink(missing_ok=True)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SEARCH_INDEX_DIR": str(work / f"index-{args.n}"),
            "SECRET_KEY": "bench",
        }
    )
    print(f"Search benchmark: {args.n:,} synthetic vendors (seed {args.seed}) in {work}")
    with app.app_context():
        if reuse:
            print("Reusing the database of a previous run")
        else:
            db.create_all()
            started = time.perf_counter()
            load(args.n, args.seed)
            print(f"Generated and inserted vendors in {time.perf_counter() - started:.1f} s")
        if not (reuse and args.keep_index):
            rebuild(app, args.procs)
    queries = query_set(args.seed)
    if not reuse:
        fts_seconds = build_fts(database, app)
        print(f"FTS5 table built in {fts_seconds:.1f} s")
    kinds = len({kind for kind, _ in queries})
    print(f"{len(queries)} queries of {kinds} kinds")
    run_and_report(app, database, queries)


def rebuild(app, procs: int | None) -> None:
    started = time.perf_counter()
    result = indexing.rebuild(db.engine, app.config["SEARCH_INDEX_DIR"], procs=procs)
    rebuild_seconds = time.perf_counter() - started
    own, children = peak_memory_mb()
    print(
        f"Full rebuild: {result.documents:,} documents in {rebuild_seconds:.1f} s "
        f"(peak RSS {own:.0f} MB here, {children:.0f} MB in indexing processes)"
    )


def run_and_report(app, database: Path, queries) -> None:
    cold, repeated, cold_cpu = run_ours(app, queries)
    report("Ours, cold (every per-process cache emptied before each query), through /api/v1/vendors", cold)
    report("Ours, cold, CPU time of this process (the same requests)", cold_cpu)
    report("Ours, repeated", repeated)
    usage = readcache.CACHE.usage()
    held, bound = usage.held_bytes / 2**20, usage.bound_bytes / 2**20
    hit_rate = usage.hits / max(1, usage.hits + usage.misses)
    print(
        f"Read cache after the repeated queries: {usage.entries} entries, {held:.1f} of {bound:.0f} MB; "
        f"{hit_rate:.0%} of reads hit"
    )
    fts_text = run_fts(database, queries, with_facets=False)
    fts_full = run_fts(database, queries, with_facets=True)
    report("SQLite FTS5, text only, bm25 top 10", fts_text)
    report("SQLite FTS5, with the same filters, total and facet counts", fts_full)

    ours, theirs, plain = flatten(cold), flatten(fts_full), flatten(fts_text)
    print("\nRatio of ours (cold) to FTS5")
    for label, other in (("FTS5 with filters+facets", theirs), ("FTS5 text only", plain)):
        print(
            f"  vs {label:<26} p50 x{percentile(ours, 0.5) / percentile(other, 0.5):.1f}"
            f"   p95 x{percentile(ours, 0.95) / percentile(other, 0.95):.1f}"
        )

    latencies = edit_to_search_latency(app)
    print(f"\nEdit commit -> found by search: max {ms(max(latencies))} ms over {len(latencies)} edits")
    own, children = peak_memory_mb()
    print(f"Peak memory: {own:.0f} MB (this process), {children:.0f} MB (indexing processes)")


if __name__ == "__main__":
    main()
