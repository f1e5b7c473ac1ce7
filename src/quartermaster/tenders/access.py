"""Who may see a classified contracting process through the operational API: the one place that decides.

A process is keyed by the id its events carry (``process_id``): a tender's id, a framework's (its direct orders),
a plan's (its documents) or, for a contract of neither, the contract's own. Its *ceiling* is the highest security
marking of any row in it: the tender, its lots, items, contracts and documents (a marking of None inherits and adds
nothing). A mini-competition also holds its framework's markings and those of the tender the framework was
concluded from; a framework holds that tender's.

A caller sees a process whose ceiling is above public only with clearance at or above the ceiling AND need-to-know:
a party to the process (the buyer; a supplier with a bid, candidacy, invitation, award, contract or framework place)
or an auditor. Administrators are not cleared by their role. The platform itself (the scheduler) sees everything.
Everyone else is refused with ``access.classified``, which names no title, party or value, only where the process's
public (OCDS) record is; list endpoints leave such processes out, so their rows, counts and cursors never show.

The operational API gates whole processes: an object of a process is shown only to those who may see all of it.
Finer redaction (a public notice of a tender with one secret lot) is the disclosure projection's job, not this one's.

This module reads other contexts' tables (bids, awards, contracts, documents, frameworks) by design: visibility is a
property of the whole process, decided once here rather than re-derived in every context.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    SQLColumnExpression,
    String,
    and_,
    bindparam,
    func,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from quartermaster.actors import Actor, Role
from quartermaster.awards.models import Award
from quartermaster.bids.models import Bid, Candidacy
from quartermaster.contracts.models import Contract, Delivery
from quartermaster.documents.models import Document
from quartermaster.errors import PermissionDenied
from quartermaster.events.models import Event
from quartermaster.frameworks.models import Framework, FrameworkParty
from quartermaster.plans.models import Plan
from quartermaster.tenders.models import Invitation, Item, Lot, Tender
from quartermaster.types import MARKINGS

CLASSIFIED = "access.classified"
PUBLIC = "public"

Pid = SQLColumnExpression[Any]  # a column or a bound value holding a process id
Source = tuple[SQLColumnExpression[Any], ColumnElement[bool]]  # (marking or organization column, where it applies)
Kind = Literal["tender", "framework", "other"]
ALL_KINDS: tuple[Kind, ...] = ("tender", "framework", "other")


# --- the policy ----------------------------------------------------------------------------------------------------


def _marking_rank(marking: str) -> int:
    """A marking's place on the scale; an unknown marking ranks above every clearance (fail closed)."""
    return MARKINGS.index(marking) if marking in MARKINGS else len(MARKINGS)


def _clearance_rank(actor: Actor) -> int:
    """An actor's clearance on the scale; an unknown clearance counts as public (fail closed)."""
    return MARKINGS.index(actor.clearance) if actor.clearance in MARKINGS else 0


def cleared_markings(actor: Actor | None) -> tuple[str, ...]:
    """The markings ``actor`` is cleared to read (public only for anonymous callers)."""
    return (PUBLIC,) if actor is None else tuple(MARKINGS[: _clearance_rank(actor) + 1])


def can_view(actor: Actor | None, marking: str, is_party: bool) -> bool:
    """Public: everyone. Otherwise clearance at or above ``marking`` and need-to-know (a party, or an auditor)."""
    if marking == PUBLIC:
        return True
    if actor is None:
        return False
    if actor.is_system:
        return True
    if _clearance_rank(actor) < _marking_rank(marking):
        return False
    return is_party or actor.role is Role.AUDITOR


# --- what a process holds ------------------------------------------------------------------------------------------
# Each helper returns (column, condition) pairs over fresh aliases, so that the same definitions build both the
# one-process queries and the correlated filters of list endpoints (where the listed row is often of one of these very
# tables: "the contracts of the listed contract's tender" must not collapse into the listed contract itself).


def _tender_marks(tid: Pid) -> list[Source]:
    """Markings of tender process ``tid``'s own rows."""
    t, lot, item, contract, doc = aliased(Tender), aliased(Lot), aliased(Item), aliased(Contract), aliased(Document)
    return [
        (t.marking, t.id == tid),
        (lot.marking, lot.tender_id == tid),
        (item.marking, item.tender_id == tid),
        (contract.marking, contract.tender_id == tid),
        (doc.marking, doc.process_id == tid),
    ]


def _framework_marks(fid: Pid, *, documents: bool = True) -> list[Source]:
    """Markings of framework process ``fid``'s own rows: its direct orders (and documents)."""
    direct, doc = aliased(Contract), aliased(Document)
    out: list[Source] = [(direct.marking, and_(direct.framework_id == fid, direct.tender_id.is_(None)))]
    return out + ([(doc.marking, doc.process_id == fid)] if documents else [])


