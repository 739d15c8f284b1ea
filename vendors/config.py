"""Settings from the environment, with safe local defaults kept in the instance folder."""

import os
import secrets
from decimal import Decimal, InvalidOperation
from pathlib import Path

import limits
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from vendors.reference.countries import COUNTRIES
from vendors.validation import as_spelled, digits_up_to


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def is_production() -> bool:
    return os.environ.get("FLASK_ENV", "").lower() == "production"


def from_environment(instance_path: str) -> dict:
    instance = Path(instance_path)
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(instance),
        "SECRET_KEY": secret_key(instance),
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR") or str(instance / "search-index"),
        "SEARCH_CACHE_MEGABYTES": whole_number("SEARCH_CACHE_MEGABYTES", "256", 1, 64 * 1024),
        # Whole answers kept (vendors.pagecache); 0 keeps none. In PAGE_CACHE_DIR, shared by the processes
        # that name it (gunicorn.conf.py gives its workers a fresh one); otherwise in each process's memory.
        "PAGE_CACHE_MEGABYTES": whole_number("PAGE_CACHE_MEGABYTES", "64", 0, 64 * 1024),
        "PAGE_CACHE_DIR": os.environ.get("PAGE_CACHE_DIR", ""),
        "BUYER_COUNTRY": buyer_country(os.environ.get("BUYER_COUNTRY", "US")),
        "NEARSHORE_MAX_HOURS": nearshore_max_hours(os.environ.get("NEARSHORE_MAX_HOURS", "3")),
        "ADMIN_IDLE_TIMEOUT_MINUTES": whole_number("ADMIN_IDLE_TIMEOUT_MINUTES", "30", 1, 24 * 60),
        "ADMIN_SESSION_LIFETIME_HOURS": whole_number("ADMIN_SESSION_LIFETIME_HOURS", "12", 1, 24 * 7),
        **rate_limit_storage(),
        # Always set, because the limiter object is shared by every app a process creates.
        "RATELIMIT_ENABLED": True,
        **login_limits(),
        "SUBMIT_LIMIT_PER_ADDRESS": rate_limit("SUBMIT_LIMIT_PER_ADDRESS", "5 per hour"),
        "INQUIRY_LIMIT_PER_ADDRESS": rate_limit("INQUIRY_LIMIT_PER_ADDRESS", "5 per hour"),
        "FORM_ATTEMPTS_PER_ADDRESS": rate_limit("FORM_ATTEMPTS_PER_ADDRESS", "30 per 10 minutes"),
        "SHORTLIST_LIMIT_PER_ADDRESS": rate_limit("SHORTLIST_LIMIT_PER_ADDRESS", "120 per minute"),
        "API_LIMIT_PER_ADDRESS": rate_limit("API_LIMIT_PER_ADDRESS", "600 per minute"),
        "IMPORT_MAX_MEGABYTES": (import_megabytes := whole_number("IMPORT_MAX_MEGABYTES", "20", 1, 1024)),
        "IMPORT_CHECK_SECONDS": whole_number("IMPORT_CHECK_SECONDS", "20", 1, 3600),
        # No request body is larger than an import file (with room for the form around it): a bigger one is
        # refused with 413 before it is read, rather than spooled to disk.
        "MAX_CONTENT_LENGTH": (import_megabytes + 1) << 20,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": is_production(),
        # A form's token holds as long as the visitor's session (it is bound to it), not Flask-WTF's default
        # hour: a form left open over lunch is still sent.
        "WTF_CSRF_TIME_LIMIT": None,
        "PROXY_FIX_HOPS": whole_number("PROXY_FIX_HOPS", "0", 0, 5),
        **host_settings(),
    }


def login_limits() -> dict:
    """Guesses at a password are limited per account from each client address, per client address, and per
    account from everywhere (vendors.accounts.views). Flask-Limiter checks a view's limits by their unit of
    time, shortest first, and stops at the first that refuses, having counted the ones before it: the
    account's own limit must come last, or guesses refused at one address would use it up and lock the
    account's owner out. So its unit may not be shorter than the others'."""
    limits_by_name = {
        "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS": rate_limit(
            "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS", "10 per 15 minutes"
        ),
        "LOGIN_LIMIT_PER_ADDRESS": rate_limit("LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes"),
        "LOGIN_LIMIT_PER_ACCOUNT": rate_limit("LOGIN_LIMIT_PER_ACCOUNT", "100 per 15 minutes"),
    }
    units = {
        name: [item.GRANULARITY for item in limits.parse_many(value)]
        for name, value in limits_by_name.items()
    }
    account_unit = min(units.pop("LOGIN_LIMIT_PER_ACCOUNT"), key=lambda unit: unit.seconds)
    longest = max((unit for named in units.values() for unit in named), key=lambda unit: unit.seconds)
    if account_unit.seconds < longest.seconds:
        account = limits_by_name["LOGIN_LIMIT_PER_ACCOUNT"]
        raise ConfigError(
            f"LOGIN_LIMIT_PER_ACCOUNT={account!r} must count per {longest.name} or longer, like the other "
            "login limits: a limit per a shorter unit of time is checked before them, and guesses they "
            "refuse would use it up"
        )
    return limits_by_name


