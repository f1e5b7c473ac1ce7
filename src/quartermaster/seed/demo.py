"""The demo's people: fresh API tokens and passwords for the users a seeded database names as its demo users."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from quartermaster.actors import SCHEDULER
from quartermaster.db.tx import Database
from quartermaster.errors import Conflict
from quartermaster.identity import service as identity
from quartermaster.identity.passwords import new_password
from quartermaster.seed.generator import seed_state


def demo_users(db: Database, *, now: datetime, make_password: Callable[[], str] = new_password) -> list[dict[str, Any]]:
    """Issue a new token and set a new random password for every demo user (both are stored only as hashes).

    Returns ``{"username", "name", "role", "organization", "token", "password"}`` per user, in the seed's order.
    Earlier tokens stay valid until revoked (``quartermaster users token --revoke-others``); earlier passwords do not.
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
            password = make_password()
            while username.casefold() in password.casefold():  # the policy refuses it (vanishingly unlikely)
                password = make_password()
            identity.set_password(session, actor=SCHEDULER, user=user, password=password, now=now)
            org = user.organization
            out.append(
                {
                    "username": username,
                    "name": user.name,
                    "role": user.role,
                    "organization": org.name if org is not None else None,
                    "token": token,
                    "password": password,
                }
            )
    return out
