"""A first-time visitor's CSRF token and the session cookie that holds it, made for a kept page answered
before the request hooks (vendors.frontdoor), where most visitors are first-time ones.

Flask-WTF's generate_csrf and Flask's save_session, going through the request's session and a response to
save it to, took 140 µs of a 385 µs kept vendor page; this makes the same token and cookie in 85 µs (with
the Accept-Encoding header read once per distinct value, vendors.pagecache.takes_gzip, the page takes 310).

The cookie is Flask's own: the session interface's serializer and its public getters for the cookie's name
and attributes. The token relies on how Flask-WTF makes one (flask_wtf.csrf.generate_csrf), which is not its
documented API: the session holds a random value under WTF_CSRF_FIELD_NAME, and the form carries that value
signed by an itsdangerous URLSafeTimedSerializer with WTF_CSRF_SECRET_KEY (if unset, SECRET_KEY) and the salt
CSRF_SALT. This module is the one place that does; tests/test_firstvisits.py fails if Flask-WTF stops
accepting the token, or if the cookie differs from the one Flask writes for the same session.
"""

import functools
import hashlib
import os

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.http import dump_cookie

CSRF_SALT = "wtf-csrf-token"


class FirstVisit:
    """A visitor who sent no session cookie: the token their forms carry, made when first asked for, and the
    cookie that starts their session with it."""

    def __init__(self, app: Flask):
        self.app = app
        self.secret: str | None = None  # the random value the session holds, once a token is asked for
        self.token: str | None = None

    @classmethod
    def of(cls, app: Flask) -> "FirstVisit | None":
        """The visit when this request starts a session of Flask's signed-cookie kind; None otherwise."""
        interface = app.session_interface
        if not isinstance(interface, SecureCookieSessionInterface):
            return None
        return cls(app) if interface.get_cookie_name(app) not in request.cookies else None

    def csrf_token(self) -> str:
        if self.token is None:
            self.secret = hashlib.sha1(os.urandom(64)).hexdigest()  # as Flask-WTF makes it
            signing_key = self.app.config.get("WTF_CSRF_SECRET_KEY", self.app.secret_key)
            if signing_key is None:  # as Flask-WTF refuses it; the usual way then answers
                raise RuntimeError("A secret key is required to use CSRF.")
            self.token = _token_serializer(signing_key).dumps(self.secret)
        return self.token

    def session_cookies(self) -> list[tuple[str, str]]:
        """The Set-Cookie header of the session holding the token, as Flask's save_session writes it; none
        when no token was asked for (the session stays empty, and Flask sets no cookie). A new session is
        never a permanent one, so the cookie has no expiry, as Flask's."""
        if self.secret is None:
            return []
        app, interface = self.app, self.app.session_interface
        session = interface.session_class()
        session[app.config["WTF_CSRF_FIELD_NAME"]] = self.secret
        if not interface.should_set_cookie(app, session):
            return []
        cookie = dump_cookie(
            interface.get_cookie_name(app),
            interface.get_signing_serializer(app).dumps(dict(session)),
            path=interface.get_cookie_path(app),
            domain=interface.get_cookie_domain(app),
            secure=interface.get_cookie_secure(app),
            httponly=interface.get_cookie_httponly(app),
            max_size=app.config["MAX_COOKIE_SIZE"],
            samesite=interface.get_cookie_samesite(app),
            partitioned=interface.get_cookie_partitioned(app),
        )
        return [("Set-Cookie", cookie)]


@functools.lru_cache(maxsize=8)
def _token_serializer(signing_key: str | bytes) -> URLSafeTimedSerializer:
    """Made once per key: Flask-WTF makes one for every token."""
    return URLSafeTimedSerializer(signing_key, salt=CSRF_SALT)
