"""A lasting fault's warning: once a minute, on one line."""

import logging

from vendors.throttle import ThrottledWarnings

log = logging.getLogger("tests.throttle")


def test_a_warning_is_logged_once_a_minute_on_one_line_whatever_its_errors_text(caplog):
    warnings = ThrottledWarnings(log)
    error = OSError("connection failed: refused\n\tIs the server running on that host?")
    with caplog.at_level(logging.WARNING, logger="tests.throttle"):
        for _ in range(3):
            warnings.warning("lost", "stopped hearing (%s); answering %d pages", error, 7)
    [record] = caplog.records
    assert record.getMessage() == (
        "stopped hearing (connection failed: refused Is the server running on that host?); answering 7 pages"
    )
