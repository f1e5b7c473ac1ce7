"""The deadline scheduler: applies every due period end exactly once, in order, at the period's own time.

Exactly-once comes from the state machines, not from bookkeeping: a period end is a guarded transition out of
the state it ends, taken under the tender's row lock, so a second attempt (another worker, a retry after a crash)
finds the state already changed and does nothing. After downtime the loop drains every missed deadline oldest
first, and each event carries the deadline as its effective time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from quartermaster.actors import SCHEDULER, Actor
from quartermaster.db.tx import Database
from quartermaster.errors import InvalidTransition, NotFound
from quartermaster.frameworks import service as frameworks
from quartermaster.publication import service as publication
from quartermaster.publication.log import TransparencyLog
from quartermaster.tenders import periods
from quartermaster.types import Clock

log = logging.getLogger("quartermaster.scheduler")

Handler = Callable[..., object]
Finder = Callable[..., list[tuple[datetime, str, str]]]


def _tender_handler(fn: Callable[..., object]) -> Handler:
    def handle(session: Session, *, actor: Actor, now: datetime, object_id: str) -> object:
        return fn(session, actor=actor, now=now, tender_id=object_id)

    return handle


HANDLERS: dict[str, Handler] = {
    "end_prequalification": _tender_handler(periods.end_prequalification),
    "end_enquiry_period": _tender_handler(periods.end_enquiry_period),
    "end_tender_period": _tender_handler(periods.end_tender_period),
    "expire_framework": frameworks.expire_framework,
    "widen_disclosure": publication.widen_disclosure,
}

# A handler is ``handler(session, *, actor, now, object_id)``; a finder ``finder(session, *, now, limit)`` lists
# ``(due_at, command, object_id)``. Each context owns its deadlines' queries; the scheduler only orders and applies.
FINDERS: list[Finder] = [periods.due_deadlines, frameworks.due_framework_expiries, publication.due_disclosures]


@dataclass(frozen=True)
class Applied:
    """One deadline the scheduler applied."""

    due_at: datetime
    command: str
    object_id: str


def due(session: Session, now: datetime, limit: int = 100) -> list[tuple[datetime, str, str]]:
    """Everything due at ``now``, oldest first."""
    rows: list[tuple[datetime, str, str]] = []
    for finder in FINDERS:
        rows.extend(finder(session, now=now, limit=limit))
    rows.sort()
    return rows[:limit]


def run_due(db: Database, clock: Clock, *, max_steps: int = 10_000) -> list[Applied]:
    """Apply every due deadline, each in its own transaction, until none is left."""
    applied: list[Applied] = []
    skipped: set[tuple[str, str]] = set()
    for _ in range(max_steps):
        now = clock.now()
        with db.unit_of_work(write=False) as session:
            pending = [row for row in due(session, now) if (row[1], row[2]) not in skipped]
        if not pending:
            break
        due_at, command, object_id = pending[0]
        try:
            with db.unit_of_work() as session:
                HANDLERS[command](session, actor=SCHEDULER, now=now, object_id=object_id)
            applied.append(Applied(due_at, command, object_id))
        except (InvalidTransition, NotFound) as exc:  # another worker got there first
            log.info("deadline %s on %s already handled: %s", command, object_id, exc)
            skipped.add((command, object_id))
    return applied


def integrate_log(db: Database, clock: Clock, transparency: TransparencyLog) -> int | None:
    """Sign a checkpoint over the log if it grew; the new tree size, or None when nothing changed."""
    with db.unit_of_work() as session:
        signed = transparency.integrate(session, clock.now())
        return None if signed is None else signed.size


def tick(db: Database, clock: Clock, transparency: TransparencyLog | None = None) -> list[Applied]:
    """One scheduler pass: apply due deadlines, then integrate the transparency log."""
    done = run_due(db, clock)
    for item in done:
        log.info("applied %s on %s (due %s)", item.command, item.object_id, item.due_at.isoformat())
    if transparency is not None:
        size = integrate_log(db, clock, transparency)
        if size is not None:
            log.info("signed a checkpoint at tree size %d", size)
    return done


async def run_forever(db: Database, clock: Clock, interval: float, transparency: TransparencyLog | None = None) -> None:
    """The in-process scheduler of `serve` and `demo`: one ``tick`` every ``interval`` seconds."""
    import asyncio

    while True:
        try:
            await asyncio.to_thread(tick, db, clock, transparency)
        except Exception:  # the loop must survive a bad step; the error is logged with its trace
            log.exception("scheduler step failed")
        await asyncio.sleep(interval)
