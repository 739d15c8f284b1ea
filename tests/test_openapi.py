"""The API's description is kept in step with the code: every route and method, exactly the query parameters
each route reads, and a reference page for people that shows all of it."""

import html
import re
from typing import ClassVar

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from tests.conftest import make_app


class RecordingArgs(ImmutableMultiDict):
    """Query arguments that remember every name a view asked for."""

    asked: ClassVar[set[str]] = set()

    def get(self, key, *args, **kwargs):
        RecordingArgs.asked.add(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key, *args, **kwargs):
        RecordingArgs.asked.add(key)
        return super().getlist(key, *args, **kwargs)

    def __contains__(self, key):
        RecordingArgs.asked.add(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        RecordingArgs.asked.add(key)
        return super().__getitem__(key)


class RecordingRequest(Request):
    parameter_storage_class = RecordingArgs


def test_every_api_route_is_described(seeded_client, seeded_app):
    described = seeded_client.get("/api/v1/openapi.json").get_json()
    assert described["openapi"].startswith("3.1")
    routes = {
        (rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}"), method.lower())
        for rule in seeded_app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    operations = {(path, method) for path, item in described["paths"].items() for method in item}
    assert routes == operations


def test_every_parameter_a_route_reads_is_described(seeded_client, seeded_app, monkeypatch):
    described = seeded_client.get("/api/v1/openapi.json").get_json()["paths"]
    slug = seeded_client.get("/api/v1/vendors?per_page=2").get_json()["items"][0]["slug"]
    other = seeded_client.get("/api/v1/vendors?per_page=2").get_json()["items"][1]["slug"]
    calls = {
        "/vendors": "/api/v1/vendors?q=billing",
        "/vendors/{slug}": f"/api/v1/vendors/{slug}",
        "/suggest": "/api/v1/suggest?q=ab",
        "/estimate": "/api/v1/estimate",
        "/compare": f"/api/v1/compare?vendor={slug}&vendor={other}",
        "/openapi.json": "/api/v1/openapi.json",
    }
    assert set(calls) == set(described), "each described path needs a call here"
    monkeypatch.setattr(seeded_app, "request_class", RecordingRequest)
    for path, url in calls.items():
        RecordingArgs.asked = set()
        assert seeded_client.get(url).status_code == 200, url
        parameters = described[path]["get"].get("parameters", [])
        documented = {parameter["name"] for parameter in parameters if parameter["in"] == "query"}
        assert RecordingArgs.asked == documented, (path, RecordingArgs.asked ^ documented)


def test_the_reference_page_lists_every_path_parameter_and_answer_and_every_page_links_to_it(seeded_client):
    described = seeded_client.get("/api/v1/openapi.json").get_json()
    shared = described["components"]["responses"]
    page = html.unescape(seeded_client.get("/api").get_data(as_text=True))
    sections = {
        re.search(r"<code>GET /api/v1(\S+)</code>", section).group(1): section
        for section in page.split('<section class="api-path"')[1:]
    }
    assert sections.keys() == described["paths"].keys()
    for path, operations in described["paths"].items():
        section = sections[path]
        for parameter in operations["get"].get("parameters", []):
            assert f"<code>{parameter['name']}</code>" in section, (path, parameter["name"])
        for code, response in operations["get"]["responses"].items():
            meaning = shared[response["$ref"].rsplit("/", 1)[1]] if "$ref" in response else response
            assert f"<dt><code>{code}</code></dt><dd>{meaning['description']}</dd>" in section, (path, code)
    assert "600 per minute from one client" in page
    for other in ("/", "/vendors", "/estimate"):
        assert 'href="/api">JSON API</a>' in seeded_client.get(other).get_data(as_text=True), other


def test_another_method_on_any_path_is_the_405_the_description_tells_of(seeded_client):
    described = seeded_client.get("/api/v1/openapi.json").get_json()
    assert "another method is a 405 naming them in Allow" in described["info"]["description"]
    assert "GET (with HEAD and OPTIONS) only" in described["info"]["description"]
    problem = set(described["components"]["schemas"]["Problem"]["required"])
    for path in described["paths"]:
        wrong = seeded_client.post("/api/v1" + path.replace("{slug}", "any-vendor"))
        assert wrong.status_code == 405, path
        assert {method.strip() for method in wrong.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
        assert set(wrong.get_json()) == problem, path
        options = seeded_client.options("/api/v1" + path.replace("{slug}", "any-vendor"))
        assert (options.status_code, options.data, options.headers.get("Content-Type")) == (204, b"", None)
        assert {method.strip() for method in options.headers["Allow"].split(",")} == {
            "GET",
            "HEAD",
            "OPTIONS",
        }
        assert options.headers["X-Request-ID"] and options.headers["X-Content-Type-Options"] == "nosniff"


def test_the_reference_page_gives_each_parameters_bounds_default_and_repeats(seeded_client):
    described = seeded_client.get("/api/v1/openapi.json").get_json()
    page = html.unescape(seeded_client.get("/api").get_data(as_text=True))
    listing = page.split('<section class="api-path"')[1]
    row = {
        name: re.search(rf"<code>{name}</code>.*?</tr>", listing, re.S).group()
        for name in ("q", "per_page", "shore", "buyer_country")
    }
    assert (
        f"up to {described['paths']['/vendors']['get']['parameters'][0]['schema']['maxLength']} characters"
        in row["q"]
    )
    assert "20 if not given" in row["per_page"]
    assert "each once" in row["shore"] and "in any case" in row["buyer_country"]
    compare = page.split('<section class="api-path"')[5]
    assert re.search(r"<code>vendor</code>.*?2 to 6 of them, each once", compare, re.S)
    record = page.split('<section class="api-path"')[2]
    assert re.search(r"<code>slug</code> \(required\)</th>\s*<td>The vendor's slug</td>", record)
    # Counted in each process's memory by default (RATELIMIT_STORAGE_URI=memory://): the page says so.
    assert "from one client address in each of the site's server processes" in re.sub(r"\s+", " ", page)


def test_with_limits_counted_in_redis_the_reference_page_gives_one_budget_per_address(redis_server, tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'redis.sqlite3'}", tmp_path / "index", RATELIMIT_STORAGE_URI=redis_server
    )
    page = re.sub(r"\s+", " ", app.test_client().get("/api").get_data(as_text=True))
    assert "per minute from one client address; past that" in page
