"""Evaluation pages: the evaluator's workspace, opening, verdicts on bids, ranking, disqualification and award.

The pages are for the staff of the tender's buying organization: evaluators open bids and record verdicts,
approvers disqualify, close negotiation, award, declare lots unsuccessful and cancel awards; buyers follow. Each
command is one form posted to its own address; it calls the service in one ``unit_of_work`` and redirects back to
the lot, or re-renders the page with what was typed and the refusal explained by its error code
(``refusals.EXPLANATIONS``).
Prices appear only for bids the bids service lets the person read (``list_bids``, ``can_read_contents``): never
before opening.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quartermaster.actors import SCHEDULER, Actor, Role
from quartermaster.api.deps import AppState
from quartermaster.api.problems import status_of
from quartermaster.awards import decisions as award_decisions
from quartermaster.awards import service as awards
from quartermaster.awards.models import ACTIVE as AWARD_ACTIVE
from quartermaster.awards.models import Award, Evaluation
from quartermaster.awards.schemas import AwardIn, EvaluationIn
from quartermaster.bids import service as bids
from quartermaster.bids.models import VALID, Bid, BidValue
from quartermaster.contracts.models import ACTIVE as CONTRACT_ACTIVE
from quartermaster.contracts.models import Contract
from quartermaster.decisions.schemas import SignedReason
from quartermaster.documents import opening
from quartermaster.documents.blobstore import make_blobstore
from quartermaster.errors import InvalidTransition, NotFound, PermissionDenied, QMError, ValidationFailed
from quartermaster.identity.models import Organization, User
from quartermaster.tenders import models as tm
from quartermaster.tenders import periods
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import Lot, Tender
from quartermaster.web.auth import CsrfChecked, PageRoute, Person
from quartermaster.web.i18n import parse_decimal
from quartermaster.web.queries import helpers, label
from quartermaster.web.refusals import Link, Refusal, denied
from quartermaster.web.signing import SignatureField, draft_refused, draft_response, signature_of, signing_public_key
from quartermaster.web.staff import is_staff, own_tender
from quartermaster.web.staff import tender_not_found as staff_tender_not_found
from quartermaster.web.templating import language, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# Tender states the evaluator's workspace lists (tendering only once its deadline has passed).
WORKSPACE_STATES = (tm.TENDERING, tm.OPENING, tm.NEGOTIATION, tm.QUALIFICATION)

# What a person may do here, by role, in English (translated in the templates).
ROLE_DUTIES = {
    Role.EVALUATOR: "As an evaluator you open the bids and record a verdict on every offer.",
    Role.APPROVER: "As an approver you disqualify bids, close negotiation, award lots, declare them unsuccessful "
    "and cancel awards.",
    Role.BUYER: "As a buyer you follow the evaluation; evaluators and approvers take the decisions.",
}
# What the evaluator's workspace says to do next with a tender.
NEXT_ACTIONS = {
    "open": "Open the bids",
    "negotiation": "Negotiation: an approver closes it",
    "judge": "Record your verdicts",
    "decide": "Waiting for the approver's decision",
}
# Bid states as the page names them.
BID_STATUS = {"valid": "Opened", "disqualified": "Disqualified", "pending": "Sealed", "withdrawn": "Withdrawn"}
# Form fields by their English label, also used to name fields in refusals.
FIELD_LABELS = {
    "compliant": "Compliant",
    "score": "Score",
    "delivery_days": "Delivery time (days)",
    "life_cycle_cost": "Life-cycle cost",
    "notes": "Notes",
    "reason": "Reason",
    "rationale": "Rationale",
    "bid_ids": "Winning bids",
    "supplier_id": "Supplier",
    "value": "Value",
    "lot_id": "Lot",
    "signature": "Signature",
}


def _field(path: str) -> str:
    first = path.split(".")[0] if path else ""
    return "value" if first == "value" else first


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


def _refusal(exc: QMError | ValidationError) -> Refusal:
    """A refused command as the evaluation page explains it."""
    if isinstance(exc, ValidationError):
        return Refusal.of_schema(exc, page="evaluation", field_of=_field)
    return Refusal.of(exc, page="evaluation", field_of=_field)


def _forbidden(request: Request) -> Response:
    return denied(
        request,
        heading="Evaluation",
        message="Evaluation and award are for the staff of the buying organization: evaluators, approvers and "
        "buyers. Your account may not use these pages.",
        links=[Link("/account", "Your account"), Link("/tenders", "Search tenders")],
    )


def _staff(request: Request, person: Actor) -> Response | None:
    """None for the staff of a buying organization; the 403 page for anyone else."""
    return None if is_staff(person) else _forbidden(request)


def _deadline_passed(tender: Tender, now: datetime) -> bool:
    return tender.status == tm.TENDERING and tender.tender_end is not None and now >= tender.tender_end


def _may_open(tender: Tender, now: datetime) -> bool:
    return "open_bids" in tenders.allowed_commands(tender) or _deadline_passed(tender, now)


# --- the evaluator's workspace -----------------------------------------------------------------------------------


def _pending_verdicts(
    session: Session, person: Actor, tender_ids: Sequence[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Per tender in qualification: offers (valid bid x active lot) without this person's verdict, and the number
    of lots still to decide."""
    waiting: dict[str, int] = {}
    lots_open: dict[str, int] = {}
    if not tender_ids:
        return waiting, lots_open
    offers = session.execute(
        select(Bid.tender_id, Bid.id, Lot.id)
        .join(BidValue, BidValue.bid_id == Bid.id)
        .join(Lot, Lot.id == BidValue.lot_id)
        .where(Bid.tender_id.in_(tender_ids), Bid.status == VALID, Lot.status == tm.LOT_ACTIVE)
    ).all()
    mine = set(
        session.execute(
            select(Evaluation.bid_id, Evaluation.lot_id).where(
                Evaluation.tender_id.in_(tender_ids), Evaluation.evaluator_id == person.user_id
            )
        ).all()
    )
    for tender_id, bid_id, lot_id in offers:
        if (bid_id, lot_id) not in mine:
            waiting[tender_id] = waiting.get(tender_id, 0) + 1
    for tender_id, count in session.execute(
        select(Lot.tender_id, func.count())
        .where(Lot.tender_id.in_(tender_ids), Lot.status == tm.LOT_ACTIVE)
        .group_by(Lot.tender_id)
    ).all():
        lots_open[tender_id] = int(count)
    return waiting, lots_open


