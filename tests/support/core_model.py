"""The procurement core driven through its service layer by drawn people, for the Hypothesis state machine.

``Model`` runs each command in its own unit of work and checks, after every one, what must hold on success (each
status change has its event, and no event is missing or extra) or on refusal (nothing changed). Each ``cmd_*``
method takes a tender and draws whatever else it needs (a bid, a person, a price) from the model's seeded random
generator (Hypothesis supplies the seed): it aims at a valid target and, mostly, the right person when ``aim`` is
set, or at anything and anyone when it is not. A seeded generator keeps the walk varied; Hypothesis' own draws
tend to repeat one choice for a whole run.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quartermaster.awards import service as awards
from quartermaster.awards.schemas import AwardIn, EvaluationIn
from quartermaster.bids import prequalification
from quartermaster.bids import service as bids
from quartermaster.bids.schemas import BidValueIn
from quartermaster.codelists import load_codelists
from quartermaster.db.tx import Database
from quartermaster.errors import QMError
from quartermaster.events.models import Event
from quartermaster.rules import rulebook_for
from quartermaster.scheduler import run_due
from quartermaster.schema_base import MoneyIO
from quartermaster.tenders import periods as tender_periods
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import Tender
from quartermaster.tenders.schemas import PublishTender, QuestionIn, TenderCreate
from quartermaster.types import FixedClock
from support.core_invariants import EventLog, Snapshot, assert_each_change_has_its_event, expected_new_events
from support.flows import tender_body
from support.world import World, build_world

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LISTS = load_codelists(None)
IN_PLACE = {"amend_bid": 1, "revise_bid": 1, "evaluate_bid": 1}  # commands whose event changes no status
SUPPLIERS = ["supplier0", "supplier1", "supplier2"]
EVERYONE = [
    "buyer",
    "approver",
    "approver2",
    "evaluator",
    "evaluator2",
    *SUPPLIERS,
    "other_buyer",
    "other_approver",
    "auditor",
    "admin",
]
REACHED: set[str] = set()  # tender states seen, across all examples


class Model:
    """What exists, the last snapshot of the database, and the commands."""

    def __init__(self, db: Database, rnd: random.Random) -> None:
        self.db, self.rnd = db, rnd
        self.clock = FixedClock(START)
        self.world: World = build_world(db, START)
        self.log = EventLog()
        self.log.read_new(db)
        self.last = self.snap()
        self.tenders: list[str] = []
        self.bids: dict[str, tuple[str, str]] = {}  # bid -> (tender, owner)
        self.questions: list[tuple[str, str]] = []  # (tender, question)
        self.awards: dict[str, str] = {}  # award -> tender
        self.candidacies: dict[str, str] = {}  # candidacy -> tender
        self.applicants: dict[str, str] = {}  # candidacy -> the supplier (person) that applied
        self.prices: dict[str, set[str]] = {}  # every price each bid has been given, as text
        self.used: set[int] = set()
        # Events the log must hold: those of the set-up, plus one per successful command and per derived change.
        self.expected_events = self.log.last_seq

    # --- running and checking -----------------------------------------------------------------------------

    def events_in_table(self) -> int:
        """How many rows the events table holds."""
        with self.db.unit_of_work(write=False) as s:
            return int(s.scalar(select(func.count()).select_from(Event)) or 0)

    def snap(self) -> Snapshot:
        """The database's state now."""
        with self.db.unit_of_work(write=False) as s:
            return Snapshot.take(s)

    def run(self, name: str, fn: Callable[[Session, datetime], Any]) -> Any:
        """Run a command in its own unit of work; check the invariants of success or of refusal."""
        before = self.last
        try:
            with self.db.unit_of_work() as s:
                result = fn(s, self.clock.now())
        except QMError:
            assert self.snap() == before, f"refused {name} changed the database"
            return None
        self.last = self.snap()
        REACHED.update(v for (k, _), v in self.last.status.items() if k == "tender")
        new = self.log.read_new(self.db)
        changed, created = before.changes(self.last)
        assert_each_change_has_its_event(changed, created, new)
        expected = expected_new_events(changed, created, IN_PLACE.get(name, 0))
        assert len(new) == expected, (name, new)
        self.expected_events += expected
        return result

    def run_scheduler(self) -> None:
        """Apply due period ends; each appends exactly its own event (chains are checked by the event log)."""
        before = self.last
        applied = run_due(self.db, self.clock)
        self.last = self.snap()
        REACHED.update(v for (k, _), v in self.last.status.items() if k == "tender")
        new = self.log.read_new(self.db)
        changed, created = before.changes(self.last)
        assert not created
        assert len(new) == len(applied) >= len(changed)
        self.expected_events += len(applied)
        assert [(e.command, e.object_id) for e in new] == [(a.command, a.object_id) for a in applied]

    # --- drawing ------------------------------------------------------------------------------------------

    def status(self, kind: str, obj_id: str) -> str:
        """An object's status in the last snapshot."""
        return self.last.status.get((kind, obj_id), "none")

    def pick(self, ids: Sequence[Any], ok: Callable[[Any], bool], aim: bool) -> Any:
        """When aiming, an object whose state allows the command (None if there is none); else any object."""
        pool = [i for i in ids if ok(i)] if aim else list(ids)
        return self.rnd.choice(pool) if pool else None

    def who(self, right: str, aim: bool) -> Any:
        """The right person, mostly, when aiming; anyone otherwise."""
        return self.world[right if aim and self.rnd.random() < 0.8 else self.rnd.choice(EVERYONE)].actor

    def supplier_of(self, actor: Any) -> str:
        """The supplier person whose organization ``actor`` acts for (a success proves it is a supplier)."""
        return next(p for p in SUPPLIERS if self.world[p].organization_id == actor.organization_id)

    def auditor_view(self, tender: str) -> tuple[str, list[str]]:
        """A tender's procedure and lot ids."""
        with self.db.unit_of_work(write=False) as s:
            t = tenders.get_tender(s, tender, actor=self.world["auditor"].actor)
            return t.procedure, [lot.id for lot in t.lots]

    def awaiting(self, tender: str) -> bool:
        """Whether the tender still waits for responses: fewer than two live ones, and suppliers yet to answer."""
        bids_ = [(b, o) for b, (t, o) in self.bids.items() if t == tender]
        cands = [c for c, t in self.candidacies.items() if t == tender]
        live = sum(self.status("bid", b) == "pending" for b, _ in bids_)
        live += sum(self.status("candidacy", c) == "applied" for c in cands)
        return live < 2 and len(bids_) + len(cands) < len(SUPPLIERS)

    def price(self, cents_: int) -> Decimal:
        """A bid price no other bid in this run has used, so that a leak is unambiguous."""
        while cents_ in self.used or cents_ % 100 == 0:
            cents_ += 1
        self.used.add(cents_)
        return Decimal(cents_) / 100

    def values(self, tender: str) -> tuple[str, list[BidValueIn]]:
        """A fresh price on some of the tender's lots."""
        _, lots = self.auditor_view(tender)
        picked = self.rnd.sample(lots, self.rnd.randint(1, len(lots)))
        amount = self.price(self.rnd.randint(10_000_001, 89_999_999))  # 100000.01 .. 899999.99
        return f"{amount:.2f}", [BidValueIn(lot_id=i, value=MoneyIO(amount=amount, currency="UAH")) for i in picked]

    def bid_of(self, tender: str, states: set[str], aim: bool) -> str | None:
        """One of the tender's bids (in ``states`` when aiming), or any bid at all when not aiming."""
        mine = [b for b, (t, _) in self.bids.items() if t == tender] if aim else list(self.bids)
        return self.pick(mine, lambda b: self.status("bid", b) in states, aim)  # type: ignore[no-any-return]

    # --- commands -----------------------------------------------------------------------------------------

    def create(self, procedure: str, lots: int, actor: Any) -> str | None:
        """Prepare a draft."""
        extra = {"justification": "extreme_urgency"} if procedure == "limited" else {}
        spec = TenderCreate.model_validate(tender_body(procedure, lots=lots, **extra))
        made = self.run(
            "create_tender", lambda s, now: tenders.create_tender(s, actor=actor, now=now, spec=spec, lists=LISTS).id
        )
        if made is not None:
            self.tenders.append(made)
        return made  # type: ignore[no-any-return]

    def cmd_publish(self, tender: str, aim: bool) -> None:
        """Publish with the shortest periods the rulebook allows."""
        procedure, _ = self.auditor_view(tender)
        book = rulebook_for(self.clock.now())
        periods = PublishTender(**tenders.minimum_periods(book, book.procedure(procedure), self.clock.now()))
        actor = self.who("approver", aim)
        self.run(
            "publish_tender",
            lambda s, now: tenders.publish_tender(s, actor=actor, now=now, tender_id=tender, periods=periods),
        )

    def cmd_tick(self, tender: str, aim: bool) -> None:
        """Let time run past the next period end of any tender (or a random stretch); the scheduler acts."""
        with self.db.unit_of_work(write=False) as s:
            ends = [
                e
                for t in s.scalars(select(Tender))
                for e in (t.prequalification_end, t.enquiry_end, t.tender_end)
                if e and e > self.clock.now()
            ]
        step = self.rnd.choice([None, None, None, timedelta(hours=1), timedelta(days=40)])
        self.clock.set(
            min(ends) + timedelta(seconds=1)
            if ends and step is None
            else self.clock.now() + (step or timedelta(hours=1))
        )
        self.run_scheduler()

    def cmd_cancel(self, tender: str, aim: bool) -> None:
        """Cancel the tender."""
        actor = self.who("approver", aim)
        self.run(
            "cancel_tender",
            lambda s, now: tenders.cancel_tender(
                s, actor=actor, now=now, tender_id=tender, reason="requirement withdrawn"
            ),
        )

    def cmd_ask(self, tender: str, aim: bool) -> None:
        """A supplier asks."""
        actor = self.who(self.rnd.choice(SUPPLIERS), aim)
        q = QuestionIn(title="Delivery", description="Can delivery be split?")
        made = self.run(
            "ask_question",
            lambda s, now: tender_periods.ask_question(s, actor=actor, now=now, tender_id=tender, question=q).id,
        )
        if made is not None:
            self.questions.append((tender, made))

    def cmd_answer(self, tender: str, aim: bool) -> None:
        """The buyer answers."""
        mine = [q for q in self.questions if q[0] == tender] if aim else self.questions
        picked = self.pick(mine, lambda q: self.status("enquiry", q[1]) == "asked", aim)
        if picked is not None:
            actor = self.who("buyer", aim)
            self.run(
                "answer_question",
                lambda s, now: tender_periods.answer_question(
                    s, actor=actor, now=now, tender_id=picked[0], enquiry_id=picked[1], answer="Yes."
                ),
            )

    def cmd_apply(self, tender: str, aim: bool) -> None:
        """A supplier asks to take part."""
        applied = {(t, self.applicants[c]) for c, t in self.candidacies.items()}
        supplier = self.pick(SUPPLIERS, lambda p: (tender, p) not in applied, aim)
        if supplier is None:
            return
        actor = self.who(supplier, aim)
        made = self.run(
            "apply_to_participate",
            lambda s, now: (
                prequalification.apply_to_participate(
                    s, actor=actor, now=now, tender_id=tender, statement="qualified"
                ).id
            ),
        )
        if made is not None:
            self.candidacies[made] = tender
            self.applicants[made] = self.supplier_of(actor)

    def cmd_decide(self, tender: str, aim: bool) -> None:
        """Qualify (mostly) or reject a candidate."""
        mine = [c for c, t in self.candidacies.items() if t == tender] if aim else list(self.candidacies)
        cand = self.pick(mine, lambda c: self.status("candidacy", c) == "applied", aim)
        if cand is not None:
            qualify = self.rnd.random() < 0.8
            actor = self.who("evaluator", aim)
            self.run(
                "qualify_candidate" if qualify else "reject_candidate",
                lambda s, now: prequalification.decide_candidacy(
                    s, actor=actor, now=now, candidacy_id=cand, qualify=qualify, reason="checked"
                ),
            )

    def cmd_invite(self, tender: str, aim: bool) -> None:
        """Invite the qualified candidates."""
        actor = self.who("approver", aim)
        end = self.clock.now() + timedelta(days=36)
        self.run(
            "invite_tenderers",
            lambda s, now: prequalification.invite_tenderers(s, actor=actor, now=now, tender_id=tender, tender_end=end),
        )

    def cmd_submit(self, tender: str, aim: bool) -> None:
        """A supplier bids."""
        owner = self.pick(SUPPLIERS, lambda p: (tender, p) not in self.bids.values(), aim)
        if owner is None:
            return
        actor = self.who(owner, aim)
        text, values = self.values(tender)
        made = self.run(
            "submit_bid", lambda s, now: bids.submit_bid(s, actor=actor, now=now, tender_id=tender, values=values)[0].id
        )
        if made is not None:
            self.bids[made] = (tender, self.supplier_of(actor))
            self.prices[made] = {text}

    def cmd_amend(self, tender: str, aim: bool, revise: bool = False) -> None:
        """A supplier changes its prices: amends before the deadline or revises in negotiation."""
        bid = self.bid_of(tender, {"valid" if revise else "pending"}, aim)
        if bid is None:
            return
        actor = self.who(self.bids[bid][1], aim)
        text, values = self.values(self.bids[bid][0])
        self.prices[bid].add(text)
        fn = bids.revise_bid if revise else bids.amend_bid
        self.run(
            "revise_bid" if revise else "amend_bid",
            lambda s, now: fn(s, actor=actor, now=now, bid_id=bid, values=values),
        )

    def cmd_revise(self, tender: str, aim: bool) -> None:
        """A supplier revises its prices in negotiation."""
        self.cmd_amend(tender, aim, revise=True)

    def cmd_withdraw(self, tender: str, aim: bool) -> None:
        """A supplier withdraws its bid."""
        bid = self.bid_of(tender, {"pending"}, aim)
        if bid is not None:
            actor = self.who(self.bids[bid][1], aim)
            self.run("withdraw_bid", lambda s, now: bids.withdraw_bid(s, actor=actor, now=now, bid_id=bid))

    def cmd_open(self, tender: str, aim: bool) -> None:
        """Open the bids."""
        actor = self.who("evaluator", aim)
        self.run("open_bids", lambda s, now: bids.open_bids(s, actor=actor, now=now, tender_id=tender))

    def cmd_close(self, tender: str, aim: bool) -> None:
        """Close negotiation."""
        actor = self.who("approver", aim)
        self.run("close_negotiation", lambda s, now: bids.close_negotiation(s, actor=actor, now=now, tender_id=tender))

    def cmd_evaluate(self, tender: str, aim: bool) -> None:
        """An evaluator's verdict on a bid for a lot (mostly compliant)."""
        bid = self.bid_of(tender, {"valid"}, aim)
        if bid is None:
            return
        _, lots = self.auditor_view(self.bids[bid][0])
        verdict = EvaluationIn(lot_id=self.rnd.choice(lots), score=Decimal(70), compliant=self.rnd.random() < 0.8)
        actor = self.who(self.rnd.choice(["evaluator", "evaluator2"]), aim)
        self.run(
            "evaluate_bid", lambda s, now: awards.evaluate_bid(s, actor=actor, now=now, bid_id=bid, verdict=verdict)
        )

    def cmd_disqualify(self, tender: str, aim: bool) -> None:
        """Disqualify a bid."""
        bid = self.bid_of(tender, {"valid"}, aim)
        if bid is not None:
            actor = self.who("approver", aim)
            self.run(
                "disqualify_bid",
                lambda s, now: awards.disqualify_bid(s, actor=actor, now=now, bid_id=bid, reason="no export licence"),
            )

    def cmd_award(self, tender: str, aim: bool) -> None:
        """Award a lot: the best-ranked compliant bid when aiming, a direct award for a limited tender."""
        procedure, lots = self.auditor_view(tender)
        lot_id = self.rnd.choice(lots)
        with self.db.unit_of_work(write=False) as s:
            t = tenders.get_tender(s, tender, actor=self.world["auditor"].actor)
            ranked = [r.bid.id for r in awards.rank_lot(s, tender=t, lot_id=lot_id) if r.compliant]
        if procedure == "limited":
            supplier = self.world[self.rnd.choice(SUPPLIERS)].organization_id
            spec = AwardIn(supplier_id=supplier, value=MoneyIO(amount=Decimal("450000.00"), currency="UAH"))
        else:
            other = self.bid_of(tender, {"valid"}, aim)
            spec = AwardIn(bid_ids=ranked[:1] if aim and ranked else [other or "0" * 32])
        actor = self.who("approver", aim)
        made = self.run(
            "award",
            lambda s, now: [
                a.id for a in awards.award(s, actor=actor, now=now, tender_id=tender, lot_id=lot_id, spec=spec)
            ],
        )
        self.awards.update(dict.fromkeys(made or [], tender))

    def cmd_cancel_award(self, tender: str, aim: bool) -> None:
        """Cancel an award."""
        mine = [a for a, t in self.awards.items() if t == tender] if aim else list(self.awards)
        award = self.pick(mine, lambda a: self.status("award", a) == "active", aim)
        if award is not None:
            actor = self.who("approver", aim)
            self.run(
                "cancel_award",
                lambda s, now: awards.cancel_award(s, actor=actor, now=now, award_id=award, reason="complaint upheld"),
            )

    def cmd_lot_unsuccessful(self, tender: str, aim: bool) -> None:
        """Close a lot without an award."""
        _, lots = self.auditor_view(tender)
        lot_id = self.rnd.choice(lots)
        actor = self.who("approver", aim)
        self.run(
            "declare_lot_unsuccessful",
            lambda s, now: awards.declare_lot_unsuccessful(
                s, actor=actor, now=now, tender_id=tender, lot_id=lot_id, reason="no acceptable bid"
            ),
        )
