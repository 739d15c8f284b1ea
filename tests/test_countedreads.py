"""Kept API reads counted against the API's limit (vendors.countedreads): one budget with the reads
Flask-Limiter counts itself, the same X-RateLimit headers, and the usual way whenever they cannot be counted
here. These tests also fail loudly when Flask-Limiter changes what the module relies on beyond its documented
API."""

import pytest
from flask import request

from tests.conftest import app_emptied_after
from tests.factories import add_vendors, vendor_record
from tests.test_frontdoor import GZIP, LIMIT_HEADERS, hooks_counted
from vendors import countedreads
from vendors.extensions import limiter

KEPT = "/api/v1/vendors/harbour-care"


@pytest.fixture
def app(scratch_database, tmp_path):
    with app_emptied_after(scratch_database, tmp_path / "index") as app:
        add_vendors(vendor_record(name="Harbour Care", slug="harbour-care"), vendor_record(name="Quay Care"))
        app.config["API_LIMIT_PER_ADDRESS"] = "6 per minute"
        yield app


def kept_then_counted(app, addresses: list[str]) -> tuple[list[int], int]:
    """KEPT is kept first, with a budget of its own; then the statuses of asking for the addresses from
    another client address, and how many of those reached the request hooks (Flask-Limiter's count)."""
    app.test_client().get(KEPT, headers=GZIP, environ_base={"REMOTE_ADDR": "192.0.2.99"})
    client = app.test_client()
    with hooks_counted() as started:
        statuses = [client.get(address, headers=GZIP).status_code for address in addresses]
    return statuses, len(started)


@pytest.mark.parametrize("key_prefix", ["", "tenant-7"], ids=["no key prefix", "a key prefix"])
def test_kept_reads_and_reads_flask_limiter_counts_share_one_budget(app, monkeypatch, key_prefix):
    monkeypatch.setattr(limiter, "_key_prefix", key_prefix)  # fails loudly if Flask-Limiter renames it
    uncached = [f"/api/v1/suggest?q={prefix}" for prefix in ("ha", "hb", "hc")]
    addresses = [KEPT, uncached[0], KEPT, uncached[1], KEPT, uncached[2], KEPT, KEPT]

    statuses, through_hooks = kept_then_counted(app, addresses)

    assert statuses == [200] * 6 + [429, 429]
    # The three suggestions are first asks, and the two reads past the budget go the usual way.
    assert through_hooks == 5, "the kept reads were not counted before the hooks"


def test_with_several_limits_a_refused_kept_read_is_counted_as_the_usual_way_counts_it(app):
    """Past the hour's budget, the 429s say to wait for the hour, then for the minute once that is spent too:
    a kept read refused by the hour's limit must not have been counted against the minute's first."""
    app.config["API_LIMIT_PER_ADDRESS"] = "5 per minute; 3 per hour"
    app.test_client().get(KEPT, headers=GZIP, environ_base={"REMOTE_ADDR": "192.0.2.99"})

    def waits(address: str, paths: list[str]) -> list[str]:
        client = app.test_client()
        answers = [client.get(path, headers=GZIP, environ_base={"REMOTE_ADDR": address}) for path in paths]
        return [
            "ok"
            if answer.status_code == 200
            else "hour"
            if int(answer.headers["Retry-After"]) > 60
            else "minute"
            for answer in answers
        ]

    kept = waits("192.0.2.1", [KEPT] * 6)
    usual = waits("192.0.2.2", [f"/api/v1/suggest?q=h{number}" for number in range(6)])  # none kept yet

    assert usual == ["ok", "ok", "ok", "hour", "hour", "minute"]
    assert kept == usual


