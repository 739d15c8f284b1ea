"""Password hashing (Argon2id through argon2-cffi) and the password rules.

Hashes use argon2-cffi's current default parameters (RFC 9106's low-memory profile). A hash made with other
parameters still verifies, and needs_rehash() tells the login to store a new one.
"""

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # hashing cost grows with length; nobody types more
# 19,646 common passwords (lower-cased) compiled by Royce Williams, as shipped with Django.
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "common-passwords.txt.gz"

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether the password matches; with no hash (no such account) it takes as long and is False."""
    try:
        return _hasher.verify(stored_hash or _decoy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _decoy_hash() -> str:
    return _hasher.hash("a password nobody has")


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def problem_with(password: str, email: str = "") -> str | None:
    """Why this password may not be used, or None if it may."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.strip().lower()
    if lowered in common_passwords():
        return "This password is in a list of commonly used passwords; choose another."
    local_part = email.split("@")[0].lower()
    if email and (email.lower() in lowered or (len(local_part) >= 4 and local_part in lowered)):
        return "The password may not contain your email address or its name part."
    return None


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())
