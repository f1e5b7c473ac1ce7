"""Engine factory. SQLite runs in WAL mode with write transactions taken as BEGIN IMMEDIATE."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool, QueuePool

WRITE = "qm_write"


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """Build an engine for ``url``; nothing connects until first use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    if parsed.drivername == "postgresql":  # default to psycopg 3
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # No pre-ping: it costs a round trip on every checkout; stale connections are recycled instead.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_recycle=1800, echo=echo)


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    memory = not parsed.database or parsed.database == ":memory:"
    engine = create_engine(
        url,
        echo=echo,
        # Pooled connections: opening one per transaction costs a connect, the PRAGMAs and, when the last one
        # closes, a WAL checkpoint with an fsync. WAL lets pooled readers run beside the single writer.
        poolclass=NullPool if memory else QueuePool,
        **({} if memory else {"pool_size": 8, "max_overflow": 24}),
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so BEGIN can be IMMEDIATE for writers (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer that began DEFERRED would fail to upgrade its read snapshot under contention
        # (SQLITE_BUSY_SNAPSHOT); IMMEDIATE queues writers behind the lock instead, so the loser of a race
        # sees the winner's committed state and gets a clean domain error.
        mode = "IMMEDIATE" if conn.get_execution_options().get(WRITE, False) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded engine."""
    return engine.dialect.name == "sqlite"
