"""The documents an approver signs for the qualification decisions: award a lot, disqualify a bid, cancel an award.

The commands in ``awards.service`` check the signature over the same document (``identity.signatures.sign_off``);
the drafts here let a client fetch those exact bytes before sending the decision.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.awards.models import Award
from quartermaster.awards.schemas import AwardIn
from quartermaster.bids.models import Bid
from quartermaster.decisions.schemas import SignedReason, decision_content
from quartermaster.errors import NotFound
from quartermaster.identity import signatures
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import Lot

Draft = tuple[dict[str, Any], bytes, str | None]


def draft_award(session: Session, *, actor: Actor, lot_id: str, spec: AwardIn) -> tuple[str, Draft]:
    """(process id, draft) of awarding ``lot_id`` as ``spec`` says."""
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("lot not found", code="lot.not_found")
    tender = tenders.get_tender(session, lot.tender_id, actor=actor)
    content = decision_content(spec)
    made = signatures.draft(
        session, actor=actor, command="award", object_id=lot.id, process_id=tender.id, content=content
    )
    return tender.id, made


def draft_disqualify(session: Session, *, actor: Actor, bid_id: str, spec: SignedReason) -> tuple[str, Draft]:
    """(process id, draft) of disqualifying ``bid_id`` for ``spec.reason``."""
    bid = session.get(Bid, bid_id)
    if bid is None:
        raise NotFound("bid not found", code="bid.not_found")
    tender = tenders.get_tender(session, bid.tender_id, actor=actor)
    made = signatures.draft(
        session,
        actor=actor,
        command="disqualify_bid",
        object_id=bid.id,
        process_id=tender.id,
        content=decision_content(spec),
    )
    return tender.id, made


def draft_cancel(session: Session, *, actor: Actor, award_id: str, spec: SignedReason) -> tuple[str, Draft]:
    """(process id, draft) of cancelling ``award_id`` for ``spec.reason``."""
    aw = session.get(Award, award_id)
    if aw is None:
        raise NotFound("award not found", code="award.not_found")
    tender = tenders.get_tender(session, aw.tender_id, actor=actor)
    made = signatures.draft(
        session,
        actor=actor,
        command="cancel_award",
        object_id=aw.id,
        process_id=tender.id,
        content=decision_content(spec),
    )
    return tender.id, made
