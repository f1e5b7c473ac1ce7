"""Load a tender's contracting process for the pure OCDS mapping, and its public changes from the event log.

Test support until the publishing side (routes, exports) gets its own loader; the mapping itself never queries.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.awards.models import Award
from quartermaster.bids.models import Bid
from quartermaster.contracts.models import Amendment, Contract, Delivery, Payment
from quartermaster.events.models import Event
from quartermaster.frameworks.models import CallOff, Framework
from quartermaster.identity.models import Organization
from quartermaster.ocds import Change, Naming, Process, release, release_tags
from quartermaster.plans.models import Plan
from quartermaster.tenders.models import Enquiry, Item, Tender


def load_process(session: Session, tender_id: str) -> Process:
    """Every row the mapping reads about one tender."""
    tender = session.get_one(Tender, tender_id)
    contracts = list(session.scalars(select(Contract).where(Contract.tender_id == tender_id)))
    contract_ids = [c.id for c in contracts]
    call_off = session.scalars(select(CallOff).where(CallOff.tender_id == tender_id)).first()
    process = Process(
        tender=tender,
        organizations={},
        items=list(session.scalars(select(Item).where(Item.tender_id == tender_id).order_by(Item.position))),
        enquiries=list(
            session.scalars(select(Enquiry).where(Enquiry.tender_id == tender_id).order_by(Enquiry.asked_at))
        ),
        bids=list(session.scalars(select(Bid).where(Bid.tender_id == tender_id))),
        awards=list(session.scalars(select(Award).where(Award.tender_id == tender_id))),
        contracts=contracts,
        amendments=list(session.scalars(select(Amendment).where(Amendment.contract_id.in_(contract_ids)))),
        deliveries=list(session.scalars(select(Delivery).where(Delivery.contract_id.in_(contract_ids)))),
        payments=list(session.scalars(select(Payment).where(Payment.contract_id.in_(contract_ids)))),
        plan=session.get(Plan, tender.plan_id) if tender.plan_id else None,
        parent_framework=session.get(Framework, call_off.framework_id) if call_off else None,
    )
    org_ids = {tender.buyer_id} | {b.supplier_id for b in process.bids} | {a.supplier_id for a in process.awards}
    org_ids |= {c.supplier_id for c in contracts} | {c.buyer_id for c in contracts}
    orgs = session.scalars(select(Organization).where(Organization.id.in_(org_ids)))
    return replace(process, organizations={o.id: o for o in orgs})


def public_changes(session: Session, tender_id: str, *, until_seq: int | None = None) -> list[Change]:
    """The tender's public changes: its events with a release tag, one change per command (same time, actor)."""
    query = select(Event).where(Event.process_id == tender_id).order_by(Event.seq)
    if until_seq is not None:
        query = query.where(Event.seq <= until_seq)
    events = [e for e in session.scalars(query) if release_tags(e.event_type)]
    changes = []
    for _, group in groupby(events, key=lambda e: (e.occurred_at, e.actor_id, e.command)):
        batch = list(group)
        changes.append(Change(batch[-1].seq, batch[-1].occurred_at, tuple(e.event_type for e in batch)))
    return changes


def releases_now(session: Session, tender_id: str, naming: Naming, *, after_seq: int = 0) -> list[dict[str, object]]:
    """Releases of the changes after ``after_seq``, each mapped from the process as it is now."""
    process = load_process(session, tender_id)
    return [release(process, c, naming) for c in public_changes(session, tender_id) if c.seq > after_seq]


def last_seq(session: Session) -> int:
    """The latest event sequence number."""
    return session.scalars(select(Event.seq).order_by(Event.seq.desc()).limit(1)).first() or 0


def utc(moment: datetime) -> str:
    """A datetime as the mapping formats it (for expectations)."""
    from quartermaster.ocds.values import rfc3339

    return rfc3339(moment)
