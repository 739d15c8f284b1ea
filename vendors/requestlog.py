"""One structured log line per request, and a request id that ties the line to the response.

The id comes from the X-Request-ID header when a proxy in front already set a sane one (so its logs and ours
line up), else it is made here; either way it goes back in the response's X-Request-ID header. The line is
JSON: method, path, status, duration, the id and the worker's process id, the fields an operator searches by.
"""

import json
import logging
import os
import re
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("vendors.requests")
HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def init_app(app: Flask) -> None:
    app.before_request(start)
    app.after_request(finish)


def request_id() -> str:
    return g.get("request_id", "")


def start(began: float | None = None) -> None:
    """Name the request and note when it began (time.perf_counter(); now unless a kept page answered before
    the hooks, vendors.frontdoor, says when it began)."""
    offered = request.headers.get(HEADER, "")
    g.request_id = offered if _SANE_ID.fullmatch(offered) else uuid.uuid4().hex
    g.request_started = time.perf_counter() if began is None else began


def finish(response: Response) -> Response:
    if "request_id" not in g:  # a response made before the request began (a routing error, say)
        start()
    response.headers[HEADER] = g.request_id
    log_answer(response.status_code)
    return response


def log_answer(status: int) -> None:
    """The request's line, when lines are logged; start() named the request."""
    if not log.isEnabledFor(logging.INFO):
        return
    took = (time.perf_counter() - g.request_started) * 1000
    line = {
        "request_id": g.request_id,
        "method": request.method,
        "path": request.path,
        "status": status,
        "ms": round(took, 1),
        "pid": os.getpid(),  # which worker answered
    }
    log.info(json.dumps(line))
