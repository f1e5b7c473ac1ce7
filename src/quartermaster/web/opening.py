"""Sealed bids on the buyer's side: appointing the evaluation committee, and the opening ceremony.

The committee (``/buyer/tenders/{id}/committee``) is appointed on a draft: members of the buying organization with an
enrolled custody key, one chair, and k, the shares needed to open the bids. At publication each member's share of the
tender's opening key is sealed to their custody key (``committees.service``).

The ceremony (``/buyer/tenders/{id}/opening``) shows k, n and who has released their share. A member chooses their
key file; the page opens their sealed share in the browser (``static/seal.js``, HPKE Open) and posts only the clear
share, which the server accepts once bidding has closed. With k shares in, "Open the bids" rebuilds the key and opens
every bid at once; the page then lists each bid with its commitment, and the invalid ones with their reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import SCHEDULER, Actor, Role
from quartermaster.api.deps import AppState
from quartermaster.api.problems import status_of
from quartermaster.bids import service as bids
from quartermaster.bids.models import WITHDRAWN, Bid
from quartermaster.committees import interests
from quartermaster.committees import service as committees
from quartermaster.committees.models import CHAIR, MEMBER, PLATFORM, MemberInterests
from quartermaster.committees.schemas import ShareRelease
from quartermaster.documents import opening as document_opening
from quartermaster.documents.blobstore import make_blobstore
from quartermaster.errors import InvalidTransition, NotFound, PermissionDenied, QMError, RuleViolation
from quartermaster.identity import keys as person_keys
from quartermaster.identity.models import Organization, User
from quartermaster.rules import rulebook_for
from quartermaster.tenders import models as tm
from quartermaster.tenders import periods
from quartermaster.tenders.models import Tender
from quartermaster.types import max_marking
from quartermaster.web.auth import CsrfChecked, PageRoute, Person
from quartermaster.web.buyer import tender_not_found
from quartermaster.web.refusals import Link, Refusal, denied
from quartermaster.web.staff import is_staff, own_tender
from quartermaster.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

APPOINTERS = (Role.BUYER, Role.APPROVER)
OPENERS = (Role.APPROVER, Role.EVALUATOR)
FIELD_LABELS = {"threshold": "Shares needed to open (k)", "members": "Members", "share": "Your share"}
# What the platform knows that ties a member to a bidder (``committees.interests.links``), as the page names it.
LINK_LABELS = {
    interests.EMPLOYED: "you worked for this bidder",
    interests.OWNER_OR_DIRECTOR: "you are one of its declared owners or directors",
    interests.SHARED_ADDRESS: "it is registered at the address of one of your past employers",
}
BID_STATUS = {"valid": "Opened", "disqualified": "Invalid", "pending": "Sealed", "withdrawn": "Withdrawn"}


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


def _forbidden(request: Request) -> Response:
    return denied(
        request,
        heading="Evaluation committee",
        message="The committee and the opening are for the staff of the buying organization: buyers, approvers and "
        "evaluators. Your account may not use these pages.",
        links=[Link("/account", "Your account"), Link("/tenders", "Search tenders")],
    )


# --- the committee ------------------------------------------------------------------------------------------------


def _candidates(session: Session, tender: Tender) -> list[dict[str, Any]]:
    """The people of the buying organization who may sit on the committee, with whether they have a custody key."""
    people = session.scalars(
        select(User)
        .where(
            User.organization_id == tender.buyer_id,
            User.active.is_(True),
            User.role.in_([r.value for r in committees.MEMBER_ROLES]),
        )
        .order_by(User.name, User.id)
    ).all()
    return [
        {
            "user": user,
            "has_key": person_keys.current_key(session, user.id, person_keys.CUSTODY) is not None,
        }
        for user in people
    ]


def _committee_page(
    request: Request,
    person: Actor,
    tender_id: str,
    *,
    refusal: Refusal | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    state = _state(request)
    now = state.clock.now()
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = own_tender(session, person, tender_id, join_lots=True)
        except (NotFound, PermissionDenied):
            return tender_not_found(request)
        committee = committees.get_committee(session, tender.id)
        candidates = _candidates(session, tender)
        names = {c["user"].id: c["user"].name for c in candidates}
        if committee is not None:
            names |= _names(session, {m.user_id for m in committee.members})
        sealing = rulebook_for(now).sealing
        if typed is None:
            typed = {
                "members": {m.user_id for m in committee.members} if committee else set(),
                "chair": next((m.user_id for m in committee.members if m.role == CHAIR), "") if committee else "",
                "threshold": str(committee.threshold)
                if committee
                else str(sealing.committee_min_threshold)
                if sealing
                else "2",
            }
        page = render(
            request,
            "buyer/committee.html",
            status_code=refusal.status if refusal else 200,
            tender=tender,
            committee=committee,
            candidates=candidates,
            names=names,
            mode=_mode_if_published_now(tender, now) if tender.status == tm.DRAFT else None,
            sealing=sealing,
            may_appoint=tender.status == tm.DRAFT and person.role in APPOINTERS and sealing is not None,
            typed=typed,
            refusal=refusal,
            field_labels=FIELD_LABELS,
        )
    page.headers["Cache-Control"] = "no-store"
    return page


def _mode_if_published_now(tender: Tender, now: datetime) -> str | None:
    """How a draft's bids would be sealed if it were published now (``committees.sealing_mode`` needs the rulebook
    a tender is bound to at publication; a draft has none yet): threshold, platform, or None."""
    book = rulebook_for(now)
    if book.sealing is None:
        return None
    try:
        steps = book.procedure(tender.procedure).steps
    except RuleViolation:
        return None
    if "tendering" not in steps:
        return None
    return book.sealing.mode_for(
        tender.value_amount, max_marking(tender.marking, *(lot.marking for lot in tender.lots))
    )


def _names(session: Session, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    return {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(user_ids))).all()}


@router.get("/buyer/tenders/{tender_id}/committee", response_class=HTMLResponse)
def committee_page(request: Request, person: Person, tender_id: str) -> Response:
    """The tender's evaluation committee; on a draft, the form that appoints it."""
    if not is_staff(person):
        return _forbidden(request)
    return _committee_page(request, person, tender_id)


