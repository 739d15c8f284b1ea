"""Kept API reads counted against the API's limit without Flask-Limiter's look-up of which limits apply.

Before it counts a request, Flask-Limiter works out which of its limits apply to it (the app's, the
blueprint's, the route's, exemptions, request filters, meta limits), on every request: with the headers it
then adds, 86 of a kept API answer's 253 µs in one process. Every API route has one limit, the blueprint's
shared API_LIMIT_PER_ADDRESS (vendors.api), so a read answered from the page cache before the hooks
(vendors.frontdoor) is counted against that limit directly, through Flask-Limiter's counting strategy (its
documented `Limiter.limiter`), and given the same X-RateLimit headers. A read this cannot count (refused,
or the limit's storage failing) goes the usual way, where Flask-Limiter answers it.

Names used beyond Flask-Limiter's documented API, and why:
- the identifiers it counts a shared limit under, [key prefix, client key, scope]: counting under others
  would give a client two budgets, one for kept reads and one for the rest;
- `Limiter._key_prefix`, the prefix it puts first (RATELIMIT_KEY_PREFIX, or the constructor's), for the same
  reason;
- `Limiter._storage_dead`: while the storage is failing, Flask-Limiter counts in memory and looks now and
  then whether the storage is back; those reads go the usual way so that it keeps looking.
The site leaves Flask-Limiter's header settings at what vendors.extensions gives them (Retry-After in
seconds, not as a date), and so do these headers.
tests/test_countedreads.py fails loudly when any of them changes: kept and usual reads share one budget,
with and without a key prefix, and every API route's limits, as Flask-Limiter works them out, are the one
counted here.
"""

import functools
import logging
import math
import time

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many

from vendors.extensions import LIMIT_HEADERS, limiter
from vendors.throttle import ThrottledWarnings

log = logging.getLogger(__name__)
WARNINGS = ThrottledWarnings(log)
API_LIMIT_SCOPE = "api"  # the scope of the API's shared limit (vendors.api)


def count_kept_read() -> list[tuple[str, str]] | None:
    """Count this API read against the API's limit; the X-RateLimit headers for its answer, or None when the
    read must go the usual way: past the limit (Flask-Limiter then answers the 429), or while the limit's
    storage is failing. A storage that fails here raises, and the read goes the usual way too (vendors.Site),
    where Flask-Limiter starts counting in memory."""
    if not limiter.enabled:
        return []
    if limiter._storage_dead:
        return None
    items, identifiers = counted_under()
    strategy = limiter.limiter
    # The usual way counts a refused read again: with several limits, one refusing must leave the others
    # uncounted here, or they would count it twice.
    if len(items) > 1 and not all(strategy.test(item, *identifiers) for item in items):
        return None
    for item in items:  # as Flask-Limiter counts them: shortest first, none after a refusal
        if not strategy.hit(item, *identifiers):
            return None
    reset, remaining = strategy.get_window_stats(items[0], *identifiers)
    reset_at = int(reset + 1)
    return [
        (LIMIT_HEADERS["limit"], str(items[0].amount)),
        (LIMIT_HEADERS["remaining"], str(remaining)),
        (LIMIT_HEADERS["reset"], str(reset_at)),
        (LIMIT_HEADERS["retry_after"], str(int(reset_at - time.time()))),
    ]


def seconds_refused_for_an_unrouted_request() -> int | None:
    """Count a request to an API address no route takes (an unknown one, or a method the address does not
    take) against the API's limit, which Flask-Limiter applies to routed requests alone: guessing addresses
    spends the same budget as reading them. The seconds until the limit lets another request through when
    this one is past it; None when it is let through, as while the storage fails (as Flask-Limiter lets
    routed requests through, RATELIMIT_SWALLOW_ERRORS)."""
    if not limiter.enabled or limiter._storage_dead:
        return None
    items, identifiers = counted_under()
    strategy = limiter.limiter
    try:
        for item in items:  # as Flask-Limiter counts them: shortest first, none after a refusal
            if not strategy.hit(item, *identifiers):
                reset, _remaining = strategy.get_window_stats(item, *identifiers)
                return max(1, math.ceil(reset - time.time()))
    except Exception as error:  # the storage failing: the request is let through, and said so once a minute
        WARNINGS.warning(
            "storage", "the API's limit could not count a request: %s: %s", type(error).__name__, error
        )
    return None


def counted_under() -> tuple[list[RateLimitItem], list[str]]:
    """The API's limits, shortest first, and what this request is counted under in each."""
    items = _limits(current_app.config["API_LIMIT_PER_ADDRESS"])
    return items, [*filter(None, [limiter._key_prefix]), get_remote_address(), API_LIMIT_SCOPE]


@functools.lru_cache(maxsize=8)
def _limits(setting: str) -> list[RateLimitItem]:
    return sorted(parse_many(setting))