def test_every_api_route_has_only_the_limit_kept_reads_are_counted_against(app):
    """A route with a limit of its own (or exempt from the API's) would be counted wrongly by its kept reads:
    vendors.countedreads would have to learn it. Two limits, to check their order too."""
    app.config["API_LIMIT_PER_ADDRESS"] = "100 per day; 6 per minute"
    limited_as = {}

    @app.after_request  # a hook vendors.frontdoor does not know: every request goes the usual way
    def note_the_limits_flask_limiter_applied(response):
        if request.blueprint == "api":
            applied = [(found.limit, found.request_args) for found in limiter.current_limits]
            items, identifiers = countedreads.counted_under()
            limited_as[request.endpoint] = (applied, [(item, identifiers) for item in items])
        return response

    client = app.test_client()
    routes = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and "GET" in rule.methods
    ]
    for rule in routes:
        client.get(rule.rule.replace("<slug>", "harbour-care"))

    assert set(limited_as) == {rule.endpoint for rule in routes}, "a route this test cannot reach yet"
    for endpoint, (applied, counted_here) in limited_as.items():
        assert applied == counted_here, endpoint


def test_a_kept_read_gets_the_limit_headers_flask_limiter_gives_the_same_read(app):
    kept = app.test_client()
    kept.get(KEPT, headers=GZIP)
    early = kept.get(KEPT, headers=GZIP)
    usual = app.test_client().get("/api/v1/vendors/harbour-care?buyer_country=GB", headers=GZIP)

    assert early.headers["X-Cache"] == "hit" and usual.headers["X-Cache"] == "miss"
    assert {name for name, _value in early.headers.items() if name in LIMIT_HEADERS} == LIMIT_HEADERS
    for name in ("X-RateLimit-Limit", "X-RateLimit-Reset"):
        assert early.headers[name] == usual.headers[name]
    assert (early.headers["X-RateLimit-Remaining"], usual.headers["X-RateLimit-Remaining"]) == ("4", "3")
    assert 0 <= int(early.headers["X-RateLimit-Retry-After"]) <= 60


def test_while_the_limit_storage_is_failing_kept_reads_go_the_usual_way(app, monkeypatch):
    app.test_client().get(KEPT, headers=GZIP)
    monkeypatch.setattr(limiter, "_storage_dead", True)  # fails loudly if Flask-Limiter renames it
    with hooks_counted() as started:
        answer = app.test_client().get(KEPT, headers=GZIP)
    assert (answer.status_code, len(started)) == (200, 1), "Flask-Limiter looks whether the storage is back"


def test_with_limits_switched_off_kept_reads_are_counted_by_none_and_say_no_limit(app, monkeypatch):
    app.test_client().get(KEPT, headers=GZIP)
    monkeypatch.setattr(limiter, "enabled", False)
    with hooks_counted() as started:
        answers = [app.test_client().get(KEPT, headers=GZIP) for _ in range(8)]
    assert [answer.status_code for answer in answers] == [200] * 8
    assert len(started) == 0, "past the budget, yet limits are off"
    assert not any(LIMIT_HEADERS & {name for name, _value in answer.headers.items()} for answer in answers)


def test_api_addresses_no_route_takes_spend_the_api_budget_and_are_refused_past_it(app):
    client = app.test_client()
    asked = [
        client.get("/api/v1/no-such-thing"),
        client.delete("/api/v1/vendors"),  # an address that takes GET alone
        client.get("/api/v1/vendors/no-such-vendor"),  # routed: Flask-Limiter's own count
        *(client.get(f"/api/v1/guess-{number}") for number in range(3)),
        client.get("/api/v1"),
    ]
    assert [answer.status_code for answer in asked] == [404, 405, 404, 404, 404, 404, 429]
    refused = asked[-1]
    assert refused.get_json()["error"] == "Too Many Requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get(KEPT).status_code == 429, "one budget with the routed reads"
    assert client.get("/no-such-page").status_code == 404, "only the API's addresses are counted"
    other_client = app.test_client().get("/api/v1/no-such-thing", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other_client.status_code == 404


@pytest.mark.parametrize("fault", ["storage known to be failing", "storage failing now"])
def test_while_the_limit_storage_fails_api_addresses_no_route_takes_are_answered(app, monkeypatch, fault):
    app.config["API_LIMIT_PER_ADDRESS"] = "1 per minute"
    if fault == "storage known to be failing":
        monkeypatch.setattr(limiter, "_storage_dead", True)
    else:
        monkeypatch.setattr(limiter.limiter, "hit", lambda *_args: 1 / 0)
    client = app.test_client()
    assert [client.get("/api/v1/no-such-thing").status_code for _ in range(3)] == [404] * 3
