"""Creating, signing in and retiring admin accounts; every change is audited in its own transaction."""

from sqlalchemy import select

from vendors import audit
from vendors.accounts import passwords, sessions
from vendors.accounts.models import ROLES, User, normalise_email, user_by_email
from vendors.audit import Actor
from vendors.catalog.records import EMAIL_PATTERN
from vendors.database import utcnow, write_transaction
from vendors.extensions import db


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why."""


def create_user(email: str, role: str, password: str, actor: Actor) -> User:
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise AccountError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role; use one of {', '.join(ROLES)}")
    if user_by_email(email) is not None:
        raise AccountError(f"there is already an account for {email}")
    _check_password(password, email)
    with write_transaction() as session:
        user = User(email=email, role=role, password_hash=passwords.hash_password(password))
        session.add(user)
        session.flush()
        _audit(session, actor, user, "created", {"email": [None, email], "role": [None, role]})
    return user


def set_password(user: User, password: str, actor: Actor) -> int:
    """Store a new password and end every session of the user; returns how many sessions ended."""
    _check_password(password, user.email)
    with write_transaction() as session:
        stored = session.get(User, user.id)
        stored.password_hash = passwords.hash_password(password)
        stored.password_changed_at = utcnow()
        _audit(session, actor, stored, "password changed", {})
        return sessions.end_all(session, user.id)


def set_active(user: User, active: bool, actor: Actor) -> int:
    """Disable (ending every session) or enable an account; returns how many sessions ended."""
    with write_transaction() as session:
        stored = session.get(User, user.id)
        if stored.active != active:
            stored.active = active
            _audit(
                session, actor, stored, "enabled" if active else "disabled", {"active": [not active, active]}
            )
        return 0 if active else sessions.end_all(session, user.id)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, else None (taking as long either way).

    A hash made with older Argon2 parameters is replaced by one with the current parameters.
    """
    user = user_by_email(email) if len(email) <= 254 else None
    if not passwords.verify(user.password_hash if user else None, password) or not user.active:
        return None
    if passwords.needs_rehash(user.password_hash):
        with write_transaction() as session:
            session.get(User, user.id).password_hash = passwords.hash_password(password)
    return user


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))


def _check_password(password: str, email: str) -> None:
    problem = passwords.problem_with(password, email)
    if problem:
        raise AccountError(problem)


def _audit(session, actor: Actor, user: User, action: str, changes: dict) -> None:
    audit.record(session, actor, [audit.Entry("user", user.id, user.email, action, changes)])
