"""Claims and complaints pages: a tender's complaints, one complaint with the steps open to the person, and the
review body's queue.

``/tenders/{id}/complaints`` lists the claims and complaints of a tender the person may read (the complaints
service decides: classified ones only for the parties and cleared members of the review body) and, for a
supplier, the form to file one against the tender's conditions, an award or its own disqualified bid.
``/complaints/{id}`` shows one with its history: the buyer's staff answer a claim or resolve a satisfied complaint,
members of the review body accept, reject and decide, the complainant withdraws. ``/reviewer`` is the review
body's queue. Every command calls the service in one ``unit_of_work`` with the server's clock and redirects (303);
a refusal shows the page again with the error code, the reason in the person's language and what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.api.deps import AppState
from quartermaster.awards.models import CANCELLED as AWARD_CANCELLED
from quartermaster.awards.models import Award
from quartermaster.bids.models import DISQUALIFIED, Bid
from quartermaster.complaints import service as complaints
from quartermaster.complaints.models import (
    ACCEPTED,
    CLAIM,
    COMPLAINT,
    PENDING,
    SATISFIED,
    Complaint,
)
from quartermaster.complaints.schemas import (
    Admissibility,
    ClaimAnswer,
    ComplaintCreate,
    ComplaintDecision,
    Resolution,
    Withdrawal,
)
from quartermaster.errors import NotFound, QMError, ValidationFailed
from quartermaster.events.models import Event
from quartermaster.identity.models import Organization
from quartermaster.tenders import access
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import Lot, Tender
from quartermaster.web.auth import CsrfChecked, MaybePerson, PageRoute, Person
from quartermaster.web.refusals import Link, Refusal, denied, not_found
from quartermaster.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

BUYER_STAFF = (Role.BUYER, Role.APPROVER)
QUEUE = (PENDING, ACCEPTED)  # what the review body still has to do

KIND = {CLAIM: "Claim to the buyer", COMPLAINT: "Complaint to the review body"}
AGAINST = {
    "tender": "The tender's conditions",
    "award": "An award",
    "disqualification": "The disqualification of our bid",
}
STATUS = {
    "pending": "Pending",
    "accepted": "Accepted for review",
    "rejected": "Rejected as inadmissible",
    "satisfied": "Satisfied: the buyer must correct",
    "declined": "Declined",
    "stopped": "Withdrawn",
    "resolved": "Resolved",
}
STEPS = {
    "file_complaint": "Filed",
    "answer_claim": "Answered by the buyer",
    "accept_complaint": "Accepted for review",
    "reject_complaint": "Rejected as inadmissible",
    "decide_complaint": "Decided by the review body",
    "withdraw_complaint": "Withdrawn",
    "resolve_complaint": "Resolved by the buyer",
}
CORRECTIONS = {
    "cancel_tender": "Cancel the tender",
    "cancel_award": "Cancel the award",
    "reinstate_bid": "Reinstate the bid",
}
# Form fields by their English label (translated in the templates), also naming the fields of refusals.
FIELD_LABELS = {
    "kind": "Kind",
    "against": "Against",
    "award_id": "Award",
    "bid_id": "Bid",
    "title": "Title",
    "description": "Description",
    "resolution": "Resolution",
    "answer": "Answer",
    "reason": "Reason",
    "outcome": "Decision",
    "correction": "Correction required",
    "admissible": "Admissibility",
}

Short = Annotated[str, Form(max_length=40)]
Title = Annotated[str, Form(max_length=400)]
Text = Annotated[str, Form(max_length=20_000)]


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


def _field(path: str) -> str:
    parts = [p for p in path.split(".") if p and not p.isdigit()]
    return parts[-1] if parts else ""


def _refusal(exc: QMError | ValidationError) -> Refusal:
    """A refused command as the complaint pages explain it, the notes on the form's fields."""
    if isinstance(exc, ValidationError):
        return Refusal.of_schema(exc, page="complaints", field_of=_field)
    return Refusal.of(exc, page="complaints", field_of=_field)


def _no_tender(request: Request) -> HTMLResponse:
    return not_found(
        request,
        message="There is no tender at this address, or it is not visible to you.",
        links=[Link("/tenders", "Search tenders")],
    )


