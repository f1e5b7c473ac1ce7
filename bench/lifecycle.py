"""Full tender lifecycles through the service layer, one unit of work per step, as the API would run them.

create → publish → (scheduler: enquiries end) → N bids → (scheduler: tendering ends) → open → evaluate each bid →
award the best-ranked bid → (after the standstill) buyer and supplier sign the contract: the tender is complete.

This module imports only ``quartermaster`` so that the smoke test can load it by path
(tests/integration/bench/test_bench_smoke.py) and ``bench/run.py`` can time it.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from quartermaster.actors import SCHEDULER, Actor, Role
from quartermaster.awards import service as awards
from quartermaster.awards.schemas import AwardIn, EvaluationIn
from quartermaster.bids import service as bids
from quartermaster.bids.schemas import BidValueIn
from quartermaster.codelists import CodeLists, load_codelists
from quartermaster.contracts import service as contracts
from quartermaster.contracts.models import Contract
from quartermaster.db.tx import Database
from quartermaster.identifiers import edrpou_check_digit
from quartermaster.identity import service as identity
from quartermaster.rules import rulebook_for
from quartermaster.scheduler import run_due
from quartermaster.schema_base import MoneyIO
from quartermaster.tenders import service as tenders
from quartermaster.tenders.schemas import PublishTender, TenderCreate
from quartermaster.types import FixedClock

ONE_SECOND = timedelta(seconds=1)
ITEM = {
    "description": "5.56 mm ammunition",
    "cpv": "35330000-6",
    "unit": "H87",
    "quantity": "100000",
    "nsn": "1305-12-345-6789",
    "delivery_region": "Kyiv",
    "delivery_date": "2026-06-01",
}


def edrpou(n: int) -> str:
    """A valid EDRPOU code derived from ``n``."""
    first7 = f"{n:07d}"
    return first7 + str(edrpou_check_digit(first7))


@dataclass
class Cast:
    """The people of a benchmark: one buying organization's staff and many suppliers (with API tokens)."""

    buyer_org: str
    buyer: Actor
    approver: Actor
    evaluator: Actor
    suppliers: list[Actor] = field(default_factory=list)
    supplier_tokens: list[str] = field(default_factory=list)


def build_cast(db: Database, now: datetime, n_suppliers: int = 3, *, tokens: bool = False) -> Cast:
    """Create a buyer organization (buyer, approver, evaluator) and ``n_suppliers`` suppliers with one user each."""
    with db.unit_of_work() as s:

        def org(name: str, n: int, kind: str, roles: list[str]) -> str:
            return identity.create_organization(
                s,
                actor=SCHEDULER,
                now=now,
                name=name,
                identifier_scheme="UA-EDR",
                identifier_id=edrpou(n),
                kind=kind,
                party_roles=roles,
                region="Kyiv",
                locality="Kyiv",
            ).id

        def user(username: str, role: Role, org_id: str) -> tuple[Actor, str | None]:
            u = identity.create_user(
                s, actor=SCHEDULER, now=now, username=username, name=username.title(), role=role, organization_id=org_id
            )
            token = identity.issue_token(s, user=u, now=now, label="bench") if tokens else None
            return identity.actor_of(u), token

        buyer_org = org("Defence Procurement Agency", 1000001, "defence_agency", ["buyer", "procuringEntity"])
        cast = Cast(
            buyer_org=buyer_org,
            buyer=user("buyer", Role.BUYER, buyer_org)[0],
            approver=user("approver", Role.APPROVER, buyer_org)[0],
            evaluator=user("evaluator", Role.EVALUATOR, buyer_org)[0],
        )
        for i in range(n_suppliers):
            sid = org(f"Supplier {i}", 2000000 + i, "company", ["supplier", "tenderer"])
            actor, token = user(f"supplier{i}", Role.SUPPLIER, sid)
            cast.suppliers.append(actor)
            if token is not None:
                cast.supplier_tokens.append(token)
    return cast


def tender_spec(n: int) -> TenderCreate:
    """A one-lot open tender for ammunition."""
    return TenderCreate.model_validate(
        {
            "title": f"Ammunition batch {n}",
            "procedure": "open",
            "category": "goods",
            "award_criteria": "priceOnly",
            "lots": [{"title": "Lot 1", "value": {"amount": "1000000.00", "currency": "UAH"}, "items": [ITEM]}],
        }
    )


def create_and_publish(
    db: Database, cast: Cast, lists: CodeLists, *, now: datetime, n: int, tender_end: datetime | None = None
) -> tuple[str, datetime, datetime]:
    """Draft and publish an open tender at ``now``; returns (id, enquiry_end, tender_end)."""
    with db.unit_of_work() as s:
        tender_id = tenders.create_tender(s, actor=cast.buyer, now=now, spec=tender_spec(n), lists=lists).id
    book = rulebook_for(now)
    mins = tenders.minimum_periods(book, book.procedure("open"), now)
    enquiry_end, minimum_end = mins["enquiry_end"], mins["tender_end"]
    assert enquiry_end is not None
    assert minimum_end is not None
    end = max(tender_end, minimum_end) if tender_end is not None else minimum_end
    with db.unit_of_work() as s:
        tenders.publish_tender(
            s,
            actor=cast.approver,
            now=now,
            tender_id=tender_id,
            periods=PublishTender(enquiry_end=enquiry_end, tender_end=end),
        )
    return tender_id, enquiry_end, end


