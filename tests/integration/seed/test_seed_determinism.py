"""Same seed, same data: titles, statuses, procedures and values agree across runs (ids are random)."""

from __future__ import annotations

from quartermaster.seed import SeedSpec, digest, seed
from quartermaster.types import FixedClock
from support import db as support_db

SPEC = SeedSpec(buyers=2, suppliers=6, tenders=14)


def _digest(databases: support_db.TestDatabases, clock: FixedClock, spec: SeedSpec) -> str:
    db = databases.database()
    try:
        result = seed(db, spec=spec, clock=FixedClock(clock.now()))
        assert result.failures == []
        return digest(db)
    finally:
        db.dispose()


def test_the_same_seed_gives_the_same_digest(databases: support_db.TestDatabases, clock: FixedClock) -> None:
    first = _digest(databases, clock, SPEC)
    second = _digest(databases, clock, SPEC)

    assert first == second


def test_another_seed_gives_another_digest(databases: support_db.TestDatabases, clock: FixedClock) -> None:
    first = _digest(databases, clock, SPEC)
    other = _digest(databases, clock, SeedSpec(buyers=2, suppliers=6, tenders=14, seed=7))

    assert first != other