def _workspace_next(tender: Tender, waiting: int) -> str:
    if tender.status in (tm.TENDERING, tm.OPENING):
        return NEXT_ACTIONS["open"]
    if tender.status == tm.NEGOTIATION:
        return NEXT_ACTIONS["negotiation"]
    return NEXT_ACTIONS["judge" if waiting else "decide"]


@router.get("/evaluator", response_class=HTMLResponse)
def workspace(request: Request, person: Person) -> Response:
    """The evaluator's tenders: waiting for opening, in negotiation or in qualification, with the work left."""
    if person.role is not Role.EVALUATOR or person.organization_id is None:
        return _forbidden(request)
    state = _state(request)
    now = state.clock.now()
    with state.db.unit_of_work(write=False) as session:
        found: list[Tender] = []
        for status in WORKSPACE_STATES:
            flt = tenders.TenderFilter(buyer_id=person.organization_id, status=status)
            found.extend(tenders.list_tenders(session, actor=person, flt=flt, after=None, limit=500))
        found = [t for t in found if t.status != tm.TENDERING or _deadline_passed(t, now)]
        found.sort(key=lambda t: (t.tender_end or t.created_at, t.id))
        waiting, lots_open = _pending_verdicts(session, person, [t.id for t in found if t.status == tm.QUALIFICATION])
        rows = [
            {
                "tender": t,
                "waiting": waiting.get(t.id, 0) if t.status == tm.QUALIFICATION else None,
                "lots_open": lots_open.get(t.id, 0) if t.status == tm.QUALIFICATION else None,
                "next": _workspace_next(t, waiting.get(t.id, 0)),
            }
            for t in found
        ]
        page = render(request, "evaluation/workspace.html", rows=rows, label=label)
    page.headers["Cache-Control"] = "no-store"
    return page


