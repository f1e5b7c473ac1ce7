"""Organizations, users and hashed API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
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
