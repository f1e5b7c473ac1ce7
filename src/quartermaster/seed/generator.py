"""``seed``: a deterministic synthetic data set, generated through the services as if people had done the work.

Parties and people are registered about a year before "now"; then a discrete-event simulation (``sim``) plays
every planned tender forward on a FixedClock, the real scheduler applying period ends as it goes, until "now".
The run is bracketed by two events on a ``seed_run`` object: ``DemoDataSeedStarted`` and ``DemoDataSeeded``
(with the counts and the demo usernames), which is how a second run knows the database is already seeded.

Determinism: ids are random, but the same seed (and the same "now") gives the same titles, values, statuses and
procedures in the same order — ``digest()`` summarises exactly that.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.codelists import load_codelists
from quartermaster.committees.vault import OpeningKeyVault
from quartermaster.contracts.models import Contract
from quartermaster.db.base import new_id
from quartermaster.db.tx import Database
from quartermaster.documents.blobstore import BlobStore
from quartermaster.errors import Conflict
from quartermaster.events.models import Event
from quartermaster.events.service import record_event
from quartermaster.identity import service as identity
from quartermaster.identity.models import Organization
from quartermaster.seed import parties
from quartermaster.seed.context import SeedContext
from quartermaster.seed.flows import TenderFlow
from quartermaster.seed.plan import plan_tender, specialisations
from quartermaster.seed.sim import BatchedDatabase, Failure, Simulation
from quartermaster.tenders.models import Tender
from quartermaster.types import Clock, FixedClock

SEEDER = Actor(user_id="system:seed", name="Quartermaster demo data generator", role=Role.SYSTEM, organization_id=None)
WINDOW = timedelta(days=372)  # parties are registered this long before "now"; tenders start after that
STARTED, FINISHED = "DemoDataSeedStarted", "DemoDataSeeded"


@dataclass(frozen=True)
class SeedSpec:
    """How much to generate, and from which seed."""

    buyers: int
    suppliers: int
    tenders: int
    seed: int = 42
    scale: str = "custom"


SCALES: dict[str, SeedSpec] = {
    "demo": SeedSpec(buyers=6, suppliers=40, tenders=150, scale="demo"),
    "full": SeedSpec(buyers=40, suppliers=300, tenders=2000, scale="full"),
}


@dataclass
class SeedResult:
    """What a run did (or found already done)."""

    created: bool
    spec: dict[str, Any]
    statuses: dict[str, int]
    demo_users: list[str]
    failures: list[Failure] = field(default_factory=list)
    commands: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class SeedState:
    """Whether the database holds seed data: a finished run, an interrupted one, or none."""

    finished: dict[str, Any] | None
    started: bool


def seed_state(session: Session) -> SeedState:
    """Read the seed markers."""
    rows = session.execute(
        select(Event.event_type, Event.payload).where(Event.object_type == "seed_run").order_by(Event.seq)
    ).all()
    finished = next((dict(p) for t, p in rows if t == FINISHED), None)
    return SeedState(finished, any(t == STARTED for t, _ in rows))


def seed(
    db: Database,
    *,
    spec: SeedSpec,
    clock: Clock,
    progress: Callable[[float], None] | None = None,
    vault: OpeningKeyVault | None = None,
    keys_dir: Path | None = None,
    blobs: BlobStore | None = None,
) -> SeedResult:
    """Generate the data set up to ``clock.now()``, or report the one already there.

    ``vault``: the platform's opening-key vault (the served demo's, so its platform-held keys still open later; an
    ephemeral one otherwise). ``keys_dir``: where each buyer staff member's key file is written (0600), so the demo's
    committee members can release their shares at openings still to come; without it the key files stay in memory.
    ``blobs``: the blob store of the served demo; with it, sealed bids carry a sealed technical proposal.
    """
    began = time.perf_counter()
    end = clock.now()
    start = end - WINDOW
    batch = BatchedDatabase(db)  # one transaction: an interrupted seed leaves nothing behind
    try:
        with batch.unit_of_work() as session:
            state = seed_state(session)
            if state.finished is not None:
                batch.discard()
                return SeedResult(
                    False, state.finished["spec"], state.finished["statuses"], state.finished["demo_users"]
                )
            if state.started:
                raise Conflict(
                    "an earlier seed run did not finish; seed a fresh database (another --data-dir)",
                    code="seed.interrupted",
                )
            if session.scalar(select(func.count()).select_from(Organization)):
                raise Conflict(
                    "the database already holds organizations; seed an empty database", code="seed.not_empty"
                )
        result = _generate(
            batch, spec, start, end, progress, vault or OpeningKeyVault(secrets.token_bytes(32)), keys_dir, blobs
        )
        batch.commit()
    except BaseException:
        batch.discard()
        raise
    result.seconds = time.perf_counter() - began
    return result


def _generate(
    batch: BatchedDatabase,
    spec: SeedSpec,
    start: datetime,
    end: datetime,
    progress: Callable[[float], None] | None,
    vault: OpeningKeyVault,
    keys_dir: Path | None,
    blobs: BlobStore | None = None,
) -> SeedResult:
    run_id = new_id()
    with batch.unit_of_work() as session:
        _marker(session, start, run_id, STARTED, {"spec": vars(spec)})
    sim = Simulation(batch, FixedClock(start), end)
    if progress is not None:
        sim.on_step = lambda now: progress((now - start) / (end - start))
    ctx = _cast(spec, sim, start, keys_dir, vault)
    ctx.blobs = blobs
    foreign = {i for i, s in enumerate(ctx.suppliers) if s.is_foreign}
    special = specialisations(spec.seed, spec.suppliers, foreign)
    for index in range(spec.tenders):
        plan = plan_tender(spec.seed, index, spec.buyers, spec.suppliers, special)
        sim.start(f"tender:{index}", start + timedelta(hours=1), TenderFlow(ctx, plan).run())
    sim.run()
    demo_users = demo_usernames(ctx)
    with batch.unit_of_work() as session:
        statuses = dict(sorted(Counter(session.scalars(select(Tender.status))).items()))
        contracts = dict(sorted(Counter(session.scalars(select(Contract.status))).items()))
        summary = {
            "spec": vars(spec),
            "statuses": statuses,
            "contracts": contracts,
            "demo_users": demo_users,
            "commands": sim.commands,
            "failures": len(sim.failures),
        }
        _marker(session, end, run_id, FINISHED, summary)
    if progress is not None:
        progress(1.0)
    return SeedResult(True, vars(spec), statuses, demo_users, sim.failures, sim.commands)


def _marker(session: Session, now: datetime, run_id: str, event_type: str, payload: dict[str, Any]) -> None:
    record_event(
        session,
        actor=SEEDER,
        now=now,
        command="seed_demo_data",
        event_type=event_type,
        object_type="seed_run",
        object_id=run_id,
        process_id=None,
        before=None if event_type == STARTED else "running",
        after="running" if event_type == STARTED else "finished",
        payload=payload,
    )


def _cast(spec: SeedSpec, sim: Simulation, now: datetime, keys_dir: Path | None, vault: OpeningKeyVault) -> SeedContext:
    """Register the administrator, the auditor, every organization and its people (one transaction)."""
    rng = random.Random(f"{spec.seed}:parties")
    idents: set[str] = set()
    slugs: set[str] = set()
    buyers = parties.plan_buyers(rng, spec.buyers, idents, slugs)
    suppliers = parties.plan_suppliers(rng, spec.suppliers, idents, slugs)
    with sim.db.unit_of_work() as session:
        admin = identity.actor_of(
            identity.create_user(
                session,
                actor=SEEDER,
                now=now,
                username="admin",
                name="Platform Administrator",
                role=Role.ADMIN,
                organization_id=None,
            )
        )
        identity.create_user(
            session,
            actor=admin,
            now=now,
            username="auditor",
            name="State Audit Service inspector",
            role=Role.AUDITOR,
            organization_id=None,
        )
        for org in (*buyers, *suppliers):
            parties.register(session, admin=admin, now=now, spec=org)
        keys = parties.enrol_staff_keys(session, now=now, orgs=buyers, keys_dir=keys_dir, vault=vault)
    ctx = SeedContext(sim=sim, lists=load_codelists(None), buyers=buyers, suppliers=suppliers, end=sim.end)
    ctx.keys, ctx.vault = keys, vault
    ctx.supplier_index = {s.id: i for i, s in enumerate(suppliers)}
    return ctx


def demo_usernames(ctx: SeedContext) -> list[str]:
    """The people a demo shows: the first buyer's three staff, the second buyer's, three suppliers, an auditor
    and the administrator."""
    staff = [u for org in ctx.buyers[:2] for u, _, _ in org.staff]
    foreign = next((s for s in ctx.suppliers if s.is_foreign), None)
    local = [s for s in ctx.suppliers if not s.is_foreign][:2]
    sellers = [s.staff[0][0] for s in (*local, *([foreign] if foreign else []))]
    return [*staff, *sellers, "auditor", "admin"]


def digest(db: Database) -> str:
    """SHA-256 over the sorted (title, status, procedure, value) of every tender: equal for equal seeds."""
    with db.unit_of_work(write=False) as session:
        rows = session.execute(select(Tender.title, Tender.status, Tender.procedure, Tender.value_amount)).all()
    text = "\n".join(sorted(f"{t}|{s}|{p}|{v:.2f}" for t, s, p, v in rows))
    return hashlib.sha256(text.encode()).hexdigest()
