"""Passwords (Argon2id, RFC 9106) and one-time codes (HOTP RFC 4226, TOTP RFC 6238). Pure: no database.

Argon2id through argon2-cffi's ``PasswordHasher`` with its defaults (the RFC 9106 "low memory" profile: t=3,
m=64 MiB, p=4); a stored hash carries its own parameters, so ``needs_rehash`` tells when the defaults moved on.
TOTP is short enough to write here rather than depend on a library; it is checked against the RFC 6238 vectors.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import struct
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from quartermaster.errors import ValidationFailed

MIN_LENGTH = 12
MAX_LENGTH = 1024  # hashing is deliberately costly: refuse megabyte "passwords" before they reach Argon2
TOTP_STEP = 30  # seconds (RFC 6238 section 5.2 recommends 30)
TOTP_DIGITS = 6
TOTP_WINDOW = 1  # steps either side accepted, for clock drift (RFC 6238 section 6)


@cache
def hasher() -> PasswordHasher:
    """The process's Argon2id hasher (built on first use, not at import)."""
    return PasswordHasher()  # argon2-cffi defaults to Argon2id


def check_policy(password: str, *, username: str) -> None:
    """Refuse a password that is too short, absurdly long, or contains the username (ValidationFailed)."""
    if len(password) < MIN_LENGTH:
        msg = f"a password needs at least {MIN_LENGTH} characters"
        raise ValidationFailed(msg, errors=[{"field": "password", "message": msg}], code="password.too_short")
    if len(password) > MAX_LENGTH:
        msg = f"a password may have at most {MAX_LENGTH} characters"
        raise ValidationFailed(msg, errors=[{"field": "password", "message": msg}], code="password.too_long")
    if username and username.casefold() in password.casefold():
        msg = "a password must not contain the username"
        raise ValidationFailed(msg, errors=[{"field": "password", "message": msg}], code="password.contains_username")


def hash_password(password: str) -> str:
    """The Argon2id PHC string of ``password`` (salted; parameters included)."""
    return hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    """True when ``password`` matches the stored hash; a malformed hash or an overlong password never matches."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when the hash was made with other parameters than the hasher's current ones."""
    return hasher().check_needs_rehash(stored)


@cache
def dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so that failure costs the same either way."""
    return hash_password(secrets.token_urlsafe(24))


def new_password(length: int = 20) -> str:
    """A random password (URL-safe alphabet, ``length`` characters)."""
    return secrets.token_urlsafe(length)[:length]


# --- one-time codes ---------------------------------------------------------------------------------------------


def new_totp_secret() -> str:
    """A random 160-bit TOTP key in base32 (RFC 4226 section 4 asks for at least 128 bits; 160 matches SHA-1)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def decode_secret(secret: str) -> bytes:
    """The key bytes of a base32 secret as authenticator apps show it (spaces and missing padding tolerated)."""
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, *, digits: int = TOTP_DIGITS, algorithm: str = "sha1") -> str:
    """HOTP (RFC 4226 section 5.3): HMAC of the 8-byte counter, dynamic truncation, ``digits`` decimal digits."""
    if counter < 0:
        raise ValueError("the HOTP counter must be >= 0")
    mac = hmac.new(key, struct.pack(">Q", counter), algorithm).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def totp_step(at: datetime | int, *, step: int = TOTP_STEP) -> int:
    """The time step T = floor((unix time - T0) / X) with T0 = 0 (RFC 6238 section 4.2)."""
    seconds = int(at.timestamp()) if isinstance(at, datetime) else at
    return seconds // step


def totp(key: bytes, at: datetime | int, *, digits: int = TOTP_DIGITS, algorithm: str = "sha1") -> str:
    """The TOTP code at ``at`` (RFC 6238 section 4)."""
    return hotp(key, totp_step(at), digits=digits, algorithm=algorithm)


def match_totp(key: bytes, code: str, at: datetime, *, window: int = TOTP_WINDOW) -> int | None:
    """The time step ``code`` belongs to (within ``window`` steps of ``at``), or None.

    Every candidate is compared in constant time and all are tried, so timing does not say which step was close.
    The caller refuses a step it has already accepted (RFC 6238 section 5.2: a code is good once).
    """
    code = code.strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not code.isascii() or not code.isdigit():
        return None
    now_step = totp_step(at)
    found = None
    for step in range(now_step - window, now_step + window + 1):
        if hmac.compare_digest(hotp(key, step).encode(), code.encode()) and found is None:
            found = step
    return found