def host_settings() -> dict:
    """CANONICAL_HOST: the host absolute links name (API urls, share links, redirects), whatever Host header
    a request arrives with. TRUSTED_HOSTS: the Host headers answered at all (comma-separated), the canonical
    host always among them, since every absolute link names it; any other gets a 400. Required in
    production; unset, as in local development, every host is answered."""
    canonical = os.environ.get("CANONICAL_HOST", "").strip().lower()
    trusted = [
        host.strip().lower() for host in os.environ.get("TRUSTED_HOSTS", "").split(",") if host.strip()
    ]
    if is_production() and not canonical:
        raise ConfigError(
            "CANONICAL_HOST must be set when FLASK_ENV=production (e.g. vendors.example): absolute links "
            "name it, never a request's Host header"
        )
    settings: dict = {}
    if canonical:
        if "/" in canonical or " " in canonical:
            raise ConfigError(f"CANONICAL_HOST={canonical!r} is a host name (and port), not a URL")
        settings["SERVER_NAME"] = canonical
        trusted = list(dict.fromkeys([canonical, *trusted]))
    if malformed := [host for host in trusted if "/" in host or " " in host]:
        raise ConfigError(
            f"TRUSTED_HOSTS: {', '.join(malformed)} is not a host name (and port), such as a URL"
        )
    if any(host.startswith("[") or host.count(":") > 1 for host in trusted):
        # Werkzeug compares a trusted host up to its first colon, so an IPv6 address never matches one.
        raise ConfigError(
            f"TRUSTED_HOSTS={','.join(trusted)!r}: IPv6 addresses cannot be trusted hosts; name the site by "
            "its host name"
        )
    if trusted:
        settings["TRUSTED_HOSTS"] = trusted
    return settings


def rate_limit_storage() -> dict:
    """RATELIMIT_STORAGE_URI: where limits are counted (Redis, shared by every worker and machine; by default
    each process's memory). With the storage unreachable, each worker counts in its own memory until it
    answers again (Flask-Limiter looks every few seconds), rather than failing every limited request.

    A form's accepted sends are counted after the answer (Flask-Limiter's deduct_when), outside that
    fallback: should the storage stop answering between the check and the count, the error is logged and the
    answer kept, since by then the form is saved and an error page would have the visitor send it again.
    Flask-Limiter applies that to every limit: one that cannot be worked out even in memory (a bug) is
    logged with its traceback and lets the request through (tests/test_limit_storage_outage.py)."""
    uri = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    settings = {
        "RATELIMIT_STORAGE_URI": uri,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
    }
    if uri.startswith(("redis://", "rediss://")):
        # A Redis that stops answering costs a request a second at most, not the worker's whole timeout.
        settings["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 1}
    return settings


def rate_limit(name: str, default: str) -> str:
    value = os.environ.get(name) or default
    try:
        limits.parse_many(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a rate limit like '10 per 15 minutes'") from None
    return value


def whole_number(name: str, default: str, low: int, high: int) -> int:
    value = os.environ.get(name) or default
    number = digits_up_to(value, high)
    if number is None or number < low:
        raise ConfigError(f"{name}={value[:20]!r} must be a whole number from {low} to {high}")
    return number


def database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance / 'vendors.sqlite3'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy needs the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url.removeprefix(prefix)
    try:
        backend = make_url(url).drivername
    except ArgumentError:
        backend = None
    if backend not in ("sqlite", "postgresql+psycopg"):
        raise ConfigError(
            "DATABASE_URL must be sqlite:///path/to/file or postgresql://user:password@host/database"
        )
    return url


def secret_key(instance: Path) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if is_production():
        raise ConfigError("SECRET_KEY must be set when FLASK_ENV=production")
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def buyer_country(code: str) -> str:
    code = as_spelled(code, capitals=True)
    if code not in COUNTRIES:
        raise ConfigError(
            f"BUYER_COUNTRY={code!r} is not a country the directory knows (use an ISO code like US)"
        )
    return code


def nearshore_max_hours(value: str) -> Decimal:
    try:
        hours = Decimal(value)
    except InvalidOperation:
        raise ConfigError(f"NEARSHORE_MAX_HOURS={value!r} is not a number of hours") from None
    if not 0 <= hours <= 12:
        raise ConfigError(f"NEARSHORE_MAX_HOURS={value!r} must be between 0 and 12")
    return hours
