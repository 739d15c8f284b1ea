"""The API's description is kept in step with the code: every route and every parameter a route reads."""

from typing import ClassVar

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict


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
        rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
        for rule in seeded_app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and "GET" in rule.methods
    }
    assert routes == set(described["paths"])


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
    }
    monkeypatch.setattr(seeded_app, "request_class", RecordingRequest)
    for path, url in calls.items():
        RecordingArgs.asked = set()
        assert seeded_client.get(url).status_code == 200, url
        documented = {parameter["name"] for parameter in described[path]["get"]["parameters"]}
        assert RecordingArgs.asked, f"{url} read no parameter: the recording would prove nothing"
        assert RecordingArgs.asked <= documented, (path, RecordingArgs.asked - documented)


def test_the_reference_page_lists_every_path_and_parameter(seeded_client):
    described = seeded_client.get("/api/v1/openapi.json").get_json()["paths"]
    page = seeded_client.get("/api").get_data(as_text=True)
    for path, operations in described.items():
        assert f"GET /api/v1{path}" in page, path
        for parameter in operations["get"].get("parameters", []):
            assert f"<code>{parameter['name']}</code>" in page, (path, parameter["name"])
