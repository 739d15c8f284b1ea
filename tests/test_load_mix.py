"""The request mix of bench/load.py: as many distinct addresses as the README says, each one a page or an
answer the site gives without an error, so the benchmark's "0 errors" is a property of the site and not of
lucky draws."""

import importlib.util
import random
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from vendors.catalog.models import Vendor
from vendors.extensions import db

BENCH = Path(__file__).resolve().parents[1] / "bench" / "load.py"
SAMPLED = 120


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("bench_load", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def slugs(seeded_app):
    with seeded_app.app_context():
        return list(db.session.scalars(select(Vendor.slug).where(Vendor.status == "published")))


def test_the_mixes_hold_the_distinct_addresses_the_readme_names(load, slugs):
    rng = random.Random(1)
    assert len(set(load.directory_urls(rng, 1_000))) == 1_000
    assert len(set(load.estimator_urls(rng, slugs, 1_000))) == 1_000
    vendor_pages = load.vendor_urls(rng, slugs)
    assert len(set(vendor_pages)) == len(slugs) * len(load.BUYER_COUNTRIES)
    assert {url.split("?")[0].removeprefix("/vendors/") for url in vendor_pages} == set(slugs)


@pytest.mark.parametrize("kind", ["directory", "vendor", "api", "estimator"])
def test_every_sampled_address_of_each_kind_is_answered_without_an_error(load, slugs, seeded_client, kind):
    rng = random.Random(kind)
    mixes = {
        "directory": lambda: load.directory_urls(rng, 1_000),
        "vendor": lambda: load.vendor_urls(rng, slugs),
        "api": lambda: load.api_urls(rng, slugs, 1_000),
        "estimator": lambda: load.estimator_urls(rng, slugs, 1_000),
    }
    urls = mixes[kind]()
    failed = {
        url: status
        for url in rng.sample(urls, SAMPLED)
        if (status := seeded_client.get(url).status_code) != 200
    }
    assert failed == {}


def test_popular_addresses_are_asked_for_far_more_often_than_the_rest(load):
    rng = random.Random(2)
    by_popularity = [f"/vendors?page={number}" for number in range(1, 1_001)]
    draws = load.zipfian_draws(rng, by_popularity)
    ranks = {url: rank for rank, url in enumerate(by_popularity)}
    top_tenth = sum(1 for url in draws if ranks[url] < 100) / len(draws)
    assert 0.6 < top_tenth < 0.75  # sum of 1/k^0.99 over the first 100 of 1,000 ≈ 0.68 of the whole
    assert len(set(draws)) == 1_000


def test_a_run_of_some_kinds_reports_and_judges_those_kinds_alone(load, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["load.py", "--kinds", "api", "estimator"])
    arguments = load.parse_arguments()
    result = load.Result(100, 3_000, 1.0, 1.0, 2.0, 3.0, 0, 2_700, 240, 60)
    bare = load.Result(1, 6_000, 1.0, 0.1, 0.2, 0.3, 0, 0, 0, 0)
    driven = {kind: result for kind in arguments.kinds}
    mixes = {kind: ["/"] for kind in arguments.kinds}

    load.report(driven, driven, {kind: bare for kind in driven}, mixes, arguments)

    printed = capsys.readouterr().out
    assert arguments.kinds == ["api", "estimator"]
    assert (
        "Summary: bare endpoint 6000 to 6000 req/s; api 50%, estimator 50% of it; 0 errors; every target met"
        in (printed)
    )
    assert "vendor" not in printed and "directory" not in printed
    kept_and_made = re.search(r"^api .* (\d+%) +(\d+%) +6000 ", printed, re.MULTILINE)
    assert kept_and_made.groups() == ("90%", "8%")
    monkeypatch.setattr("sys.argv", ["load.py", "--kinds", "nothing"])
    with pytest.raises(SystemExit):
        load.parse_arguments()