def _status(db: Database, tender_id: str) -> str:
    with db.unit_of_work(write=False) as s:
        return tenders.get_tender(s, tender_id, actor=SCHEDULER).status


def run_lifecycle(
    db: Database,
    clock: FixedClock,
    cast: Cast,
    *,
    n: int = 0,
    n_bids: int = 3,
    lists: CodeLists | None = None,
    start: datetime | None = None,
) -> str:
    """Drive one open tender from draft to a signed contract (tender ``complete``); returns the tender id."""
    lists = lists or load_codelists(None)
    if start is not None:
        clock.set(start)
    tender_id, enquiry_end, tender_end = create_and_publish(db, cast, lists, now=clock.now(), n=n)
    clock.set(enquiry_end + ONE_SECOND)
    run_due(db, clock)
    with db.unit_of_work(write=False) as s:
        lot_id = tenders.get_tender(s, tender_id, actor=SCHEDULER).lots[0].id
    bid_ids: list[str] = []
    for i, supplier in enumerate(cast.suppliers[:n_bids]):
        price = MoneyIO(amount=Decimal(900_000 - 1_000 * i), currency="UAH")
        with db.unit_of_work() as s:
            bid, _ = bids.submit_bid(
                s, actor=supplier, now=clock.now(), tender_id=tender_id, values=[BidValueIn(lot_id=lot_id, value=price)]
            )
            bid_ids.append(bid.id)
    clock.set(tender_end + ONE_SECOND)
    run_due(db, clock)
    with db.unit_of_work() as s:
        bids.open_bids(s, actor=cast.evaluator, now=clock.now(), tender_id=tender_id)
    for bid_id in bid_ids:
        with db.unit_of_work() as s:
            awards.evaluate_bid(
                s,
                actor=cast.evaluator,
                now=clock.now(),
                bid_id=bid_id,
                verdict=EvaluationIn(lot_id=lot_id, compliant=True, score=Decimal(80)),
            )
    with db.unit_of_work() as s:
        tender = tenders.get_tender(s, tender_id, actor=cast.approver)
        best = awards.rank_lot(s, tender=tender, lot_id=lot_id)[0].bid.id
        made = awards.award(
            s, actor=cast.approver, now=clock.now(), tender_id=tender_id, lot_id=lot_id, spec=AwardIn(bid_ids=[best])
        )
        standstill_end = made[0].standstill_end
        winner = made[0].supplier_id
    assert standstill_end is not None
    clock.set(standstill_end + ONE_SECOND)
    sign_both_sides(db, clock, cast, tender_id=tender_id, supplier_id=winner)
    return tender_id


def sign_both_sides(db: Database, clock: FixedClock, cast: Cast, *, tender_id: str, supplier_id: str) -> None:
    """The buyer's approver and the winning supplier sign the tender's contract, each in its own transaction."""
    supplier = next(a for a in cast.suppliers if a.organization_id == supplier_id)
    with db.unit_of_work(write=False) as s:
        contract_id = s.scalar(select(Contract.id).where(Contract.tender_id == tender_id))
    assert contract_id is not None
    for actor in (cast.approver, supplier):
        with db.unit_of_work() as s:
            contracts.sign_contract(s, actor=actor, now=clock.now(), contract_id=contract_id)


def lifecycle_status(db: Database, tender_id: str) -> str:
    """The tender's status (for checks after a run)."""
    return _status(db, tender_id)


def measure(
    db: Database, clock: FixedClock, cast: Cast, *, reps: int, per_rep: int, n_bids: int = 3, warmup: int = 2
) -> dict[str, Any]:
    """Lifecycles per second: ``reps`` timed batches of ``per_rep`` lifecycles after ``warmup`` untimed ones."""
    lists = load_codelists(None)
    start = clock.now()
    counter = 0

    def one() -> None:
        nonlocal counter
        counter += 1
        # Every lifecycle starts at the same instant: the clock never drifts past the rulebook's calendar.
        tid = run_lifecycle(db, clock, cast, n=counter, n_bids=n_bids, lists=lists, start=start)
        if counter == 1:
            status = lifecycle_status(db, tid)
            assert status == "complete", status

    for _ in range(warmup):
        one()
    rates: list[float] = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(per_rep):
            one()
        rates.append(per_rep / (time.perf_counter() - t0))
    return {"rates": rates, "median": statistics.median(rates), "per_rep": per_rep, "bids": n_bids}
