"""Domain rows -> the bids, awards and contracts sections of an OCDS 1.1 release (implementation included)."""

from __future__ import annotations

from decimal import Decimal

from quartermaster.bids.models import DISQUALIFIED, VALID, Bid
from quartermaster.contracts.models import Amendment, Contract, ContractItem, Delivery, Payment
from quartermaster.ocds.process import Naming, Process
from quartermaster.ocds.values import (
    Json,
    classification,
    nsn_classification,
    number,
    org_reference,
    prune,
    rfc3339,
    unit,
    value,
)

# Our contract states -> OCDS contractStatus (closed codelist: pending, active, cancelled, terminated). The
# codelist's "terminated" is "signed and in force, and has now come to a close ... successful completion, or ...
# early termination", so both our `complete` and our `terminated` publish as "terminated"; the release tag
# (contractTermination) is the same, and the difference stays visible in the delivery milestones and payments.
_CONTRACT_STATUS = {"pending": "pending", "active": "active", "complete": "terminated", "terminated": "terminated"}

# Delivery decisions -> milestoneStatus. A reported delivery the buyer has not yet checked is "scheduled" (the
# codelist: "progress towards the milestone has not yet been evaluated").
_DELIVERY_STATUS = {"pending": "scheduled", "accepted": "met", "rejected": "notMet"}

# Bids that have been opened. A pending bid is sealed and never published; a bid withdrawn before the opening
# was never opened, so it is not published either.
_OPENED = (VALID, DISQUALIFIED)


def quantity(q: Decimal) -> int | float:
    """A quantity as a JSON number (exact: quantities have a few decimal places at most)."""
    return number(q)


def contract_status(status: str) -> str:
    """OCDS contractStatus of a contract state."""
    return _CONTRACT_STATUS.get(status, status)


def published_bids(process: Process) -> list[Bid]:
    """The bids a release may show: opened ones only, in submission order."""
    opened = [b for b in process.bids if b.status in _OPENED and b.opened_at is not None]
    return sorted(opened, key=lambda b: (b.submitted_at, b.id))


def bids_opened(process: Process) -> bool:
    """True once the tender's bids have been opened (any bid opened)."""
    return any(b.opened_at is not None for b in process.bids)


def bid(process: Process, b: Bid) -> Json:
    """A bids.details entry (bids extension): tenderer, status, total value, related lots (lots extension)."""
    currencies = {v.currency for v in b.values}
    total = value(sum((v.amount for v in b.values), Decimal(0)), currencies.pop()) if len(currencies) == 1 else None
    return prune(
        {
            "id": b.id,
            "date": rfc3339(b.submitted_at),
            "status": b.status,  # our bid states are the bidStatus codes (valid, disqualified)
            "tenderers": [org_reference(process.org(b.supplier_id))],
            "value": total,
            "relatedLots": [v.lot_id for v in b.values],
        }
    )


def bids(process: Process) -> Json | None:
    """The bids section, present once bids have been opened."""
    details = [bid(process, b) for b in published_bids(process)]
    return {"details": details} if details else None


def awards(process: Process) -> list[Json]:
    """Every award decision (active or cancelled) with its supplier, value, lot and winning bid."""
    return [
        prune(
            {
                "id": a.id,
                "status": a.status,  # active | cancelled: awardStatus codes
                "date": rfc3339(a.decided_at),
                "value": value(a.value_amount, a.currency),
                "suppliers": [org_reference(process.org(a.supplier_id))],
                "relatedLots": [a.lot_id],
                "relatedBid": a.bid_id,
            }
        )
        for a in sorted(process.awards, key=lambda a: (a.decided_at, a.id))
    ]


def contracts(process: Process, naming: Naming) -> list[Json]:
    """The contracts signed (or to be signed) from the awards; a contract without an award is not mapped here."""
    return [
        contract(process, c, naming)
        for c in sorted(process.contracts, key=lambda c: (c.created_at, c.id))
        if c.award_id is not None
    ]


def contract(process: Process, c: Contract, naming: Naming) -> Json:
    """One contract: status, current value, signature date, priced items, amendments and implementation."""
    amendments = sorted((a for a in process.amendments if a.contract_id == c.id), key=lambda a: a.number)
    deliveries = sorted((d for d in process.deliveries if d.contract_id == c.id), key=lambda d: d.number)
    payments = sorted((p for p in process.payments if p.contract_id == c.id), key=lambda p: p.number)
    return prune(
        {
            "id": c.id,
            "awardID": c.award_id,
            "title": c.title,
            "status": contract_status(c.status),
            "value": value(c.value_amount, c.currency),
            "items": [contract_item(i, naming) for i in c.items],
            "dateSigned": rfc3339(c.date_signed) if c.date_signed else None,
            "amendments": [amendment(a) for a in amendments],
            "implementation": implementation(process, c, deliveries, payments),
        }
    )


def contract_item(i: ContractItem, naming: Naming) -> Json:
    """A contract line: classification, quantity and the unit price in `unit.value` (OCDS 1.1 core)."""
    return prune(
        {
            "id": i.id,
            "description": i.description,
            "classification": classification(i.cpv, naming),
            "additionalClassifications": [nsn_classification(i.nsn)] if i.nsn else [],
            "quantity": quantity(i.quantity),
            "unit": {**unit(i.unit, naming), "value": value(i.unit_price, i.currency)},
        }
    )


def amendment(a: Amendment) -> Json:
    """A contract amendment: when, on which ground (our closed list's code) and what it changed, in words."""
    return {"id": a.id, "date": rfc3339(a.amended_at), "rationale": a.rationale, "description": a.description}


def implementation(process: Process, c: Contract, deliveries: list[Delivery], payments: list[Payment]) -> Json | None:
    """Payments as transactions and deliveries as "delivery" milestones (met / notMet / scheduled).

    A delivery's place is not published: it can locate a unit. Quantities stay with the contract items.
    """
    buyer, supplier = org_reference(process.org(c.buyer_id)), org_reference(process.org(c.supplier_id))
    transactions = [
        {
            "id": p.id,
            "date": rfc3339(p.paid_at),
            "value": value(p.amount, p.currency),
            "payer": buyer,
            "payee": supplier,
        }
        for p in payments
    ]
    milestones = [
        prune(
            {
                "id": d.id,
                "title": f"Delivery {d.number}",
                "type": "delivery",
                "status": _DELIVERY_STATUS[d.status],
                "dateMet": rfc3339(d.delivered_at) if d.status == "accepted" else None,
                "dateModified": rfc3339(d.decided_at or d.delivered_at),
            }
        )
        for d in deliveries
    ]
    return prune({"transactions": transactions, "milestones": milestones}) or None
