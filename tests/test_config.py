from decimal import Decimal

import pytest

from vendors import config


@pytest.fixture
def clean_environment(monkeypatch):
    for name in (
        "DATABASE_URL",
        "SECRET_KEY",
        "FLASK_ENV",
        "SEARCH_INDEX_DIR",
        "BUYER_COUNTRY",
        "NEARSHORE_MAX_HOURS",
        "CANONICAL_HOST",
        "TRUSTED_HOSTS",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_live_in_the_instance_folder(clean_environment, tmp_path):
    settings = config.from_environment(str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'vendors.sqlite3'}"
    assert settings["SEARCH_INDEX_DIR"] == str(tmp_path / "search-index")
    assert settings["BUYER_COUNTRY"] == "US"
    assert settings["NEARSHORE_MAX_HOURS"] == Decimal(3)


def test_the_defaults_the_readme_lists(clean_environment, tmp_path):
    settings = config.from_environment(str(tmp_path))
    assert {name: settings[name] for name in README_DEFAULTS} == README_DEFAULTS


README_DEFAULTS = {
    "SEARCH_CACHE_MEGABYTES": 256,
    "PAGE_CACHE_MEGABYTES": 64,
    "ADMIN_IDLE_TIMEOUT_MINUTES": 30,
    "ADMIN_SESSION_LIFETIME_HOURS": 12,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS": "10 per 15 minutes",
    "LOGIN_LIMIT_PER_ACCOUNT": "100 per 15 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "30 per 15 minutes",
    "INQUIRY_LIMIT_PER_ADDRESS": "5 per hour",
    "SHORTLIST_LIMIT_PER_ADDRESS": "120 per minute",
    "API_LIMIT_PER_ADDRESS": "600 per minute",
    "SUBMIT_LIMIT_PER_ADDRESS": "5 per hour",
    "FORM_ATTEMPTS_PER_ADDRESS": "30 per 10 minutes",
    "IMPORT_MAX_MEGABYTES": 20,
    "IMPORT_CHECK_SECONDS": 20,
}


def test_redis_counts_give_up_within_a_second(clean_environment):
    clean_environment.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    assert config.rate_limit_storage()["RATELIMIT_STORAGE_OPTIONS"] == {
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
    }


def test_local_secret_key_is_generated_once_and_kept(clean_environment, tmp_path):
    first = config.from_environment(str(tmp_path))["SECRET_KEY"]
    second = config.from_environment(str(tmp_path))["SECRET_KEY"]
    assert len(first) >= 32 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_requires_a_secret_key_and_a_canonical_host(clean_environment, tmp_path):
    clean_environment.setenv("FLASK_ENV", "production")
    clean_environment.setenv("CANONICAL_HOST", "vendors.example")
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.from_environment(str(tmp_path))
    clean_environment.setenv("SECRET_KEY", "from-the-environment")
    assert config.from_environment(str(tmp_path))["SECRET_KEY"] == "from-the-environment"
    clean_environment.delenv("CANONICAL_HOST")
    with pytest.raises(config.ConfigError, match="CANONICAL_HOST must be set when FLASK_ENV=production"):
        config.from_environment(str(tmp_path))


def test_postgres_urls_get_the_psycopg_driver(clean_environment, tmp_path):
    clean_environment.setenv("DATABASE_URL", "postgres://user@db.internal/vendors")
    url = config.from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"]
    assert url == "postgresql+psycopg://user@db.internal/vendors"


def test_buyer_country_and_nearshore_hours_from_the_environment(clean_environment, tmp_path):
    clean_environment.setenv("BUYER_COUNTRY", "gb")
    clean_environment.setenv("NEARSHORE_MAX_HOURS", "2.5")
    settings = config.from_environment(str(tmp_path))
    assert settings["BUYER_COUNTRY"] == "GB"
    assert settings["NEARSHORE_MAX_HOURS"] == Decimal("2.5")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BUYER_COUNTRY", "XX"),
        ("BUYER_COUNTRY", "\u0131n"),  # a dotless i, which upper-cases to I
        ("NEARSHORE_MAX_HOURS", "three"),
        ("NEARSHORE_MAX_HOURS", "-1"),
        ("API_LIMIT_PER_ADDRESS", "lots"),
        ("PAGE_CACHE_MEGABYTES", "-1"),
        ("ADMIN_SESSION_LIFETIME_HOURS", "0"),
        ("PAGE_CACHE_MEGABYTES", "\u00b2"),
        ("PAGE_CACHE_MEGABYTES", "9" * 5000),
        ("TRUSTED_HOSTS", "https://vendors.example/"),
        ("TRUSTED_HOSTS", "vendors.example, ::1"),
        ("DATABASE_URL", "not a database"),
        ("DATABASE_URL", "mysql://user@db/vendors"),
    ],
)
def test_bad_settings_fail_with_a_message_naming_them(clean_environment, tmp_path, name, value):
    clean_environment.setenv(name, value)
    with pytest.raises(config.ConfigError, match=name):
        config.from_environment(str(tmp_path))


