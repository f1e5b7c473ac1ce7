"""Stored responses of POSTs sent with an Idempotency-Key, written in the command's own transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.db.base import Base, new_id


class IdempotencyRecord(Base):
    """One (caller, key) and the response it produced."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_actor_key", "actor_id", "key", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    actor_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(300))
    etag: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime]
