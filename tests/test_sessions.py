"""Sessions (vendors.sessions): Flask's signed cookies, signed by a serializer each app makes once, and made
afresh when the key is rotated."""

import html
import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from tests.factories import add_vendors, csrf_token, vendor_record
from tests.test_submissions import all_submissions, submission_data
from vendors.errors import FORM_NOT_CONFIRMED
from vendors.sessions import KeptSerializerSessions


def session_cookie(response) -> str:
    [cookie] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    return cookie.split(";")[0].removeprefix("session=")


def read_with(key: str, cookie: str) -> dict:
    interface = KeptSerializerSessions()
    serializer = URLSafeTimedSerializer(
        key,
        salt=interface.salt,
        serializer=interface.serializer,
        signer_kwargs={"key_derivation": interface.key_derivation, "digest_method": interface.digest_method},
    )
    return serializer.loads(cookie)


def test_one_serializer_signs_every_session_while_the_key_stays(app, monkeypatch):
    made = []
    original = SecureCookieSessionInterface.get_signing_serializer
    monkeypatch.setattr(
        SecureCookieSessionInterface,
        "get_signing_serializer",
        lambda self, app: made.append(1) or original(self, app),
    )
    cookies = [session_cookie(app.test_client().get("/submit")) for _ in range(4)]
    assert len(made) == 1
    assert len(set(cookies)) == 4, "each visitor their own session"
    assert all("csrf_token" in read_with(app.secret_key, cookie) for cookie in cookies)


def test_a_rotated_key_signs_new_sessions_and_the_old_one_is_read_only_as_a_fallback(app):
    browser = app.test_client()
    old_cookie = session_cookie(browser.get("/submit"))
    old_key = app.secret_key
    app.config["SECRET_KEY"] = "a-new-secret-key-for-rotation"
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    answer = app.test_client().get("/submit")
    assert "csrf_token" in read_with("a-new-secret-key-for-rotation", session_cookie(answer))
    try:
        read_with(old_key, session_cookie(answer))
    except BadSignature:
        pass
    else:
        raise AssertionError("a new session was signed with the old key")
    # The old visitor's session is still theirs while the old key is a fallback: no new cookie is needed.
    assert not [c for c in browser.get("/submit").headers.getlist("Set-Cookie") if c.startswith("session=")]
    app.config["SECRET_KEY_FALLBACKS"] = []
    renewed = browser.get("/submit")
    assert session_cookie(renewed) != old_cookie, "a session signed with a retired key is not read"


def test_a_form_left_open_for_hours_is_still_accepted_and_one_without_the_cookie_is_refused_plainly(
    app, client, monkeypatch
):
    """A form's token holds as long as the visitor's session, not an hour; without the session cookie the
    form is refused with words a visitor can act on, and nothing is saved."""
    add_vendors(vendor_record(name="Open Tab CX", slug="open-tab-cx"))
    hours_ago = int(time.time()) - 5 * 3600
    with monkeypatch.context() as then:
        then.setattr(TimestampSigner, "get_timestamp", lambda _signer: hours_ago)
        token = csrf_token(client, "/vendors/open-tab-cx")
    added = client.post("/shortlist/add", data={"csrf_token": token, "vendor": "open-tab-cx"})
    assert added.status_code == 303
    assert "open-tab-cx" in client.get("/shortlist").get_data(as_text=True)

    cookieless = app.test_client(use_cookies=False)
    refused = cookieless.post("/submit", data={"csrf_token": token, **submission_data()})
    assert refused.status_code == 400
    assert FORM_NOT_CONFIRMED in html.unescape(refused.get_data(as_text=True))
    assert all_submissions() == []
