"""A first visit's token and session cookie (vendors.firstvisits): the very ones Flask-WTF and Flask make for
the same session, under every cookie and CSRF setting, and a token Flask-WTF accepts from that visitor alone.
These fail when either library changes how it makes them."""

import itertools
import os
import time

import pytest
from flask import session
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from tests.conftest import make_app
from vendors.firstvisits import FirstVisit

SETTINGS = {
    "defaults": {},
    "production cookies": {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        "SESSION_COOKIE_DOMAIN": "vendors.example",
        "SESSION_COOKIE_PATH": "/app",
        "SESSION_COOKIE_NAME": "visit",
        "SESSION_COOKIE_PARTITIONED": True,
    },
    "an empty CSRF key": {"WTF_CSRF_SECRET_KEY": ""},
    "a CSRF key and field of their own": {
        "WTF_CSRF_SECRET_KEY": "another-secret-for-tokens",
        "WTF_CSRF_FIELD_NAME": "form_token",
    },
}


@pytest.fixture(params=list(SETTINGS), ids=list(SETTINGS))
def settings_app(request, tmp_path):
    return make_app(f"sqlite:///{tmp_path / 'unused.sqlite3'}", tmp_path / "index", **SETTINGS[request.param])


@pytest.fixture
def same_randomness(monkeypatch):
    """os.urandom and the clock give the same values to both ways of making a token."""
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.25)

    def replayed():
        numbers = itertools.count()
        monkeypatch.setattr(os, "urandom", lambda size: bytes([next(numbers) % 256]) * size)

    return replayed


def first_visit(app) -> tuple[str, list[str]]:
    with app.test_request_context("/vendors"):
        visit = FirstVisit.of(app)
        return visit.csrf_token(), [value for _name, value in visit.session_cookies()]


def usual_first_visit(app) -> tuple[str, list[str]]:
    with app.test_request_context("/vendors"):
        token = generate_csrf()
        carrier = app.response_class()
        app.session_interface.save_session(app, session._get_current_object(), carrier)
        return token, carrier.headers.getlist("Set-Cookie")


def test_a_first_visit_gets_the_token_and_cookie_flask_wtf_and_flask_make(settings_app, same_randomness):
    same_randomness()
    made_here = first_visit(settings_app)
    same_randomness()
    made_the_usual_way = usual_first_visit(settings_app)

    assert made_here == made_the_usual_way
    assert len(made_here[1]) == 1


def test_flask_wtf_accepts_a_first_visits_token_with_its_cookie_and_no_other(settings_app):
    token, cookies = first_visit(settings_app)
    other_token, _other_cookies = first_visit(settings_app)
    name, value = cookies[0].split(";")[0].split("=", 1)
    with settings_app.test_request_context("/", headers={"Cookie": f"{name}={value}"}):
        field = settings_app.config["WTF_CSRF_FIELD_NAME"]
        assert field in session
        validate_csrf(token)
        with pytest.raises(ValidationError):
            validate_csrf(other_token)


def test_a_visit_that_shows_no_form_sets_no_cookie(settings_app):
    with settings_app.test_request_context("/vendors"):
        assert FirstVisit.of(settings_app).session_cookies() == []


def test_a_visitor_who_sent_a_session_cookie_is_not_a_first_visit(settings_app):
    name = settings_app.config["SESSION_COOKIE_NAME"]
    with settings_app.test_request_context("/vendors", headers={"Cookie": f"{name}=anything"}):
        assert FirstVisit.of(settings_app) is None
    with settings_app.test_request_context("/vendors", headers={"Cookie": "buyer_country=GB"}):
        assert FirstVisit.of(settings_app) is not None
