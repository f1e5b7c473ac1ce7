"""What must hold after every command: read the database as it is and check it against the state machines.

``Snapshot`` is every stateful row's status; ``EventLog`` follows the event table incrementally and checks each new
event against its machine's table and against the previous event of the same object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Role
from quartermaster.awards.models import AWARD_MACHINE, EVALUATION_COMMANDS, Award
from quartermaster.bids.models import BID_MACHINE, CANDIDACY_MACHINE, Bid, Candidacy
from quartermaster.contracts.models import CONTRACT_MACHINE, Contract
from quartermaster.db.tx import Database
from quartermaster.events.models import Event
from quartermaster.statemachine import StateMachine, t
from quartermaster.tenders.models import LOT_MACHINE, TENDER_MACHINE, Enquiry, Lot, Tender

# Enquiries have no machine in the code (their life is two steps); this one states them for the checks.
ENQUIRY_MACHINE = StateMachine(
    "enquiry",
    ("none", "asked", "answered"),
    [
        t("ask_question", ["none"], ["asked"], "QuestionAsked", Role.SUPPLIER),
        t("answer_question", ["asked"], ["answered"], "QuestionAnswered", Role.BUYER),
    ],
)
MACHINES: dict[str, StateMachine] = {
    "tender": TENDER_MACHINE,
    "lot": LOT_MACHINE,
    "bid": BID_MACHINE,
    "award": AWARD_MACHINE,
    "candidacy": CANDIDACY_MACHINE,
    "contract": CONTRACT_MACHINE,
    "enquiry": ENQUIRY_MACHINE,
}
# Objects born with an event (lots are born with their draft tender, inside the TenderCreated event).
BORN_WITH_EVENT = frozenset({"tender", "bid", "award", "candidacy", "contract", "enquiry"})
CREATION = {"create_tender": "tender", "create_contract": "contract"}  # creations outside any machine's table
SEALED = frozenset({"pending", "withdrawn"})

Key = tuple[str, str]  # (object type, id)


@dataclass(frozen=True)
class Snapshot:
    """Every stateful row's status, plus what a refused command must not have touched (versions, deadlines)."""

    status: dict[Key, str]
    detail: dict[Key, tuple[Any, ...]]
    events: int

    @staticmethod
    def take(s: Session) -> Snapshot:
        """Read it in one session."""
        status: dict[Key, str] = {}
        detail: dict[Key, tuple[Any, ...]] = {}
        for tender in s.scalars(select(Tender)):
            status["tender", tender.id] = tender.status
            detail["tender", tender.id] = (tender.version, tender.tender_end, tender.updated_at)
        for name, model in (("lot", Lot), ("award", Award), ("candidacy", Candidacy), ("contract", Contract)):
            for obj_id, obj_status in s.execute(select(model.id, model.status)):
                status[name, obj_id] = obj_status
        for b in s.scalars(select(Bid)):
            status["bid", b.id] = b.status
            detail["bid", b.id] = (b.version, tuple((v.lot_id, v.amount) for v in b.values))
        for q in s.scalars(select(Enquiry)):
            status["enquiry", q.id] = "answered" if q.answer is not None else "asked"
        events = s.scalar(select(Event.seq).order_by(Event.seq.desc()).limit(1)) or 0
        return Snapshot(status, detail, int(events))

    def changes(self, after: Snapshot) -> tuple[dict[Key, tuple[str, str]], dict[Key, str]]:
        """Objects whose status changed (old, new) and objects created (new) between two snapshots."""
        changed = {k: (v, after.status[k]) for k, v in self.status.items() if after.status.get(k, v) != v}
        created = {k: v for k, v in after.status.items() if k not in self.status}
        return changed, created


def assert_states_are_known(snap: Snapshot) -> None:
    """Every status is a state of its machine."""
    for (kind, obj_id), status in snap.status.items():
        assert status in MACHINES[kind].states, f"{kind} {obj_id} is in unknown state {status!r}"


