"""Admin accounts as the README describes them: how roles fail closed, what the database keeps of a login
token, and the password rule about the account's email address."""

import hashlib

import pytest
from sqlalchemy import select

from tests.factories import add_user, login
from vendors.accounts import passwords, users
from vendors.accounts.access import requires
from vendors.accounts.models import LoginSession
from vendors.audit import Actor
from vendors.extensions import db

EMAIL_IN_PASSWORD = "The password may not contain your email address or its name part."


# ------------------------------------------------------------------------------------------ access
def test_an_admin_view_that_declares_no_role_is_refused_to_everyone(app):
    """README, Access: "A view that declares nothing is refused to everyone." A declared twin answers, so the
    refusal comes from the missing declaration, not from the route."""
    app.add_url_rule("/admin/undeclared", "undeclared", lambda: "undeclared page")
    app.add_url_rule("/admin/declared", "declared", requires("editor")(lambda: "declared page"))
    add_user("ed@example.com", role="editor")
    add_user("ann@example.com", role="admin")

    anonymous = app.test_client().get("/admin/undeclared")
    assert anonymous.status_code == 302
    assert anonymous.location.startswith("/admin/login")

    for email in ("ed@example.com", "ann@example.com"):
        browser = app.test_client()
        assert login(browser, email).status_code == 303
        assert browser.get("/admin/declared").get_data(as_text=True) == "declared page"
        refused = browser.get("/admin/undeclared")
        assert refused.status_code == 403, email
        assert "undeclared page" not in refused.get_data(as_text=True)


# ------------------------------------------------------------------------------------------ login token
def test_the_database_keeps_only_the_sha256_of_the_login_token(app, client):
    """README, Signing in: "the browser's cookie holds a random token and the database its SHA-256"."""
    add_user("ed@example.com")
    assert login(client, "ed@example.com").status_code == 303

    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    token = app.session_interface.get_signing_serializer(app).loads(cookie)["_user_id"]
    [stored] = db.session.scalars(select(LoginSession.token_hash)).all()

    assert len(token) >= 32
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored
    assert client.get("/admin/vendors").status_code == 200  # that token is the one that signs the cookie in


# ------------------------------------------------------------------------------------------ passwords
@pytest.mark.parametrize(
    ("email", "password"),
    [
        # The whole address is refused even when its name part is too short to be refused on its own.
        ("bo@harbour.example", "my address: bo@harbour.example"),
        ("bo@harbour.example", "MY ADDRESS: BO@HARBOUR.EXAMPLE"),
        ("Bo@Harbour.example", "my address: bo@harbour.example!"),
        # The name part of four characters or more.
        ("anna@harbour.example", "anna likes long passphrases"),
        ("anna@harbour.example", "long passphrase by ANNA"),
    ],
)
def test_a_password_containing_the_email_or_a_name_part_of_four_or_more_is_refused(email, password):
    assert passwords.problem_with(password, email) == EMAIL_IN_PASSWORD


@pytest.mark.parametrize(
    ("email", "password"),
    [
        # A name part under four characters may appear.
        ("ann@harbour.example", "ann likes long passphrases"),
        ("bo@harbour.example", "bo bo bo, said the bold robot"),
        # Only the whole address is refused, not a piece of it.
        ("bo@harbour.example", "bo@harbour is not the whole address"),
    ],
)
def test_a_name_part_under_four_characters_may_appear_in_a_password(email, password):
    assert passwords.problem_with(password, email) is None


def test_an_account_is_refused_a_password_holding_its_whole_email_address(app):
    with pytest.raises(users.AccountError, match=EMAIL_IN_PASSWORD):
        users.create_user("bo@harbour.example", "editor", "my bo@harbour.example pass", Actor("test suite"))
    assert users.all_users() == []
