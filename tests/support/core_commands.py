"""Every state-changing API command of the procurement core, as data: route, body, the state-machine row that
names its roles, and the state guard that allows it. The refusal and permission tests iterate over ``COMMANDS``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from quartermaster.actors import Role
from quartermaster.awards.models import AWARD_MACHINE, EVALUATION_COMMANDS, Award
from quartermaster.bids.models import BID_MACHINE, CANDIDACY_MACHINE, Bid, Candidacy
from quartermaster.statemachine import StateMachine
from quartermaster.tenders import models as tm
from quartermaster.tenders.models import LOT_MACHINE, TENDER_MACHINE, Lot, Tender
from support.core_scenes import Scene, invite_end
from support.flows import tender_body
from support.sealing import sealed_body

PLACEHOLDER = "0" * 32  # an id that names nothing, for commands whose own object does not exist in a scene

MACHINES: dict[str, StateMachine] = {
    "tender": TENDER_MACHINE,
    "lot": LOT_MACHINE,
    "bid": BID_MACHINE,
    "award": AWARD_MACHINE,
    "candidacy": CANDIDACY_MACHINE,
    "evaluation": EVALUATION_COMMANDS,
}

States = dict[str, str | None]


def statuses(scene: Scene) -> States:
    """The current status of the scene's tender, first lot, bid, award and candidacy, read from the database."""
    with scene.f.db.unit_of_work(write=False) as s:

        def status(model: Any, obj_id: str | None) -> str | None:
            row = s.get(model, obj_id) if obj_id else None
            return None if row is None else str(row.status)

        return {
            "tender": status(Tender, scene.tender_id),
            "lot": status(Lot, scene.lot_id),
            "bid": status(Bid, scene.bid_id),
            "award": status(Award, scene.award_id),
            "candidacy": status(Candidacy, scene.candidacy_id),
        }


def _values(amount: str) -> Callable[[Scene], dict[str, Any]]:
    return lambda s: {"values": [{"lot_id": s.lot_id, "value": {"amount": amount, "currency": "UAH"}}]}


def _reason(_: Scene) -> dict[str, Any]:
    return {"reason": "stated reason"}


def _publish_body(s: Scene) -> dict[str, Any]:
    mins = s.f.minimum(s.procedure)
    return {k: mins[k] for k in ("prequalification_end", "enquiry_end", "tender_end") if mins[k]}


def _if_match(s: Scene) -> dict[str, str]:
    return {"If-Match": f'"v{s.tender()["version"]}"'}


def _in(tender_states: set[str]) -> Callable[[States], bool]:
    return lambda st: st["tender"] in tender_states


def _tender_allows(command: str) -> Callable[[States], bool]:
    return lambda st: st["tender"] is not None and command in TENDER_MACHINE.allowed(st["tender"])


@dataclass(frozen=True)
class ApiCommand:
    """One command endpoint."""

    name: str
    method: str
    path: str  # formatted with tender_id, lot_id, bid_id, question_id, award_id, candidacy_id
    body: Callable[[Scene], dict[str, Any] | None]
    machine: StateMachine | None  # whose row names the roles (None: create_tender, which has no prior state)
    allowed: Callable[[States], bool]  # the state guard, read off the machines
    scene: str  # a tender state in which the command succeeds for an allowed person
    needs: str | None = None  # the scene object the route addresses, if it must exist
    owner_only: bool = False  # addressed to a supplier's own bid: others get 404, not 403
    buyer_side: bool = True  # the buyer's own staff only (other organizations get 403)
    status: int = 200
    headers: Callable[[Scene], dict[str, str]] = lambda s: {}

    @property
    def roles(self) -> frozenset[Role]:
        """Who may issue it, from its state machine row (the scheduler aside)."""
        if self.machine is None:
            return frozenset({Role.BUYER, Role.APPROVER})  # preparing a tender: see tenders.service.create_tender
        return self.machine.transitions[self.name].roles - {Role.SYSTEM}


def _candidate_undecided(st: States) -> bool:
    return st["candidacy"] == "applied" and st["tender"] == tm.PREQUALIFICATION_REVIEW