@router.post("/buyer/tenders/{tender_id}/committee", dependencies=[CsrfChecked])
async def appoint(request: Request, person: Person, tender_id: str) -> Response:
    """Appoint (or, on a draft, replace) the committee: the ticked members, the chair and k."""
    if not is_staff(person):
        return _forbidden(request)
    form = await request.form()
    members = [v for v in form.getlist("member") if isinstance(v, str)][:50]
    chair = form.get("chair")
    threshold = form.get("threshold")
    typed = {
        "members": set(members),
        "chair": chair if isinstance(chair, str) else "",
        "threshold": threshold[:10] if isinstance(threshold, str) else "",
    }
    return await run_in_threadpool(_appoint, request, person, tender_id, typed, members)


def _appoint(request: Request, person: Actor, tender_id: str, typed: dict[str, Any], members: list[str]) -> Response:
    state = _state(request)
    try:
        k = int(typed["threshold"].strip())
    except ValueError:
        refusal = Refusal.local("form.bad_number", page="opening", fields=["threshold"])
        return _committee_page(request, person, tender_id, refusal=refusal, typed=typed)
    chair = typed["chair"]
    ordered = sorted(dict.fromkeys(members), key=lambda uid: uid != chair)  # the chair first, then as ticked
    appointments = [committees.Appointment(uid, CHAIR if uid == chair else MEMBER) for uid in ordered]
    try:
        with state.db.unit_of_work() as session:
            committees.appoint_committee(
                session, actor=person, now=state.clock.now(), tender_id=tender_id, members=appointments, threshold=k
            )
    except QMError as exc:
        with state.db.unit_of_work(write=False) as session:
            names = _names(session, set(ordered))
        refusal = Refusal.of(exc, page="opening", field_of=_member_field(ordered, names))
        return _committee_page(request, person, tender_id, refusal=refusal, typed=typed)
    return RedirectResponse(f"/buyer/tenders/{tender_id}/committee", status_code=303)


def _member_field(ordered: Sequence[str], names: dict[str, str]) -> Any:
    """Names a refused member by their name (``members.2.user_id`` -> "Olena Shevchenko")."""

    def field_of(path: str) -> str:
        parts = path.split(".")
        if len(parts) >= 2 and parts[0] == "members" and parts[1].isdigit() and int(parts[1]) < len(ordered):
            return names.get(ordered[int(parts[1])], ordered[int(parts[1])])
        return parts[0] if parts else ""

    return field_of


