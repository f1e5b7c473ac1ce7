"""Independent scoring, then consolidation: each member assesses every opened bid of a lot on their own, unseen by
the others (the event logs only a digest of their scores); the chair then consolidates once a quorum (the committee's
k) has assessed every bid: compliance by strict majority of those who scored, quality, delivery days and life-cycle
cost each by the median of those who recorded it, and the consolidation event reveals every member's scores next to
the result, so the digests can be checked against them. The consolidation is the lot's evaluation of record: the
award ranks by it (``awards.ranking``), never by one person's findings.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.committees import service
from quartermaster.committees.models import CHAIR, Consolidation, MemberScore
from quartermaster.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from quartermaster.events.service import payload_hash, record_event
from quartermaster.tenders import models as tm


@dataclass(frozen=True)
class ScoreIn:
    """A member's assessment of one bid."""

    bid_id: str
    compliant: bool
    quality: Decimal | None = None
    note: str | None = None
    delivery_days: int | None = None  # the delivery time the offer commits to, whole days >= 1
    life_cycle_cost: Decimal | None = None  # the offer's cost over the equipment's life, > 0


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _score_view(score: MemberScore) -> dict[str, Any]:
    return {
        "member": score.member_id,
        "bid_id": score.bid_id,
        "compliant": score.compliant,
        "quality": _money(score.quality),
        "delivery_days": score.delivery_days,
        "life_cycle_cost": _money(score.life_cycle_cost),
    }


def _median(values: Sequence[Decimal | int | None]) -> str | None:
    """The median of the values given (the mean of the two middle ones for an even count), to 0.01; None if none."""
    given = [Decimal(v) for v in values if v is not None]
    return None if not given else f"{Decimal(statistics.median(given)):.2f}"


def _score_errors(scores: Sequence[ScoreIn], opened: Sequence[str], done: set[str]) -> list[dict[str, str]]:
    errors = []
    for i, score in enumerate(scores):
        if score.bid_id not in opened:
            errors.append({"field": f"scores.{i}.bid_id", "message": "not an opened bid on this lot"})
        elif score.bid_id in done:
            errors.append({"field": f"scores.{i}.bid_id", "message": "already assessed (assessments are final)"})
        if score.quality is not None and not Decimal(0) <= score.quality <= Decimal(100):
            errors.append({"field": f"scores.{i}.quality", "message": "from 0 to 100"})
        if score.delivery_days is not None and not 1 <= score.delivery_days <= 3650:
            errors.append({"field": f"scores.{i}.delivery_days", "message": "whole days from 1 to 3650"})
        if score.life_cycle_cost is not None and (
            score.life_cycle_cost <= 0 or score.life_cycle_cost != score.life_cycle_cost.quantize(Decimal("0.01"))
        ):
            errors.append({"field": f"scores.{i}.life_cycle_cost", "message": "a positive amount, to the cent"})
        done.add(score.bid_id)
    return errors


def _event(
    session: Session, *, actor: Actor, now: datetime, tender_id: str, command: str, kind: str, payload: dict[str, Any]
) -> None:
    record_event(
        session,
        actor=actor,
        now=now,
        command=command,
        event_type=kind,
        object_type="committee",
        object_id=tender_id,
        process_id=tender_id,
        before=None,
        after=None,
        payload=payload,
    )


def scores_of(session: Session, tender_id: str, lot_id: str) -> list[MemberScore]:
    """Every member score of a lot."""
    return list(
        session.scalars(
            select(MemberScore)
            .where(MemberScore.tender_id == tender_id, MemberScore.lot_id == lot_id)
            .order_by(MemberScore.bid_id, MemberScore.member_id)
        )
    )


def consolidation_of(session: Session, tender_id: str, lot_id: str) -> Consolidation | None:
    """The lot's consolidation, if done."""
    return session.scalar(
        select(Consolidation).where(Consolidation.tender_id == tender_id, Consolidation.lot_id == lot_id)
    )