@dataclass
class Seen:
    """An event as the checks need it."""

    seq: int
    command: str
    object_type: str
    object_id: str
    before: str | None
    after: str | None
    payload: str


@dataclass
class EventLog:
    """Follows the event table: checks each new event, and remembers every object's last recorded state."""

    last_seq: int = 0
    last_state: dict[str, str | None] = field(default_factory=dict)
    payload_text: list[str] = field(default_factory=list)

    def read_new(self, db: Database) -> list[Seen]:
        """Events appended since the last call, each checked against its machine and its object's history."""
        with db.unit_of_work(write=False) as s:
            rows = [
                Seen(e.seq, e.command, e.object_type, e.object_id, e.state_before, e.state_after, json.dumps(e.payload))
                for e in s.scalars(select(Event).where(Event.seq > self.last_seq).order_by(Event.seq))
            ]
        for e in rows:
            self.check(e)
            self.last_seq = e.seq
            self.payload_text.append(e.payload)
        return rows

    def check(self, e: Seen) -> None:
        """The transition is in the machine's table, and it starts where the object's previous event ended."""
        if e.object_type not in MACHINES:
            return  # organizations, users: not part of the procurement machines
        if e.command == "evaluate_bid":  # a verdict on a bid, not a change of the bid's state
            tr = EVALUATION_COMMANDS.transitions[e.command]
            assert (e.before or "none") in tr.sources, e
            assert e.after in tr.targets, e
            return
        machine = MACHINES[e.object_type]
        if e.command in CREATION:
            assert e.before is None, e
            assert CREATION[e.command] == e.object_type, e
        else:
            assert e.command in machine.transitions, f"{e.command} is no command of the {machine.name} machine"
            tr = machine.transitions[e.command]
            assert (e.before or "none") in tr.sources, f"{e}: {e.before} is not a source of {e.command}"
            assert e.after in tr.targets, f"{e}: {e.after} is not a target of {e.command}"
        previous = self.last_state.get(e.object_id, "active" if e.object_type == "lot" else None)  # lots: born active
        assert e.before == previous, f"{e}: the previous event of {e.object_id} ended in {previous!r}"
        self.last_state[e.object_id] = e.after

    def assert_explains(self, snap: Snapshot) -> None:
        """Every object's current status is where its last event left it (no change without its event)."""
        for (kind, obj_id), status in snap.status.items():
            if kind == "lot" and obj_id not in self.last_state:
                assert status == "active", f"lot {obj_id} is {status} without any event"
                continue
            assert self.last_state.get(obj_id) == status, (
                f"{kind} {obj_id} is {status!r} but its events end in {self.last_state.get(obj_id)!r}"
            )

    def shows(self, text: str) -> bool:
        """Whether any event payload contains ``text``."""
        return any(text in p for p in self.payload_text)


def expected_new_events(changed: dict[Key, tuple[str, str]], created: dict[Key, str], in_place: int) -> int:
    """How many events a command must append: one per status change, one per object born, plus its own event
    when it changes no status (an amendment, a revision, an evaluation)."""
    born = sum(1 for kind, _ in created if kind in BORN_WITH_EVENT)
    return len(changed) + born + in_place


def assert_each_change_has_its_event(
    changed: dict[Key, tuple[str, str]], created: dict[Key, str], new: list[Seen]
) -> None:
    """Each changed object has a new event from its old to its new status; each born object its first event."""
    moves = {(e.object_id, e.before, e.after) for e in new}
    for (kind, obj_id), (old, now) in changed.items():
        assert (obj_id, old, now) in moves, f"{kind} {obj_id} moved {old}->{now} without an event"
    for (kind, obj_id), now in created.items():
        if kind in BORN_WITH_EVENT:
            assert (obj_id, None, now) in moves, f"{kind} {obj_id} was born {now} without an event"
