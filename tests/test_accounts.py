"""Admin accounts: `flask users`, passwords, login and logout, server-side sessions and login limits."""

import sqlite3
import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from tests.conftest import make_app
from tests.factories import PASSWORD, add_user, csrf_token, login, post_form
from vendors.accounts import passwords
from vendors.accounts.models import LoginSession, User, user_by_email
from vendors.audit import AuditEntry
from vendors.database import write_transaction
from vendors.extensions import db

STRONG = "a long and unusual passphrase"


def signed_in(client) -> bool:
    """Whether the client's cookie opens an admin page (rather than being sent to the login page)."""
    response = client.get("/admin/vendors")
    return response.status_code == 200


def copy_cookies(source, target) -> None:
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


# ------------------------------------------------------------------------------------------ the CLI
def test_users_create_with_the_password_from_the_environment(runner, monkeypatch):
    monkeypatch.setenv("FIRST_ADMIN_PASSWORD", STRONG)
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Ann@Example.com",
            "--role",
            "admin",
            "--password-env",
            "FIRST_ADMIN_PASSWORD",
        ]
    )

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Created admin ann@example.com."
    user = user_by_email("ann@example.com")
    assert user.role == "admin" and user.active
    assert user.password_hash.startswith("$argon2id$")
    assert passwords.verify(user.password_hash, STRONG)
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.subject == "user")) == "created"