def _bid_in(bid_states: set[str], tender_states: set[str]) -> Callable[[States], bool]:
    return lambda st: st["bid"] in bid_states and st["tender"] in tender_states


COMMANDS: list[ApiCommand] = [
    ApiCommand(
        "create_tender",
        "POST",
        "/api/v1/tenders",
        lambda s: tender_body(),
        None,
        lambda st: True,
        "draft",
        buyer_side=False,
        status=201,
    ),
    ApiCommand(
        "update_tender",
        "PATCH",
        "/api/v1/tenders/{tender_id}",
        lambda s: {"title": "Renamed"},
        TENDER_MACHINE,
        _tender_allows("update_tender"),
        "draft",
        headers=_if_match,
    ),
    ApiCommand(
        "publish_tender",
        "POST",
        "/api/v1/tenders/{tender_id}/publish",
        _publish_body,
        TENDER_MACHINE,
        _tender_allows("publish_tender"),
        "draft",
    ),
    ApiCommand(
        "cancel_tender",
        "POST",
        "/api/v1/tenders/{tender_id}/cancel",
        _reason,
        TENDER_MACHINE,
        _tender_allows("cancel_tender"),
        "active.tendering",
    ),
    ApiCommand(
        "ask_question",
        "POST",
        "/api/v1/tenders/{tender_id}/questions",
        lambda s: {"title": "Delivery", "description": "Is partial delivery allowed?"},
        TENDER_MACHINE,
        _tender_allows("ask_question"),
        "active.enquiries",
        buyer_side=False,
        status=201,
    ),
    ApiCommand(
        "answer_question",
        "POST",
        "/api/v1/tenders/{tender_id}/questions/{question_id}/answer",
        lambda s: {"answer": "Yes."},
        TENDER_MACHINE,
        _tender_allows("answer_question"),
        "active.enquiries",
    ),
    ApiCommand(
        "submit_bid",
        "POST",
        "/api/v1/tenders/{tender_id}/bids",
        _values("800000.00"),
        BID_MACHINE,
        _in({tm.TENDERING}),
        "active.tendering",
        buyer_side=False,
        status=201,
    ),
    ApiCommand(
        "amend_bid",
        "POST",
        "/api/v1/bids/{bid_id}/amend",
        _values("890000.00"),
        BID_MACHINE,
        _bid_in({"pending"}, {tm.TENDERING}),
        "active.tendering",
        needs="bid",
        owner_only=True,
        buyer_side=False,
    ),
    ApiCommand(
        "withdraw_bid",
        "POST",
        "/api/v1/bids/{bid_id}/withdraw",
        lambda s: None,
        BID_MACHINE,
        _bid_in({"pending"}, {tm.TENDERING}),
        "active.tendering",
        needs="bid",
        owner_only=True,
        buyer_side=False,
    ),
    ApiCommand(
        "revise_bid",
        "POST",
        "/api/v1/bids/{bid_id}/revise",
        _values("850000.00"),
        BID_MACHINE,
        _bid_in({"valid"}, {tm.NEGOTIATION}),
        "active.negotiation",
        needs="bid",
        owner_only=True,
        buyer_side=False,
    ),
    ApiCommand(
        "open_bids",
        "POST",
        "/api/v1/tenders/{tender_id}/open-bids",
        lambda s: None,
        TENDER_MACHINE,
        _tender_allows("open_bids"),
        "active.opening",
    ),
    ApiCommand(
        "close_negotiation",
        "POST",
        "/api/v1/tenders/{tender_id}/close-negotiation",
        lambda s: None,
        TENDER_MACHINE,
        _tender_allows("close_negotiation"),
        "active.negotiation",
    ),
    ApiCommand(
        "apply_to_participate",
        "POST",
        "/api/v1/tenders/{tender_id}/candidacies",
        lambda s: {"statement": "We qualify"},
        CANDIDACY_MACHINE,
        _in({tm.PREQUALIFICATION}),
        "active.prequalification",
        buyer_side=False,
        status=201,
    ),
    ApiCommand(
        "qualify_candidate",
        "POST",
        "/api/v1/candidacies/{candidacy_id}/qualify",
        _reason,
        CANDIDACY_MACHINE,
        _candidate_undecided,
        "active.prequalification.review",
        needs="candidacy",
    ),
    ApiCommand(
        "reject_candidate",
        "POST",
        "/api/v1/candidacies/{candidacy_id}/reject",
        _reason,
        CANDIDACY_MACHINE,
        _candidate_undecided,
        "active.prequalification.review",
        needs="candidacy",
    ),
    ApiCommand(
        "invite_tenderers",
        "POST",
        "/api/v1/tenders/{tender_id}/invite",
        lambda s: {"tender_end": invite_end(s)},
        TENDER_MACHINE,
        _tender_allows("invite_tenderers"),
        "invite-ready",
    ),
    ApiCommand(
        "evaluate_bid",
        "POST",
        "/api/v1/bids/{bid_id}/evaluations",
        lambda s: {"lot_id": s.lot_id, "compliant": True, "score": "70"},
        EVALUATION_COMMANDS,
        _bid_in({"valid"}, {tm.QUALIFICATION}),
        "active.qualification",
        needs="bid",
    ),
    ApiCommand(
        "disqualify_bid",
        "POST",
        "/api/v1/bids/{bid_id}/disqualify",
        _reason,
        BID_MACHINE,
        _bid_in({"valid"}, {tm.QUALIFICATION}),
        "active.qualification",
        needs="bid",
    ),
    ApiCommand(
        "award",
        "POST",
        "/api/v1/tenders/{tender_id}/lots/{lot_id}/award",
        lambda s: {"bid_ids": [s.bid_id or PLACEHOLDER]},
        AWARD_MACHINE,
        lambda st: st["tender"] == tm.QUALIFICATION and st["lot"] == tm.LOT_ACTIVE,
        "award-ready",
        status=201,
    ),
    ApiCommand(
        "declare_lot_unsuccessful",
        "POST",
        "/api/v1/tenders/{tender_id}/lots/{lot_id}/unsuccessful",
        _reason,
        LOT_MACHINE,
        lambda st: st["tender"] == tm.QUALIFICATION and st["lot"] == tm.LOT_ACTIVE,
        "active.qualification",
    ),
    ApiCommand(
        "cancel_award",
        "POST",
        "/api/v1/awards/{award_id}/cancel",
        _reason,
        AWARD_MACHINE,
        lambda st: st["award"] == "active" and st["lot"] == tm.LOT_AWARDED,
        "active.awarded",
        needs="award",
    ),
]


