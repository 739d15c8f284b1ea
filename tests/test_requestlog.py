"""A request id on every response and in the request's one structured log line."""

import json
import logging


def logged_lines(caplog) -> list[dict]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == "vendors.requests"]


def test_every_response_has_a_request_id_that_its_log_line_carries(client, caplog):
    caplog.set_level(logging.INFO, logger="vendors.requests")
    ids = set()
    for url in ("/vendors", "/api/v1/vendors", "/no-such-page", "/static/css/site.css"):
        response = client.get(url)
        ids.add(response.headers["X-Request-ID"])
        [line] = [
            line for line in logged_lines(caplog) if line["request_id"] == response.headers["X-Request-ID"]
        ]
        assert line["path"] == url.split("?")[0] and line["status"] == response.status_code
        assert line["method"] == "GET" and line["ms"] >= 0
    assert len(ids) == 4, "each request has its own id"


def test_a_proxys_request_id_is_kept_and_a_strange_one_replaced(client):
    kept = client.get("/vendors", headers={"X-Request-ID": "edge-4f2a9c1b"})
    assert kept.headers["X-Request-ID"] == "edge-4f2a9c1b"
    for strange in ("short", "a" * 65, "bad id with spaces", '"><script>'):
        replaced = client.get("/vendors", headers={"X-Request-ID": strange}).headers["X-Request-ID"]
        assert replaced != strange and len(replaced) == 32
