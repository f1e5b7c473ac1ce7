"""After the award: contracts signed, amended, delivered, accepted, paid and completed; frameworks concluded and
called off by direct orders and mini-competitions."""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quartermaster.actors import Role
from quartermaster.awards.models import Award
from quartermaster.contracts import amendments, implementation
from quartermaster.contracts import service as contracts
from quartermaster.contracts.schemas import (
    AmendmentChangesIn,
    AmendmentIn,
    DeliveryIn,
    ItemChangeIn,
    PaymentIn,
    UnitPriceIn,
    UnitPricesIn,
)
from quartermaster.frameworks import call_offs
from quartermaster.frameworks import service as frameworks
from quartermaster.frameworks.schemas import CallOffCreate, CallOffLineIn
from quartermaster.schema_base import MoneyIO
from quartermaster.seed import names
from quartermaster.seed.context import CENT, LotView, SeedContext, days, even_estimates
from quartermaster.seed.flows import TenderFlow
from quartermaster.seed.parties import OrgSpec
from quartermaster.seed.plan import BidderPlan, TenderPlan
from quartermaster.seed.signing import contract_signature
from quartermaster.seed.timing import Schedule, rules_at
from quartermaster.tenders.models import Invitation

Flow = Generator[datetime, None, None]


@dataclass(frozen=True)
class Line:
    """A contract line as the flows need it."""

    id: str
    item_id: str | None
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class ContractView:
    """A snapshot of a contract."""

    id: str
    tender_id: str | None
    lot_id: str | None
    supplier_id: str
    not_before: datetime | None
    value: Decimal
    currency: str
    lines: tuple[Line, ...]


def _contract(session: Session, contract_id: str) -> ContractView:
    c = contracts.load_contract(session, contract_id)
    return ContractView(
        c.id,
        c.tender_id,
        c.lot_id,
        c.supplier_id,
        c.not_before,
        c.value_amount,
        c.currency,
        tuple(Line(i.id, i.item_id, i.quantity, i.unit_price) for i in c.items),
    )


class ContractFlow:
    """Signature after the standstill, then (per the plan) an amendment, deliveries, payments, completion."""

    def __init__(self, ctx: SeedContext, contract_id: str, target: str, key: str, buyer: OrgSpec) -> None:
        self.ctx, self.sim, self.cid, self.target = ctx, ctx.sim, contract_id, target
        self.rng, self.org = random.Random(key), buyer

    def run(self) -> Flow:
        """The flow the simulation drives."""
        rng, sim = self.rng, self.sim
        c = sim.read(lambda s: _contract(s, self.cid))
        supplier = self.ctx.suppliers[self.ctx.supplier_index[c.supplier_id]].actors[Role.SUPPLIER]
        approver = self.org.actors[Role.APPROVER]
        late = rng.random() < 0.1  # signed well after the standstill
        yield max(sim.now, c.not_before or sim.now) + (days(rng, 10, 25) if late else days(rng, 0.2, 4))
        if sum((ln.quantity * ln.unit_price for ln in c.lines), Decimal(0)) != c.value:
            offer = self.ctx.offers[(c.tender_id or "", c.supplier_id, c.lot_id or "")]
            spec = UnitPricesIn(
                items=[
                    UnitPriceIn(
                        contract_item_id=ln.id, unit_price=MoneyIO(amount=offer[ln.item_id or ""], currency=c.currency)
                    )
                    for ln in c.lines
                ]
            )
            sim.call(contracts.set_unit_prices, actor=supplier, contract_id=c.id, spec=spec)
        for party in (supplier, approver):
            if party is approver:
                yield sim.now + days(rng, 0.05, 2)
            signature = contract_signature(sim, self.ctx.keys, party, c.id)
            sim.call(contracts.sign_contract, actor=party, contract_id=c.id, signature=signature)
        if self.target == "contract.amended" or (self.target == "complete" and rng.random() < 0.1):
            yield sim.now + days(rng, 1, 30)
            self.amend()
        yield from self.implement(partial=self.target in ("contract.active", "contract.amended"))

    def amend(self) -> None:
        """The approver amends the first line on one of the lawful grounds."""
        c = self.sim.read(lambda s: _contract(s, self.cid))
        line, rng = c.lines[0], self.rng
        kind = rng.choice(("market_price_change", "volume_reduction", "price_reduction"))
        price, qty = line.unit_price, line.quantity
        if kind == "market_price_change":
            price = (line.unit_price * Decimal(str(round(rng.uniform(1.03, 1.10), 4)))).quantize(CENT, ROUND_DOWN)
            qty = (line.quantity * line.unit_price / price).to_integral_value(ROUND_FLOOR)
            text = "Unit price follows a documented market price change; the quantity falls so the total does not"
        elif kind == "volume_reduction":
            qty = (line.quantity * Decimal(str(round(rng.uniform(0.75, 0.9), 4)))).to_integral_value(ROUND_FLOOR)
            text = "Quantity reduced: the buyer's funding for this budget line was cut"
        if kind == "price_reduction" or qty < 1:
            kind, qty = "price_reduction", line.quantity
            price = (line.unit_price * Decimal(str(round(rng.uniform(0.95, 0.99), 4)))).quantize(CENT, ROUND_DOWN)
            text = "The supplier agreed a lower unit price"
        change = ItemChangeIn(
            contract_item_id=line.id,
            unit_price=MoneyIO(amount=price, currency=c.currency) if price != line.unit_price else None,
            quantity=qty if qty != line.quantity else None,
        )
        spec = AmendmentIn(rationale=kind, description=text, changes=AmendmentChangesIn(items=[change]))
        approver = self.org.actors[Role.APPROVER]
        self.sim.call(amendments.amend_contract, actor=approver, contract_id=c.id, spec=spec)

    def implement(self, *, partial: bool) -> Flow:
        """Deliveries in one to three parts per line, each accepted and paid; then completion."""
        rng, sim = self.rng, self.sim
        c = sim.read(lambda s: _contract(s, self.cid))
        supplier = self.ctx.suppliers[self.ctx.supplier_index[c.supplier_id]].actors[Role.SUPPLIER]
        buyer, approver = self.org.actors[Role.BUYER], self.org.actors[Role.APPROVER]
        parts = [(ln, q) for ln in c.lines for q in _split(ln.quantity, rng.choice((1, 1, 2, 3)))]
        if partial:
            first, qty = parts[0]
            parts = [(first, qty if len(parts) > 1 or qty < 2 else (qty / 2).to_integral_value(ROUND_FLOOR))]
        paid = Decimal(0)
        when = sim.now + days(rng, 7, 45)
        for n, (ln, qty) in enumerate(parts):
            yield when
            spec = DeliveryIn(contract_item_id=ln.id, quantity=qty, delivered_at=sim.now, location=self.org.locality)
            did = sim.call(implementation.record_delivery, actor=supplier, contract_id=c.id, spec=spec).id
            yield sim.now + days(rng, 1, 6)
            sim.call(implementation.accept_delivery, actor=buyer, delivery_id=did)
            yield sim.now + days(rng, 3, 25)
            last = n == len(parts) - 1 and not partial
            amount = c.value - paid if last else (qty * ln.unit_price).quantize(CENT)
            if amount > 0:
                pay = PaymentIn(
                    amount=MoneyIO(amount=amount, currency=c.currency),
                    paid_at=sim.now,
                    delivery_id=did,
                    reference=f"PO-{self.rng.randrange(10**6):06d}",
                )
                sim.call(implementation.record_payment, actor=buyer, contract_id=c.id, spec=pay)
                paid += amount
            when = sim.now + days(rng, 3, 30)
        if partial:
            return
        yield sim.now + days(rng, 1, 5)
        sim.call(implementation.complete_contract, actor=approver, contract_id=c.id)


