"""A request id on every response and in the request's one structured log line."""

import json
import logging
import time


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


def test_a_request_refused_by_a_hook_before_the_logs_own_counts_the_hooks_time(
    app, client, caplog, monkeypatch
):
    csrf = app.extensions["csrf"]
    checked = csrf.protect

    def slow_check(**options):
        time.sleep(0.05)
        return checked(**options)

    monkeypatch.setattr(csrf, "protect", slow_check)
    caplog.set_level(logging.INFO, logger="vendors.requests")
    refused = client.post("/shortlist/add", data={"vendor": "any"})  # no token
    assert refused.status_code == 400
    [line] = [line for line in logged_lines(caplog) if line["request_id"] == refused.headers["X-Request-ID"]]
    assert line["ms"] >= 50
