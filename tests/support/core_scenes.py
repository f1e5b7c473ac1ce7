"""Scenes: a tender driven through the HTTP API to a named state, with the objects a command may refer to.

Used by the refusal, permission and sealing tests: each builds a scene, then fires commands at it. ``SCENES`` maps
every reachable tender state to a builder, so a test can parametrize over the tender state machine's states.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from quartermaster.actors import SCHEDULER
from quartermaster.events.models import Event
from quartermaster.tenders import service as tender_service
from quartermaster.tenders.models import LOT_COMPLETE
from support.flows import Flow, ok, tender_body
from support.sealing import sealed_body


@dataclass
class Scene:
    """A tender in a known state and the ids of the objects around it (None where they do not exist)."""

    f: Flow
    tender_id: str
    procedure: str
    lot_ids: list[str]
    bid_id: str | None = None  # supplier0's bid
    question_id: str | None = None
    award_id: str | None = None
    candidacy_id: str | None = None  # supplier0's candidacy
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def lot_id(self) -> str:
        """The first lot."""
        return self.lot_ids[0]

    def tender(self) -> dict[str, Any]:
        """The tender as its buyer reads it."""
        return self.f.tender(self.tender_id, "buyer")

    def state(self) -> str:
        """The tender's current status."""
        return str(self.tender()["status"])


def events_count(f: Flow) -> int:
    """How many events the whole log holds."""
    with f.db.unit_of_work(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(Event)) or 0)


def snapshot(scene: Scene) -> tuple[dict[str, Any], int]:
    """What must not change when a command is refused: the tender as read, and the size of the event log."""
    return scene.tender(), events_count(scene.f)


# --- building blocks -----------------------------------------------------------------------------------------


def draft(f: Flow, procedure: str = "open", lots: int = 1, **extra: Any) -> Scene:
    """A draft prepared by the buyer."""
    body = tender_body(procedure, lots=lots, **extra)
    t = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)
    return Scene(f, t["id"], procedure, [lot["id"] for lot in t["lots"]])


def published(f: Flow, procedure: str = "open", lots: int = 1, **extra: Any) -> Scene:
    """A tender published with the shortest periods the rulebook allows."""
    scene = draft(f, procedure, lots, **extra)
    f.publish(scene.tender_id, procedure)
    return scene


def ask(scene: Scene, supplier: str = "supplier0") -> str:
    """A supplier asks a question; returns its id."""
    body = {"title": "Packaging", "description": "Are the rounds boxed per 1000?"}
    q = ok(scene.f.c.post(f"/api/v1/tenders/{scene.tender_id}/questions", json=body, headers=scene.f.h(supplier)), 201)
    return str(q["id"])


def bid(scene: Scene, supplier: str, amount: str, lots: list[int] | None = None) -> str:
    """Submit a bid on the given lots (default: the first); returns the bid id."""
    values = [{"lot_id": scene.lot_ids[i], "value": {"amount": amount, "currency": "UAH"}} for i in (lots or [0])]
    org = scene.f.w[supplier].organization_id
    assert org is not None
    body = sealed_body(scene.f.c, scene.tender_id, org, {"values": values}, scene.f.h(supplier))
    r = ok(scene.f.c.post(f"/api/v1/tenders/{scene.tender_id}/bids", json=body, headers=scene.f.h(supplier)), 201)
    return str(r["bid_id"])


def to_deadline(scene: Scene) -> None:
    """Let the tender period end and the scheduler close bidding."""
    scene.f.advance_to(scene.tender()["tender_end"])


def open_bids(scene: Scene, who: str = "evaluator") -> dict[str, Any]:
    """Open the bids (the deadline must have passed)."""
    return ok(scene.f.c.post(f"/api/v1/tenders/{scene.tender_id}/open-bids", headers=scene.f.h(who)))  # type: ignore[no-any-return]


def evaluate(scene: Scene, bid_id: str, lot: int = 0, compliant: bool = True, who: str = "evaluator") -> None:
    """Record a verdict on a bid for a lot."""
    ok(
        scene.f.c.post(
            f"/api/v1/bids/{bid_id}/evaluations",
            json={"lot_id": scene.lot_ids[lot], "compliant": compliant, "score": "75"},
            headers=scene.f.h(who),
        )
    )


def award(scene: Scene, bid_id: str, lot: int = 0, who: str = "approver") -> str:
    """Award a lot to a bid; returns the award id."""
    made = ok(
        scene.f.c.post(
            f"/api/v1/tenders/{scene.tender_id}/lots/{scene.lot_ids[lot]}/award",
            json={"bid_ids": [bid_id]},
            headers=scene.f.h(who),
        ),
        201,
    )
    return str(made[0]["id"])


def apply(scene: Scene, supplier: str) -> str:
    """A supplier requests to participate; returns the candidacy id."""
    c = ok(
        scene.f.c.post(
            f"/api/v1/tenders/{scene.tender_id}/candidacies",
            json={"statement": "ISO 9001"},
            headers=scene.f.h(supplier),
        ),
        201,
    )
    return str(c["id"])


def decide(scene: Scene, candidacy_id: str, qualify: bool = True, who: str = "evaluator") -> None:
    """Qualify or reject a candidate."""
    verb = "qualify" if qualify else "reject"
    ok(
        scene.f.c.post(
            f"/api/v1/candidacies/{candidacy_id}/{verb}", json={"reason": "meets the criteria"}, headers=scene.f.h(who)
        )
    )