def _split(quantity: Decimal, parts: int) -> list[Decimal]:
    """``quantity`` in up to ``parts`` whole-number parts (the last takes the rest)."""
    if quantity < parts * 2:
        return [quantity]
    share = (quantity / parts).to_integral_value(ROUND_FLOOR)
    return [share] * (parts - 1) + [quantity - share * (parts - 1)]


class FrameworkFlow:
    """Conclude the framework after the standstill, then call off from it every few weeks."""

    def __init__(self, ctx: SeedContext, plan: TenderPlan, tender_id: str) -> None:
        self.ctx, self.sim, self.plan, self.tid = ctx, ctx.sim, plan, tender_id
        self.rng = random.Random(f"{plan.seed}:framework")
        self.org = ctx.buyers[plan.buyer]
        self.fid = ""

    def run(self) -> Flow:
        """The flow the simulation drives."""
        rng, sim = self.rng, self.sim
        standstill = sim.read(
            lambda s: s.scalar(select(func.max(Award.standstill_end)).where(Award.tender_id == self.tid))
        )
        yield max(sim.now, standstill or sim.now) + days(rng, 0.5, 5)
        end = sim.now + days(rng, 365, 730)
        approver = self.org.actors[Role.APPROVER]
        self.fid = sim.call(frameworks.conclude_framework, actor=approver, tender_id=self.tid, end=end).id
        n = 0
        while True:
            yield sim.now + days(rng, 5, 45)
            if not self.call_off(n):
                return
            n += 1

    def call_off(self, n: int) -> bool:
        """A direct order to the cheapest party (sometimes another, with a reason) or a mini-competition."""
        rng, sim = self.rng, self.sim

        def read(s: Session) -> tuple[list[tuple[str, str, str, Decimal, int, int]], dict[str, Decimal], Decimal]:
            fw = frameworks.get_framework(s, self.fid)
            used = call_offs.usage(s, fw)
            pos = {(p.supplier_id, p.lot_id): p.position for p in fw.parties}
            rows = [
                (c.supplier_id, c.lot_id, c.item_id, c.unit_price, pos[(c.supplier_id, c.lot_id)], c.position)
                for c in fw.catalogue
            ]
            return rows, dict(used.remaining(fw)), fw.max_value - used.value

        catalogue, remaining, value_left = sim.read(read)
        # Ids are random, so choices follow the tender's item positions (the seed must not depend on ids).
        first_item: dict[str, int] = {}
        for row in sorted(catalogue, key=lambda r: r[5]):
            first_item.setdefault(row[1], row[5])
        lot = rng.choice(sorted(first_item, key=first_item.__getitem__))
        items = [i for _, i in sorted({(r[5], r[2]) for r in catalogue if r[1] == lot})]
        shares = {i: Decimal(str(round(rng.uniform(0.05, 0.2), 3))) for i in items}
        quantities = {
            i: min(remaining[i], max(Decimal(1), (remaining[i] * shares[i]).to_integral_value(ROUND_FLOOR)))
            for i in items
        }
        if any(q < 1 for q in quantities.values()):
            return False
        unit = rng.choice([b.name for b in self.ctx.buyers if b.kind == "military_unit"] or [self.org.name])
        person = f"{rng.choice(names.GIVEN_NAMES)[0]} {rng.choice(names.FAMILY_NAMES)[0]}"
        lines = [CallOffLineIn(item_id=i, quantity=q) for i, q in quantities.items()]
        base = {"ordering_unit": unit[:300], "receiver": f"{person}, logistics officer", "lines": lines}
        if rng.random() < 0.35:
            ceiling = {i: max(r[3] for r in catalogue if r[2] == i) for i in items}
            if sum((q * ceiling[i] for i, q in quantities.items()), Decimal(0)) > value_left:
                return False
            spec = CallOffCreate(method="mini_competition", **base)
            buyer = self.org.actors[Role.BUYER]
            tid = sim.call(
                call_offs.place_call_off, actor=buyer, framework_id=self.fid, spec=spec, lists=self.ctx.lists
            ).tender_id
            assert tid is not None
            mini = MiniCompetitionFlow(self.ctx, self.plan, tid, n)
            sim.start(f"mini:{self.plan.index}:{n}", sim.now, mini.run())
            return True
        offers: dict[str, dict[str, tuple[Decimal, int]]] = {}
        for supplier, row_lot, item, price, position, _ in catalogue:
            if row_lot == lot:
                offers.setdefault(supplier, {})[item] = (price, position)
        cost = {
            s: sum((quantities[i] * p for i, (p, _) in o.items()), Decimal(0)).quantize(CENT)
            for s, o in offers.items()
            if len(o) == len(items)
        }
        ranked = sorted(cost, key=lambda s: (cost[s], next(iter(offers[s].values()))[1], s))
        pick, reason = ranked[0], None
        if len(ranked) > 1 and rng.random() < 0.12:
            pick, reason = (
                ranked[1],
                rng.choice(("only_party_able_to_deliver_in_time", "compatibility_with_existing_equipment")),
            )
        if cost[pick] > value_left:
            return False
        spec = CallOffCreate(method="direct_order", supplier_id=pick, reason=reason, **base)
        approver = self.org.actors[Role.APPROVER]
        cid = sim.call(
            call_offs.place_call_off, actor=approver, framework_id=self.fid, spec=spec, lists=self.ctx.lists
        ).contract_id
        assert cid is not None
        flow = ContractFlow(self.ctx, cid, "complete", f"{self.plan.seed}:order:{n}", self.org)
        sim.start(f"order:{self.plan.index}:{n}", sim.now, flow.run())
        return True


