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


def note_the_start() -> None:
    """Note when the request's handling began (vendors.Site), before any hook: the hooks that run before
    start() (the CSRF check, the rate limiter, the admin's session) and a refusal by one of them are part of
    its time."""
    g.request_started = time.perf_counter()


def start() -> None:
    """Name the request; its time counts from note_the_start(), else from now."""
    offered = request.headers.get(HEADER, "")
    g.request_id = offered if _SANE_ID.fullmatch(offered) else uuid.uuid4().hex
    if "request_started" not in g:
        g.request_started = time.perf_counter()


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
