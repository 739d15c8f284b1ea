"""How long a new worker process takes to serve its first listing, and how much memory a worker holds.

    .venv/bin/python bench/search_bench.py --n 100000 --procs 2 --dir bench-data   # makes the data
    .venv/bin/python bench/worker_start.py --dir bench-data --n 100000

Each run starts a fresh Python process, as a gunicorn worker starts, that creates the app and asks for
/vendors (the listing with every facet count), then a search, then a filtered search, and reports the time
from the process's start to each answer and its peak memory. It runs once without the listing snapshot
(the first worker on a machine, reading every vendor) and three times with it (every later worker).
Not part of the test suite.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from vendors.directory.bitsets import Snapshot

WORKER = """
import json, resource, sys, time
started = time.perf_counter()
from vendors import create_app
app = create_app(json.loads(sys.argv[1]))
client = app.test_client()
times = {}
for name, url in (("import and app", None), ("first listing", "/vendors"),
                  ("a search", "/vendors?q=customer+support"),
                  ("a filtered search", "/vendors?q=billing&country=PH&language=es")):
    if url is not None:
        assert client.get(url).status_code == 200, url
    times[name] = time.perf_counter() - started
times["peak memory MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(times))
"""


def run_worker(config: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(config)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True, help="the folder search_bench.py --dir filled")
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    index = args.dir / f"index-{args.n}"
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{args.dir / f'bench-{args.n}.sqlite3'}",
        "SEARCH_INDEX_DIR": str(index),
        "SECRET_KEY": "bench",
    }
    (index / Snapshot.FILE).unlink(missing_ok=True)
    runs = [("first worker on the machine (no snapshot)", run_worker(config))]
    runs += [(f"a later worker, run {number}", run_worker(config)) for number in (1, 2, 3)]
    print(f"Worker start at {args.n:,} vendors: seconds from process start to each answer")
    columns = list(runs[0][1])
    print(f"  {'':44}" + "".join(f"{name:>20}" for name in columns))
    for label, times in runs:
        print(f"  {label:44}" + "".join(f"{times[name]:20.2f}" for name in columns))
    later = [times["first listing"] for _, times in runs[1:]]
    peak = max(times["peak memory MB"] for _, times in runs)
    first = runs[0][1]["first listing"]
    print(
        f"Summary: a later worker served its first listing in {max(later):.2f} s at most (3 runs), "
        f"the first worker in {first:.2f} s; peak memory per worker {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
