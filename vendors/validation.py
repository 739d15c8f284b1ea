"""The one error shape for bad request parameters, shared by the directory, the estimator and the API, and
the plain number and date they all take."""

import re
from datetime import date
from decimal import Decimal

# ASCII digits with an optional decimal point: no exponent, sign, digit grouping, or other scripts' digits
# (which Decimal and int would read).
UNGROUPED_NUMBER = r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+"
# The hourly rates a vendor may list, in US dollars, and so the rates an estimate takes: every listed
# vendor's rates can be estimated with.
LOWEST_RATE, HIGHEST_RATE = Decimal("0.5"), Decimal(1000)
# Only the form people are told to write: date.fromisoformat alone also reads "20261201" and "2026-W01-1".
WRITTEN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def digits_up_to(text: str, high: int) -> int | None:
    """The number text writes in ASCII digits, if it is at most high; None otherwise. Its length is checked
    before int() reads it: int() refuses more than 4,300 digits (a ValueError) and is slow on long ones."""
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(high)):
        return None
    number = int(text)
    return number if number <= high else None


def as_spelled(raw: str, capitals: bool = False) -> str:
    """A code or slug as typed (any case, spaces around it) in the vocabulary's spelling: capitals for country
    codes, lower case for the rest. Letters of other scripts are left as they are, so none is taken for an
    ASCII one: a dotless i in capitals is I, a long s is S and the Kelvin sign in lower case is k."""
    value = raw.strip()
    if not value.isascii():
        return value
    return value.upper() if capitals else value.lower()


def written_date(text: str) -> date | None:
    """The date text names in YYYY-MM-DD; None when it is in another form or names no day (2026-02-30)."""
    if not WRITTEN_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class InvalidParameters(ValueError):
    """One or more parameters are invalid; `problems` maps each parameter name to what is wrong with it."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems.items()))