def _marking_sources(pid: Pid, kinds: tuple[Kind, ...] = ALL_KINDS) -> list[Source]:
    """Every marking that counts toward process ``pid``, which is of one of ``kinds``."""
    out: list[Source] = []
    if "tender" in kinds:
        out += _tender_marks(pid)
        mini, fw = aliased(Tender), aliased(Framework)  # a mini-competition holds its framework's markings...
        out += [(col, and_(mini.id == pid, cond)) for col, cond in _framework_marks(mini.framework_id)]
        out += [  # ...and those of the tender the framework was concluded from
            (col, and_(mini.id == pid, fw.id == mini.framework_id, cond)) for col, cond in _tender_marks(fw.tender_id)
        ]
    if "framework" in kinds:
        out += _framework_marks(pid, documents="tender" not in kinds)  # the tender part already read documents
        concluded = aliased(Framework)
        out += [(col, and_(concluded.id == pid, cond)) for col, cond in _tender_marks(concluded.tender_id)]
    if "other" in kinds:  # a contract of neither tender nor framework; a plan's documents
        own = aliased(Contract)
        out.append((own.marking, own.id == pid))
        if not {"tender", "framework"} & set(kinds):
            doc = aliased(Document)
            out.append((doc.marking, doc.process_id == pid))
    return out


def _party_sources(pid: Pid) -> list[Source]:
    """Organizations with need-to-know in process ``pid``: (organization column, condition)."""
    t, bid, cand, inv, aw = aliased(Tender), aliased(Bid), aliased(Candidacy), aliased(Invitation), aliased(Award)
    c_tender, c_direct, c_own = aliased(Contract), aliased(Contract), aliased(Contract)
    fw, place, plan = aliased(Framework), aliased(FrameworkParty), aliased(Plan)
    direct = and_(c_direct.framework_id == pid, c_direct.tender_id.is_(None))
    return [
        (t.buyer_id, t.id == pid),
        (bid.supplier_id, bid.tender_id == pid),
        (cand.supplier_id, cand.tender_id == pid),
        (inv.supplier_id, inv.tender_id == pid),
        (aw.supplier_id, aw.tender_id == pid),
        (c_tender.supplier_id, c_tender.tender_id == pid),
        (c_direct.supplier_id, direct),
        (c_direct.buyer_id, direct),
        (c_own.supplier_id, c_own.id == pid),
        (c_own.buyer_id, c_own.id == pid),
        (fw.buyer_id, fw.id == pid),
        (place.supplier_id, place.framework_id == pid),
        (plan.buyer_id, plan.id == pid),
    ]


# --- one process ---------------------------------------------------------------------------------------------------
# The statements are built once, with bound parameters: building them costs more than running them.


@cache
def _ceiling_query() -> CompoundSelect[Any]:
    pid = bindparam("process_id", type_=String)
    return union_all(*(select(col).where(cond, col.is_not(None)) for col, cond in _marking_sources(pid)))


@cache
def _party_query() -> Select[bool]:
    pid, org = bindparam("process_id", type_=String), bindparam("organization_id", type_=String)
    return select(or_(*(select(col).where(cond, col == org).exists() for col, cond in _party_sources(pid))))


def ceiling(session: Session, process_id: str) -> str:
    """The highest marking anywhere in the process (``public`` when nothing is marked or the id is unknown)."""
    markings = session.scalars(_ceiling_query(), {"process_id": process_id}).all()
    return max(markings, key=_marking_rank, default=PUBLIC)


def is_party(session: Session, organization_id: str | None, process_id: str) -> bool:
    """Whether the organization is a party to the process (the buyer, a bidder, candidate, invitee, awardee...)."""
    if organization_id is None:
        return False
    return bool(session.scalar(_party_query(), {"process_id": process_id, "organization_id": organization_id}))


def may_view(session: Session, actor: Actor | None, process_id: str) -> bool:
    """Whether ``actor`` may see process ``process_id`` (a tender, framework, plan or stand-alone contract id)."""
    if actor is not None and actor.is_system:
        return True
    marking = ceiling(session, process_id)
    if can_view(actor, marking, is_party=False):
        return True
    if actor is None or actor.role is Role.AUDITOR or not can_view(actor, marking, is_party=True):
        return False  # being a party changes nothing for these callers: no query needed
    return is_party(session, actor.organization_id, process_id)


def require_view(session: Session, actor: Actor | None, process_id: str, *, ocid_prefix: str | None = None) -> None:
    """PermissionDenied (``access.classified``) unless ``actor`` may see the process; the refusal names nothing.

    With ``ocid_prefix`` the refusal points at the process's public OCDS record.
    """
    if may_view(session, actor, process_id):
        return
    tender_id = _record_tender(session, process_id) if ocid_prefix else None
    if tender_id is None:
        raise PermissionDenied("this contracting process is classified; see its OCDS record", code=CLASSIFIED)
    ocid = f"{ocid_prefix}-{tender_id}"
    raise PermissionDenied(
        f"this contracting process is classified; its public record is at /api/v1/ocds/records/{ocid}",
        code=CLASSIFIED,
        ocid=ocid,
    )