def test_users_create_prompts_for_the_password_twice(runner):
    result = runner.invoke(
        args=["users", "create", "ed@example.com", "--role", "editor"], input=f"{STRONG}\n{STRONG}\n"
    )
    assert result.exit_code == 0, result.output
    assert user_by_email("ed@example.com").role == "editor"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "at least 12 characters"),
        ("qwerty123456", "commonly used"),
        ("ann.example@rocks", "email"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(runner, monkeypatch, password, message):
    monkeypatch.setenv("PW", password)
    result = runner.invoke(
        args=["users", "create", "ann.example@example.com", "--role", "editor", "--password-env", "PW"]
    )
    assert result.exit_code != 0
    assert message in result.output
    assert user_by_email("ann.example@example.com") is None


def test_a_second_account_with_the_same_email_is_refused(runner, monkeypatch):
    add_user("ann@example.com")
    monkeypatch.setenv("PW", STRONG)
    result = runner.invoke(
        args=["users", "create", "ANN@example.com", "--role", "admin", "--password-env", "PW"]
    )
    assert result.exit_code != 0
    assert "already an account" in result.output


def test_a_missing_password_variable_is_an_error(runner):
    result = runner.invoke(
        args=["users", "create", "ann@example.com", "--role", "admin", "--password-env", "NOT_SET_ANYWHERE"]
    )
    assert result.exit_code != 0
    assert "NOT_SET_ANYWHERE is not set" in result.output


def test_users_list_set_password_and_disable(runner, monkeypatch, client):
    add_user("ann@example.com", role="admin")
    add_user("ed@example.com")
    login(client, "ed@example.com")
    assert signed_in(client)

    listed = runner.invoke(args=["users", "list"])
    assert "ann@example.com" in listed.output and "ed@example.com" in listed.output
    assert listed.output.strip().splitlines()[-1] == "2 account(s)."

    monkeypatch.setenv("PW", STRONG)
    changed = runner.invoke(args=["users", "set-password", "ed@example.com", "--password-env", "PW"])
    assert changed.exit_code == 0, changed.output
    assert changed.output.strip() == "New password set for ed@example.com; 1 session(s) ended."
    assert not signed_in(client)
    assert login(client, "ed@example.com", PASSWORD).status_code == 401
    assert login(client, "ed@example.com", STRONG).status_code == 303

    disabled = runner.invoke(args=["users", "disable", "ed@example.com"])
    assert disabled.output.strip() == "Disabled ed@example.com; 1 session(s) ended."
    assert not signed_in(client)
    assert login(client, "ed@example.com", STRONG).status_code == 401
    assert "disabled" in runner.invoke(args=["users", "list"]).output

    enabled = runner.invoke(args=["users", "enable", "ed@example.com"])
    assert enabled.output.strip() == "Enabled ed@example.com."
    assert login(client, "ed@example.com", STRONG).status_code == 303


def test_commands_about_unknown_accounts_say_so(runner):
    result = runner.invoke(args=["users", "disable", "nobody@example.com"])
    assert result.exit_code != 0
    assert "There is no account for nobody@example.com" in result.output


# ------------------------------------------------------------------------------------------ login
def test_login_starts_a_fresh_session_and_logout_ends_it_everywhere(client, app):
    add_user("ed@example.com")
    csrf_token(client)
    before = client.get_cookie("session").value

    response = login(client, "ed@example.com")

    assert (response.status_code, response.location) == (303, "/admin")
    assert client.get_cookie("session").value != before
    assert signed_in(client)
    copied = app.test_client()
    copy_cookies(client, copied)
    assert signed_in(copied)

    response = post_form(client, "/admin/logout")
    assert (response.status_code, response.location) == (303, "/admin/login")
    assert not signed_in(client)
    # The cookie copied before the logout opens nothing any more.
    assert not signed_in(copied)
    response = copied.get("/admin/vendors")
    assert response.status_code == 302 and response.location.startswith("/admin/login")


def test_each_login_is_a_new_server_session(client):
    add_user("ed@example.com")
    login(client, "ed@example.com")
    post_form(client, "/admin/logout")
    login(client, "ed@example.com")
    rows = db.session.scalars(select(LoginSession).order_by(LoginSession.id)).all()
    assert len(rows) == 2
    assert rows[0].ended_at is not None and rows[1].ended_at is None
    assert rows[0].token_hash != rows[1].token_hash


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(client):
    add_user("ed@example.com")
    wrong = login(client, "ed@example.com", "not the password at all")
    unknown = login(client, "nobody@example.com", "not the password at all")

    assert wrong.status_code == unknown.status_code == 401
    message = "That email and password do not match an active account."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_a_disabled_account_cannot_sign_in(client):
    add_user("ed@example.com", active=False)
    assert login(client, "ed@example.com").status_code == 401


def test_a_hash_made_with_old_parameters_is_upgraded_at_the_next_login(client):
    add_user("ed@example.com")
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with write_transaction() as session:
        session.execute(update(User).values(password_hash=old))

    assert login(client, "ed@example.com").status_code == 303

    stored = db.session.scalar(select(User.password_hash))
    assert stored != old
    assert not passwords.needs_rehash(stored)
    assert passwords.verify(stored, PASSWORD)


def test_changing_ones_password_signs_out_every_other_session(client, app):
    add_user("ed@example.com")
    other = app.test_client()
    login(other, "ed@example.com")
    login(client, "ed@example.com")

    response = post_form(
        client,
        "/admin/account/password",
        {"current_password": PASSWORD, "new_password": STRONG, "confirm_password": STRONG},
        token_from="/admin/account/password",
    )

    assert response.status_code == 303
    assert signed_in(client)
    assert not signed_in(other)
    assert passwords.verify(db.session.scalar(select(User.password_hash)), STRONG)


def test_a_wrong_current_password_changes_nothing(client):
    add_user("ed@example.com")
    login(client, "ed@example.com")
    response = post_form(
        client,
        "/admin/account/password",
        {"current_password": "wrong wrong wrong", "new_password": STRONG, "confirm_password": STRONG},
        token_from="/admin/account/password",
    )
    assert response.status_code == 400
    assert "This is not your current password." in response.get_data(as_text=True)
    assert passwords.verify(db.session.scalar(select(User.password_hash)), PASSWORD)


@pytest.mark.parametrize(
    ("column", "age"),
    [("last_seen_at", timedelta(minutes=31)), ("created_at", timedelta(hours=12, minutes=1))],
)
def test_sessions_end_after_the_idle_timeout_and_the_absolute_lifetime(client, column, age):
    add_user("ed@example.com")
    login(client, "ed@example.com")
    assert signed_in(client)
    with write_transaction() as session:
        moment = session.scalar(select(getattr(LoginSession, column)))
        session.execute(update(LoginSession).values({column: moment - age}))

    assert not signed_in(client)
    assert db.session.scalar(select(LoginSession.ended_at)) is not None


def test_the_timeouts_are_settings(app, client):
    app.config["ADMIN_IDLE_TIMEOUT_MINUTES"] = 5
    add_user("ed@example.com")
    login(client, "ed@example.com")
    with write_transaction() as session:
        seen = session.scalar(select(LoginSession.last_seen_at))
        session.execute(update(LoginSession).values(last_seen_at=seen - timedelta(minutes=6)))
    assert not signed_in(client)


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/admin/vendors?status=draft", "/admin/vendors?status=draft"),
        ("//evil.example/", "/admin"),
        ("https://evil.example/admin", "/admin"),
        ("/\\evil.example", "/admin"),
        ("/%09/evil.example", "/admin"),
        ("javascript:alert(1)", "/admin"),
    ],
)
def test_next_only_leads_to_this_sites_own_paths(client, target, landing):
    add_user("ed@example.com")
    response = login(client, "ed@example.com", next_path=target.replace("?", "%3F").replace("&", "%26"))
    assert response.status_code == 303
    assert response.location == landing


