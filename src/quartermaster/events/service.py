"""Appending and reading events. Appends happen inside the caller's transaction, never on their own."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import rfc8785
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.events.models import Event
from quartermaster.statemachine import StateMachine

# Where a session keeps the events appended in its transaction, for the publisher's before-commit hook.
SESSION_EVENTS = "quartermaster.events"


def appended_events(session: Session) -> list[Event]:
    """The events appended in this session's current transaction, in order."""
    events: list[Event] = session.info.get(SESSION_EVENTS, [])
    return events


def jsonable(value: Any) -> Any:
    """Turn domain values (Decimal, datetime, enums) into JSON values; Decimals become strings to stay exact."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def payload_hash(payload: Mapping[str, Any]) -> str:
    """SHA-256 over the RFC 8785 canonical JSON of the payload."""
    return hashlib.sha256(rfc8785.dumps(jsonable(payload))).hexdigest()


def record_event(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    command: str,
    event_type: str,
    object_type: str,
    object_id: str,
    process_id: str | None,
    before: str | None,
    after: str | None,
    payload: Mapping[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    """Append one event in the current transaction."""
    body = jsonable(dict(payload or {}))
    event = Event(
        occurred_at=occurred_at or now,
        recorded_at=now,
        actor_id=actor.user_id,
        actor_role=actor.role.value,
        organization_id=actor.organization_id,
        command=command,
        event_type=event_type,
        object_type=object_type,
        object_id=object_id,
        process_id=process_id,
        state_before=before,
        state_after=after,
        payload=body,
        payload_hash=payload_hash(body),
    )
    session.add(event)
    session.info.setdefault(SESSION_EVENTS, []).append(event)
    return event


def record_transition(
    session: Session,
    machine: StateMachine,
    *,
    actor: Actor,
    now: datetime,
    command: str,
    object_id: str,
    process_id: str | None,
    before: str | None,
    after: str | None,
    payload: Mapping[str, Any] | None = None,
    occurred_at: datetime | None = None,
    event_type: str | None = None,
) -> Event:
    """Append the event of a state-machine transition; its type and object kind come from the machine's table."""
    return record_event(
        session,
        actor=actor,
        now=now,
        command=command,
        event_type=event_type or machine.transitions[command].event,
        object_type=machine.name,
        object_id=object_id,
        process_id=process_id,
        before=before,
        after=after,
        payload=payload,
        occurred_at=occurred_at,
    )


def process_events(session: Session, process_id: str, *, after_seq: int = 0, limit: int = 500) -> Sequence[Event]:
    """Events of one contracting process, in order."""
    stmt = select(Event).where(Event.process_id == process_id, Event.seq > after_seq).order_by(Event.seq).limit(limit)
    return session.scalars(stmt).all()


def list_events(
    session: Session, *, after_seq: int = 0, limit: int = 500, visible: ColumnElement[bool] | None = None
) -> Sequence[Event]:
    """All events after a sequence number, in order; ``visible`` keeps only those the reader may see."""
    stmt = select(Event).where(Event.seq > after_seq).order_by(Event.seq).limit(limit)
    if visible is not None:
        stmt = stmt.where(visible)
    return session.scalars(stmt).all()