def _no_complaint(request: Request, refusal: Refusal | None = None) -> HTMLResponse:
    return not_found(
        request,
        message="There is no claim or complaint at this address, or it is not visible to you.",
        links=[Link("/tenders", "Search tenders")],
        refusal=refusal,
    )


def _names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids))).all()
    return dict(rows)


def _buyer_staff(person: Actor | None, tender: Tender) -> bool:
    return person is not None and person.role in BUYER_STAFF and person.organization_id == tender.buyer_id


def _own(person: Actor | None, complaint: Complaint) -> bool:
    return (
        person is not None
        and person.role is Role.SUPPLIER
        and person.organization_id is not None
        and person.organization_id == complaint.complainant_id
    )


# --- a tender's complaints ---------------------------------------------------------------------------------------


def _targets(session: Session, person: Actor, tender: Tender, now: datetime) -> dict[str, Any]:
    """What a supplier may file against now: the conditions while bids are open, the awards whose complaint window
    is open and that are not its own, and its own disqualified bid (the service checks each again on filing)."""
    conditions = (
        tender.status in complaints.CONDITIONS_OPEN and tender.tender_end is not None and now < tender.tender_end
    )
    lots = {lot.id: lot.title for lot in session.scalars(select(Lot).where(Lot.tender_id == tender.id))}
    found = session.scalars(select(Award).where(Award.tender_id == tender.id).order_by(Award.decided_at)).all()
    open_awards = [
        a
        for a in found
        if a.status != AWARD_CANCELLED
        and a.supplier_id != person.organization_id
        and a.complaint_end is not None
        and now <= a.complaint_end
    ]
    bid = session.scalar(
        select(Bid).where(
            Bid.tender_id == tender.id, Bid.supplier_id == person.organization_id, Bid.status == DISQUALIFIED
        )
    )
    names = _names(session, {a.supplier_id for a in open_awards})
    return {
        "conditions_open": conditions,
        "awards": [
            {
                "id": a.id,
                "lot": lots.get(a.lot_id, ""),
                "supplier": names.get(a.supplier_id, ""),
                "end": a.complaint_end,
            }
            for a in open_awards
        ],
        "own_bid": bid.id if bid is not None else None,
    }


