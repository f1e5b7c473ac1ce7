"""The demo's people: fresh API tokens for the users a seeded database names as its demo users."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quartermaster.db.tx import Database
from quartermaster.errors import Conflict
from quartermaster.identity import service as identity
from quartermaster.seed.generator import seed_state


def demo_users(db: Database, *, now: datetime) -> list[dict[str, Any]]:
    """Issue a new token for every demo user (only hashes are stored, so old tokens cannot be shown again).

    Returns ``{"username", "name", "role", "organization", "token"}`` per user, in the seed's order. Earlier
    tokens stay valid until revoked (``quartermaster users token --revoke-others``).
    """
    out: list[dict[str, Any]] = []
    with db.unit_of_work() as session:
        state = seed_state(session)
        if state.finished is None:
            raise Conflict(
                "the database holds no finished demo data; run `quartermaster seed` first", code="seed.missing"
            )
        for username in state.finished["demo_users"]:
            user = identity.find_user(session, username)
            token = identity.issue_token(session, user=user, now=now, label="demo")
            org = user.organization
            out.append(
                {
                    "username": username,
                    "name": user.name,
                    "role": user.role,
                    "organization": org.name if org is not None else None,
                    "token": token,
                }
            )
    return out