def test_too_many_failed_logins_for_one_account_get_429_with_retry_after(app, client):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per 15 minutes"
    add_user("ed@example.com")
    answers = [login(client, "ed@example.com", f"wrong guess {n}").status_code for n in range(3)]
    blocked = login(client, "ed@example.com")  # even the right password is refused now

    assert answers == [401, 401, 401]
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "too many attempts" in blocked.get_data(as_text=True)
    # Another account from the same address is not blocked by this account's limit.
    add_user("ann@example.com")
    assert login(client, "ann@example.com").status_code == 303


def client_at(app, address: str):
    """A browser whose requests come from `address`."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def test_guesses_from_one_address_do_not_lock_the_account_out_from_another(app):
    app.config["LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"] = "3 per 15 minutes"
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "5 per 15 minutes"
    add_user("ed@example.com")
    guesser, owner = client_at(app, "203.0.113.7"), client_at(app, "198.51.100.20")

    answers = [login(guesser, "ed@example.com", f"wrong guess {n}").status_code for n in range(8)]

    assert answers == [401] * 3 + [429] * 5  # the refused ones leave the account's own limit alone
    assert login(guesser, "ed@example.com").status_code == 429  # even the right password, from there
    assert login(owner, "ed@example.com").status_code == 303


def test_the_limit_headers_of_a_login_count_only_this_addresss_guesses(app):
    add_user("ed@example.com")
    for _ in range(3):
        login(client_at(app, "203.0.113.7"), "ed@example.com", "wrong password")

    answer = login(client_at(app, "198.51.100.20"), "ed@example.com", "wrong password")

    assert (answer.headers["X-RateLimit-Limit"], answer.headers["X-RateLimit-Remaining"]) == ("10", "9")


def test_guesses_spread_over_addresses_meet_the_accounts_own_limit(app):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "4 per 15 minutes"
    add_user("ed@example.com")
    guessers = [client_at(app, f"203.0.113.{number}") for number in (1, 2)]

    answers = [login(guesser, "ed@example.com", "wrong password").status_code for guesser in guessers * 2]

    assert answers == [401, 401, 401, 401]
    assert login(client_at(app, "198.51.100.20"), "ed@example.com").status_code == 429


def test_too_many_failed_logins_from_one_address_get_429(app, client):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "4 per 15 minutes"
    for number in range(4):
        assert login(client, f"guess{number}@example.com", "wrong password").status_code == 401
    assert login(client, "guess9@example.com", "wrong password").status_code == 429


def test_every_attempt_counts_right_or_wrong(app, client):
    """Counted before the password is checked, so attempts arriving together cannot slip past the limit."""
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "2 per 15 minutes"
    add_user("ed@example.com")
    assert login(client, "ed@example.com").status_code == 303
    post_form(client, "/admin/logout")
    assert login(client, "ed@example.com", "wrong password here").status_code == 401
    assert login(client, "ed@example.com").status_code == 429


def test_guesses_at_the_current_password_are_limited_like_logins(app, client):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per 15 minutes"
    add_user("ed@example.com")
    login(client, "ed@example.com")
    answers = [
        post_form(
            client,
            "/admin/account/password",
            {"current_password": f"guess number {n}", "new_password": STRONG, "confirm_password": STRONG},
            token_from="/admin/account/password",
        ).status_code
        for n in range(4)
    ]
    assert answers == [400, 400, 400, 429]


def test_a_busy_database_neither_signs_anyone_out_nor_holds_their_page(tmp_path):
    """While a long import holds SQLite's write lock, recording activity fails at once and the request goes
    on: waiting out the busy timeout (30 s) would reach the worker's, and gunicorn would kill the worker."""
    path = tmp_path / "busy.sqlite3"
    app = make_app(f"sqlite:///{path}", tmp_path / "index")
    with app.app_context():
        db.create_all()
        add_user("ed@example.com")
    client = app.test_client()
    login(client, "ed@example.com")
    with app.app_context(), write_transaction() as session:
        seen = session.scalar(select(LoginSession.last_seen_at)) - timedelta(minutes=5)
        session.execute(update(LoginSession).values(last_seen_at=seen))
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the import's write lock
    try:
        started = time.monotonic()
        assert signed_in(client)
        assert time.monotonic() - started < 5, "the page waited for the write lock"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with app.app_context():
        assert db.session.scalar(select(LoginSession.last_seen_at)) == seen, "recorded next time instead"
    assert signed_in(client)
    with app.app_context():
        assert db.session.scalar(select(LoginSession.last_seen_at)) > seen
        db.engine.dispose()
