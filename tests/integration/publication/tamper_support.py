"""A real deployment whose transparency log is tampered with in the database, and the verifier run against it.

``Deployment`` is one Quartermaster installation under test: its settings (the data directory holds the log's
signing key), its database and its clock. Each ``serve()`` builds a new app, so its Merkle tree cache is rebuilt from
the rows as a restarted server's would be. ``honest_log`` fills a log once through the HTTP API and leaves three
readers with state files: ``early`` saw the first checkpoint only, ``a`` and ``b`` verified the newest one (``a``
by URL, ``b`` from an export). ``Honest.fresh`` puts the log tables and the readers' files back before each test, so
every test tampers with the same honest log. The tampering helpers change rows the way an operator with database
access could.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import delete, insert, select, update

from quartermaster.api.app import create_app
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.publication.bulk import export_log
from quartermaster.publication.keys import load_signer
from quartermaster.publication.log import TransparencyLog
from quartermaster.publication.models import LogEntry, SignedCheckpoint
from quartermaster.scheduler import integrate_log
from quartermaster.transparency import canonical_json, leaf_hash
from quartermaster.types import FixedClock
from quartermaster.verify import run
from support.contract_flows import ContractFlow
from support.core_live import live_server
from support.db import TestDatabases
from support.world import World, build_world

Json = dict[str, Any]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # as in tests/conftest.py: a Monday, rulebook 2025.1 in force
ENTRIES = LogEntry.__table__
CHECKPOINTS = SignedCheckpoint.__table__
# Every column of an entry but its position: what "the row's contents" are when rows are swapped.
CONTENT = [c.name for c in ENTRIES.columns if c.name != "index"]


def b64(data: bytes) -> str:
    """Standard base64, as the API and the verifier print hashes."""
    return base64.b64encode(data).decode()


@dataclass
class Deployment:
    """One installation: settings, database and clock, and a scratch directory for exports and state files."""

    settings: Settings
    database: Database
    clock: FixedClock
    scratch: Path
    _exports: int = 0

    def app(self) -> FastAPI:
        """A new app process on the same database (an empty tree cache, rebuilt from the rows on first use)."""
        return create_app(self.settings, clock=self.clock, database=self.database)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """A new app served by uvicorn on 127.0.0.1; yields its base URL."""
        with live_server(self.app()) as url:
            yield url

    def integrate(self) -> int | None:
        """The scheduler's step with the log's real key: sign a checkpoint if the tree grew (its size, else None)."""
        log = TransparencyLog.with_signer(load_signer(self.settings))
        return integrate_log(self.database, self.clock, log)

    def export(self) -> Path:
        """A new directory written by ``export_log`` from the current rows (what `export log --out` writes)."""
        self._exports += 1
        out = self.scratch / f"export-{self._exports}"
        export_log(self.database, self.settings, out)
        return out

    def state(self, name: str) -> Path:
        """The path of reader ``name``'s state file."""
        return self.scratch / "readers" / f"{name}.json"

    def copy_state(self, name: str, new: str) -> Path:
        """A second reader who saw exactly what ``name`` saw."""
        target = self.state(new)
        shutil.copyfile(self.state(name), target)
        return target

    def verifier_key(self) -> str:
        """The log's verifier key (vkey string), from its signing key."""
        return load_signer(self.settings).verifier().key_string

    def origin(self) -> str:
        """The log's origin line."""
        return self.settings.resolved_log_origin()


@dataclass(frozen=True)
class History:
    """The honest log: checkpoints at ``first`` and ``size`` entries, and the entry that awarded process 1."""

    first: int
    size: int
    award: int
    first_root: bytes
    root: bytes


def verify(target: str | Path, state: Path, *, key: str | None = None) -> tuple[int, str]:
    """Run ``quartermaster verify`` as the CLI does; (exit code, printed text)."""
    out = io.StringIO()
    code = run(str(target), key=key, state=state, console=Console(file=out, width=200, color_system=None))
    return code, out.getvalue()


