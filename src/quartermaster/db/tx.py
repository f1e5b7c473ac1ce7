"""The single commit point: one transaction per request, CLI command or scheduler step.

Services receive the ``Session`` and never commit; ``unit_of_work`` commits when the block succeeds and rolls back
when it raises, so a command's change, its event and its idempotency record land together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from quartermaster.db.engine import WRITE


class Database:
    """Owns the engine and hands out units of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write = sessionmaker(bind=engine.execution_options(**{WRITE: True}), expire_on_commit=False)
        self._read = sessionmaker(bind=engine, expire_on_commit=False)

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """Yield a session; commit on success, roll back on any exception."""
        session = (self._write if write else self._read)()
        try:
            yield session
            if write:
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
