"""Look up and store idempotent responses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.errors import IdempotencyMismatch
from quartermaster.idempotency.models import IdempotencyRecord


def lookup(session: Session, *, actor_id: str, key: str, request_hash: str) -> IdempotencyRecord | None:
    """The stored response for this key, or None; a key reused for another request is an error."""
    rec = session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.actor_id == actor_id, IdempotencyRecord.key == key)
    )
    if rec is not None and rec.request_hash != request_hash:
        raise IdempotencyMismatch("this Idempotency-Key was already used with a different request", idempotency_key=key)
    return rec


def recorded(session: Session, *, actor_id: str, key: str) -> bool:
    """Whether a response is already stored for this caller's key (whatever request produced it)."""
    stmt = select(IdempotencyRecord.id).where(IdempotencyRecord.actor_id == actor_id, IdempotencyRecord.key == key)
    return session.scalar(stmt) is not None


def store(
    session: Session,
    *,
    actor_id: str,
    key: str,
    request_hash: str,
    status_code: int,
    body: str,
    location: str | None,
    etag: str | None,
    now: datetime,
) -> None:
    """Remember the response in the command's transaction."""
    session.add(
        IdempotencyRecord(
            actor_id=actor_id,
            key=key,
            request_hash=request_hash,
            status_code=status_code,
            body=body,
            location=location,
            etag=etag,
            created_at=now,
        )
    )