def reverify(deployment: Deployment) -> tuple[tuple[int, str], tuple[int, str]]:
    """Readers ``a`` and ``b`` check again: ``a`` against a new server process, ``b`` against a new export."""
    with deployment.serve() as url:
        by_url = verify(url, deployment.state("a"))
    return by_url, verify(deployment.export(), deployment.state("b"))


def log_answers(url: str, first: int, size: int) -> dict[str, tuple[int, str]]:
    """Status and problem code (or content type) of each transparency log endpoint of a server."""
    paths = [
        "log/key",
        "log/checkpoint",
        f"log/entries?start=0&end={size}",
        f"log/proof/inclusion?index=0&size={size}",
        f"log/proof/consistency?first={first}&second={size}",
        "ocds/releases",
    ]
    answers = {}
    for path in paths:  # a connection each: the server closes one after an unhandled error
        response = httpx.get(f"{url}/api/v1/{path}", timeout=30)
        kind = response.headers["content-type"]
        answers[path] = (response.status_code, response.json()["code"] if "problem" in kind else kind)
    return answers


def quartermaster(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``quartermaster`` command, with no QM_ settings from the environment and wide output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QM_")} | {"COLUMNS": "250"}
    command = [str(Path(sys.executable).parent / "quartermaster"), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)


def export_command(deployment: Deployment, out: Path) -> subprocess.CompletedProcess[str]:
    """`quartermaster export log --out DIR` on the deployment's database and data directory (its key)."""
    url = deployment.database.engine.url.render_as_string(hide_password=False)
    data_dir = str(deployment.settings.data_dir)
    return quartermaster("export", "log", "--out", str(out), "--data-dir", data_dir, "--database-url", url)


@dataclass(frozen=True)
class Honest:
    """The honest log built once: its deployment and history, the log rows and the readers' files as left."""

    deployment: Deployment
    history: History
    entries: list[Json]
    checkpoints: list[Json]
    readers: Path

    def fresh(self, scratch: Path) -> Deployment:
        """The deployment with the honest log rows and readers' state files back, exports and states in ``scratch``."""
        with self.deployment.database.unit_of_work() as session:
            session.execute(delete(ENTRIES))
            session.execute(delete(CHECKPOINTS))
            session.execute(insert(ENTRIES), self.entries)
            session.execute(insert(CHECKPOINTS), self.checkpoints)
        shutil.copytree(self.readers, scratch / "readers")
        return replace(self.deployment, scratch=scratch)


@contextmanager
def honest_log(databases: TestDatabases, root: Path) -> Iterator[Honest]:
    """A clean database and data directory, filled by ``build_history``; the database is closed afterwards."""
    database = databases.dedicated()
    clock = FixedClock(START)
    settings = Settings(data_dir=root / "data", run_scheduler=False)
    deployment = Deployment(settings, database, clock, root / "build")
    try:
        history = build_history(deployment, build_world(database, clock.now()))
        with database.unit_of_work(write=False) as session:
            entries = [dict(row._mapping) for row in session.execute(select(ENTRIES).order_by(ENTRIES.c.index))]
            checkpoints = [dict(row._mapping) for row in session.execute(select(CHECKPOINTS))]
        yield Honest(deployment, history, entries, checkpoints, deployment.scratch / "readers")
    finally:
        database.dispose()


def build_history(deployment: Deployment, world: World) -> History:
    """Three processes through the API (an award; an award and a signed contract; a tender), two checkpoints,
    and three readers: ``early`` (the first checkpoint), ``a`` (the newest, by URL) and ``b`` (the newest, from an
    export)."""
    db, clock = deployment.database, deployment.clock
    (deployment.scratch / "readers").mkdir(parents=True)
    with TestClient(deployment.app(), raise_server_exceptions=True) as client:
        flow = ContractFlow(client, world, clock, db)
        flow.awarded()
        first = deployment.integrate()
        assert first is not None
        early = verify(deployment.export(), deployment.state("early"))
        flow.signed()
        flow.to_tendering()
        size = deployment.integrate()
        assert size is not None
        assert size > first
    with deployment.serve() as url:
        by_url = verify(url, deployment.state("a"))
    by_dir = verify(deployment.export(), deployment.state("b"))
    assert (early[0], by_url[0], by_dir[0]) == (0, 0, 0), (early, by_url, by_dir)
    roots = checkpoint_roots(db)
    with db.unit_of_work(write=False) as session:
        tags = session.execute(select(ENTRIES.c.index, ENTRIES.c.tags).order_by(ENTRIES.c.index)).all()
    award = next(index for index, tags in tags if "award" in tags)
    assert award < first
    return History(first=first, size=size, award=award, first_root=roots[first], root=roots[size])


def checkpoint_roots(db: Database) -> dict[int, bytes]:
    """Every stored checkpoint's size and root."""
    with db.unit_of_work(write=False) as session:
        return {size: bytes(root) for size, root in session.execute(select(CHECKPOINTS.c.size, CHECKPOINTS.c.root))}


def state_record(path: Path, origin: str) -> Json:
    """A reader's state file record for ``origin`` (size, root, checkpoint note, key)."""
    record: Json = json.loads(path.read_text())["logs"][origin]
    return record


# --- what an operator with database access can do ------------------------------------------------------------


def leaf(db: Database, index: int) -> Json:
    """The JSON object an entry's stored leaf input encodes."""
    with db.unit_of_work(write=False) as session:
        data = session.scalar(select(ENTRIES.c.leaf_input).where(ENTRIES.c.index == index))
    assert data is not None, f"no entry {index}"
    body: Json = json.loads(data)
    return body


def rewrite_release(db: Database, index: int, change: Callable[[Json], None], *, rehash: bool) -> bytes:
    """Store a changed release in entry ``index`` as canonical JSON; with ``rehash`` also its correct leaf hash
    (a careful attacker), else only the leaf input (a naive one). Returns the new leaf input."""
    body = leaf(db, index)
    change(body["release"])
    data = canonical_json(body)
    values: Json = {"leaf_input": data}
    if rehash:
        values["leaf_hash"] = leaf_hash(data)
    with db.unit_of_work() as session:
        assert session.execute(update(ENTRIES).where(ENTRIES.c.index == index).values(**values)).rowcount == 1
    return data


def inflate_award(release: Json) -> None:
    """The change an attacker wants: the award worth ten times what was published."""
    value = release["awards"][0]["value"]
    value["amount"] = value["amount"] * 10


def delete_entry(db: Database, index: int, *, renumber: bool) -> None:
    """Delete entry ``index``; with ``renumber`` move every later entry down one, closing the gap."""
    with db.unit_of_work() as session:
        assert session.execute(delete(ENTRIES).where(ENTRIES.c.index == index)).rowcount == 1
        if renumber:
            later = session.scalars(select(ENTRIES.c.index).where(ENTRIES.c.index > index).order_by(ENTRIES.c.index))
            for position in list(later):  # one row at a time, ascending: the key stays unique at every step
                session.execute(update(ENTRIES).where(ENTRIES.c.index == position).values(index=position - 1))


def swap_entries(db: Database, first: int, second: int) -> None:
    """Exchange the contents of two entries (every column but the index): the log reordered."""
    columns = [ENTRIES.c[name] for name in CONTENT]
    with db.unit_of_work() as session:
        rows = {
            row.index: row._mapping
            for row in session.execute(select(ENTRIES.c.index, *columns).where(ENTRIES.c.index.in_([first, second])))
        }
        for here, there in ((first, second), (second, first)):
            values = {name: rows[there][name] for name in CONTENT}
            session.execute(update(ENTRIES).where(ENTRIES.c.index == here).values(**values))


def drop_checkpoints(db: Database, *, above: int = -1) -> None:
    """Delete the stored checkpoints larger than ``above`` (every one by default)."""
    with db.unit_of_work() as session:
        session.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.size > above))


def truncate_log(db: Database, size: int) -> None:
    """Roll the log back to its first ``size`` entries: delete every later entry and checkpoint."""
    with db.unit_of_work() as session:
        session.execute(delete(ENTRIES).where(ENTRIES.c.index >= size))
        session.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.size > size))
