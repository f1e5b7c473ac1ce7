"""Hypothesis drives random command sequences by random people through the service layer.

After every step: each status is a state of its machine; every new event is a transition in its machine's table
that starts where the object's previous event ended; every status change has its event and the number of new events
is exactly one per status change (plus the command's own event when it changes no status), so no event is ever lost;
a refused command leaves the database as it was; and no sealed bid's price appears in any event payload.

Two kinds of step: ``progress`` takes a live tender one natural step further (by the right person, mostly), so runs
reach deep into every procedure; ``chaos`` sends any command at any tender by anyone, so refusals are exercised.
Hypothesis chooses the steps and seeds the model's random generator, which draws targets, people and prices.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from support.core_invariants import SEALED, assert_states_are_known
from support.core_model import REACHED, Model
from support.db import TestDatabases

PROCEDURES = ["open", "negotiated", "selective", "limited"]
Step = Callable[[Model, str, bool], None]

# What naturally comes next in each tender state (repeats weight the draw).
NEXT: dict[str, list[Step]] = {
    "draft": [Model.cmd_publish],
    "active.prequalification": [Model.cmd_apply, Model.cmd_apply, Model.cmd_tick],
    "active.prequalification.review": [Model.cmd_decide, Model.cmd_decide, Model.cmd_invite, Model.cmd_cancel],
    "active.enquiries": [Model.cmd_ask, Model.cmd_answer, Model.cmd_tick],
    "active.tendering": [
        Model.cmd_submit,
        Model.cmd_submit,
        Model.cmd_amend,
        Model.cmd_ask,
        Model.cmd_answer,
        Model.cmd_withdraw,
        Model.cmd_tick,
    ],
    "active.opening": [Model.cmd_open],
    "active.negotiation": [Model.cmd_revise, Model.cmd_revise, Model.cmd_close],
    "active.qualification": [
        Model.cmd_evaluate,
        Model.cmd_evaluate,
        Model.cmd_award,
        Model.cmd_disqualify,
        Model.cmd_lot_unsuccessful,
    ],
    "active.awarded": [Model.cmd_cancel_award, Model.cmd_cancel],
}
WAIT_FOR = {"active.prequalification", "active.tendering"}  # for two responses before the period ends
ANY: list[Step] = sorted({s for steps in NEXT.values() for s in steps} | {Model.cmd_cancel}, key=lambda f: f.__name__)


class ProcurementMachine(RuleBasedStateMachine):
    """Rules over a ``Model`` on a fresh database per example."""

    databases: TestDatabases  # set by the test

    m: Model

    def teardown(self) -> None:
        """Release the example's database."""
        if hasattr(self, "m"):
            self.m.db.dispose()

    @initialize(
        rnd=st.randoms(use_true_random=False),
        lots=st.lists(st.integers(1, 2), min_size=len(PROCEDURES), max_size=len(PROCEDURES)),
    )
    def drafts(self, rnd: random.Random, lots: list[int]) -> None:
        """A fresh database, and a draft of each procedure prepared by the buyer."""
        self.m = Model(self.databases.database(), rnd)
        for procedure, n in zip(PROCEDURES, lots, strict=True):
            assert self.m.create(procedure, n, self.m.world["buyer"].actor) is not None

    @precondition(lambda self: len(self.m.tenders) < len(PROCEDURES) + 2)
    @rule(
        procedure=st.sampled_from(PROCEDURES),
        lots=st.integers(1, 2),
        who=st.sampled_from(["buyer", "approver", "other_buyer", "evaluator", "supplier0"]),
    )
    def create(self, procedure: str, lots: int, who: str) -> None:
        """Someone prepares another draft (refused unless a buyer or an approver)."""
        self.m.create(procedure, lots, self.m.world[who].actor)

    @rule(times=st.integers(1, 8))
    def progress(self, times: int) -> None:
        """Take live tenders a few natural steps further."""
        for _ in range(times):
            live = [t for t in self.m.tenders if self.m.status("tender", t) in NEXT]
            if not live:
                return
            tender = self.m.rnd.choice(live)
            state = self.m.status("tender", tender)
            steps = NEXT[state]
            if state in WAIT_FOR and self.m.awaiting(tender):
                steps = [s for s in steps if s is not Model.cmd_tick]  # let suppliers answer the call first
            self.m.rnd.choice(steps)(self.m, tender, True)

    @rule()
    def chaos(self) -> None:
        """Any command, at any tender, by anyone."""
        self.m.rnd.choice(ANY)(self.m, self.m.rnd.choice(self.m.tenders), False)

    @invariant()
    def states_are_known_and_explained_by_events(self) -> None:
        """Statuses are machine states, and each is where the object's last event left it."""
        assert_states_are_known(self.m.last)
        self.m.log.assert_explains(self.m.last)
        assert self.m.last.events == self.m.log.last_seq
        assert self.m.events_in_table() == self.m.expected_events  # no event lost, none extra

    @invariant()
    def sealed_prices_appear_in_no_event(self) -> None:
        """No price a sealed bid was ever given is in any event payload."""
        for bid_id in self.m.bids:
            if self.m.status("bid", bid_id) in SEALED:
                for text in self.m.prices[bid_id]:
                    assert not self.m.log.shows(text), f"sealed bid {bid_id}: price {text} is in an event"


def test_random_command_sequences_keep_every_invariant(databases: TestDatabases) -> None:
    ProcurementMachine.databases = databases
    ProcurementMachine.TestCase.settings = settings(
        max_examples=30,
        stateful_step_count=50,
        deadline=None,
        # No shrinking: the walk is drawn from a seeded generator, so a shorter run is a different walk anyway;
        # the failure report lists every step of the failing one.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    ProcurementMachine.TestCase().runTest()
    # The runs went deep: every tender state these commands can reach was reached.
    assert {
        "draft",
        "active.prequalification",
        "active.prequalification.review",
        "active.enquiries",
        "active.tendering",
        "active.opening",
        "active.negotiation",
        "active.qualification",
        "active.awarded",
        "unsuccessful",
        "cancelled",
    } <= REACHED