# --- the opening ceremony -----------------------------------------------------------------------------------------


def _bidding_closed(tender: Tender, now: datetime) -> bool:
    return tender.tender_end is not None and now >= tender.tender_end


def _ceremony(session: Session, person: Actor, tender: Tender, now: datetime) -> dict[str, Any]:
    key = committees.opening_key_row(session, tender.id)
    if key is None:
        return {"key": None}
    shares = committees.shares_of(session, tender.id)
    committee = committees.get_committee(session, tender.id)
    names = _names(session, {s.member_id for s in shares})
    roles = {m.user_id: m.role for m in committee.members} if committee else {}
    mine = next((s for s in shares if s.member_id == person.user_id), None)
    released = sum(1 for s in shares if s.released_share is not None)
    closed = _bidding_closed(tender, now)
    live = tender.status in (tm.TENDERING, tm.OPENING) and key.opened_at is None
    enough = key.mode == PLATFORM or (key.threshold is not None and released >= key.threshold)
    member = next((m for m in committee.members if m.user_id == person.user_id), None) if committee else None
    recused = member is not None and member.recused_at is not None
    to_declare = _to_declare(session, tender, person) if mine is not None and closed and live and not recused else []
    return {
        "recused": recused,
        "to_declare": to_declare,
        "no_interests": mine is not None and session.get(MemberInterests, person.user_id) is None,
        "key": key,
        "shares": shares,
        "names": names,
        "roles": roles,
        "mine": mine,
        "released": released,
        "closed": closed,
        "may_release": mine is not None
        and mine.released_share is None
        and closed
        and live
        and not recused
        and not to_declare,
        "may_open": closed and live and enough and person.role in OPENERS,
        "enough": enough,
        "bids": _opened_bids(session, tender) if key.opened_at is not None else [],
    }


def _to_declare(session: Session, tender: Tender, person: Actor) -> list[dict[str, Any]]:
    """The bidders the member has yet to declare a conflict of interest about, with the links the platform knows."""
    missing = committees.undeclared(
        session, tender_id=tender.id, member_id=person.user_id, bidders=bids.bidders(session, tender.id)
    )
    profile = session.get(MemberInterests, person.user_id)
    rows = []
    for supplier_id in missing:
        org = session.get(Organization, supplier_id)
        found = interests.links(session, profile, supplier_id) if profile is not None else []
        rows.append({"id": supplier_id, "organization": org, "links": found})
    return rows


def _opened_bids(session: Session, tender: Tender) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Bid).where(Bid.tender_id == tender.id, Bid.status != WITHDRAWN).order_by(Bid.submitted_at, Bid.id)
    ).all()
    orgs = {
        o.id: o
        for o in session.scalars(select(Organization).where(Organization.id.in_({b.supplier_id for b in rows}))).all()
    }
    lots = {lot.id: lot.title for lot in tender.lots}
    documents = document_opening.opened_pairs(session, tender.id)
    return [
        {
            "bid": b,
            "supplier": orgs.get(b.supplier_id),
            "lots": lots,
            "documents": documents.get(b.id, []),
        }
        for b in rows
    ]


def _opening_page(request: Request, person: Actor, tender_id: str, *, refusal: Refusal | None = None) -> Response:
    state = _state(request)
    now = state.clock.now()
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = own_tender(session, person, tender_id, join_lots=True)
        except (NotFound, PermissionDenied):
            return tender_not_found(request)
        page = render(
            request,
            "evaluation/opening.html",
            status_code=refusal.status if refusal else 200,
            tender=tender,
            refusal=refusal,
            field_labels=FIELD_LABELS,
            statuses=BID_STATUS,
            link_labels=LINK_LABELS,
            **_ceremony(session, person, tender, now),
        )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/buyer/tenders/{tender_id}/opening", response_class=HTMLResponse)
def opening_page(request: Request, person: Person, tender_id: str) -> Response:
    """The opening ceremony: k, n, who has released their share; release mine; open the bids; the opened bids."""
    if not is_staff(person):
        return _forbidden(request)
    return _opening_page(request, person, tender_id)