def invite_end(scene: Scene) -> str:
    """A tender period end for invited candidates that meets the selective procedure's minimum."""
    return (scene.f.clock.now() + timedelta(days=36)).isoformat()


def complete_lots_via_service(scene: Scene) -> None:
    """Complete every awarded lot as contract completion does (no HTTP route for it belongs to this core)."""
    with scene.f.db.unit_of_work() as s:
        tender = tender_service.get_tender(s, scene.tender_id, actor=SCHEDULER, for_update=True)
        for lot in tender.lots:
            tender_service.transition_lot(
                s,
                tender=tender,
                lot=lot,
                command="complete_lot",
                target=LOT_COMPLETE,
                actor=SCHEDULER,
                now=scene.f.clock.now(),
            )
        tender_service.settle_tender(s, tender=tender, actor=SCHEDULER, now=scene.f.clock.now())


# --- one builder per reachable tender state ------------------------------------------------------------------


def scene_draft(f: Flow) -> Scene:
    """draft."""
    return draft(f)


def scene_prequalification(f: Flow) -> Scene:
    """active.prequalification: a selective tender with supplier0's candidacy."""
    s = published(f, "selective")
    s.candidacy_id = apply(s, "supplier0")
    return s


def scene_prequalification_review(f: Flow) -> Scene:
    """active.prequalification.review: candidacy awaiting a decision."""
    s = scene_prequalification(f)
    f.advance_to(s.tender()["prequalification_end"])
    return s


def scene_enquiries(f: Flow) -> Scene:
    """active.enquiries with a question."""
    s = published(f)
    s.question_id = ask(s)
    return s


def scene_tendering(f: Flow) -> Scene:
    """active.tendering with a question and supplier0's pending bid."""
    s = scene_enquiries(f)
    f.advance_to(s.tender()["enquiry_end"])
    s.bid_id = bid(s, "supplier0", "900000.00")
    return s


def scene_opening(f: Flow) -> Scene:
    """active.opening: bidding closed, the bid still sealed (the question was answered, so no extension)."""
    s = scene_tendering(f)
    ok(
        f.c.post(
            f"/api/v1/tenders/{s.tender_id}/questions/{s.question_id}/answer",
            json={"answer": "Yes."},
            headers=f.h("buyer"),
        )
    )
    to_deadline(s)
    return s


def scene_negotiation(f: Flow) -> Scene:
    """active.negotiation: a negotiated procedure with two opened bids."""
    s = published(f, "negotiated")
    s.bid_id = bid(s, "supplier0", "900000.00")
    s.extra["rival_bid_id"] = bid(s, "supplier2", "950000.00")
    to_deadline(s)
    open_bids(s)
    return s


def scene_qualification(f: Flow) -> Scene:
    """active.qualification: one opened bid."""
    s = scene_opening(f)
    open_bids(s)
    return s


def scene_awarded(f: Flow) -> Scene:
    """active.awarded: the only lot awarded to supplier0."""
    s = scene_qualification(f)
    assert s.bid_id is not None
    evaluate(s, s.bid_id)
    s.award_id = award(s, s.bid_id)
    return s


def scene_complete(f: Flow) -> Scene:
    """complete: the awarded lot completed (as contract completion will do)."""
    s = scene_awarded(f)
    complete_lots_via_service(s)
    return s


def scene_unsuccessful(f: Flow) -> Scene:
    """unsuccessful: the only lot declared unsuccessful after opening."""
    s = scene_qualification(f)
    ok(
        f.c.post(
            f"/api/v1/tenders/{s.tender_id}/lots/{s.lot_id}/unsuccessful",
            json={"reason": "too expensive"},
            headers=f.h("approver"),
        )
    )
    return s


def scene_cancelled(f: Flow) -> Scene:
    """cancelled while tendering, with supplier0's bid still sealed."""
    s = scene_tendering(f)
    ok(f.c.post(f"/api/v1/tenders/{s.tender_id}/cancel", json={"reason": "need changed"}, headers=f.h("approver")))
    return s


def scene_invite_ready(f: Flow) -> Scene:
    """active.prequalification.review with two qualified candidates: ready to invite."""
    s = published(f, "selective")
    s.candidacy_id = apply(s, "supplier0")
    rival = apply(s, "supplier2")
    f.advance_to(s.tender()["prequalification_end"])
    decide(s, s.candidacy_id)
    decide(s, rival)
    return s


def scene_award_ready(f: Flow) -> Scene:
    """active.qualification with supplier0's bid evaluated compliant: ready to award."""
    s = scene_qualification(f)
    assert s.bid_id is not None
    evaluate(s, s.bid_id)
    return s


SCENES: dict[str, Callable[[Flow], Scene]] = {
    "draft": scene_draft,
    "active.prequalification": scene_prequalification,
    "active.prequalification.review": scene_prequalification_review,
    "active.enquiries": scene_enquiries,
    "active.tendering": scene_tendering,
    "active.opening": scene_opening,
    "active.negotiation": scene_negotiation,
    "active.qualification": scene_qualification,
    "active.awarded": scene_awarded,
    "complete": scene_complete,
    "unsuccessful": scene_unsuccessful,
    "cancelled": scene_cancelled,
}

READY: dict[str, Callable[[Flow], Scene]] = {
    **SCENES,
    "invite-ready": scene_invite_ready,
    "award-ready": scene_award_ready,
}
