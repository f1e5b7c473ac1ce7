"""The single commit point: one transaction per request, CLI command or scheduler step.

Services receive the ``Session`` and never commit; ``unit_of_work`` commits when the block succeeds and rolls back
when it raises, so a command's change, its event and its idempotency record land together or not at all.

A ``before_commit`` hook (the publisher: OCDS releases and transparency-log entries derived from the transaction's
events) runs inside every write transaction just before it commits, so what is published commits with the change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from quartermaster.db.engine import WRITE, is_sqlite


class Database:
    """Owns the engine and hands out units of work."""

    def __init__(self, engine: Engine, *, before_commit: Callable[[Session], None] | None = None) -> None:
        self.engine = engine
        self.before_commit = before_commit
        self._write = sessionmaker(bind=engine.execution_options(**{WRITE: True}), expire_on_commit=False)
        self._read = sessionmaker(bind=engine, expire_on_commit=False)
        # SQLite admits one writer at a time. Queueing this process's writers on a lock, rather than letting them
        # all sleep in SQLite's busy handler (which backs off in growing steps), keeps tail latency low; other
        # processes (a separate worker) are still serialised by SQLite itself through busy_timeout.
        self._writer_lock: threading.RLock | None = threading.RLock() if is_sqlite(engine) else None

    def _writer(self, write: bool) -> AbstractContextManager[object]:
        return self._writer_lock if write and self._writer_lock is not None else nullcontext()

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """Yield a session; commit on success, roll back on any exception."""
        with self._writer(write):
            yield from self._transaction(write)

    def _transaction(self, write: bool) -> Iterator[Session]:
        session = (self._write if write else self._read)()
        try:
            yield session
            if write:
                if self.before_commit is not None:
                    self.before_commit(session)
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
