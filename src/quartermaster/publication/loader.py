"""Load one contracting process's rows for the pure OCDS mapping, and its security markings for the disclosure."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.awards.models import Award
from quartermaster.bids.models import Bid
from quartermaster.contracts.models import Amendment, Contract, Delivery, Payment
from quartermaster.documents.models import Document
from quartermaster.frameworks.models import CallOff, Framework
from quartermaster.identity.models import Organization
from quartermaster.ocds import Process
from quartermaster.plans.models import Plan
from quartermaster.tenders.models import Enquiry, Item, Tender
from quartermaster.types import max_marking


def load_process(session: Session, tender_id: str) -> Process:
    """Every row the mapping reads about one tender."""
    tender = session.get_one(Tender, tender_id)
    contracts = list(session.scalars(select(Contract).where(Contract.tender_id == tender_id).order_by(Contract.id)))
    contract_ids = [c.id for c in contracts]
    call_off = session.scalars(select(CallOff).where(CallOff.tender_id == tender_id)).first()
    process = Process(
        tender=tender,
        organizations={},
        items=list(session.scalars(select(Item).where(Item.tender_id == tender_id).order_by(Item.position))),
        enquiries=list(
            session.scalars(select(Enquiry).where(Enquiry.tender_id == tender_id).order_by(Enquiry.asked_at))
        ),
        bids=list(session.scalars(select(Bid).where(Bid.tender_id == tender_id).order_by(Bid.id))),
        awards=list(session.scalars(select(Award).where(Award.tender_id == tender_id).order_by(Award.id))),
        contracts=contracts,
        amendments=list(
            session.scalars(select(Amendment).where(Amendment.contract_id.in_(contract_ids)).order_by(Amendment.id))
        ),
        deliveries=list(
            session.scalars(select(Delivery).where(Delivery.contract_id.in_(contract_ids)).order_by(Delivery.id))
        ),
        payments=list(
            session.scalars(select(Payment).where(Payment.contract_id.in_(contract_ids)).order_by(Payment.id))
        ),
        plan=session.get(Plan, tender.plan_id) if tender.plan_id else None,
        parent_framework=session.get(Framework, call_off.framework_id) if call_off else None,
    )
    org_ids = {tender.buyer_id} | {b.supplier_id for b in process.bids} | {a.supplier_id for a in process.awards}
    org_ids |= {c.supplier_id for c in contracts} | {c.buyer_id for c in contracts}
    orgs = session.scalars(select(Organization).where(Organization.id.in_(org_ids)))
    return replace(process, organizations={o.id: o for o in orgs})


def document_markings(session: Session, tender_id: str) -> dict[str, str | None]:
    """The markings of the process's documents by document id."""
    rows = session.execute(select(Document.id, Document.marking).where(Document.process_id == tender_id))
    return {doc_id: marking for doc_id, marking in rows}  # noqa: C416 (Row objects, not pairs)


def ceiling(process: Process, documents: dict[str, str | None]) -> str:
    """The highest marking anywhere in the process: what a reader needs to see all of it."""
    parts: list[str | None] = [process.tender.marking]
    parts += [lot.marking for lot in process.tender.lots]
    parts += [item.marking for item in process.items]
    parts += [contract.marking for contract in process.contracts]
    parts += list(documents.values())
    return max_marking(*parts)
