"""A discrete-event simulation on a FixedClock: flows are generators that yield when they next want to act.

Each flow runs its commands through the services at the simulated time, one transaction per command, as people
would. Before a flow acts, the real scheduler (``run_due``) applies every period end that has fallen due, so
deadlines are handled by the same code as in production. A flow that wants to act after ``end`` (the real
"now") simply stops there: its tender stays at whatever stage it had reached.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from quartermaster.db.tx import Database
from quartermaster.errors import QMError
from quartermaster.events.service import appended_events
from quartermaster.scheduler import run_due
from quartermaster.types import FixedClock

log = logging.getLogger("quartermaster.seed")

Flow = Generator[datetime, None, None]
T = TypeVar("T")

# Other contexts may register deadlines the seed does not know about; the scheduler runs at least this often.
SCHEDULER_HEARTBEAT = timedelta(days=3)


@dataclass
class Failure:
    """A flow that stopped on a domain error (a bug in the seed or a rule it did not anticipate)."""

    flow: str
    at: datetime
    error: str


class BatchedDatabase(Database):
    """A Database whose units of work are savepoints of one transaction, committed by ``commit()`` at the end.

    Each command still runs alone (a failing one rolls back to its savepoint, as its own transaction would) and
    writes its events; only the commit is shared, so an interrupted seed leaves the database as it found it.
    Without this the seed spends most of its time opening, committing and closing SQLite connections. Every
    ``release_every`` units the session is flushed and emptied, so memory stays flat. The publisher runs at the
    end of each unit, inside its savepoint, so each command's public change gets its own release.
    """

    def __init__(self, db: Database, release_every: int = 500) -> None:
        super().__init__(db.engine, before_commit=db.before_commit)
        self.release_every, self._units = release_every, 0
        self._session: Session | None = None

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """A savepoint in the shared transaction (reads need none: they change nothing to roll back)."""
        if self._session is None:
            self._session = self._write()
        if not write:
            yield self._session
            return
        session = self._session
        mark = len(appended_events(session))
        try:
            with session.begin_nested():
                yield session
                if self.before_commit is not None:
                    self.before_commit(session)
        except BaseException:
            del appended_events(session)[mark:]  # a rolled-back command's events are not published
            raise
        self._units += 1
        if self._units % self.release_every == 0:
            self._session.flush()
            self._session.expunge_all()

    def commit(self) -> None:
        """Commit everything."""
        if self._session is not None:
            self._session.commit()
            self._session.close()
        self._session = None

    def discard(self) -> None:
        """Roll everything back."""
        if self._session is not None:
            self._session.rollback()
            self._session.close()
        self._session = None


@dataclass
class Simulation:
    """The event queue, the simulated clock and the database."""

    db: BatchedDatabase
    clock: FixedClock
    end: datetime
    on_step: Callable[[datetime], None] | None = None
    failures: list[Failure] = field(default_factory=list)
    commands: int = 0
    _queue: list[tuple[datetime, int, str, Flow]] = field(default_factory=list)
    _deadlines: list[datetime] = field(default_factory=list)
    _known: set[datetime] = field(default_factory=set)
    _seq: int = 0
    _last_scheduler_run: datetime | None = None

    @property
    def now(self) -> datetime:
        """The simulated time."""
        return self.clock.now()

    def start(self, name: str, when: datetime, flow: Flow) -> None:
        """Queue a flow; it first runs at ``when``."""
        self._push(when, name, flow)

    def deadline(self, when: datetime | None) -> None:
        """Tell the simulation that a period ends at ``when`` so the scheduler runs soon after it."""
        if when is not None and when not in self._known:
            self._known.add(when)
            heapq.heappush(self._deadlines, when)

    def do(self, fn: Callable[[Session, datetime], T]) -> T:
        """Run one command in its own transaction at the simulated time."""
        with self.db.unit_of_work() as session:
            result = fn(session, self.now)
        self.commands += 1
        return result

    def call(self, command: Callable[..., T], **kwargs: Any) -> T:
        """Run service ``command(session, now=<simulated time>, **kwargs)`` in its own transaction."""
        with self.db.unit_of_work() as session:
            result = command(session, now=self.now, **kwargs)
        self.commands += 1
        return result

    def read(self, fn: Callable[[Session], T]) -> T:
        """Read in a read-only transaction."""
        with self.db.unit_of_work(write=False) as session:
            return fn(session)

    def run(self) -> None:
        """Run every flow until the queue is empty or only acts after ``end``; then apply what is due at ``end``."""
        while self._queue:
            when, _, name, flow = heapq.heappop(self._queue)
            if when > self.end:
                continue
            self.clock.set(when)
            self._maybe_run_scheduler()
            self._step(name, flow)
        self.clock.set(self.end)
        run_due(self.db, self.clock)

    def _push(self, when: datetime, name: str, flow: Flow) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (when, self._seq, name, flow))

    def _step(self, name: str, flow: Flow) -> None:
        try:
            nxt = next(flow)
        except StopIteration:
            return
        except QMError as exc:
            self.failures.append(Failure(name, self.now, f"{exc.code}: {exc.message} {exc.fields}"))
            log.warning("seed flow %s stopped at %s: %s", name, self.now.isoformat(), exc)
            return
        self._push(max(nxt, self.now), name, flow)
        if self.on_step is not None:
            self.on_step(self.now)

    def _maybe_run_scheduler(self) -> None:
        now = self.now
        due = bool(self._deadlines) and self._deadlines[0] <= now
        stale = self._last_scheduler_run is None or now - self._last_scheduler_run >= SCHEDULER_HEARTBEAT
        if not (due or stale):
            return
        while self._deadlines and self._deadlines[0] <= now:
            heapq.heappop(self._deadlines)
        run_due(self.db, self.clock)
        self._last_scheduler_run = now