# --- one tender's evaluation -------------------------------------------------------------------------------------


def _names(session: Session, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    return {row.id: row.name for row in session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))}


def _organizations(session: Session, ids: set[str]) -> dict[str, Organization]:
    if not ids:
        return {}
    return {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(ids)))}


def _suppliers(session: Session) -> list[Organization]:
    """Organizations that may be awarded directly (limited procedure), by name."""
    rows = session.scalars(select(Organization).order_by(Organization.name)).all()
    return [o for o in rows if "supplier" in (o.party_roles or [])]


def _signed(session: Session, award_ids: Sequence[str]) -> set[str]:
    if not award_ids:
        return set()
    rows = session.scalars(
        select(Contract.award_id).where(Contract.award_id.in_(award_ids), Contract.status == CONTRACT_ACTIVE)
    ).all()
    return {award_id for award_id in rows if award_id is not None}


def _lot_view(
    session: Session,
    tender: Tender,
    lot: Lot,
    person: Actor,
    shown: Sequence[Bid],
    evaluations: Sequence[Evaluation],
    lot_awards: Sequence[Award],
    signed: set[str],
) -> dict[str, Any]:
    """What one lot's section shows: its offers with verdicts, the ranking, awards and the forms open to this person."""
    qualification = tender.status == tm.QUALIFICATION
    active = lot.status == tm.LOT_ACTIVE
    offers = []
    for bid in shown:
        value = bid.value_for(lot.id)
        if value is None or not bids.can_read_contents(person, bid):
            continue
        verdicts = [e for e in evaluations if e.bid_id == bid.id and e.lot_id == lot.id]
        offers.append(
            {
                "bid": bid,
                "value": value,
                "verdicts": verdicts,
                "mine": next((e for e in verdicts if e.evaluator_id == person.user_id), None),
                "may_judge": person.role is Role.EVALUATOR and qualification and active and bid.status == VALID,
                "may_disqualify": person.role is Role.APPROVER and qualification and bid.status == VALID,
            }
        )
    ranking = awards.rank_lot(session, tender=tender, lot_id=lot.id) if offers else []
    compliant = [r for r in ranking if r.compliant]
    approver = person.role is Role.APPROVER
    return {
        "lot": lot,
        "offers": offers,
        "ranking": ranking,
        "compliant": compliant,
        # a framework admits every compliant bid by default, any other procedure the best-ranked one
        "preselected": [r.bid.id for r in (compliant if tender.procedure == "framework" else compliant[:1])],
        "awards": [
            {
                "award": a,
                "signed": a.id in signed,
                "may_cancel": approver
                and a.status == AWARD_ACTIVE
                and lot.status == tm.LOT_AWARDED
                and a.id not in signed,
            }
            for a in lot_awards
        ],
        "may_award": approver and qualification and active,
        "may_declare": approver and qualification and active,
    }