def _record_tender(session: Session, process_id: str) -> str | None:
    """The tender whose OCDS record stands for the process (a framework's: the tender it was concluded from)."""
    direct = select(Tender.id).where(Tender.id == process_id)
    via_framework = select(Framework.tender_id).where(Framework.id == process_id)
    return session.scalar(union_all(direct, via_framework).limit(1))


def contract_process(session: Session, contract_id: str) -> str | None:
    """A contract's process: its tender, else its framework (a direct order), else the contract itself."""
    row = session.execute(
        select(Contract.tender_id, Contract.framework_id, Contract.id).where(Contract.id == contract_id)
    ).first()
    return None if row is None else row[0] or row[1] or row[2]


def process_of_contract(contract: Contract) -> str:
    """``contract_process`` for a contract already loaded."""
    return contract.tender_id or contract.framework_id or contract.id


def process_of(session: Session, kind: str, object_id: str) -> str | None:
    """The process an object belongs to: ``kind`` is tender, bid, candidacy, award, contract, delivery, plan or
    framework (None when the object does not exist or the kind is unknown)."""
    if kind in ("tender", "plan", "framework"):
        return object_id
    if kind == "bid":
        return session.scalar(select(Bid.tender_id).where(Bid.id == object_id))
    if kind == "candidacy":
        return session.scalar(select(Candidacy.tender_id).where(Candidacy.id == object_id))
    if kind == "award":
        return session.scalar(select(Award.tender_id).where(Award.id == object_id))
    if kind == "contract":
        return contract_process(session, object_id)
    if kind == "delivery":
        contract_id = session.scalar(select(Delivery.contract_id).where(Delivery.id == object_id))
        return None if contract_id is None else contract_process(session, contract_id)
    return None


def require_view_of(
    session: Session, actor: Actor | None, kind: str, object_id: str, *, ocid_prefix: str | None = None
) -> None:
    """``require_view`` for the process an object belongs to (nothing to check when the object does not exist:
    the caller's own lookup answers NotFound)."""
    process_id = process_of(session, kind, object_id)
    if process_id is not None:
        require_view(session, actor, process_id, ocid_prefix=ocid_prefix)


# --- lists ---------------------------------------------------------------------------------------------------------

Rows = Literal["tender", "contract", "framework", "event"]


@cache
def _process_column(rows: Rows) -> tuple[Pid, tuple[Kind, ...]]:
    """The column holding the process id of each listed row, and which kinds of process it may name."""
    if rows == "tender":
        return Tender.id, ("tender",)
    if rows == "framework":
        return Framework.id, ("framework",)
    if rows == "contract":
        return func.coalesce(Contract.tender_id, Contract.framework_id, Contract.id), ALL_KINDS
    return Event.process_id, ALL_KINDS


@cache
def _hidden(rows: Rows, allowed: tuple[str, ...]) -> ColumnElement[bool]:
    """Built once per list and clearance: true where a row's process holds a marking outside ``allowed``."""
    pid, kinds = _process_column(rows)
    return or_(*(select(col).where(cond, col.not_in(allowed)).exists() for col, cond in _marking_sources(pid, kinds)))


def _processes_of(organization_id: str) -> CompoundSelect[Any]:
    """Every process ``organization_id`` is a party to (uncorrelated: a list tests each row's process against it)."""
    keyed = (
        (Tender.id, Tender.buyer_id),
        (Bid.tender_id, Bid.supplier_id),
        (Candidacy.tender_id, Candidacy.supplier_id),
        (Invitation.tender_id, Invitation.supplier_id),
        (Award.tender_id, Award.supplier_id),
        (Framework.id, Framework.buyer_id),
        (FrameworkParty.framework_id, FrameworkParty.supplier_id),
        (Plan.id, Plan.buyer_id),
        (_process_column("contract")[0], Contract.supplier_id),
        (_process_column("contract")[0], Contract.buyer_id),
    )
    # correlate(None): inside a list of tenders or contracts these tables must mean all their rows, not the listed one.
    return union_all(*(select(process).where(org == organization_id).correlate(None) for process, org in keyed))


def visible_filter(actor: Actor | None, rows: Rows) -> ColumnElement[bool]:
    """A WHERE condition for a list of ``rows`` (tenders, contracts, frameworks or events): the rows whose process
    ``actor`` may see.

    Applied inside the list query, so hidden processes change neither a page's rows nor its ``next`` cursor.
    Rows without a process (an event's ``process_id`` NULL) hold no marking and stay visible.
    """
    if actor is not None and actor.is_system:
        return true()
    allowed = cleared_markings(actor)
    unclassified = ~_hidden(rows, (PUBLIC,))
    if actor is None or len(allowed) == 1:
        return unclassified
    cleared = ~_hidden(rows, allowed)
    if actor.role is Role.AUDITOR:
        return cleared
    if actor.organization_id is None:
        return unclassified
    party = _process_column(rows)[0].in_(_processes_of(actor.organization_id))
    return or_(unclassified, and_(cleared, party))