def path_of(cmd: ApiCommand, scene: Scene) -> str:
    """The command's URL in a scene."""
    return cmd.path.format(
        tender_id=scene.tender_id,
        lot_id=scene.lot_id,
        bid_id=scene.bid_id or PLACEHOLDER,
        question_id=scene.question_id or PLACEHOLDER,
        award_id=scene.award_id or PLACEHOLDER,
        candidacy_id=scene.candidacy_id or PLACEHOLDER,
    )


def fire(scene: Scene, cmd: ApiCommand, who: str | None) -> httpx.Response:
    """Send the command as ``who`` (None: anonymous)."""
    headers = dict(scene.f.h(who)) if who else {}
    headers.update(cmd.headers(scene))
    body = cmd.body(scene)
    org = scene.f.w[who].organization_id if who else None
    if cmd.name in ("submit_bid", "amend_bid") and body is not None and org is not None:
        body = sealed_body(scene.f.c, scene.tender_id, org, body, scene.f.h(who))  # type: ignore[arg-type]
    resp: httpx.Response = scene.f.c.request(cmd.method, path_of(cmd, scene), json=body, headers=headers)
    return resp


def applicable(cmd: ApiCommand, scene: Scene) -> bool:
    """Whether the object the command addresses exists in the scene."""
    return cmd.needs is None or getattr(scene, f"{cmd.needs}_id") is not None
