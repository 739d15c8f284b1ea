"""Schemathesis fuzzes the live API from its own description: gunicorn with gunicorn.conf.py serves the sample
vendors on each backend, and `schemathesis run` reads /api/v1/openapi.json from it and checks every answer:
no 5xx, and every status, content type, header and body as described. A failure shows Schemathesis's own
report, with a curl command that reproduces each problem. A throttled request, which the fuzzing never
meets, is checked on its own.

The command line rather than the pytest plugin: the plugin's live-server mode (`schemathesis.pytest.
from_fixture`) does not run under pytest 9.2, which renamed a node attribute it sets.
"""

import json
import subprocess
import sys
from collections.abc import Iterator
from urllib.request import urlopen

import pytest
import schemathesis

from tests.conftest import make_app
from tests.factories import add_vendors, update_vendor, vendor_record
from tests.served import gunicorn
from vendors.extensions import db

RUN_TIMEOUT_SECONDS = 180

# Every check Schemathesis has, over every operation, on the same examples each run. A warning fails the
# run too: each means the run proved less than it seems (most requests refused, say, or throttled).
SCHEMATHESIS_CONFIG = """
warnings = { fail-on = true }

[generation]
# Enough generated requests per operation to reach each parameter's edges, few enough to stay quick.
max-examples = 30
deterministic = true

[checks]
enabled = true

# Not "every request the description allows is answered 2xx" on these three: some of what they refuse
# (400, naming the parameter) cannot be said in a JSON Schema. /vendors' page must not be past the last one
# and rate_min not above rate_max; /compare's slugs must name published vendors; and the estimator's numbers
# must be written without an exponent, as its form reads them, which a generated 1e-05 is not. Every other
# check still holds for them, the 400s included.
[[operations]]
include-path = ["/compare", "/estimate", "/vendors"]
checks.positive_data_acceptance.enabled = false
"""


@pytest.fixture
def live_api(seeded_app, tmp_path) -> Iterator[str]:
    """The seeded sample vendors served over HTTP on a loopback port; yields the server's root URL.

    The server reads the seeded database and search index, which stay as the other tests expect: the API
    only reads.
    """
    settings = {
        "DATABASE_URL": seeded_app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": seeded_app.config["SEARCH_INDEX_DIR"],
        "SECRET_KEY": "live-api-test-secret-key-0123456789",
        # All of the fuzzing comes from one address, and would spend the usual budget within a second.
        "API_LIMIT_PER_ADDRESS": "1000000 per minute",
        "LOG_LEVEL": "warning",
    }
    with gunicorn(settings, tmp_path / "gunicorn.log", workers=2) as server:
        yield server.base


def vendors_to_compare(live_api: str) -> list[str]:
    """Two published vendors, one that discloses its rates and one costed at a rate preset's instead."""

    def first_slug(query: str) -> str:
        with urlopen(f"{live_api}/api/v1/vendors?{query}&per_page=1") as response:
            return json.load(response)["items"][0]["slug"]

    return [first_slug("sort=rate"), first_slug("rate_band=undisclosed")]


def test_the_live_api_answers_as_its_description_says(live_api, tmp_path):
    config = tmp_path / "schemathesis.toml"
    compared = json.dumps(vendors_to_compare(live_api))
    config.write_text(
        SCHEMATHESIS_CONFIG
        + f"""
# Generated slugs name no vendor, and /compare would only ever answer 400: it compares real ones, with
# everything else generated.
[[operations]]
include-path = "/compare"
parameters = {{ "query.vendor" = {compared} }}
"""
    )
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color", "run"),
        *("--workers", "2", f"{live_api}/api/v1/openapi.json"),
    ]
    # Run from the scratch directory: Schemathesis may leave files (a report, a cache) where it runs.
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    assert run.returncode == 0, f"Schemathesis found problems:\n{run.stdout}{run.stderr}"


def test_a_throttled_request_is_answered_as_described(tmp_path):
    """The fuzzing is never throttled; a 429 must match the description too, Retry-After and all."""
    app = make_app(
        f"sqlite:///{tmp_path / 'throttled.sqlite3'}", tmp_path / "index", API_LIMIT_PER_ADDRESS="1 per hour"
    )
    description = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)  # spends the one request
    case = description["/estimate"]["GET"].Case()
    response = case.call()
    assert response.status_code == 429
    case.validate_response(response)


def test_a_renamed_vendor_and_an_unreachable_database_are_answered_as_described(tmp_path):
    """The live run never meets a renamed slug or an outage; their 301 and 503 must match the description."""
    app = make_app(f"sqlite:///{tmp_path / 'renamed.sqlite3'}", tmp_path / "index")
    with app.app_context():
        db.create_all()
        [vendor] = add_vendors(vendor_record(name="Old Name Co", slug="old-name-co"))
        update_vendor(vendor.id, slug="new-name-co")
    description = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    case = description["/vendors/{slug}"]["GET"].Case(path_parameters={"slug": "old-name-co"})
    response = case.call()
    assert response.status_code == 301
    assert response.headers["location"] == ["/api/v1/vendors/new-name-co"]
    case.validate_response(response)

    # A SQLite file whose folder is gone cannot be opened: the database is away.
    away = make_app(f"sqlite:///{tmp_path / 'gone' / 'away.sqlite3'}", tmp_path / "index-away")
    description = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", away)
    for path in ("/vendors", "/suggest", "/compare"):
        case = description[path]["GET"].Case(
            query={"q": "care"} if path != "/compare" else {"vendor": ["a", "b"]}
        )
        response = case.call()
        assert response.status_code == 503 and response.headers["retry-after"], path
        # A described 503 is the answer wanted here; every other check holds it to the description.
        case.validate_response(response, excluded_checks=[schemathesis.checks.not_a_server_error])


def test_a_host_this_site_does_not_serve_is_answered_as_described_on_every_path(tmp_path):
    """The live run always names a host the site serves; a forged Host's 400 must match the description."""
    app = make_app(f"sqlite:///{tmp_path / 'hosts.sqlite3'}", tmp_path / "index", TRUSTED_HOSTS=["localhost"])
    with app.app_context():
        db.create_all()
    description = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    queries = {"/compare": {"vendor": ["a-co", "b-co"]}, "/suggest": {"q": "care"}}
    for path in description.raw_schema["paths"]:
        case = description[path]["GET"].Case(
            path_parameters={"slug": "a-co"} if "{slug}" in path else {},
            query=queries.get(path, {}),
            headers={"Host": "attacker.example"},
        )
        response = case.call()
        assert response.status_code == 400, path
        case.validate_response(response)