@pytest.mark.parametrize(
    ("account", "others", "refused"),
    [
        ("100 per second", "10 per 15 minutes", True),
        ("100 per 15 minutes", "10 per hour", True),
        ("100 per minute", "10 per 15 minutes", False),  # the same unit: declared order decides
        ("1000 per day", "10 per 15 minutes", False),
    ],
)
def test_the_accounts_own_login_limit_may_not_count_per_a_shorter_unit_than_the_others(
    clean_environment, tmp_path, account, others, refused
):
    clean_environment.setenv("LOGIN_LIMIT_PER_ACCOUNT", account)
    clean_environment.setenv("LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS", others)
    if refused:
        with pytest.raises(config.ConfigError, match=r"LOGIN_LIMIT_PER_ACCOUNT=.* must count per"):
            config.from_environment(str(tmp_path))
    else:
        assert config.from_environment(str(tmp_path))["LOGIN_LIMIT_PER_ACCOUNT"] == account


def test_absolute_links_name_the_canonical_host_and_other_hosts_are_refused(clean_environment, tmp_path):
    from tests.conftest import make_app
    from tests.factories import add_vendors, vendor_record
    from vendors.extensions import db

    clean_environment.setenv("CANONICAL_HOST", "vendors.example")
    settings = config.host_settings()
    assert settings == {"SERVER_NAME": "vendors.example", "TRUSTED_HOSTS": ["vendors.example"]}
    app = make_app(f"sqlite:///{tmp_path / 'hosts.sqlite3'}", tmp_path / "index", **settings)
    with app.app_context():
        db.create_all()
        add_vendors(vendor_record(name="Canonical Co"))
    client = app.test_client()
    forged = client.get("/api/v1/vendors", headers={"Host": "attacker.example"})
    assert forged.status_code == 400 and forged.get_json()["error"] == "Bad Request"
    other_port = client.get("/api/v1/vendors", headers={"Host": "vendors.example:8443"})
    assert other_port.status_code == 200, "trusted hosts are matched without their port"
    listed = client.get("/api/v1/vendors", base_url="https://vendors.example").get_json()
    assert listed["items"][0]["url"].startswith("https://vendors.example/vendors/")
    suggested = client.get("/api/v1/suggest?q=canon", headers={"Host": "vendors.example:8443"}).get_json()
    assert suggested["vendors"][0]["url"].startswith("http://vendors.example/vendors/")
    clean_environment.setenv("TRUSTED_HOSTS", "vendors.example, www.vendors.example")
    assert config.host_settings()["TRUSTED_HOSTS"] == ["vendors.example", "www.vendors.example"]
    clean_environment.setenv("TRUSTED_HOSTS", "www.vendors.example, other.example:8443")
    assert config.host_settings()["TRUSTED_HOSTS"] == [
        "vendors.example",
        "www.vendors.example",
        "other.example:8443",
    ]
    clean_environment.setenv("CANONICAL_HOST", "https://vendors.example/")
    with pytest.raises(config.ConfigError, match="CANONICAL_HOST"):
        config.host_settings()
    clean_environment.setenv("CANONICAL_HOST", "[::1]:8000")
    clean_environment.delenv("TRUSTED_HOSTS")
    with pytest.raises(config.ConfigError, match="IPv6 addresses cannot be trusted hosts"):
        config.host_settings()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/vendors?q=billing"),
        ("HEAD", "/estimate"),
        ("GET", "/static/css/site.css"),
        ("GET", "/healthz"),
        ("GET", "/no-such-page"),
        ("POST", "/shortlist"),
    ],
)
def test_a_host_not_trusted_is_refused_with_the_sites_400_page(clean_environment, tmp_path, method, path):
    from tests.conftest import make_app
    from tests.test_error_pages import in_layout
    from vendors.extensions import db

    clean_environment.setenv("CANONICAL_HOST", "vendors.example")
    app = make_app(f"sqlite:///{tmp_path / 'hosts.sqlite3'}", tmp_path / "index", **config.host_settings())
    with app.app_context():
        db.create_all()
    client = app.test_client()
    refused = client.open(path, method=method, headers={"Host": "attacker.example"})
    assert refused.status_code == 400
    assert refused.headers["X-Request-ID"]
    assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]
    if method != "HEAD":
        body = in_layout(refused)
        assert "is not trusted" in body and 'href="/vendors"' in body and "attacker.example/" not in body
    trusted = client.open(path, method=method, base_url="http://vendors.example")
    assert "is not trusted" not in trusted.get_data(as_text=True)


