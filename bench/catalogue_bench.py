"""Catalogue write benchmark: generated vendors, CSV export and import through the one write path.

    .venv/bin/python bench/catalogue_bench.py --n 10000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/catalogue_bench.py

Uses a fresh SQLite file (or the empty database DATABASE_URL names, whose tables it creates) and the project's
deterministic generator. Prints, in seconds and vendors per second: `flask seed --synthetic` (bulk inserts
with their audit entries and change-log rows); an export of every vendor; an import of that file into an
empty database (every row added); the same file again (every row unchanged, nothing written); and the file
with one vendor in ten edited (updates). Also the audit log's size per vendor and the peak memory. Not part
of the test suite.
"""

import argparse
import csv
import io
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text

from vendors import create_app
from vendors.audit import Actor, AuditEntry
from vendors.catalog import csvfiles, synthetic
from vendors.extensions import db

ACTOR = Actor.command("catalogue bench")


def timed(label: str, n: int, work: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = work()
    took = time.perf_counter() - started
    print(f"{label:<44} {took:8.2f} s  {n / took:10,.0f} vendors/s  {result}")
    return result


def app_for(url: str, index_dir: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEX_DIR": index_dir, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
    return app


def export_text() -> str:
    buffer = io.StringIO()
    csvfiles.write(csvfiles.export_rows(), buffer)
    return buffer.getvalue()


def edited(text_: str, every: int) -> str:
    rows = list(csv.reader(io.StringIO(text_)))
    tagline = rows[0].index("tagline")
    for number, row in enumerate(rows[1:]):
        if number % every == 0:
            row[tagline] = f"Edited in the benchmark ({number})"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def import_text(text_: str) -> str:
    opener = csvfiles.text_of(text_.encode("utf-8"))
    return csvfiles.apply(opener, ACTOR, note="catalogue bench").summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    n = args.n
    folder = Path(tempfile.mkdtemp(prefix="catalogue-bench-"))
    source_url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'source.sqlite3'}"
    print(f"{n:,} vendors, database {source_url.split('://')[0]}, work folder {folder}")

    source = app_for(source_url, str(folder / "index-source"))
    with source.app_context():
        timed(
            "seed --synthetic (bulk, audited, logged)", n, lambda: synthetic.insert_synthetic(n, actor=ACTOR)
        )
        audit_bytes = db.session.scalar(
            select(func.sum(func.length(func.cast(AuditEntry.changes, db.String))))
        )
        print(f"{'audit log':<44} {audit_bytes / n:8.0f} bytes of changes per vendor")
        exported = timed("export every vendor", n, lambda: f"{len(export_text()):,} characters")
        text_ = export_text()

    target_url = f"sqlite:///{folder / 'target.sqlite3'}"
    if os.environ.get("DATABASE_URL"):
        with source.app_context():
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(text(f'DELETE FROM "{table.name}"'))  # nosec B608  # table names come from the models' metadata
            db.session.commit()
        target_url = source_url
    target = app_for(target_url, str(folder / "index-target"))
    with target.app_context():
        timed("import into an empty database (added)", n, lambda: import_text(text_))
        timed("import the same file again (unchanged)", n, lambda: import_text(text_))
        timed("import with 1 vendor in 10 edited (updated)", n, lambda: import_text(edited(text_, 10)))
    del exported
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory':<44} {peak:8.0f} MB")


if __name__ == "__main__":
    main()
