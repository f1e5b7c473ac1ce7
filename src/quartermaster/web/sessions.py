"""Server-side browser sessions: the cookie holds a random 256-bit value; the database keeps only its SHA-256.

A session ends 30 minutes after it was last used (idle) and 12 hours after login (absolute), or at logout
(revoked). Each carries a CSRF secret (the synchronizer token every form and HTMX request sends back). A session
still waiting for the second factor names nobody and lasts 5 minutes. No framework here: the routes in ``auth.py``
own cookies and requests; these functions take a ``Session`` and never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.identity.models import User, WebSession
from quartermaster.identity.service import actor_of, hash_token

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
SECOND_FACTOR_TIMEOUT = timedelta(minutes=5)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most once a minute, not on every page view


@dataclass(frozen=True, slots=True)
class Resolved:
    """A live session: who it is, its CSRF secret, and whether ``last_seen_at`` is due to be written."""

    session_id: str
    actor: Actor
    username: str
    csrf_secret: str
    stale: bool


def start(session: Session, *, user: User, now: datetime, second_factor_pending: bool = False) -> tuple[str, str]:
    """Open a session for ``user``; returns ``(cookie value, CSRF secret)``. Only the value's hash is stored."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    lifetime = SECOND_FACTOR_TIMEOUT if second_factor_pending else ABSOLUTE_TIMEOUT
    session.add(
        WebSession(
            id=hash_token(token),
            user_id=user.id,
            csrf_secret=csrf,
            second_factor_pending=second_factor_pending,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            revoked_at=None,
        )
    )
    session.flush()
    return token, csrf


def _live(session: Session, token: str, now: datetime) -> WebSession | None:
    if not token or len(token) > 100:
        return None
    row = session.get(WebSession, hash_token(token))
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return None
    if now >= row.last_seen_at + IDLE_TIMEOUT or not row.user.active:
        return None
    return row


def resolve(session: Session, token: str, now: datetime) -> Resolved | None:
    """The person behind a cookie value, or None when unknown, revoked, expired, idle, pending or inactive."""
    row = _live(session, token, now)
    if row is None or row.second_factor_pending:
        return None
    return Resolved(
        row.id, actor_of(row.user), row.user.username, row.csrf_secret, now - row.last_seen_at >= TOUCH_EVERY
    )


def pending_user(session: Session, token: str, now: datetime) -> tuple[User, str] | None:
    """The user and CSRF secret of a session waiting for the second factor, or None."""
    row = _live(session, token, now)
    if row is None or not row.second_factor_pending:
        return None
    return row.user, row.csrf_secret


def touch(session: Session, *, session_id: str, now: datetime) -> None:
    """Record that the session was used now (what the idle timeout runs from)."""
    session.execute(
        update(WebSession).where(WebSession.id == session_id, WebSession.revoked_at.is_(None)).values(last_seen_at=now)
    )


def revoke(session: Session, *, token: str, now: datetime) -> bool:
    """End the session named by a cookie value; True when there was a live one."""
    row = session.get(WebSession, hash_token(token)) if token and len(token) <= 100 else None
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True


def revoke_all(session: Session, *, user: User, now: datetime) -> int:
    """End every live session of ``user`` (after a password change, for example); returns how many."""
    rows = session.scalars(
        select(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)
