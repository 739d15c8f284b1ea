"""Relevance benchmark: the judged buyer queries of bench/relevance_judgments.json over the sample data.

    .venv/bin/python bench/relevance.py            # every query, then the summary
    .venv/bin/python bench/relevance.py --worst 15 # also list the 15 queries we rank worst

Seeds the sample vendors into a temporary SQLite database, builds the index, and asks /api/v1/vendors for
the first five results of each query (with the query's buyer country). Beside it, SQLite FTS5 over the
same vendors' text (the same fields the index holds): bm25 with the index's field weights, every word
required, then any word when that finds nothing. Prints nDCG@5 (gain 2^grade - 1), precision@5 (grade 1 or
2 counts as relevant), and the queries that return nothing although relevant vendors exist, per kind of
query and overall. The judgments were written from the vendor data before any result was looked at; grades
not listed are 0. Not part of the test suite.
"""

import argparse
import json
import re
import sqlite3
import sys
import tempfile
from math import log2
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from vendors import create_app
from vendors.catalog import seeding
from vendors.catalog.models import Vendor
from vendors.extensions import db
from vendors.search import indexing, registry, schema

JUDGMENTS = Path(__file__).with_name("relevance_judgments.json")
CUTOFF = 5


def dcg(grades: list[int]) -> float:
    return sum((2**grade - 1) / log2(position + 2) for position, grade in enumerate(grades[:CUTOFF]))


def ndcg(found: list[str], judged: dict[str, int]) -> float:
    ideal = dcg(sorted(judged.values(), reverse=True))
    return dcg([judged.get(slug, 0) for slug in found]) / ideal if ideal else 0.0


def precision(found: list[str], judged: dict[str, int]) -> float:
    return sum(1 for slug in found[:CUTOFF] if judged.get(slug, 0) > 0) / CUTOFF


def ours(client, query: dict) -> list[str]:
    params = {"q": query["q"], "buyer_country": query.get("buyer_country", "US"), "per_page": CUTOFF}
    body = client.get(f"/api/v1/vendors?{urlencode(params)}").get_json()
    return [item["slug"] for item in body["items"]]


def build_fts(connection: sqlite3.Connection, app) -> dict[int, str]:
    fields = registry.VENDORS.field_names
    connection.execute(
        f"CREATE VIRTUAL TABLE vendor_fts USING fts5({', '.join(fields)}, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    with app.app_context(), db.engine.connect() as database:
        rows = [(doc["vid"], *(doc[field] for field in fields)) for doc in schema.documents(database)]
        slugs = dict(database.execute(select(Vendor.id, Vendor.slug)).all())
    marks = ", ".join("?" * (len(fields) + 1))
    connection.executemany(f"INSERT INTO vendor_fts(rowid, {', '.join(fields)}) VALUES ({marks})", rows)  # nosec B608  # column names from the fixed registry, values bound
    return slugs


def fts(connection: sqlite3.Connection, slugs: dict[int, str], q: str) -> list[str]:
    words = [f'"{word}"' for word in re.findall(r"\w+", q.lower())]
    if not words:
        return []
    weights = ", ".join(str(registry.VENDORS.weights[field]) for field in registry.VENDORS.field_names)
    statement = (
        f"SELECT rowid FROM vendor_fts WHERE vendor_fts MATCH ? ORDER BY bm25(vendor_fts, {weights}) LIMIT ?"  # nosec B608  # weights are the registry's numbers, the query is bound
    )
    for expression in (" AND ".join(words), " OR ".join(words)):
        rows = connection.execute(statement, (expression, CUTOFF)).fetchall()
        if rows:
            return [slugs[rowid] for (rowid,) in rows]
    return []


def summarise(label: str, results: list[dict]) -> str:
    count = len(results)
    mean_ndcg = sum(result["ndcg"] for result in results) / count
    mean_precision = sum(result["precision"] for result in results) / count
    empty = sum(1 for result in results if not result["found"])
    return f"{label:<28}{count:>4}{mean_ndcg:>9.3f}{mean_precision:>9.3f}{empty:>7}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worst", type=int, default=10, help="list this many of our worst-ranked queries")
    args = parser.parse_args()
    judged = json.loads(JUDGMENTS.read_text(encoding="utf-8"))["queries"]

    work = Path(tempfile.mkdtemp(prefix="relevance-bench-"))
    database = work / "sample.sqlite3"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SEARCH_INDEX_DIR": str(work / "index"),
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        db.create_all()
        seeding.seed_sample(seeding.load_sample_records())
        indexing.rebuild(db.engine, app.config["SEARCH_INDEX_DIR"], procs=1)
    connection = sqlite3.connect(database)
    slugs = build_fts(connection, app)
    client = app.test_client()

    mine, theirs = [], []
    for number, query in enumerate(judged, 1):
        relevant = query["relevant"]
        for engine, results in ((ours(client, query), mine), (fts(connection, slugs, query["q"]), theirs)):
            results.append(
                {
                    "query": query,
                    "found": engine,
                    "ndcg": ndcg(engine, relevant),
                    "precision": precision(engine, relevant),
                }
            )
        print(f"\r  judged {number} of {len(judged)} queries", end="", file=sys.stderr)
    print(file=sys.stderr)

    print(f"{'':<28}{'n':>4}{'nDCG@5':>9}{'P@5':>9}{'empty':>7}")
    kinds = sorted({query.get("kind", "") for query in judged})
    for engine, results in (("Ours", mine), ("SQLite FTS5", theirs)):
        print(summarise(f"{engine}, all queries", results))
        for kind in kinds:
            print(summarise(f"  {kind}", [r for r in results if r["query"].get("kind", "") == kind]))
    print("\nEmpty although relevant vendors exist:")
    for engine, results in (("ours", mine), ("FTS5", theirs)):
        empty = [result["query"]["q"] for result in results if not result["found"]]
        print(f"  {engine}: {len(empty)}" + (f" ({'; '.join(empty)})" if empty else ""))
    print(f"\nOur {args.worst} worst-ranked queries (nDCG@5 ours / FTS5):")
    paired = sorted(zip(mine, theirs, strict=True), key=lambda pair: pair[0]["ndcg"])
    for our, their in paired[: args.worst]:
        query = our["query"]
        print(
            f"  {our['ndcg']:.2f} / {their['ndcg']:.2f}  {query['q']!r} ({query.get('buyer_country', 'US')})"
        )
    mean_ours = sum(result["ndcg"] for result in mine) / len(mine)
    mean_fts = sum(result["ndcg"] for result in theirs) / len(theirs)
    empty_ours = sum(1 for result in mine if not result["found"])
    print(
        f"\nRelevance over {len(judged)} judged queries: nDCG@5 {mean_ours:.3f} ours, {mean_fts:.3f} FTS5; "
        f"{empty_ours} of ours empty although relevant vendors exist."
    )


if __name__ == "__main__":
    main()
