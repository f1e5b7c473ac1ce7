"""A tender's public changes from the event log, each mapped from the process as it is now (test expectations)."""

from __future__ import annotations

from datetime import datetime
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.events.models import Event
from quartermaster.ocds import Change, Naming, release, release_tags
from quartermaster.publication.loader import load_process


def public_changes(session: Session, tender_id: str, *, until_seq: int | None = None) -> list[Change]:
    """The tender's public changes: its events with a release tag, one change per command (same time, actor)."""
    query = select(Event).where(Event.process_id == tender_id).order_by(Event.seq)
    if until_seq is not None:
        query = query.where(Event.seq <= until_seq)
    events = [e for e in session.scalars(query) if release_tags(e.event_type)]
    changes = []
    for _, group in groupby(events, key=lambda e: (e.occurred_at, e.actor_id, e.command)):
        batch = list(group)
        changes.append(Change(batch[-1].seq, batch[-1].occurred_at, tuple(e.event_type for e in batch)))
    return changes


def releases_now(session: Session, tender_id: str, naming: Naming, *, after_seq: int = 0) -> list[dict[str, object]]:
    """Releases of the changes after ``after_seq``, each mapped from the process as it is now."""
    process = load_process(session, tender_id)
    return [release(process, c, naming) for c in public_changes(session, tender_id) if c.seq > after_seq]


def last_seq(session: Session) -> int:
    """The latest event sequence number."""
    return session.scalars(select(Event.seq).order_by(Event.seq.desc()).limit(1)).first() or 0


def utc(moment: datetime) -> str:
    """A datetime as the mapping formats it (for expectations)."""
    from quartermaster.ocds.values import rfc3339

    return rfc3339(moment)
