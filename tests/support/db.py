"""Clean databases for tests, built by running the migrations (never create_all).

SQLite (default): the schema is migrated once per test process into a template file; each test gets a copy.
PostgreSQL (QM_TEST_DATABASE_URL set): each xdist worker gets its own database, migrated once and emptied with
TRUNCATE before every test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from quartermaster.db.engine import make_engine
from quartermaster.db.migrate import upgrade
from quartermaster.db.registry import load_models
from quartermaster.db.tx import Database


def pg_url() -> str | None:
    """The PostgreSQL server URL under test, if any."""
    return os.environ.get("QM_TEST_DATABASE_URL") or None


def worker_id() -> str:
    """The xdist worker name (gw0, ...) or the process id, so concurrent runs never share a database."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


class TestDatabases:
    """Hands out clean databases for one test process."""

    __test__ = False  # not a test class, despite the name

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.pg = pg_url()
        self._pg_engine: Engine | None = None
        self._template: Path | None = None
        self._counter = 0
        self._dedicated: list[str] = []

    @property
    def is_postgres(self) -> bool:
        """Whether tests run on PostgreSQL."""
        return self.pg is not None

    def _pg_database(self) -> Engine:
        if self._pg_engine is None:
            assert self.pg is not None
            base = make_url(self.pg)
            name = f"qm_test_{worker_id()}"
            admin = make_engine(base.render_as_string(hide_password=False)).execution_options(
                isolation_level="AUTOCOMMIT"
            )
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            self._pg_engine = make_engine(base.set(database=name).render_as_string(hide_password=False))
            upgrade(self._pg_engine)
        return self._pg_engine

    def _admin(self) -> Engine:
        assert self.pg is not None
        return make_engine(self.pg).execution_options(isolation_level="AUTOCOMMIT")

    def close(self) -> None:
        """Drop this process's PostgreSQL databases."""
        if self.pg is None:
            return
        names = list(self._dedicated)
        if self._pg_engine is not None:
            names.append(str(self._pg_engine.url.database))
            self._pg_engine.dispose()
        admin = self._admin()
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        self._pg_engine = None
        self._dedicated.clear()

    def dedicated(self) -> Database:
        """A migrated Database of its own, for a module-scoped fixture: resets for other tests never touch it.

        (On PostgreSQL every ``database()`` of a process truncates one shared database; on SQLite each is a file.)
        """
        if self.pg is None:
            return self.database()
        name = f"qm_test_{worker_id()}_m{len(self._dedicated)}"
        admin = self._admin()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self._dedicated.append(name)
        engine = make_engine(make_url(self.pg).set(database=name).render_as_string(hide_password=False))
        upgrade(engine)
        return Database(engine)

    def url(self) -> str:
        """A URL of a database with the current schema and no rows."""
        if self.pg is not None:
            engine = self._pg_database()
            tables = ", ".join(f'"{t.name}"' for t in load_models().sorted_tables)
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            return engine.url.render_as_string(hide_password=False)
        if self._template is None:
            self._template = self.tmp / "template.db"
            engine = make_engine(f"sqlite:///{self._template}")
            upgrade(engine)
            engine.dispose()
        self._counter += 1
        target = self.tmp / f"test-{self._counter}.db"
        shutil.copyfile(self._template, target)
        return f"sqlite:///{target}"

    def database(self) -> Database:
        """A fresh Database for one test."""
        return Database(make_engine(self.url()))
