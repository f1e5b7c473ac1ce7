"""Domain rows -> OCDS 1.1 releases: the release frame, parties, planning, tender, lots, items and enquiries.

Every release is a full snapshot of the process's public state at the change it records, so the compiled release
(the record) always equals the latest snapshot. Awards, bids and contracts are in ``contracting``.
"""

from __future__ import annotations

from decimal import Decimal

from quartermaster.ocds import contracting
from quartermaster.ocds.process import Change, Naming, Process, release_tags
from quartermaster.ocds.values import (
    Json,
    classification,
    nsn_classification,
    org_reference,
    party,
    period,
    prune,
    rfc3339,
    unit,
    value,
)
from quartermaster.rules import rulebook_for, rulebook_version
from quartermaster.rules.model import default_award_method
from quartermaster.tenders.models import COMPLETE, DRAFT, LIVE, Enquiry, Item, Lot, Tender

# Our tender states -> OCDS tenderStatus (closed codelist). Every active.* stage is "active"; a draft is never
# published, but if one is mapped it is "planning" (the codelist's "being planned, not yet open").
_TENDER_STATUS = {DRAFT: "planning", **dict.fromkeys(LIVE, "active")}

# Our lot states -> tenderStatus (the lots extension reuses that codelist). An awarded lot is still "active":
# its contract may yet fail to be signed and the lot be reopened.
_LOT_STATUS = {"active": "active", "awarded": "active", "complete": "complete"}


def tender_status(status: str) -> str:
    """OCDS tenderStatus of a tender state (complete, unsuccessful and cancelled keep their names)."""
    return _TENDER_STATUS.get(status, status)


def lot_status(status: str) -> str:
    """OCDS tenderStatus of a lot state."""
    return _LOT_STATUS.get(status, status)


def release(process: Process, change: Change, naming: Naming) -> Json:
    """The OCDS release recording ``change``; ValueError if the change is not a public one."""
    tags = release_tags(*change.event_types)
    if tags is None:
        raise ValueError(f"{', '.join(change.event_types)}: not published as an OCDS release")
    if process.tender.status == DRAFT:
        raise ValueError(f"tender {process.tender.id} is a draft and is never published")
    ocid = naming.ocid(process.tender.id)
    buyer = process.org(process.tender.buyer_id)
    out: Json = {
        "ocid": ocid,
        "id": f"{ocid}-{change.seq}",
        "date": rfc3339(change.occurred_at),
        "tag": list(tags),
        "initiationType": "tender",
        "language": naming.language,
        "parties": parties(process),
        "buyer": org_reference(buyer),
        "planning": planning(process),
        "tender": tender(process, naming),
        "bids": contracting.bids(process),
        "awards": contracting.awards(process),
        "contracts": contracting.contracts(process, naming),
        "relatedProcesses": related_processes(process, naming),
    }
    return prune(out)


def parties(process: Process) -> list[Json]:
    """Every organization named in the release, once, with all its roles (buyer first)."""
    roles: dict[str, list[str]] = {}

    def add(org_id: str, role: str) -> None:
        held = roles.setdefault(org_id, [])
        if role not in held:
            held.append(role)

    add(process.tender.buyer_id, "buyer")
    add(process.tender.buyer_id, "procuringEntity")
    for bid in contracting.published_bids(process):
        add(bid.supplier_id, "tenderer")
    for award in process.awards:
        add(award.supplier_id, "supplier")
    for contract in process.contracts:
        add(contract.supplier_id, "supplier")
    return [party(process.org(org_id), held) for org_id, held in roles.items()]


def planning(process: Process) -> Json | None:
    """The planning section from the plan the tender implements: budget line and estimated value."""
    plan = process.plan
    if plan is None:
        return None
    budget = prune(
        {
            "id": plan.budget_line,
            "description": plan.budget_source or plan.budget_line,
            "amount": value(plan.value_amount, plan.currency),
            "project": plan.title,
        }
    )
    return prune({"rationale": plan.description, "budget": budget})


def procurement_method(tender: Tender) -> str:
    """The OCDS procurementMethod of the tender's procedure, from the rulebook version it was published under."""
    book = rulebook_version(tender.rulebook_version) if tender.rulebook_version else rulebook_for(tender.created_at)
    return book.procedure(tender.procedure).ocds_method


_CRITERION_NAMES = {"delivery": "delivery time", "life_cycle_cost": "life-cycle cost"}


