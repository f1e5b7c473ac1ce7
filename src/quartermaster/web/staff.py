"""What the buying organization's pages share: who its staff are, and reading one of its own tenders.

The evaluation, opening, committee-assessment and report pages all serve the staff of the buying organization
(buyers, approvers, evaluators) and only on that organization's tenders; anyone else's tender reads as not found.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.errors import NotFound
from quartermaster.tenders import access
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import Tender
from quartermaster.web.refusals import Link, not_found

STAFF = (Role.BUYER, Role.APPROVER, Role.EVALUATOR)


def is_staff(person: Actor) -> bool:
    """A buyer, approver or evaluator of some organization."""
    return person.role in STAFF and person.organization_id is not None


def own_tender(session: Session, person: Actor, tender_id: str, *, join_lots: bool = False) -> Tender:
    """The person's organization's tender (NotFound for anyone else's); classified ones need clearance."""
    tender = tenders.get_tender(session, tender_id, actor=person, join_lots=join_lots)
    if tender.buyer_id != person.organization_id:
        raise NotFound("tender not found", code="tender.not_found")
    access.require_view(session, person, tender.id)
    return tender


def tender_not_found(request: Request, person: Actor) -> Response:
    """The not-found page for a tender that is not the person's organization's, with a way back to their work."""
    if person.role is Role.EVALUATOR:
        home = Link("/evaluator", "Evaluator's workspace")
    else:
        home = Link("/buyer", "Buyer's workspace")
    return not_found(request, message="Your organization has no tender at this address.", links=[home])
