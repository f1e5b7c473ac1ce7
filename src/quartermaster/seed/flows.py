"""The life of one planned tender, acted out through the services by its buyer's staff and its suppliers.

A flow is a generator: it yields the simulated time of its next action and the simulation resumes it then. The
flow stops early at its plan's target stage; actions that would fall after "now" are never taken.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import SCHEDULER, Actor, Role
from quartermaster.awards import justifications
from quartermaster.awards import service as awards
from quartermaster.awards.schemas import AwardIn, EvaluationIn
from quartermaster.bids import prequalification
from quartermaster.bids import service as bids
from quartermaster.bids.schemas import BidValueIn, SealedBidIn
from quartermaster.client import open_my_share, seal_file, seal_prices
from quartermaster.committees import interests, scoring
from quartermaster.committees import service as committees
from quartermaster.committees.models import CHAIR, MEMBER, THRESHOLD
from quartermaster.committees.service import Appointment
from quartermaster.contracts.models import Contract
from quartermaster.documents import opening as document_opening
from quartermaster.documents import service as documents
from quartermaster.rules import rulebook_for
from quartermaster.schema_base import MoneyIO
from quartermaster.seed import names
from quartermaster.seed.context import LotView, SeedContext, TenderView, days, offer_prices, offer_total
from quartermaster.seed.plan import BidderPlan, TenderPlan
from quartermaster.seed.signing import disqualification, signed_award
from quartermaster.seed.timing import Schedule, invited_tender_end, schedule
from quartermaster.tenders import models as tm
from quartermaster.tenders import periods as tender_periods
from quartermaster.tenders import service as tenders
from quartermaster.tenders.schemas import ItemIn, LotIn, PublishTender, QuestionIn, TenderCreate, TenderUpdate

Steps = Generator[datetime, None, bool]
MINUTE = timedelta(minutes=1)


class TenderFlow:
    """One tender from draft to its target stage."""

    def __init__(self, ctx: SeedContext, plan: TenderPlan) -> None:
        self.ctx, self.plan, self.sim = ctx, plan, ctx.sim
        self.rng = random.Random(f"{plan.seed}:time")
        self.org = ctx.buyers[plan.buyer]
        self.buyer, self.approver = self.org.actors[Role.BUYER], self.org.actors[Role.APPROVER]
        self.evaluator = self.org.actors[Role.EVALUATOR]
        self.tid = ""
        self.published_at = ctx.end
        self.bid_ids: dict[int, str] = {}

    def supplier(self, b: BidderPlan) -> Actor:
        """The user acting for a planned bidder."""
        return self.ctx.suppliers[b.supplier].actors[Role.SUPPLIER]

    def estimates(self, pos: int, lot: LotView) -> list[Decimal]:
        """The buyer's per-unit estimates for the items of lot ``pos`` (bids are priced against them)."""
        return [i.unit_price for i in self.plan.lots[pos].items]

    # --- the whole life ---------------------------------------------------------------------------------------

    def run(self) -> Generator[datetime, None, None]:
        """The flow the simulation drives."""
        plan, rng = self.plan, self.rng
        sched = schedule(plan.procedure, plan.target, self.ctx.end, rng)
        yield (self.ctx.end - days(rng, 0.5, 12)) if plan.target == "draft" else sched.publish_at - days(rng, 0.3, 4)
        self.create()
        if plan.target == "draft":
            if rng.random() < 0.4:
                yield self.sim.now + days(rng, 0.05, 1)
                self.edit()
            return
        if plan.target == "cancelled" and rng.random() < 0.25:
            yield self.sim.now + days(rng, 0.2, 2)
            self.cancel()
            return
        yield sched.publish_at
        self.publish(sched)
        if plan.procedure == "limited":
            yield from self.direct_award()
        else:
            yield from self.compete(sched)

    def compete(self, sched: Schedule) -> Steps:
        """Competitive procedures: (prequalification,) tendering, opening, (negotiation,) evaluation, award."""
        target = self.plan.target
        if self.plan.procedure == "selective" and not (yield from self.prequalify(sched)):
            return False
        if not (yield from self.tendering()):
            return False
        view = yield from self.until_opening()
        if target == "opening" or view.tender_end is None:
            return False
        slow = self.rng.random() < 0.1
        yield view.tender_end + (days(self.rng, 2, 5) if slow else days(self.rng, 0.05, 1))
        self.release_shares()
        if self.ctx.blobs is None:
            self.sim.call(bids.open_bids, actor=self.evaluator, tender_id=self.tid, vault=self.ctx.vault)
        else:  # with the bids' sealed documents
            opening = partial(document_opening.open_bids, blobs=self.ctx.blobs)
            self.sim.call(opening, actor=self.evaluator, tender_id=self.tid, vault=self.ctx.vault)
        status = self.ctx.view(self.tid).status
        if status == tm.NEGOTIATION:
            yield from self.negotiate()
            if target == "negotiation":
                return False
            yield self.sim.now + days(self.rng, 0.2, 2)
            self.sim.call(bids.close_negotiation, actor=self.approver, tender_id=self.tid)
        elif status != tm.QUALIFICATION:
            return False
        yield from self.evaluate()
        if target == "qualification":
            return False
        yield from self.award()
        return True

    # --- preparing and publishing -----------------------------------------------------------------------------

    def create(self) -> None:
        """The buyer drafts the tender."""
        plan, org, now = self.plan, self.org, self.sim.now
        delivery = (now + days(self.rng, 60, 150)).date()
        lots = [
            LotIn(
                title=lot.title,
                value=MoneyIO(amount=lot.value, currency=plan.currency),
                items=[
                    ItemIn(
                        description=i.template.name,
                        cpv=i.template.cpv,
                        nsn=i.nsn,
                        unit=i.template.unit,
                        quantity=i.quantity,
                        delivery_region=org.region,
                        delivery_locality=org.locality,
                        delivery_date=delivery,
                    )
                    for i in lot.items
                ],
            )
            for lot in plan.lots
        ]
        just = plan.justification
        spec = TenderCreate(
            title=plan.title,
            description=f"{org.name} procures {plan.family.name} ({plan.procedure} procedure).",
            procedure=plan.procedure,
            category=plan.family.category,
            award_criteria=plan.award_criteria,
            justification=just[0] if just else None,
            justification_details=just[1] if just else None,
            lots=lots,
            marking=plan.marking,
            declassify_on=None
            if plan.declassify_after_days is None
            else (self.sim.clock.now() + timedelta(days=plan.declassify_after_days)).date(),
        )
        self.tid = self.sim.call(tenders.create_tender, actor=self.buyer, spec=spec, lists=self.ctx.lists).id

    def edit(self) -> None:
        """The buyer revises the draft's description."""
        spec = TenderUpdate(description=f"{self.org.name}: specification revised after market consultation.")
        self.sim.call(tenders.update_tender, actor=self.buyer, tender_id=self.tid, spec=spec, lists=self.ctx.lists)

    def publish(self, sched: Schedule) -> None:
        """The approver publishes with the planned periods."""
        periods = PublishTender(
            prequalification_end=sched.prequalification_end, enquiry_end=sched.enquiry_end, tender_end=sched.tender_end
        )
        if self.plan.procedure != "limited" and rulebook_for(self.sim.now).sealing is not None:
            self.appoint_committee()
        self.sim.call(
            committees.publish_tender, actor=self.approver, tender_id=self.tid, periods=periods, vault=self.ctx.vault
        )
        self.published_at = self.sim.now
        for when in (sched.prequalification_end, sched.enquiry_end, sched.tender_end):
            self.sim.deadline(when)

    def appoint_committee(self) -> None:
        """The buyer names the organization's evaluator (chair), approver and buyer; two shares open the bids."""
        staff = [(self.evaluator, CHAIR), (self.approver, MEMBER), (self.buyer, MEMBER)]
        members = [Appointment(actor.user_id, role) for actor, role in staff]
        self.sim.call(committees.appoint_committee, actor=self.buyer, tender_id=self.tid, members=members, threshold=2)

    def release_shares(self) -> None:
        """At a committee-held opening the evaluator and the approver open their shares on their side and release."""
        key = self.sim.read(lambda s: committees.opening_key_row(s, self.tid))
        if key is None or key.mode != THRESHOLD:
            return
        bidders = self.sim.read(partial(bids.bidders, tender_id=self.tid))
        for member in (self.evaluator, self.approver):
            declarations = [interests.DeclarationIn(supplier_id, conflict=False) for supplier_id in bidders]
            if declarations:
                self.sim.call(
                    interests.declare_conflicts,
                    actor=member,
                    tender_id=self.tid,
                    bidders=bidders,
                    declarations=declarations,
                )
            mine = self.sim.read(partial(committees.my_share, actor=member, tender_id=self.tid))
            share = open_my_share(self.ctx.keys[member.user_id], mine.sealed_share, member.user_id)
            self.sim.call(committees.release_share, actor=member, tender_id=self.tid, share_text=share, bidders=bidders)

    def cancel(self) -> None:
        """The approver cancels."""
        reason = self.rng.choice(names.CANCEL_REASONS)
        self.sim.call(tenders.cancel_tender, actor=self.approver, tender_id=self.tid, reason=reason)

    # --- prequalification and tendering -----------------------------------------------------------------------

    def prequalify(self, sched: Schedule) -> Steps:
        """Selective: candidates apply, the buyer shortlists, the approver invites (or the tender fails)."""
        rng, plan = self.rng, self.plan
        assert sched.prequalification_end is not None
        span = sched.prequalification_end - self.published_at
        events = sorted((self.published_at + span * rng.uniform(0.05, 0.97), k) for k in range(len(plan.bidders)))
        cancel_at = self.published_at + span * rng.uniform(0.2, 0.9) if plan.target == "cancelled" else None
        candidacies: dict[int, str] = {}
        for when, k in events:
            if cancel_at is not None and when >= cancel_at:
                break
            yield when
            statement = f"{self.ctx.suppliers[plan.bidders[k].supplier].name} meets the selection criteria."
            candidacies[k] = self.sim.call(
                prequalification.apply_to_participate,
                actor=self.supplier(plan.bidders[k]),
                tender_id=self.tid,
                statement=statement,
            ).id
        if cancel_at is not None:
            yield cancel_at
            self.cancel()
            return False
        if plan.target in ("prequalification", "prequalification.review"):
            return False
        yield sched.prequalification_end + days(rng, 1, 5)
        for k, cid in candidacies.items():
            ok = plan.bidders[k].qualifies
            reason = "meets the selection criteria" if ok else "insufficient proven experience with similar supplies"
            self.sim.call(
                prequalification.decide_candidacy, actor=self.evaluator, candidacy_id=cid, qualify=ok, reason=reason
            )
            yield self.sim.now + days(rng, 0.01, 0.2)
        yield self.sim.now + days(rng, 0.2, 2)
        version = self.ctx.view(self.tid).rulebook_version
        assert version is not None
        end = invited_tender_end(self.sim.now, version, sched.closes_at, rng)
        self.sim.call(prequalification.invite_tenderers, actor=self.approver, tender_id=self.tid, tender_end=end)
        self.sim.deadline(end)
        return self.ctx.view(self.tid).status == tm.TENDERING

    def tendering(self) -> Steps:
        """Questions and answers, and bids arriving (mostly late in the period); perhaps a cancellation."""
        rng, plan = self.rng, self.plan
        view = self.ctx.view(self.tid)
        assert view.tender_end is not None
        start, end = view.tender_start or view.enquiry_end or self.published_at, view.tender_end
        events: list[tuple[datetime, int, int]] = []  # (when, kind, index); kinds: 0 ask, 1 answer, 2 bid, 3 cancel
        for k, b in enumerate(plan.bidders):
            if b.bids and (plan.procedure != "selective" or b.qualifies):
                events.append((min(start + (end - start) * rng.random() ** 0.6, end - 5 * MINUTE), 2, k))
        window = (view.enquiry_end or end) - self.published_at
        for q in range(plan.questions):
            asked = self.published_at + window * rng.uniform(0.1, 0.9)
            late = plan.late_answer and q == 0
            events += [(asked, 0, q), (end + days(rng, 0.3, 1.2) if late else asked + days(rng, 0.1, 1.5), 1, q)]
        if plan.target == "cancelled":
            events.append((self.published_at + (end - self.published_at) * rng.uniform(0.2, 0.9), 3, 0))
        enquiries: dict[int, str] = {}
        for when, kind, k in sorted(events):
            yield when
            if kind == 0:
                enquiries[k] = self.ask(k)
            elif kind == 1:
                self.answer(k, enquiries[k])
            elif kind == 2:
                self.submit(k, view)
            else:
                self.cancel()
                return False
        return True

    def ask(self, q: int) -> str:
        """A supplier asks a question."""
        title, text, _ = names.QUESTIONS[(self.plan.index + q) % len(names.QUESTIONS)]
        asker = self.ctx.suppliers[self.rng.randrange(len(self.ctx.suppliers))].actors[Role.SUPPLIER]
        question = QuestionIn(title=title, description=text)
        return self.sim.call(tender_periods.ask_question, actor=asker, tender_id=self.tid, question=question).id

    def answer(self, q: int, enquiry_id: str) -> None:
        """The buyer answers; an answer after the cut-off extends the tender period."""
        answer = names.QUESTIONS[(self.plan.index + q) % len(names.QUESTIONS)][2]
        self.sim.call(
            tender_periods.answer_question, actor=self.buyer, tender_id=self.tid, enquiry_id=enquiry_id, answer=answer
        )
        self.sim.deadline(self.ctx.view(self.tid).tender_end)

    def submit(self, k: int, view: TenderView) -> None:
        """A supplier submits its sealed bid."""
        b, plan = self.plan.bidders[k], self.plan
        supplier = self.supplier(b)
        values = []
        for pos, factor in sorted(b.factors.items()):
            lot = view.lots[pos]
            prices = offer_prices(lot, self.estimates(pos, lot), factor)
            self.ctx.offers[(self.tid, self.ctx.suppliers[b.supplier].id, lot.id)] = prices
            values.append(
                BidValueIn(lot_id=lot.id, value=MoneyIO(amount=offer_total(lot, prices), currency=plan.currency))
            )
        key = self.sim.read(lambda s: committees.opening_key_row(s, self.tid))
        if key is None:  # published under a rulebook without sealing
            bid, _ = self.sim.call(bids.submit_bid, actor=supplier, tender_id=self.tid, values=values)
        else:  # sealed on the supplier's side: the platform receives only the envelope
            prices = {v.lot_id: v.value.amount for v in values}
            supplier_id = self.ctx.suppliers[b.supplier].id
            upload = seal_prices(key.public_key, self.tid, supplier_id, plan.currency, prices)
            sealed = SealedBidIn(envelope=upload.envelope, lots=list(upload.lots))
            bid, _ = self.sim.call(bids.submit_bid, actor=supplier, tender_id=self.tid, sealed=sealed)
            if self.ctx.blobs is not None:
                days_ = 14 + (self.plan.index * 31 + b.supplier * 7) % 100  # not drawn: the rng stream stays as it was
                self.attach_proposal(supplier, self.ctx.suppliers[b.supplier].name, bid.id, key.public_key, days_)
        self.bid_ids[k] = bid.id

    def attach_proposal(self, supplier: Actor, name: str, bid_id: str, public_key: str, delivery_days: int) -> None:
        """The supplier seals its technical proposal on its side and attaches it to the bid: only ciphertext goes up."""
        assert self.ctx.blobs is not None
        assert supplier.organization_id is not None
        title, text = names.technical_proposal(name, self.plan.title, delivery_days)
        sealed = seal_file(
            public_key,
            self.tid,
            supplier.organization_id,
            bid_id,
            title=title,
            content_type="text/plain; charset=utf-8",
            content=text.encode(),
        )
        self.sim.call(
            documents.upload_document,
            actor=supplier,
            blobs=self.ctx.blobs,
            related_type="bid",
            related_id=bid_id,
            title="",
            document_type="technicalSpecifications",
            content_type=sealed.content_type,
            data=sealed.data,
        )

    def until_opening(self) -> Generator[datetime, None, TenderView]:
        """Wait for the scheduler to close bidding (periods may be extended by late answers)."""
        while True:
            view = self.ctx.view(self.tid)
            if view.status != tm.TENDERING:
                return view
            assert view.tender_end is not None
            self.sim.deadline(view.tender_end)
            yield view.tender_end + MINUTE

    # --- after opening ----------------------------------------------------------------------------------------

    def negotiate(self) -> Steps:
        """Negotiated procedure: bidders lower their prices once or twice."""
        rng, events = self.rng, []
        for k in self.bid_ids:
            events += [(self.sim.now + days(rng, 0.5, 5), k) for _ in range(rng.randint(1, 2))]
        view = self.ctx.view(self.tid)
        for when, k in sorted(events):
            yield when
            b = self.plan.bidders[k]
            supplier_id = self.ctx.suppliers[b.supplier].id
            values = []
            for pos in sorted(b.factors):
                lot = view.lots[pos]
                if lot.status != tm.LOT_ACTIVE:
                    continue
                key = (self.tid, supplier_id, lot.id)
                cut = Decimal(str(round(rng.uniform(0.92, 0.98), 4)))
                prices = offer_prices(lot, list(self.ctx.offers[key].values()), cut)
                self.ctx.offers[key] = prices
                values.append(
                    BidValueIn(
                        lot_id=lot.id, value=MoneyIO(amount=offer_total(lot, prices), currency=self.plan.currency)
                    )
                )
            if values:
                self.sim.call(bids.revise_bid, actor=self.supplier(b), bid_id=self.bid_ids[k], values=values)
        return True

    def evaluate(self) -> Steps:
        """The evaluator records a verdict on every offer; the approver rejects unexplained low prices."""
        rng, plan = self.rng, self.plan
        view = self.ctx.view(self.tid)
        active = {pos for pos, lot in enumerate(view.lots) if lot.status == tm.LOT_ACTIVE}
        start = self.sim.now + days(rng, 0.2, 2)
        span = days(rng, 15, 30) if rng.random() < 0.1 else days(rng, 1, 6)  # some evaluations overrun
        pairs = [(k, pos) for k in self.bid_ids for pos in sorted(plan.bidders[k].factors) if pos in active]
        for when, (k, pos) in sorted((start + span * rng.random(), p) for p in pairs):
            yield when
            b = plan.bidders[k]
            notes = (
                "abnormally low price; the supplier's explanation was examined"
                if b.abnormally_low
                else None
                if b.compliant[pos]
                else "technical specification not met"
            )
            rated = plan.award_criteria == "ratedCriteria"
            verdict = EvaluationIn(
                lot_id=view.lots[pos].id,
                compliant=b.compliant[pos],
                notes=notes,
                score=b.score if rated else None,
                **(self.best_value_findings(k, view.lots[pos]) if rated else {}),
            )
            self.sim.call(awards.evaluate_bid, actor=self.evaluator, bid_id=self.bid_ids[k], verdict=verdict)
        self.committee_assesses()
        for k in self.bid_ids:
            if plan.bidders[k].disqualify:
                yield self.sim.now + days(rng, 0.1, 1)
                reason = "abnormally low price; the explanation given does not justify it"
                self.sim.call(
                    awards.disqualify_bid,
                    actor=self.approver,
                    bid_id=self.bid_ids[k],
                    reason=reason,
                    signature=disqualification(self.sim, self.ctx.keys, self.approver, self.bid_ids[k], reason),
                )
        return True

    def committee_assesses(self) -> None:
        """On a committee tender the evaluator (chair) and the approver, a quorum, assess every opened bid as the plan
        judges it and the chair consolidates: the consolidation, not the evaluator's rows, is what the award follows."""
        if self.sim.read(lambda s: committees.get_committee(s, self.tid)) is None:
            return
        plan, view = self.plan, self.ctx.view(self.tid)
        bidders = self.sim.read(partial(bids.bidders, tender_id=self.tid))
        by_bid = {bid_id: k for k, bid_id in self.bid_ids.items()}
        rated = plan.award_criteria == "ratedCriteria"
        for member in (self.evaluator, self.approver):
            missing = self.sim.read(
                partial(committees.undeclared, tender_id=self.tid, member_id=member.user_id, bidders=bidders)
            )
            if missing:
                declarations = [interests.DeclarationIn(supplier_id, conflict=False) for supplier_id in missing]
                self.sim.call(
                    interests.declare_conflicts,
                    actor=member,
                    tender_id=self.tid,
                    bidders=bidders,
                    declarations=declarations,
                )
        for pos, lot in enumerate(view.lots):
            opened = self.sim.read(partial(bids.opened_on_lot, tender_id=self.tid, lot_id=lot.id))
            if lot.status != tm.LOT_ACTIVE or not opened:
                continue
            scores = []
            for bid_id in opened:
                b = plan.bidders[by_bid[bid_id]]
                findings = self.best_value_findings(by_bid[bid_id], lot) if rated else {}
                scores.append(
                    scoring.ScoreIn(
                        bid_id,
                        b.compliant[pos],
                        b.score if rated else None,
                        None,
                        findings.get("delivery_days"),
                        findings.get("life_cycle_cost"),
                    )
                )
            for member in (self.evaluator, self.approver):
                self.sim.call(
                    scoring.submit_scores,
                    actor=member,
                    tender_id=self.tid,
                    lot_id=lot.id,
                    opened=opened,
                    bidders=bidders,
                    scores=scores,
                )
            self.sim.call(scoring.consolidate, actor=self.evaluator, tender_id=self.tid, lot_id=lot.id, opened=opened)

    def best_value_findings(self, k: int, lot: LotView) -> dict[str, Any]:
        """Delivery days and life-cycle cost of bidder ``k``'s offer on a lot (its own generator: the rest of the
        seed draws the same numbers whether or not the tender is scored)."""
        rng = random.Random(f"{self.plan.seed}:findings:{k}:{lot.id}")
        prices = self.ctx.offers[(self.tid, self.ctx.suppliers[self.plan.bidders[k].supplier].id, lot.id)]
        life = offer_total(lot, prices) * Decimal(str(round(rng.uniform(1.3, 1.9), 2)))
        return {"delivery_days": rng.randint(14, 120), "life_cycle_cost": life.quantize(Decimal("0.01"))}

    def unjustified(self, session: Session, *, lot_id: str, bid_ids: list[str]) -> list[str]:
        """Those of ``bid_ids`` whose abnormally low price has not been justified yet."""
        tender = tenders.get_tender(session, self.tid, actor=SCHEDULER)
        ranking = awards.rank_lot(session, tender=tender, lot_id=lot_id)
        return [r.bid.id for r in ranking if r.bid.id in bid_ids and r.standing.abnormally_low and not r.justification]

    def justify(self, lot_id: str, bid_id: str) -> Steps:
        """The approver asks the supplier of an abnormally low winner to justify its price; the supplier answers."""
        request = self.sim.call(
            justifications.request_justification,
            actor=self.approver,
            bid_id=bid_id,
            lot_id=lot_id,
            question="Your price is abnormally low. Explain how you can deliver at this price.",
        )
        yield self.sim.now + days(self.rng, 0.5, 3)
        k = next(k for k, b in self.bid_ids.items() if b == bid_id)
        self.sim.call(
            justifications.answer_justification,
            actor=self.supplier(self.plan.bidders[k]),
            request_id=request.id,
            answer="Stock bought before the price rise and an existing production line; cost breakdown attached.",
        )
        yield self.sim.now + days(self.rng, 0.2, 1)
        return True

    def ranked(self, session: Session, *, lot_id: str) -> list[str]:
        """Ids of the compliant bids on a lot, best first (the awards service's own ranking)."""
        tender = tenders.get_tender(session, self.tid, actor=SCHEDULER)
        return [r.bid.id for r in awards.rank_lot(session, tender=tender, lot_id=lot_id) if r.compliant]

    def award(self) -> Steps:
        """The approver awards each lot to its best-ranked compliant bid(s), or declares it unsuccessful."""
        yield self.sim.now + days(self.rng, 0.2, 2)
        view = self.ctx.view(self.tid)
        for lot in view.lots:
            if lot.status != tm.LOT_ACTIVE:
                continue
            best = self.sim.read(partial(self.ranked, lot_id=lot.id))
            if not best:
                self.sim.call(
                    awards.declare_lot_unsuccessful,
                    actor=self.approver,
                    tender_id=self.tid,
                    lot_id=lot.id,
                    reason="no compliant bid",
                )
                continue
            winners = best[: 3 if self.plan.procedure == "framework" and len(best) >= 3 else 1]
            for bid_id in self.sim.read(partial(self.unjustified, lot_id=lot.id, bid_ids=winners)):
                yield from self.justify(lot.id, bid_id)
            spec = AwardIn(bid_ids=winners, rationale="best-ranked compliant bid under the tender's criteria")
            spec = signed_award(self.sim, self.ctx.keys, self.approver, lot.id, spec)
            self.sim.call(awards.award, actor=self.approver, tender_id=self.tid, lot_id=lot.id, spec=spec)
            yield self.sim.now + days(self.rng, 0.01, 0.1)
        self.after_award()
        return True

    def direct_award(self) -> Steps:
        """Limited procedure: the approver awards the justified supplier directly."""
        plan, rng = self.plan, self.rng
        if plan.target == "qualification":
            return False
        if plan.target == "cancelled":
            yield self.sim.now + days(rng, 0.5, 5)
            self.cancel()
            return False
        share = rng.uniform(0.1, 0.6)
        yield (
            self.published_at + (self.ctx.end - self.published_at) * share
            if plan.target == "awarded"
            else self.sim.now + days(rng, 0.3, 5)
        )
        b = plan.bidders[0]
        supplier_id = self.ctx.suppliers[b.supplier].id
        lot = self.ctx.view(self.tid).lots[0]
        prices = offer_prices(lot, self.estimates(0, lot), b.factors[0])
        self.ctx.offers[(self.tid, supplier_id, lot.id)] = prices
        spec = AwardIn(
            supplier_id=supplier_id,
            value=MoneyIO(amount=offer_total(lot, prices), currency=plan.currency),
            rationale=plan.justification[1] if plan.justification else None,
        )
        spec = signed_award(self.sim, self.ctx.keys, self.approver, lot.id, spec)
        self.sim.call(awards.award, actor=self.approver, tender_id=self.tid, lot_id=lot.id, spec=spec)
        self.after_award()
        return True

    def after_award(self) -> None:
        """Hand over to the contract flows (or the framework flow) unless the plan stops at the award."""
        from quartermaster.seed.aftercare import ContractFlow, FrameworkFlow

        if self.plan.target in ("awarded", "unsuccessful") or self.ctx.view(self.tid).status != tm.AWARDED:
            return
        if self.plan.procedure == "framework":
            framework = FrameworkFlow(self.ctx, self.plan, self.tid)
            self.sim.start(f"framework:{self.plan.index}", self.sim.now, framework.run())
            return
        ids = self.sim.read(
            lambda s: list(
                s.scalars(
                    select(Contract.id)
                    .join(tm.Lot, tm.Lot.id == Contract.lot_id)
                    .where(Contract.tender_id == self.tid)
                    .order_by(tm.Lot.position)
                )
            )
        )
        for n, cid in enumerate(ids):
            flow = ContractFlow(self.ctx, cid, self.plan.target, f"{self.plan.seed}:contract:{n}", self.org)
            self.sim.start(f"contract:{self.plan.index}:{n}", self.sim.now, flow.run())
