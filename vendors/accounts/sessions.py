"""Server-side login sessions: what makes logging out, a password change or disabling a user final.

The browser's session cookie carries a random token (Flask-Login's user id, as its docs suggest for
sessions that must be revocable); the database keeps the token's SHA-256 with the session's start and last
activity. A request is signed in only while that row is open, younger than the absolute lifetime and used
within the idle timeout, so a copied cookie stops working the moment the row is ended.
"""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from vendors.accounts.models import LoginSession, User
from vendors.database import utcnow, write_transaction
from vendors.extensions import db

log = logging.getLogger(__name__)

# last_seen_at is written at most this often, so browsing the admin area is not a write per request.
TOUCH_INTERVAL = timedelta(seconds=60)


def start(user: User) -> str:
    """Open a new session for the user (at login); returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    with write_transaction() as session:
        session.add(LoginSession(token_hash=_digest(token), user_id=user.id))
        session.get(User, user.id).last_login_at = utcnow()
    return token


def user_for(token: str) -> User | None:
    """The user a token signs in, or None when its session has ended, expired or its user is disabled."""
    row = db.session.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token)))
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    user = db.session.get(User, row.user_id)
    if user is None or not user.active or _expired(row, now):
        end(token)
        return None
    if now - row.last_seen_at >= min(TOUCH_INTERVAL, _idle_timeout() / 10):
        _touch(row.id, now)
    user.session_token = token
    return user


def _touch(session_id: int, now: datetime) -> None:
    """Record activity; if the database is busy (a long import holding SQLite's write lock), carry on
    signed in and record it next time rather than fail the request, or wait for the lock: a page held past
    the worker's timeout would have its worker killed, and with it an import running there."""
    try:
        with write_transaction(wait_for_the_lock=False) as session:
            session.execute(
                update(LoginSession).where(LoginSession.id == session_id).values(last_seen_at=now)
            )
    except OperationalError as error:
        log.info("login session activity not recorded this time: %s", error)


def end(token: str) -> None:
    with write_transaction() as session:
        session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == _digest(token), LoginSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def end_all(session: Session, user_id: int) -> int:
    """End every open session of a user, in the caller's transaction (the one that changes the password or
    disables the account, so neither can commit without the other); returns how many."""
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return result.rowcount


def _expired(row: LoginSession, now: datetime) -> bool:
    lifetime = timedelta(hours=current_app.config["ADMIN_SESSION_LIFETIME_HOURS"])
    return now - row.last_seen_at > _idle_timeout() or now - row.created_at > lifetime


def _idle_timeout() -> timedelta:
    return timedelta(minutes=current_app.config["ADMIN_IDLE_TIMEOUT_MINUTES"])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