def _tender_page(
    request: Request,
    person: Actor | None,
    tender_id: str,
    *,
    refusal: Refusal | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    state = _state(request)
    now = state.clock.now()
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = tenders.get_tender(session, tender_id, actor=person)
            rows = complaints.list_complaints(session, actor=person, tender_id=tender.id)
        except NotFound:
            return _no_tender(request)
        visible = access.may_view(session, person, tender.id)
        filer = person is not None and person.role is Role.SUPPLIER and visible
        targets = _targets(session, person, tender, now) if filer and person is not None else None
        may_file = targets is not None and (
            targets["conditions_open"] or bool(targets["awards"]) or targets["own_bid"] is not None
        )
        page = render(
            request,
            "complaints/tender.html",
            status_code=refusal.status if refusal else 200,
            tender=tender,
            visible=visible,
            rows=rows,
            names=_names(session, {c.complainant_id for c in rows}),
            may_file=may_file or (filer and refusal is not None),
            targets=targets,
            own={c.id for c in rows if _own(person, c) and c.status in (PENDING, ACCEPTED)},
            kinds=KIND,
            against=AGAINST,
            statuses=STATUS,
            corrections=CORRECTIONS,
            field_labels=FIELD_LABELS,
            refusal=refusal,
            typed=typed or {},
        )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/tenders/{tender_id}/complaints", response_class=HTMLResponse)
def tender_complaints(request: Request, tender_id: str, person: MaybePerson) -> Response:
    """The claims and complaints of a tender the person may read; a supplier's form to file one."""
    return _tender_page(request, person, tender_id)


@router.post("/tenders/{tender_id}/complaints", dependencies=[CsrfChecked])
def file_complaint(
    request: Request,
    tender_id: str,
    person: Person,
    kind: Short = "",
    against: Short = "",
    award_id: Short = "",
    bid_id: Short = "",
    title: Title = "",
    description: Text = "",
) -> Response:
    """A supplier files a claim or complaint; the new complaint's page on success."""
    typed = {
        "kind": kind,
        "against": against,
        "award_id": award_id,
        "bid_id": bid_id,
        "title": title,
        "description": description,
    }
    state = _state(request)
    try:
        spec = ComplaintCreate(
            kind=kind,
            against=against,
            award_id=(award_id or None) if against == "award" else None,
            bid_id=(bid_id or None) if against == "disqualification" else None,
            title=title,
            description=description,
        )
        with state.db.unit_of_work() as session:
            complaint = complaints.file_complaint(
                session, actor=person, now=state.clock.now(), tender_id=tender_id, spec=spec
            )
            new_id = complaint.id
    except (QMError, ValidationError) as exc:
        return _tender_page(request, person, tender_id, refusal=_refusal(exc), typed=typed)
    return RedirectResponse(f"/complaints/{new_id}", status_code=303)


# --- one complaint -----------------------------------------------------------------------------------------------


def _may(person: Actor, complaint: Complaint, tender: Tender) -> dict[str, bool]:
    """The steps this page offers the person (the service checks them again)."""
    reviewer = person.role is Role.REVIEWER and person.organization_id not in (
        tender.buyer_id,
        complaint.complainant_id,
    )
    is_complaint = complaint.kind == COMPLAINT
    return {
        "answer": _buyer_staff(person, tender) and complaint.kind == CLAIM and complaint.status == PENDING,
        "resolve": _buyer_staff(person, tender) and is_complaint and complaint.status == SATISFIED,
        "admit": reviewer and is_complaint and complaint.status == PENDING,
        "decide": reviewer and is_complaint and complaint.status == ACCEPTED,
        "withdraw": _own(person, complaint) and complaint.status in (PENDING, ACCEPTED),
    }


def _complaint_page(
    request: Request,
    person: Actor | None,
    complaint_id: str,
    *,
    refusal: Refusal | None = None,
    typed: dict[str, str] | None = None,
    form: str = "",
) -> Response:
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        try:
            complaint = complaints.get_complaint(session, actor=person, complaint_id=complaint_id)
        except NotFound as exc:
            return _no_complaint(request, Refusal.of(exc, page="complaints"))
        tender = tenders.get_tender(session, complaint.tender_id, actor=person)
        history = session.scalars(select(Event).where(Event.object_id == complaint.id).order_by(Event.seq)).all()
        award = session.get(Award, complaint.award_id) if complaint.award_id else None
        lot = session.get(Lot, award.lot_id) if award is not None else None
        names = _names(session, {complaint.complainant_id} | ({award.supplier_id} if award else set()))
        page = render(
            request,
            "complaints/complaint.html",
            status_code=refusal.status if refusal else 200,
            complaint=complaint,
            tender=tender,
            visible=access.may_view(session, person, tender.id),
            award=award,
            lot=lot,
            names=names,
            history=[(STEPS.get(e.command, e.command), e.occurred_at) for e in history],
            may=_may(person, complaint, tender) if person is not None else {},
            kinds=KIND,
            against=AGAINST,
            statuses=STATUS,
            corrections=CORRECTIONS,
            field_labels=FIELD_LABELS,
            refusal=refusal,
            typed=typed or {},
            form=form,
        )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_page(request: Request, complaint_id: str, person: MaybePerson) -> Response:
    """One claim or complaint with its history and the steps open to this person."""
    return _complaint_page(request, person, complaint_id)


Step = Callable[[Session, datetime], object]


def _run(
    request: Request,
    person: Actor,
    complaint_id: str,
    form: str,
    typed: dict[str, str],
    build: Callable[[], Step],
    back: str = "",
) -> Response:
    """Build the command (a schema may refuse it), run it in one write transaction and go back; or the page again
    with the refusal and what was typed."""
    state = _state(request)
    try:
        step = build()
        with state.db.unit_of_work() as session:
            step(session, state.clock.now())
    except (QMError, ValidationError) as exc:
        return _complaint_page(request, person, complaint_id, refusal=_refusal(exc), typed=typed, form=form)
    return RedirectResponse(back or f"/complaints/{complaint_id}", status_code=303)


@router.post("/complaints/{complaint_id}/answer", dependencies=[CsrfChecked])
def answer_claim(
    request: Request, complaint_id: str, person: Person, resolution: Short = "", answer: Text = ""
) -> Response:
    """The buyer's staff answer a claim: resolved or declined, with the reasons."""

    def build() -> Step:
        spec = ClaimAnswer(resolution=resolution, answer=answer)
        return lambda s, now: complaints.answer_claim(s, actor=person, now=now, complaint_id=complaint_id, spec=spec)

    typed = {"resolution": resolution, "answer": answer}
    return _run(request, person, complaint_id, "answer", typed, build)


@router.post("/complaints/{complaint_id}/admit", dependencies=[CsrfChecked])
def admit_complaint(
    request: Request, complaint_id: str, person: Person, admissible: Short = "", reason: Text = ""
) -> Response:
    """A member of the review body accepts the complaint for review or rejects it as inadmissible."""

    def build() -> Step:
        spec = Admissibility(reason=reason)
        if admissible not in ("yes", "no"):
            raise ValidationFailed(
                "choose to accept or reject", errors=[{"field": "admissible", "message": "required"}]
            )
        return lambda s, now: complaints.admit_complaint(
            s, actor=person, now=now, complaint_id=complaint_id, admissible=admissible == "yes", reason=spec.reason
        )

    return _run(request, person, complaint_id, "admit", {"reason": reason}, build)


@router.post("/complaints/{complaint_id}/decide", dependencies=[CsrfChecked])
def decide_complaint(
    request: Request,
    complaint_id: str,
    person: Person,
    outcome: Short = "",
    reason: Text = "",
    correction: Text = "",
) -> Response:
    """A member of the review body decides an accepted complaint; a satisfied one names the correction."""

    def build() -> Step:
        fix = correction if outcome == SATISFIED else None
        spec = ComplaintDecision(outcome=outcome, reason=reason, correction=fix or None)
        return lambda s, now: complaints.decide_complaint(
            s, actor=person, now=now, complaint_id=complaint_id, spec=spec
        )

    typed = {"outcome": outcome, "reason": reason, "correction": correction}
    return _run(request, person, complaint_id, "decide", typed, build)


@router.post("/complaints/{complaint_id}/resolve", dependencies=[CsrfChecked])
def resolve_complaint(request: Request, complaint_id: str, person: Person, resolution: Text = "") -> Response:
    """The buyer's staff report a satisfied complaint carried out (refused until the correction is made)."""

    def build() -> Step:
        spec = Resolution(resolution=resolution)
        return lambda s, now: complaints.resolve_complaint(
            s, actor=person, now=now, complaint_id=complaint_id, resolution=spec.resolution
        )

    return _run(request, person, complaint_id, "resolve", {"resolution": resolution}, build)


@router.post("/complaints/{complaint_id}/withdraw", dependencies=[CsrfChecked])
def withdraw_complaint(
    request: Request, complaint_id: str, person: Person, reason: Text = "", back: Short = ""
) -> Response:
    """The complainant withdraws its claim or complaint; back to the tender's list when it came from there."""
    tender_id = ""
    if back == "list":
        state = _state(request)
        with state.db.unit_of_work(write=False) as session:
            tender_id = session.scalar(select(Complaint.tender_id).where(Complaint.id == complaint_id)) or ""

    def build() -> Step:
        spec = Withdrawal(reason=reason)
        return lambda s, now: complaints.withdraw_complaint(
            s, actor=person, now=now, complaint_id=complaint_id, reason=spec.reason
        )

    target = f"/tenders/{tender_id}/complaints" if tender_id else ""
    return _run(request, person, complaint_id, "withdraw", {"reason": reason}, build, back=target)


# --- the review body's queue -------------------------------------------------------------------------------------


@router.get("/reviewer", response_class=HTMLResponse)
def reviewer_queue(request: Request, person: Person) -> Response:
    """The complaints the review body still has to admit or decide, that this member is cleared for."""
    if person.role is not Role.REVIEWER:
        return denied(
            request,
            heading="Review body",
            message="The review body's queue is for its members. Your account may not use this page.",
            links=[Link("/account", "Your account"), Link("/tenders", "Search tenders")],
        )
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        rows = complaints.review_queue(session, actor=person, statuses=QUEUE)
        titles = dict(
            session.execute(select(Tender.id, Tender.title).where(Tender.id.in_({c.tender_id for c in rows}))).all()
        )
        page = render(
            request,
            "complaints/queue.html",
            rows=rows,
            titles=titles,
            names=_names(session, {c.complainant_id for c in rows}),
            kinds=KIND,
            against=AGAINST,
            statuses=STATUS,
        )
    page.headers["Cache-Control"] = "no-store"
    return page