def _evaluation_page(
    request: Request,
    person: Actor,
    tender_id: str,
    *,
    refusal: Refusal | None = None,
    typed: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    state = _state(request)
    now = state.clock.now()
    lang = language(request)
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = own_tender(session, person, tender_id)
        except (NotFound, PermissionDenied):
            return staff_tender_not_found(request, person)
        _, rules = tenders.tender_rules(tender)
        shown = list(bids.list_bids(session, actor=person, tender_id=tender.id))
        evaluations = list(awards.list_evaluations(session, actor=person, tender_id=tender.id))
        all_awards = list(awards.list_awards(session, actor=person, tender_id=tender.id))
        signed = _signed(session, [a.id for a in all_awards])
        lots = [
            _lot_view(
                session,
                tender,
                lot,
                person,
                shown,
                evaluations,
                [a for a in all_awards if a.lot_id == lot.id],
                signed,
            )
            for lot in sorted(tender.lots, key=lambda x: x.position)
        ]
        orgs = _organizations(session, {b.supplier_id for b in shown} | {a.supplier_id for a in all_awards})
        names = _names(session, {e.evaluator_id for e in evaluations} | {a.decided_by for a in all_awards})
        direct = not rules.competitive
        signing_key = signing_public_key(session, person) if person.role is Role.APPROVER else None
        page = render(
            request,
            "evaluation/tender.html",
            status_code=status_code,
            tender=tender,
            lots=lots,
            direct=direct,
            framework=tender.procedure == "framework",
            scored=tender.award_criteria not in awards.PRICE_CRITERIA,
            sealed=tender.status in (tm.TENDERING, tm.OPENING),
            deadline_passed=_deadline_passed(tender, now),
            may_open=person.role in (Role.APPROVER, Role.EVALUATOR) and _may_open(tender, now),
            may_close_negotiation=person.role is Role.APPROVER and tender.status == tm.NEGOTIATION,
            suppliers=_suppliers(session) if direct and person.role is Role.APPROVER else [],
            orgs=orgs,
            names=names,
            duty=ROLE_DUTIES.get(person.role, ""),
            bid_status=BID_STATUS,
            refusal=refusal,
            typed=typed or {},
            field_labels=FIELD_LABELS,
            signing_key=signing_key,
            **{**helpers(state.lists, lang), "label": label},
        )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/buyer/tenders/{tender_id}/evaluation", response_class=HTMLResponse)
def evaluation_page(request: Request, person: Person, tender_id: str) -> Response:
    """A tender's opened bids per lot, their verdicts, ranking and awards, with the decisions open to this person."""
    return _staff(request, person) or _evaluation_page(request, person, tender_id)


# --- commands ----------------------------------------------------------------------------------------------------


def _back(tender_id: str, lot_id: str | None = None) -> RedirectResponse:
    anchor = f"#lot-{lot_id}" if lot_id else ""
    return RedirectResponse(f"/buyer/tenders/{tender_id}/evaluation{anchor}", status_code=303)


def _refused(
    request: Request, person: Actor, tender_id: str, refusal: Refusal, typed: dict[str, Any], status_code: int
) -> Response:
    return _evaluation_page(request, person, tender_id, refusal=refusal, typed=typed, status_code=status_code)


def _bid_of(session: Session, tender: Tender, bid_id: str) -> Bid:
    bid = session.get(Bid, bid_id)
    if bid is None or bid.tender_id != tender.id:
        raise NotFound("bid not found", code="bid.not_found")
    return bid


def _required(text: str, name: str) -> str:
    if not text.strip():
        raise ValidationFailed(f"the {name} is empty", errors=[{"field": name, "message": "required"}])
    return text.strip()


Text = Annotated[str, Form(max_length=5000)]
Short = Annotated[str, Form(max_length=40)]
Draft = tuple[dict[str, Any], bytes, str | None]


def _reasoned(reason: str, signature: str = "") -> SignedReason:
    """A reasoned decision (disqualify, cancel an award) read from its form as the API reads its body; the draft
    address reads the form the same way, so the document signed is the one the command checks."""
    return SignedReason.model_validate({"reason": _required(reason, "reason"), "signature": signature_of(signature)})


def _draft(request: Request, person: Actor, tender_id: str, make: Callable[[Session, Tender], Draft]) -> Response:
    """The decision document a form would be signed with (JSON for ``static/sign.js``); nothing is changed."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    try:
        with state.db.unit_of_work(write=False) as session:
            tender = own_tender(session, person, tender_id)
            return draft_response(make(session, tender), signing_public_key(session, person))
    except (QMError, ValidationError) as exc:
        return draft_refused(request, exc)


@router.post("/buyer/tenders/{tender_id}/evaluation/open", dependencies=[CsrfChecked])
def open_bids(request: Request, person: Person, tender_id: str) -> Response:
    """Open every bid at once. A tender whose deadline has passed is first closed for bidding exactly as the
    scheduler would (the same guarded period end), so nobody waits for its next pass."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    try:
        with state.db.unit_of_work() as session:
            tender = own_tender(session, person, tender_id)
            due = _deadline_passed(tender, state.clock.now())
        if due:
            try:
                with state.db.unit_of_work() as session:
                    periods.end_tender_period(session, actor=SCHEDULER, now=state.clock.now(), tender_id=tender_id)
            except InvalidTransition:
                pass  # the scheduler got there first
        with state.db.unit_of_work() as session:
            own_tender(session, person, tender_id)
            blobs = make_blobstore(state.settings)
            now = state.clock.now()
            opening.open_bids(session, actor=person, now=now, tender_id=tender_id, vault=state.vault, blobs=blobs)
    except QMError as exc:
        return _refused(request, person, tender_id, _refusal(exc), {}, status_of(exc))
    return _back(tender_id)


@router.post("/buyer/tenders/{tender_id}/evaluation/close-negotiation", dependencies=[CsrfChecked])
def close_negotiation(request: Request, person: Person, tender_id: str) -> Response:
    """End negotiation: the last revised prices are evaluated."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    try:
        with state.db.unit_of_work() as session:
            own_tender(session, person, tender_id)
            bids.close_negotiation(session, actor=person, now=state.clock.now(), tender_id=tender_id)
    except QMError as exc:
        return _refused(request, person, tender_id, _refusal(exc), {}, status_of(exc))
    return _back(tender_id)


def _verdict(
    lot_id: str, compliant: str, score: str, delivery_days: str, life_cycle_cost: str, notes: str, lang: str
) -> EvaluationIn:
    """The verdict command from the form; every unreadable field is named at once (the schema checks the ranges)."""
    errors: list[dict[str, str]] = []
    if compliant not in ("yes", "no"):
        errors.append({"field": "compliant", "message": "required"})
    amount: Decimal | None = None
    if score.strip():
        amount = parse_decimal(score, lang)
        if amount is None:
            errors.append({"field": "score", "message": "not a number"})
    days: int | None = None
    if delivery_days.strip():
        text = delivery_days.strip()
        if text.isascii() and text.isdigit():
            days = int(text)
        else:
            errors.append({"field": "delivery_days", "message": "not a whole number of days"})
    cost: Decimal | None = None
    if life_cycle_cost.strip():
        cost = parse_decimal(life_cycle_cost, lang)
        if cost is None:
            errors.append({"field": "life_cycle_cost", "message": "not a number"})
    if errors:
        raise ValidationFailed("the verdict cannot be read", errors=errors)
    return EvaluationIn.model_validate(
        {
            "lot_id": lot_id,
            "compliant": compliant == "yes",
            "score": amount,
            "delivery_days": days,
            "life_cycle_cost": cost,
            "notes": notes.strip() or None,
        }
    )


@router.post("/buyer/tenders/{tender_id}/evaluation/bids/{bid_id}/verdict", dependencies=[CsrfChecked])
def record_verdict(
    request: Request,
    person: Person,
    tender_id: str,
    bid_id: str,
    lot_id: Short = "",
    compliant: Short = "",
    score: Short = "",
    delivery_days: Short = "",
    life_cycle_cost: Short = "",
    notes: Text = "",
) -> Response:
    """The evaluator's verdict on one offer: compliant or not, a score under quality criteria, the delivery time and
    life-cycle cost the offer commits to (what best-value ranking weighs when the tender says so), notes."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    form = f"verdict:{bid_id}:{lot_id}"
    typed = {
        "form": form,
        "compliant": compliant,
        "score": score,
        "delivery_days": delivery_days,
        "life_cycle_cost": life_cycle_cost,
        "notes": notes,
    }
    try:
        verdict = _verdict(lot_id, compliant, score, delivery_days, life_cycle_cost, notes, language(request))
    except QMError as exc:
        return _refused(request, person, tender_id, _refusal(exc), typed, status_of(exc))
    except ValidationError as exc:
        return _refused(request, person, tender_id, _refusal(exc), typed, 422)
    try:
        with state.db.unit_of_work() as session:
            tender = own_tender(session, person, tender_id)
            _bid_of(session, tender, bid_id)
            awards.evaluate_bid(session, actor=person, now=state.clock.now(), bid_id=bid_id, verdict=verdict)
    except QMError as exc:
        return _refused(request, person, tender_id, _refusal(exc), typed, status_of(exc))
    return _back(tender_id, lot_id)


@router.post("/buyer/tenders/{tender_id}/evaluation/bids/{bid_id}/disqualify", dependencies=[CsrfChecked])
def disqualify(
    request: Request,
    person: Person,
    tender_id: str,
    bid_id: str,
    reason: Text = "",
    lot_id: Short = "",
    signature: SignatureField = "",
) -> Response:
    """The approver disqualifies a valid bid, with the reason stated (signed once they have a signing key)."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    form = f"disqualify:{bid_id}:{lot_id}"
    typed = {"form": form, "reason": reason}
    try:
        spec = _reasoned(reason, signature)
        with state.db.unit_of_work() as session:
            tender = own_tender(session, person, tender_id)
            _bid_of(session, tender, bid_id)
            awards.disqualify_bid(
                session,
                actor=person,
                now=state.clock.now(),
                bid_id=bid_id,
                reason=spec.reason,
                signature=spec.signature,
            )
    except QMError as exc:
        return _refused(request, person, tender_id, _refusal(exc), typed, status_of(exc))
    except ValidationError as exc:
        return _refused(request, person, tender_id, _refusal(exc), typed, 422)
    return _back(tender_id, lot_id or None)


@router.post("/buyer/tenders/{tender_id}/evaluation/bids/{bid_id}/disqualify/draft", dependencies=[CsrfChecked])
def disqualify_draft(request: Request, person: Person, tender_id: str, bid_id: str, reason: Text = "") -> Response:
    """The document the approver signs to disqualify this bid for the reason typed."""

    def make(session: Session, tender: Tender) -> Draft:
        bid = _bid_of(session, tender, bid_id)
        return award_decisions.draft_disqualify(session, actor=person, bid_id=bid.id, spec=_reasoned(reason))[1]

    return _draft(request, person, tender_id, make)


def _award_spec(
    direct: bool,
    bid_ids: list[str],
    supplier_id: str,
    value: str,
    currency: str,
    rationale: str,
    lang: str,
    signature: str = "",
) -> AwardIn:
    """The award command from the form: ranked bids, or (limited procedure) a supplier and a value; the draft address
    reads the form with the same function, so the document signed is the one the command checks."""
    body: dict[str, Any] = {"rationale": rationale.strip() or None, "signature": signature_of(signature)}
    if direct:
        if not supplier_id.strip():
            raise ValidationFailed("choose the supplier", errors=[{"field": "supplier_id", "message": "required"}])
        amount = parse_decimal(value, lang)
        if amount is None:
            raise ValidationFailed("the value is not a number", errors=[{"field": "value", "message": "not a number"}])
        body |= {"supplier_id": supplier_id, "value": {"amount": amount, "currency": currency}}
    else:
        if not bid_ids:
            raise ValidationFailed("choose the winning bid", errors=[{"field": "bid_ids", "message": "required"}])
        body["bid_ids"] = bid_ids
    return AwardIn.model_validate(body)


@router.post("/buyer/tenders/{tender_id}/evaluation/lots/{lot_id}/award", dependencies=[CsrfChecked])
def award_lot(
    request: Request,
    person: Person,
    tender_id: str,
    lot_id: str,
    bid_ids: Annotated[list[str], Form(max_length=50)] = [],  # noqa: B006 (FastAPI copies defaults)
    supplier_id: Short = "",
    value: Short = "",
    rationale: Text = "",
    signature: SignatureField = "",
) -> Response:
    """The approver awards a lot: to the best-ranked compliant bid(s), or directly in a limited procedure (signed
    once they have a signing key)."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    form = f"award:{lot_id}"
    typed = {"form": form, "bid_ids": list(bid_ids), "supplier_id": supplier_id, "value": value, "rationale": rationale}
    try:
        with state.db.unit_of_work() as session:
            tender = own_tender(session, person, tender_id)
            _, rules = tenders.tender_rules(tender)
            spec = _award_spec(
                not rules.competitive,
                list(bid_ids),
                supplier_id,
                value,
                tender.currency,
                rationale,
                language(request),
                signature,
            )
            awards.award(session, actor=person, now=state.clock.now(), tender_id=tender_id, lot_id=lot_id, spec=spec)
    except QMError as exc:
        return _refused(request, person, tender_id, _refusal(exc), typed, status_of(exc))
    except ValidationError as exc:
        return _refused(request, person, tender_id, _refusal(exc), typed, 422)
    return _back(tender_id, lot_id)


@router.post("/buyer/tenders/{tender_id}/evaluation/lots/{lot_id}/award/draft", dependencies=[CsrfChecked])
def award_draft(
    request: Request,
    person: Person,
    tender_id: str,
    lot_id: str,
    bid_ids: Annotated[list[str], Form(max_length=50)] = [],  # noqa: B006 (FastAPI copies defaults)
    supplier_id: Short = "",
    value: Short = "",
    rationale: Text = "",
) -> Response:
    """The document the approver signs to award this lot as the form says."""
    lang = language(request)

    def make(session: Session, tender: Tender) -> Draft:
        _, rules = tenders.tender_rules(tender)
        spec = _award_spec(not rules.competitive, list(bid_ids), supplier_id, value, tender.currency, rationale, lang)
        process_id, made = award_decisions.draft_award(session, actor=person, lot_id=lot_id, spec=spec)
        if process_id != tender.id:
            raise NotFound("lot not found", code="lot.not_found")
        return made

    return _draft(request, person, tender_id, make)


@router.post("/buyer/tenders/{tender_id}/evaluation/lots/{lot_id}/unsuccessful", dependencies=[CsrfChecked])
def declare_unsuccessful(request: Request, person: Person, tender_id: str, lot_id: str, reason: Text = "") -> Response:
    """The approver closes a lot without an award, with the reason stated."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    form = f"unsuccessful:{lot_id}"
    typed = {"form": form, "reason": reason}
    try:
        text = _required(reason, "reason")
        with state.db.unit_of_work() as session:
            own_tender(session, person, tender_id)
            awards.declare_lot_unsuccessful(
                session, actor=person, now=state.clock.now(), tender_id=tender_id, lot_id=lot_id, reason=text
            )
    except QMError as exc:
        return _refused(request, person, tender_id, _refusal(exc), typed, status_of(exc))
    return _back(tender_id, lot_id)


def _award_of(session: Session, tender: Tender, award_id: str) -> Award:
    row = session.get(Award, award_id)
    if row is None or row.tender_id != tender.id:
        raise NotFound("award not found", code="award.not_found")
    return row


@router.post("/buyer/tenders/{tender_id}/evaluation/awards/{award_id}/cancel", dependencies=[CsrfChecked])
def cancel_award(
    request: Request, person: Person, tender_id: str, award_id: str, reason: Text = "", signature: SignatureField = ""
) -> Response:
    """The approver cancels an award whose contract is not signed (signed once they have a signing key); the lot
    returns to qualification."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    form = f"cancel:{award_id}"
    typed = {"form": form, "reason": reason}
    lot_id: str | None = None
    try:
        spec = _reasoned(reason, signature)
        with state.db.unit_of_work() as session:
            tender = own_tender(session, person, tender_id)
            lot_id = _award_of(session, tender, award_id).lot_id
            awards.cancel_award(
                session,
                actor=person,
                now=state.clock.now(),
                award_id=award_id,
                reason=spec.reason,
                signature=spec.signature,
            )
    except QMError as exc:
        return _refused(request, person, tender_id, _refusal(exc), typed, status_of(exc))
    except ValidationError as exc:
        return _refused(request, person, tender_id, _refusal(exc), typed, 422)
    return _back(tender_id, lot_id)


@router.post("/buyer/tenders/{tender_id}/evaluation/awards/{award_id}/cancel/draft", dependencies=[CsrfChecked])
def cancel_award_draft(request: Request, person: Person, tender_id: str, award_id: str, reason: Text = "") -> Response:
    """The document the approver signs to cancel this award for the reason typed."""

    def make(session: Session, tender: Tender) -> Draft:
        row = _award_of(session, tender, award_id)
        return award_decisions.draft_cancel(session, actor=person, award_id=row.id, spec=_reasoned(reason))[1]

    return _draft(request, person, tender_id, make)
