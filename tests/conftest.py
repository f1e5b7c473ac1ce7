"""Fixtures shared by every test: a clean migrated database, a fixed clock, the app, a world of people."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hsettings

from quartermaster.api.app import create_app
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.db import TestDatabases
from support.world import World, build_world

hsettings.register_profile("ci", deadline=None, max_examples=50, derandomize=True)
hsettings.register_profile("dev", deadline=None, max_examples=30)
hsettings.load_profile("ci")

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday; rulebook 2025.1 is in force


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    """Per-process source of clean databases."""
    dbs = TestDatabases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.close()


@pytest.fixture
def database(databases: TestDatabases) -> Iterator[Database]:
    """A clean, migrated database for this test."""
    db = databases.database()
    yield db
    db.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """The server's clock, under the test's control."""
    return FixedClock(START)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an app under test."""
    return Settings(data_dir=tmp_path, run_scheduler=False)


@pytest.fixture
def client(settings: Settings, clock: FixedClock, database: Database) -> Iterator[TestClient]:
    """An HTTP client on the whole app."""
    app = create_app(settings, clock=clock, database=database)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def world(database: Database, clock: FixedClock) -> World:
    """Buyers, approvers, evaluators, suppliers, an auditor and an admin, with tokens."""
    return build_world(database, clock.now())