def test_a_trusted_host_is_answered_however_its_name_is_capitalised(clean_environment, tmp_path):
    from tests.conftest import make_app
    from vendors.extensions import db

    clean_environment.setenv("CANONICAL_HOST", "vendors.example")
    app = make_app(f"sqlite:///{tmp_path / 'hosts.sqlite3'}", tmp_path / "index", **config.host_settings())
    with app.app_context():
        db.create_all()
    client = app.test_client()
    first = client.get("/estimate", headers={"Host": "Vendors.EXAMPLE"})
    assert first.status_code == 200
    again = client.get("/estimate", headers={"Host": "vendors.example"})
    assert again.headers["X-Cache"] == "hit"  # one page, kept once, whatever the spelling


@pytest.mark.parametrize("host", ["a:1:2", "two words", "x:99999", "..", "a..b", "a/b"])
@pytest.mark.parametrize("path", ["/vendors", "/estimate", "/api/v1/vendors?per_page=1", "/no-such-page"])
def test_without_host_settings_a_host_that_is_no_host_name_is_refused(
    clean_environment, tmp_path, host, path
):
    """Werkzeug reads such a host as none, or cannot encode it: links naming no host (http:///vendors) and
    a 500 for the error page's own links, before."""
    from tests.conftest import make_app
    from tests.test_error_pages import in_layout
    from vendors.extensions import db

    clean_environment.delenv("CANONICAL_HOST", raising=False)
    clean_environment.delenv("TRUSTED_HOSTS", raising=False)
    app = make_app(f"sqlite:///{tmp_path / 'hosts.sqlite3'}", tmp_path / "index", **config.host_settings())
    with app.app_context():
        db.create_all()
    refused = app.test_client().get(path, headers={"Host": host})
    assert refused.status_code == 400
    assert refused.headers["X-Request-ID"]
    if path.startswith("/api/"):
        assert refused.get_json()["error"] == "Bad Request"
    else:
        assert 'href="/vendors"' in in_layout(refused)
    answered = app.test_client().get(path, headers={"Host": "127.0.0.1:8000"})
    assert answered.status_code == (404 if path == "/no-such-page" else 200)


def test_without_host_settings_every_host_is_answered(clean_environment, tmp_path):
    clean_environment.delenv("CANONICAL_HOST", raising=False)
    clean_environment.delenv("TRUSTED_HOSTS", raising=False)
    assert config.host_settings() == {}


@pytest.mark.parametrize("production", [True, False])
def test_every_cookie_the_site_sets_is_secure_in_production_and_only_there(
    clean_environment, tmp_path, production
):
    """Outside production the cookies must travel over plain HTTP, or forms on a local server would fail."""
    from tests.conftest import make_app
    from tests.factories import add_vendors, csrf_token, vendor_record
    from vendors.extensions import db

    if production:
        clean_environment.setenv("FLASK_ENV", "production")
        clean_environment.setenv("CANONICAL_HOST", "localhost")
        clean_environment.setenv("SECRET_KEY", "a-production-secret-key-of-enough-length-0123456789")
    secure = config.from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"]
    app = make_app(
        f"sqlite:///{tmp_path / 'cookies.sqlite3'}", tmp_path / "index", SESSION_COOKIE_SECURE=secure
    )
    with app.app_context():
        db.create_all()
        slug = add_vendors(vendor_record(name="Cookie Co"))[0].slug
    client = app.test_client()
    base = "https://localhost" if production else "http://localhost"
    set_cookies = client.get("/vendors?buyer_country=DE", base_url=base).headers.getlist("Set-Cookie")
    token = csrf_token(client, "/vendors")
    added = client.post(
        "/shortlist/add",
        data={"vendor": slug, "csrf_token": token},
        base_url=base,
        headers={"Referer": f"{base}/vendors"},
    )
    assert added.status_code == 303
    set_cookies += added.headers.getlist("Set-Cookie")
    names = {cookie.split("=", 1)[0] for cookie in set_cookies}
    assert {"buyer_country", "session", "shortlist"} <= names, names
    assert [("; Secure" in cookie) for cookie in set_cookies] == [production] * len(set_cookies), set_cookies