class MiniCompetitionFlow(TenderFlow):
    """A mini-competition among the framework's parties: publish, bid, open, evaluate, award, contract."""

    def __init__(self, ctx: SeedContext, plan: TenderPlan, tender_id: str, n: int) -> None:
        mini = replace(
            plan,
            procedure="framework.mini-competition",
            target="complete",
            bidders=[],
            award_criteria="priceOnly",
            seed=f"{plan.seed}:mini:{n}",
            questions=0,
            late_answer=False,
        )
        super().__init__(ctx, mini)
        self.tid = tender_id

    def estimates(self, pos: int, lot: LotView) -> list[Decimal]:
        """Per-unit ceilings: the lot's value spread over its items."""
        return even_estimates(lot)

    def run(self) -> Flow:
        """The flow the simulation drives."""
        rng, sim = self.rng, self.sim
        yield sim.now + days(rng, 0.1, 1)
        rules, cal = rules_at(self.plan.procedure, sim.now)
        assert rules.tender_period is not None
        end = cal.add(sim.now, rules.tender_period) + days(rng, 0, 2)
        self.publish(Schedule(sim.now, None, None, end, None))
        invited = sorted(
            sim.read(lambda s: list(s.scalars(select(Invitation.supplier_id).where(Invitation.tender_id == self.tid)))),
            key=self.ctx.supplier_index.__getitem__,
        )  # by the seed's own order, not by random id
        lots = len(self.ctx.view(self.tid).lots)
        for supplier_id in invited:
            if rng.random() < 0.85:
                factor = Decimal(str(round(rng.uniform(0.85, 0.99), 4)))
                self.plan.bidders.append(
                    BidderPlan(
                        self.ctx.supplier_index[supplier_id],
                        dict.fromkeys(range(lots), factor),
                        dict.fromkeys(range(lots), True),
                        Decimal(70),
                    )
                )
        yield from self.compete(Schedule(sim.now, None, None, end, None))
