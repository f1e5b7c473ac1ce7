"""`seed` at a tiny scale: every procedure, every stage, valid identifiers and codes, events for everything."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quartermaster.bids.models import Bid
from quartermaster.codelists import load_codelists, validate_cpv, validate_nsn
from quartermaster.contracts.models import Amendment, Contract, Delivery, Payment
from quartermaster.db.tx import Database
from quartermaster.documents.blobstore import LocalDiskBlobStore
from quartermaster.documents.models import Document
from quartermaster.errors import Conflict
from quartermaster.events.models import Event
from quartermaster.frameworks.models import CallOff, Framework
from quartermaster.identifiers import validate_identifier
from quartermaster.identity.models import Organization, User
from quartermaster.seed import SeedSpec, seed
from quartermaster.tenders.models import Item, Tender
from quartermaster.types import FixedClock
from support.world import World

TINY = SeedSpec(buyers=3, suppliers=8, tenders=25)

STAGES = {
    "draft",
    "active.prequalification",
    "active.prequalification.review",
    "active.enquiries",
    "active.tendering",
    "active.opening",
    "active.negotiation",
    "active.qualification",
    "active.awarded",
    "complete",
    "unsuccessful",
    "cancelled",
}


def test_tiny_seed_covers_every_procedure_and_stage(database: Database, clock: FixedClock) -> None:
    result = seed(database, spec=TINY, clock=clock)

    assert result.created is True
    assert result.failures == []
    with database.unit_of_work(write=False) as s:
        tenders = s.scalars(select(Tender)).all()
        procedures = Counter(t.procedure for t in tenders)
        statuses = Counter(t.status for t in tenders)
        contracts = Counter(s.scalars(select(Contract.status)))
        assert set(procedures) == {
            "open",
            "selective",
            "negotiated",
            "limited",
            "framework",
            "framework.mini-competition",
        }
        assert set(statuses) == STAGES
        assert statuses == result.statuses
        assert {"pending", "active", "complete"} <= set(contracts)
        assert s.scalar(select(func.count()).select_from(Amendment)) >= 1
        assert s.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "accepted")) >= 1
        assert s.scalar(select(func.count()).select_from(Payment)) >= 1
        assert s.scalar(select(func.count()).select_from(Framework).where(Framework.status == "active")) >= 1
        assert {m for (m,) in s.execute(select(CallOff.method))} <= {"direct_order", "mini_competition"}
        assert s.scalar(select(func.count()).select_from(CallOff)) >= 1


def test_tiny_seed_uses_valid_codes_and_identifiers(database: Database, clock: FixedClock) -> None:
    seed(database, spec=TINY, clock=clock)

    lists = load_codelists(None)
    with database.unit_of_work(write=False) as s:
        items = s.execute(select(Item.cpv, Item.nsn)).all()
        orgs = s.execute(select(Organization.identifier_scheme, Organization.identifier_id)).all()
        roles = Counter(s.scalars(select(User.role)))
    assert len(items) >= 25
    assert all(validate_cpv(cpv, lists).code == cpv for cpv, _ in items)
    nsns = [nsn for _, nsn in items if nsn]
    assert nsns
    assert all(validate_nsn(n, lists) == n for n in nsns)
    assert len(orgs) == TINY.buyers + TINY.suppliers
    assert all(validate_identifier(scheme, ident) == ident for scheme, ident in orgs)
    assert {scheme for scheme, _ in orgs} == {"UA-EDR", "NCAGE"}
    assert roles == {"buyer": 3, "approver": 3, "evaluator": 3, "supplier": 8, "auditor": 1, "admin": 1}


def test_every_seeded_tender_has_its_events_and_early_periods_run_past_now(
    database: Database, clock: FixedClock
) -> None:
    seed(database, spec=TINY, clock=clock)

    now = clock.now()
    with database.unit_of_work(write=False) as s:
        per_process = dict(s.execute(select(Event.process_id, func.count()).group_by(Event.process_id)).all())
        last = s.scalar(select(func.max(Event.recorded_at)))
        for t in s.scalars(select(Tender)):
            assert per_process.get(t.id, 0) >= (1 if t.status == "draft" else 2)
            running = {
                "active.enquiries": t.enquiry_end,
                "active.tendering": t.tender_end,
                "active.prequalification": t.prequalification_end,
            }
            if t.status in running:
                assert running[t.status] is not None
                assert running[t.status] > now
            if t.published_at is not None:
                assert t.published_at < now
    assert last is not None
    assert last <= now


def test_reseeding_a_seeded_database_changes_nothing(database: Database, clock: FixedClock) -> None:
    small = SeedSpec(buyers=2, suppliers=4, tenders=3)
    first = seed(database, spec=small, clock=clock)
    with database.unit_of_work(write=False) as s:
        events = s.scalar(select(func.count()).select_from(Event))

    again = seed(database, spec=SeedSpec(buyers=5, suppliers=9, tenders=30), clock=clock)

    assert again.created is False
    assert again.statuses == first.statuses
    assert again.demo_users == first.demo_users
    assert again.spec["tenders"] == 3
    with database.unit_of_work(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Event)) == events


def test_seeding_a_database_with_other_data_is_refused(database: Database, clock: FixedClock, world: World) -> None:
    with pytest.raises(Conflict) as refused:
        seed(database, spec=SeedSpec(buyers=2, suppliers=4, tenders=3), clock=clock)

    assert refused.value.code == "seed.not_empty"


def test_sealed_bids_carry_sealed_proposals_that_open_with_them(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    clock.set(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))  # the past year spans rulebook 2026.1, which seals bids
    blobs = LocalDiskBlobStore(tmp_path / "blobs")
    result = seed(database, spec=TINY, clock=clock, blobs=blobs)
    assert result.failures == []
    with database.unit_of_work(write=False) as s:
        docs = s.scalars(select(Document).where(Document.related_type == "bid")).all()
        s.expunge_all()  # plain objects after the transaction
        opened_bids = set(s.scalars(select(Bid.id).where(Bid.opened_at.is_not(None), Bid.envelope.is_not(None))))
    sealed = {d.document_key: d for d in docs if d.sealed}
    opened = {d.document_key: d for d in docs if not d.sealed}
    assert sealed
    assert opened
    assert all(d.title == "" and blobs.exists(d.sha256) for d in sealed.values())
    assert {d.related_id for d in opened.values()} == {d.related_id for d in sealed.values()} & opened_bids
    for key, doc in opened.items():
        assert doc.version == sealed[key].version + 1
        assert doc.title.startswith("Технічна пропозиція / Technical proposal — ")
        with blobs.open(doc.sha256) as fh:
            assert "Delivery within" in fh.read().decode()
