"""Organizations, users, hashed API tokens, and the web's sessions and failed logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quartermaster.db.base import Base, new_id


class Organization(Base):
    """A party: buyer, procuring entity, supplier or review body, identified by scheme + id."""

    __tablename__ = "organizations"
    __table_args__ = (UniqueConstraint("identifier_scheme", "identifier_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(300))
    name_uk: Mapped[str | None] = mapped_column(String(300))
    identifier_scheme: Mapped[str] = mapped_column(String(16))
    identifier_id: Mapped[str] = mapped_column(String(40))
    party_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(32))  # defence_agency, military_unit, ministry, company, review_body
    country: Mapped[str] = mapped_column(String(2), default="UA")
    region: Mapped[str | None] = mapped_column(String(120))
    locality: Mapped[str | None] = mapped_column(String(120))
    street_address: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]


class User(Base):
    """A person's account. One role per account."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    clearance: Mapped[str] = mapped_column(String(16), default="public")  # highest marking this person may read
    created_at: Mapped[datetime]
    password_hash: Mapped[str | None] = mapped_column(String(200))  # Argon2id PHC string; None: no web login
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # base32 key of the optional second factor
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # the last accepted code's step: each works once

    organization: Mapped[Organization | None] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token, stored only as its SHA-256 (tokens are 256-bit random, so a fast hash is enough)."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown in listings so people can tell tokens apart
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class WebSession(Base):
    """A person's browser session, stored only as the SHA-256 of the random cookie value (like API tokens).

    ``second_factor_pending``: the password was right but the one-time code is still to come; such a session
    names nobody (``web.sessions.resolve`` ignores it) and is replaced by a fresh one once the code is accepted.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie value
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_secret: Mapped[str] = mapped_column(String(64))
    second_factor_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]  # the absolute limit; the idle limit runs from last_seen_at
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    """One refused login attempt for a username (existing or not): what the per-username rate limit counts."""

    __tablename__ = "login_failures"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


class PersonKey(Base):
    """A person's enrolled public key: ``signing`` (Ed25519, signs decisions) or ``custody`` (X25519, holds shares).

    Only the public half is ever here: the private halves stay with the person (a key file, the browser). A new
    enrolment retires the previous key of the same purpose (``retired_at``) but keeps it, so signatures and sealed
    shares made under it still verify and open.
    """

    __tablename__ = "person_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # signing | custody
    algorithm: Mapped[str] = mapped_column(String(16))  # Ed25519 | X25519
    public_key: Mapped[str] = mapped_column(String(64))  # unpadded base64url of the 32 raw bytes
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)  # SHA-256 of the raw public key, hex
    enrolled_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