def _percent(weight: str) -> str:
    text = f"{Decimal(weight) * 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def award_criteria_details(tender: Tender) -> str | None:
    """How the award method ranks offers, in words (docs/award-methods.md); None for lowest price.

    OCDS has no awardCriteria code for price per quality point: it weighs price against quality, so it is
    published as ratedCriteria and named here.
    """
    method = tender.award_method or default_award_method(tender.award_criteria)
    if method == "price_per_quality_point":
        return "Price per quality point: the lowest offered price divided by the quality score (0-100) wins."
    if method != "best_value":
        return None
    book = rulebook_version(tender.rulebook_version) if tender.rulebook_version else rulebook_for(tender.created_at)
    weights = tender.award_weights or {k: str(v) for k, v in book.best_value_weights.items()}
    parts = [f"{_CRITERION_NAMES.get(k, k)} {_percent(v)} %" for k, v in weights.items() if Decimal(v) > 0]
    return "Best value: the most points out of 100, weighted " + ", ".join(parts) + "."


def tender(process: Process, naming: Naming) -> Json:
    """The tender section: what is bought, how, its periods, lots, items, enquiries and (once opened) tenderers."""
    t = process.tender
    bidders = contracting.published_bids(process)
    rationale = " — ".join(part for part in (t.justification, t.justification_details) if part) or None
    out: Json = {
        "id": t.id,
        "title": t.title,
        "description": t.description,
        "status": tender_status(t.status),
        "procuringEntity": org_reference(process.org(t.buyer_id)),
        "items": [item(i, naming) for i in process.items],
        "value": value(t.value_amount, t.currency),
        "procurementMethod": procurement_method(t),
        "procurementMethodDetails": t.procedure,
        "procurementMethodRationale": rationale,
        "mainProcurementCategory": t.category,
        "awardCriteria": t.award_criteria,
        "awardCriteriaDetails": award_criteria_details(t),
        "tenderPeriod": period(t.tender_start or t.published_at, t.tender_end),
        "enquiryPeriod": period(t.published_at, t.enquiry_end) if t.enquiry_end else None,
        "awardPeriod": award_period(process),
        "hasEnquiries": bool(process.enquiries),
        "numberOfTenderers": len({b.supplier_id for b in bidders}) if contracting.bids_opened(process) else None,
        "tenderers": [org_reference(process.org(s)) for s in dict.fromkeys(b.supplier_id for b in bidders)],
        "lots": [lot(x) for x in t.lots],
        "enquiries": [enquiry(e) for e in process.enquiries],
    }
    return prune(out)


def award_period(process: Process) -> Json | None:
    """From the first award decision to the last (the tender's evaluation outcome), once there is one."""
    dates = [a.decided_at for a in process.awards]
    if not dates:
        return None
    end = max(dates) if process.tender.status == COMPLETE else None
    return period(min(dates), end)


def lot(x: Lot) -> Json:
    """A tender.lots entry (lots extension)."""
    return prune(
        {
            "id": x.id,
            "title": x.title,
            "description": x.description,
            "status": lot_status(x.status),
            "value": value(x.value_amount, x.currency),
        }
    )


def item(i: Item, naming: Naming) -> Json:
    """A tender item: CPV, optional NSN, unit and quantity, and its lot (lots extension)."""
    return prune(
        {
            "id": i.id,
            "description": i.description,
            "classification": classification(i.cpv, naming),
            "additionalClassifications": [nsn_classification(i.nsn)] if i.nsn else [],
            "quantity": contracting.quantity(i.quantity),
            "unit": unit(i.unit, naming),
            "relatedLot": i.lot_id,
        }
    )


def enquiry(e: Enquiry) -> Json:
    """A question and its answer (enquiries extension). The asking organization is left out on purpose: before
    bids are opened it would tell competitors who is preparing a bid, and the extension lets policy decide."""
    return prune(
        {
            "id": e.id,
            "date": rfc3339(e.asked_at),
            "title": e.title,
            "description": e.description,
            "answer": e.answer,
            "dateAnswered": rfc3339(e.answered_at) if e.answered_at else None,
            "relatedLot": e.lot_id,
        }
    )


def related_processes(process: Process, naming: Naming) -> list[Json]:
    """A mini-competition points at the framework agreement's process (relatedProcess "framework")."""
    fw = process.parent_framework
    if fw is None:
        return []
    return [
        {
            "id": f"framework-{fw.id}",
            "relationship": ["framework"],
            "title": fw.title,
            "scheme": "ocid",
            "identifier": naming.ocid(fw.tender_id),
        }
    ]
