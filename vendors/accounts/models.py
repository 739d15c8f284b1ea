"""Admin accounts and their server-side login sessions."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from vendors.database import UTCDateTime, utcnow
from vendors.extensions import db

# role -> what it may do, for the users list and the README.
ROLES: dict[str, str] = {
    "admin": "Everything, including user accounts",
    "editor": "Vendors, submissions, imports and the audit log; not user accounts",
}


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Flask-Login's user interface. The id it keeps in the session cookie is the login session's token,
    # set by vendors.accounts.sessions when it loads the user, so ending that session signs the cookie out.
    session_token = None
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may(self, role: str) -> bool:
        """Whether this user holds `role` or one above it (admin includes editor)."""
        return self.active and (self.role == "admin" or self.role == role)

    def __repr__(self) -> str:
        return f"<User {self.email} ({self.role})>"


class LoginSession(db.Model):
    """One signed-in browser. The cookie holds a random token; only its SHA-256 is stored here, so a copy of
    this table opens no sessions. Ending the row ends the session wherever its cookie has been copied."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def normalise_email(email: str) -> str:
    return email.strip().lower()