def _close_bidding_if_due(state: AppState, person: Actor, tender_id: str) -> None:
    """Close bidding exactly as the scheduler would once the deadline has passed, so nobody waits for its next pass."""
    with state.db.unit_of_work() as session:
        tender = own_tender(session, person, tender_id, join_lots=True)
        due = tender.status == tm.TENDERING and _bidding_closed(tender, state.clock.now())
    if due:
        try:
            with state.db.unit_of_work() as session:
                periods.end_tender_period(session, actor=SCHEDULER, now=state.clock.now(), tender_id=tender_id)
        except InvalidTransition:
            pass  # the scheduler got there first


@router.post("/buyer/tenders/{tender_id}/opening/share", dependencies=[CsrfChecked])
def release_share(
    request: Request, person: Person, tender_id: str, share: Annotated[str, Form(max_length=4000)] = ""
) -> Response:
    """Release my share, opened from my sealed share with my key file in this page (never the key file itself)."""
    if not is_staff(person):
        return _forbidden(request)
    state = _state(request)
    try:
        body = ShareRelease(share=share)
    except ValidationError as exc:
        return _opening_page(request, person, tender_id, refusal=Refusal.of_schema(exc, page="opening"))
    try:
        _close_bidding_if_due(state, person, tender_id)
        with state.db.unit_of_work() as session:
            committees.release_share(
                session,
                actor=person,
                now=state.clock.now(),
                tender_id=tender_id,
                share_text=body.share,
                bidders=bids.bidders(session, tender_id),
            )
    except QMError as exc:
        return _opening_page(request, person, tender_id, refusal=Refusal.of(exc, page="opening"))
    return RedirectResponse(f"/buyer/tenders/{tender_id}/opening#shares", status_code=303)


@router.post("/buyer/tenders/{tender_id}/opening/declarations", dependencies=[CsrfChecked])
async def declare(request: Request, person: Person, tender_id: str) -> Response:
    """Before releasing a share: for each bidder, no conflict of interest (with a reason where the platform knows a
    link) or a conflict, which recuses the member."""
    if not is_staff(person):
        return _forbidden(request)
    form = await request.form()
    answers: list[interests.DeclarationIn] = []
    for name, value in form.multi_items():
        if name.startswith("conflict-") and isinstance(value, str) and value in ("yes", "no"):
            supplier_id = name.removeprefix("conflict-")[:32]
            reason = form.get(f"justification-{supplier_id}")
            text = reason.strip()[:2000] if isinstance(reason, str) and reason.strip() else None
            answers.append(interests.DeclarationIn(supplier_id, value == "yes", text))
    return await run_in_threadpool(_declare, request, person, tender_id, answers)


def _declare(request: Request, person: Actor, tender_id: str, answers: list[interests.DeclarationIn]) -> Response:
    state = _state(request)
    if not answers:
        refusal = Refusal.local("form.missing", page="opening")
        return _opening_page(request, person, tender_id, refusal=refusal)
    try:
        _close_bidding_if_due(state, person, tender_id)
        with state.db.unit_of_work() as session:
            interests.declare_conflicts(
                session,
                actor=person,
                now=state.clock.now(),
                tender_id=tender_id,
                bidders=bids.bidders(session, tender_id),
                declarations=answers,
            )
    except QMError as exc:
        return _opening_page(request, person, tender_id, refusal=Refusal.of(exc, page="opening"))
    return RedirectResponse(f"/buyer/tenders/{tender_id}/opening#shares", status_code=303)


@router.post("/buyer/tenders/{tender_id}/opening/open", dependencies=[CsrfChecked])
def open_all(request: Request, person: Person, tender_id: str) -> Response:
    """Open every bid at once with the rebuilt key (or the platform's); the page then lists them."""
    if not is_staff(person):
        return _forbidden(request)
    state = _state(request)
    try:
        _close_bidding_if_due(state, person, tender_id)
        with state.db.unit_of_work() as session:
            own_tender(session, person, tender_id, join_lots=True)
            blobs = make_blobstore(state.settings)
            now = state.clock.now()
            document_opening.open_bids(
                session, actor=person, now=now, tender_id=tender_id, vault=state.vault, blobs=blobs
            )
    except QMError as exc:
        refusal = Refusal.of(exc, page="opening")
        return (
            _opening_page(request, person, tender_id, refusal=refusal)
            if status_of(exc) != 404
            else tender_not_found(request)
        )
    return RedirectResponse(f"/buyer/tenders/{tender_id}/opening#bids", status_code=303)