def submit_scores(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    tender_id: str,
    lot_id: str,
    opened: Sequence[str],
    bidders: Sequence[str],
    scores: Sequence[ScoreIn],
) -> list[MemberScore]:
    """A member's assessments of opened bids of a lot (``opened``: their ids), each once, before consolidation.

    The member must have declared about every bidder (``bidders``) first; the event logs how many bids they
    assessed and a digest of the scores, never the scores, so no member sees another's before consolidation.
    """
    tender = service.active_member(session, actor=actor, tender_id=tender_id)
    if tender.status != tm.QUALIFICATION:
        raise Conflict("bids are assessed after the opening, before the award", code="committee.not_assessing")
    if service.undeclared(session, tender_id=tender.id, member_id=actor.user_id, bidders=bidders):
        raise Conflict("declare about every bidder before assessing bids", code="committee.declarations_missing")
    if consolidation_of(session, tender.id, lot_id) is not None:
        raise Conflict("the lot's assessments are already consolidated", code="committee.consolidated")
    done = {s.bid_id for s in scores_of(session, tender.id, lot_id) if s.member_id == actor.user_id}
    errors = _score_errors(scores, opened, done)
    if errors:
        raise ValidationFailed("the assessments cannot be recorded", errors=errors, code="committee.scores_invalid")
    rows = [
        MemberScore(
            tender_id=tender.id,
            lot_id=lot_id,
            bid_id=s.bid_id,
            member_id=actor.user_id,
            compliant=s.compliant,
            quality=s.quality,
            delivery_days=s.delivery_days,
            life_cycle_cost=s.life_cycle_cost,
            note=s.note,
            scored_at=now,
        )
        for s in scores
    ]
    session.add_all(rows)
    session.flush()
    _event(
        session,
        actor=actor,
        now=now,
        tender_id=tender.id,
        command="submit_scores",
        kind="ScoresSubmitted",
        payload={
            "lot_id": lot_id,
            "assessed": len(rows),
            # in bid order, the order the consolidation reveals them in, so the digest can be checked against them
            "scores_digest": payload_hash({"scores": [_score_view(r) for r in sorted(rows, key=lambda r: r.bid_id)]}),
        },
    )
    return rows


def visible_scores(session: Session, *, actor: Actor, tender_id: str, lot_id: str) -> list[MemberScore]:
    """Before consolidation a member sees only their own assessments; afterwards everyone who sees the committee."""
    scores = scores_of(session, tender_id, lot_id)
    if consolidation_of(session, tender_id, lot_id) is not None:
        return scores
    return [s for s in scores if s.member_id == actor.user_id]


def consolidate(
    session: Session, *, actor: Actor, now: datetime, tender_id: str, lot_id: str, opened: Sequence[str]
) -> Consolidation:
    """The chair consolidates once at least k active members have assessed every opened bid of the lot: majority
    compliance and the median of each finding, per bid."""
    tender = service.active_member(session, actor=actor, tender_id=tender_id)
    committee = service.get_committee(session, tender.id)
    assert committee is not None
    chair = next((m for m in committee.members if m.role == CHAIR), None)
    if chair is None or chair.user_id != actor.user_id:
        raise PermissionDenied("the committee's chair consolidates", code="committee.chair_only")
    if consolidation_of(session, tender.id, lot_id) is not None:
        raise Conflict("the lot's assessments are already consolidated", code="committee.consolidated")
    if not opened:
        raise NotFound("no opened bid on this lot", code="committee.no_bids")
    active = {m.user_id for m in committee.active_members()}
    scores = [s for s in scores_of(session, tender.id, lot_id) if s.member_id in active]
    complete = [m for m in active if {s.bid_id for s in scores if s.member_id == m} >= set(opened)]
    if len(complete) < committee.threshold:
        raise Conflict(
            f"{len(complete)} members have assessed every bid; the quorum is {committee.threshold}",
            code="committee.no_quorum",
            assessed=len(complete),
            quorum=committee.threshold,
        )
    counted = [s for s in scores if s.member_id in complete]
    results = []
    for bid_id in sorted(opened):
        votes = [s for s in counted if s.bid_id == bid_id]
        yes = sum(1 for s in votes if s.compliant)
        results.append(
            {
                "bid_id": bid_id,
                "compliant": yes * 2 > len(votes),
                "votes_compliant": yes,
                "votes": len(votes),
                "quality": _median([s.quality for s in votes]),
                "delivery_days": _median([s.delivery_days for s in votes]),
                "life_cycle_cost": _median([s.life_cycle_cost for s in votes]),
            }
        )
    row = Consolidation(
        tender_id=tender.id, lot_id=lot_id, consolidated_by=actor.user_id, consolidated_at=now, results=results
    )
    session.add(row)
    session.flush()
    _event(
        session,
        actor=actor,
        now=now,
        tender_id=tender.id,
        command="consolidate_scores",
        kind="ScoresConsolidated",
        payload={
            "lot_id": lot_id,
            "consolidation_id": row.id,
            "results": results,
            "scores": [_score_view(s) for s in counted],
        },
    )
    return row
