"""Event rows. Never updated or deleted by the application."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.db.base import Base

BigIntPK = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY


class Event(Base):
    """What happened: actor, effective time, command, object, state before and after, payload and its hash."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_process", "process_id", "seq"), Index("ix_events_object", "object_id"))

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime]  # effective time (a missed deadline's own time on catch-up)
    recorded_at: Mapped[datetime]  # the server clock when the row was written
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[str | None] = mapped_column(String(32))
    command: Mapped[str] = mapped_column(String(48))
    event_type: Mapped[str] = mapped_column(String(48))
    object_type: Mapped[str] = mapped_column(String(24))
    object_id: Mapped[str] = mapped_column(String(32))
    process_id: Mapped[str | None] = mapped_column(String(32))
    state_before: Mapped[str | None] = mapped_column(String(40))
    state_after: Mapped[str | None] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload_hash: Mapped[str] = mapped_column(String(64))
