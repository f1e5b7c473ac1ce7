"""Buyer pages of the web interface: the workspace, the draft tender wizard, publishing and answering questions.

Every page is for the staff of a buying organization (buyers and approvers); anyone else gets a 403 page. A refused
command re-renders its form with what was typed and the refusal explained by its error code (``REFUSALS``), the
same codes the API's problem documents carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.api.deps import AppState
from quartermaster.api.problems import status_of
from quartermaster.errors import NotFound, PermissionDenied, QMError, ValidationFailed
from quartermaster.rules import ProcedureRules, rulebook_for
from quartermaster.tenders import access, periods, service
from quartermaster.tenders import models as m
from quartermaster.tenders.models import Enquiry, Tender
from quartermaster.tenders.schemas import PublishTender, TenderCreate
from quartermaster.types import MARKINGS
from quartermaster.web.auth import CsrfChecked, PageRoute, Person
from quartermaster.web.i18n import parse_decimal
from quartermaster.web.queries import helpers, label
from quartermaster.web.templating import language, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

WORKSPACE_ROLES = (Role.BUYER, Role.APPROVER)
# Procedures a buyer prepares here; a mini-competition is created by a call-off on its framework.
PROCEDURES = ("open", "selective", "negotiated", "limited", "framework")
CATEGORIES = ("goods", "services", "works")
PERIOD_FIELDS = ("prequalification_end", "enquiry_end", "tender_end")

# The refusals people meet most, by error code, in English (translated by the catalogue); others show the message.
REFUSALS = {
    "validation.failed": "Some fields are not valid; see the notes below.",
    "tender.invalid_items": "The lot or its item is not valid; see the notes below.",
    "tender.rules_not_met": "The tender does not meet the rulebook for its procedure; see the notes below.",
    "tender.separation_of_duties": "The person who prepared a tender may not publish it: another approver must.",
    "tender.not_a_call_off": "A mini-competition is created from its framework, not here.",
    "tender.not_found": "The tender was not found.",
    "enquiry.not_found": "The question was not found.",
    "enquiry.already_answered": "The question is already answered.",
    "auth.role_forbidden": "Your role may not do this.",
    "auth.not_party": "Only the buyer's own staff may do this.",
    "state.invalid_transition": "This cannot be done in the tender's current state.",
}
# Form fields by their English label (translated in the templates), also used to name fields in refusals.
FIELD_LABELS = {
    "title": "Title",
    "description": "Description",
    "procedure": "Procedure",
    "category": "Category",
    "award_criteria": "Award criteria",
    "justification": "Justification",
    "justification_details": "Justification details",
    "value_amount": "Expected value",
    "currency": "Currency",
    "item_description": "Item description",
    "cpv": "CPV code",
    "unit": "Unit",
    "quantity": "Quantity",
    "nsn": "NSN",
    "marking": "Security marking",
    "value": "Expected value",
    "prequalification_end": "Prequalification ends",
    "enquiry_end": "Questions until",
    "tender_end": "Bids until",
    "answer": "Answer",
}
JUSTIFICATIONS = {
    "extreme_urgency": "Extreme urgency",
    "exclusive_rights_or_technical_reasons": "Exclusive rights or technical reasons",
    "security_of_supply_or_classified": "Security of supply or classified",
    "additional_deliveries": "Additional deliveries",
    "no_suitable_tenders": "No suitable tenders in a prior procedure",
}


class DraftForm(BaseModel):
    """The wizard's fields exactly as typed (strings), so a refused form can be shown again unchanged."""

    title: str = ""
    description: str = ""
    procedure: str = "open"
    category: str = "goods"
    award_criteria: str = "priceOnly"
    justification: str = ""
    justification_details: str = ""
    value_amount: str = ""
    currency: str = "UAH"
    item_description: str = ""
    cpv: str = ""
    unit: str = "H87"
    quantity: str = ""
    nsn: str = ""
    marking: str = "public"


class Refusal:
    """A refused command as a page shows it: its code, the explanation, and notes per field."""

    def __init__(self, code: str, message: str, notes: Sequence[tuple[str, str]] = ()) -> None:
        self.code = code
        self.text = REFUSALS.get(code, message)
        self.notes = list(notes)
        self.fields = {field for field, _ in self.notes}


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


def _form_field(path: str) -> str:
    """The wizard's field for a service's or schema's field path (``lots.0.items.0.cpv`` -> ``cpv``)."""
    parts = [p for p in path.split(".") if not p.isdigit()]
    if parts[:2] == ["lots", "items"]:
        last = parts[-1]
        return "item_description" if last == "description" else last
    if parts[:2] == ["lots", "value"]:
        return "currency" if parts[-1] == "currency" else "value_amount"
    if parts[:1] == ["lots"]:
        return {"title": "title", "value": "value_amount"}.get(parts[-1], parts[-1])
    return parts[-1] if parts else path


def refusal_of(exc: QMError) -> Refusal:
    """A domain error as a page explains it (field notes from ``errors``, when the error carries them)."""
    listed = exc.fields.get("errors") or []
    notes = [(_form_field(str(e.get("field", ""))), str(e.get("message", ""))) for e in listed if isinstance(e, dict)]
    if exc.fields.get("reason"):
        notes.append(("", str(exc.fields["reason"])))
    return Refusal(exc.code, exc.message, notes)


def _refusal_of_schema(exc: ValidationError) -> Refusal:
    notes = [(_form_field(".".join(str(p) for p in err["loc"])), err["msg"]) for err in exc.errors()]
    return Refusal("validation.failed", "the form is not valid", notes)


def status_label(code: str | None) -> str:
    """The English label of a code, drafts included (the public portal never shows a draft)."""
    return "Draft" if code == m.DRAFT else label(code)


def _staff(request: Request, person: Actor) -> Response | None:
    """None for a buyer or approver of an organization; the 403 page for anyone else."""
    if person.role in WORKSPACE_ROLES and person.organization_id is not None:
        return None
    return render(request, "buyer/forbidden.html", status_code=403)


# --- the workspace --------------------------------------------------------------------------------------------


def _next_action(tender: Tender, person: Actor, prepared_by: set[str], unanswered: int) -> str:
    """What the organization should do next with a tender, as an English sentence (translated in the page)."""
    if tender.status == m.DRAFT:
        if person.role is Role.APPROVER and person.user_id not in prepared_by:
            return "Review and publish"
        return "Waiting for an approver who did not prepare it to publish"
    if unanswered:
        return "Answer the questions"
    if tender.status in (m.ENQUIRIES, m.TENDERING, m.PREQUALIFICATION):
        return "Wait for the period to end"
    return "Follow the tender"


def _unanswered(session: Session, tender_ids: Sequence[str]) -> dict[str, int]:
    if not tender_ids:
        return {}
    rows = session.execute(
        select(Enquiry.tender_id, func.count())
        .where(Enquiry.tender_id.in_(tender_ids), Enquiry.answer.is_(None))
        .group_by(Enquiry.tender_id)
    ).all()
    return {tender_id: int(count) for tender_id, count in rows}


@router.get("/buyer", response_class=HTMLResponse)
def workspace(request: Request, person: Person) -> Response:
    """The organization's tenders, drafts included, each with its status and what to do next."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        flt = service.TenderFilter(buyer_id=person.organization_id)
        tenders = sorted(
            service.list_tenders(session, actor=person, flt=flt, after=None, limit=500),
            key=lambda t: t.created_at,
            reverse=True,
        )
        unanswered = _unanswered(session, [t.id for t in tenders])
        rows = [
            {
                "tender": t,
                "unanswered": unanswered.get(t.id, 0),
                "next": _next_action(
                    t, person, service.preparers(session, t) if t.status == m.DRAFT else set(), unanswered.get(t.id, 0)
                ),
            }
            for t in tenders
        ]
        page = render(request, "buyer/home.html", rows=rows, label=status_label)
    page.headers["Cache-Control"] = "no-store"
    return page


# --- the wizard -----------------------------------------------------------------------------------------------


def _hints(procedure: str, now: datetime) -> dict[str, Any]:
    """What the rulebook in force now says about a procedure: earliest period ends, criteria, justifications."""
    book = rulebook_for(now)
    rules = book.procedure(procedure if procedure in PROCEDURES else "open")
    minimum = service.minimum_periods(book, rules, now)
    return {
        "rulebook": book.version,
        "rules": rules,
        "minimum": [(field, minimum[field]) for field in PERIOD_FIELDS if minimum[field] is not None],
        "criteria": list(rules.award_criteria),
        "justifications": list(rules.justifications),
    }


def _wizard(request: Request, form: DraftForm, *, refusal: Refusal | None = None, status_code: int = 200) -> Response:
    state = _state(request)
    page = render(
        request,
        "buyer/new.html",
        status_code=status_code,
        v=form.model_dump(),
        refusal=refusal,
        procedures=PROCEDURES,
        categories=CATEGORIES,
        markings=MARKINGS,
        field_labels=FIELD_LABELS,
        justification_labels=JUSTIFICATIONS,
        label=status_label,
        **_hints(form.procedure, state.clock.now()),
    )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/buyer/tenders/new", response_class=HTMLResponse)
def new_tender_form(request: Request, person: Person) -> Response:
    """An empty draft with the rulebook hints of the open procedure."""
    return _staff(request, person) or _wizard(request, DraftForm())


@router.get("/buyer/tenders/new/rules", response_class=HTMLResponse)
def procedure_rules(
    request: Request,
    person: Person,
    procedure: Annotated[str, Query(max_length=40)] = "open",
    award_criteria: Annotated[str, Query(max_length=32)] = "",
    justification: Annotated[str, Query(max_length=48)] = "",
    justification_details: Annotated[str, Query(max_length=5000)] = "",
) -> Response:
    """The rule-dependent part of the wizard for a procedure (HTMX swaps it in when the procedure changes)."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    form = DraftForm(
        procedure=procedure,
        award_criteria=award_criteria,
        justification=justification,
        justification_details=justification_details,
    )
    return render(
        request,
        "buyer/_rules.html",
        v=form.model_dump(),
        refusal=None,
        field_labels=FIELD_LABELS,
        justification_labels=JUSTIFICATIONS,
        label=status_label,
        **_hints(procedure, _state(request).clock.now()),
    )


def _decimal(raw: str) -> Decimal | str:
    """A number as typed in either language (``1 500 000,50`` or ``1,500,000.50``); kept as text if unreadable
    (the schema then refuses it and names the field)."""
    value = parse_decimal(raw)
    return raw if value is None else value


def draft_spec(form: DraftForm) -> TenderCreate:
    """The command body of a one-lot, one-item draft (pydantic's ValidationError for what the schema refuses)."""
    item: dict[str, Any] = {
        "description": form.item_description,
        "cpv": form.cpv,
        "unit": form.unit,
        "quantity": _decimal(form.quantity),
        "nsn": form.nsn.strip() or None,
    }
    return TenderCreate.model_validate(
        {
            "title": form.title,
            "description": form.description.strip() or None,
            "procedure": form.procedure,
            "category": form.category,
            "award_criteria": form.award_criteria,
            "justification": form.justification or None,
            "justification_details": form.justification_details.strip() or None,
            "marking": form.marking,
            "lots": [
                {
                    "title": form.title,
                    "value": {"amount": _decimal(form.value_amount), "currency": form.currency},
                    "items": [item],
                }
            ],
        }
    )


@router.post("/buyer/tenders/new", dependencies=[CsrfChecked])
def create_draft(request: Request, person: Person, form: Annotated[DraftForm, Form()]) -> Response:
    """Prepare the draft; a refusal shows the form again with what was typed and why."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    try:
        spec = draft_spec(form)
    except ValidationError as exc:
        return _wizard(request, form, refusal=_refusal_of_schema(exc), status_code=422)
    try:
        with state.db.unit_of_work() as session:
            tender = service.create_tender(session, actor=person, now=state.clock.now(), spec=spec, lists=state.lists)
            tender_id = tender.id
    except QMError as exc:
        return _wizard(request, form, refusal=refusal_of(exc), status_code=status_of(exc))
    return RedirectResponse(f"/buyer/tenders/{tender_id}", status_code=303)


# --- one tender: publishing and questions ---------------------------------------------------------------------


def _own_tender(session: Session, person: Actor, tender_id: str) -> Tender:
    """The person's organization's tender (NotFound for anyone else's, drafts or not)."""
    tender = service.get_tender(session, tender_id, actor=person)
    if tender.buyer_id != person.organization_id:
        raise NotFound("tender not found", code="tender.not_found")
    access.require_view(session, person, tender.id)
    return tender


def _period_start(now: datetime) -> datetime:
    """Prefilled period ends count from the next full hour: the form stays valid while the approver reads it."""
    return (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)


def _local(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _tender_page(
    request: Request,
    person: Actor,
    tender_id: str,
    *,
    refusal: Refusal | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    state = _state(request)
    now = state.clock.now()
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = _own_tender(session, person, tender_id)
        except (NotFound, PermissionDenied):
            return render(request, "buyer/not_found.html", status_code=404)
        prepared_by = service.preparers(session, tender)
        publish: dict[str, str] = {}
        if tender.status == m.DRAFT:
            book = rulebook_for(now)
            rules: ProcedureRules = book.procedure(tender.procedure)
            minimum = service.minimum_periods(book, rules, _period_start(now))
            publish = {f: _local(minimum[f]) for f in PERIOD_FIELDS if minimum[f] is not None}
            publish.update({k: v for k, v in (typed or {}).items() if k in publish})
        answerable = person.role is Role.BUYER and "answer_question" in service.allowed_commands(tender)
        page = render(
            request,
            "buyer/tender.html",
            status_code=status_code,
            tender=tender,
            enquiries=periods.list_enquiries(session, tender),
            may_publish=person.role is Role.APPROVER and person.user_id not in prepared_by,
            prepared_it=person.role is Role.APPROVER and person.user_id in prepared_by,
            publish=publish,
            answerable=answerable,
            typed=typed or {},
            refusal=refusal,
            field_labels=FIELD_LABELS,
            justification_labels=JUSTIFICATIONS,
            **{**helpers(state.lists, language(request)), "label": status_label},
        )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/buyer/tenders/{tender_id}", response_class=HTMLResponse)
def tender_page(request: Request, person: Person, tender_id: str) -> Response:
    """A draft or live tender of the organization with the actions open to this person."""
    return _staff(request, person) or _tender_page(request, person, tender_id)


def _moment(raw: str, field: str) -> datetime | None:
    """A period end typed in the form (UTC, ``YYYY-MM-DDTHH:MM``); ValidationFailed names the field if unreadable."""
    if not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError as exc:
        raise ValidationFailed(
            "not a date and time", errors=[{"field": field, "message": "not a date and time"}]
        ) from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


Moment = Annotated[str, Form(max_length=40)]


@router.post("/buyer/tenders/{tender_id}/publish", dependencies=[CsrfChecked])
def publish(
    request: Request,
    person: Person,
    tender_id: str,
    prequalification_end: Moment = "",
    enquiry_end: Moment = "",
    tender_end: Moment = "",
) -> Response:
    """An approver who did not prepare the draft publishes it with the period ends chosen."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    typed = {"prequalification_end": prequalification_end, "enquiry_end": enquiry_end, "tender_end": tender_end}
    state = _state(request)
    try:
        ends = PublishTender(**{field: _moment(raw, field) for field, raw in typed.items()})
        with state.db.unit_of_work() as session:
            _own_tender(session, person, tender_id)
            service.publish_tender(session, actor=person, now=state.clock.now(), tender_id=tender_id, periods=ends)
    except QMError as exc:
        return _tender_page(
            request, person, tender_id, refusal=refusal_of(exc), typed=typed, status_code=status_of(exc)
        )
    return RedirectResponse(f"/buyer/tenders/{tender_id}", status_code=303)


@router.post("/buyer/tenders/{tender_id}/questions/{enquiry_id}/answer", dependencies=[CsrfChecked])
def answer(
    request: Request,
    person: Person,
    tender_id: str,
    enquiry_id: str,
    answer: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """The buyer answers a question; the answer is published to everyone."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    typed = {f"answer:{enquiry_id}": answer}
    try:
        if not answer.strip():
            raise ValidationFailed("the answer is empty", errors=[{"field": "answer", "message": "required"}])
        with state.db.unit_of_work() as session:
            _own_tender(session, person, tender_id)
            periods.answer_question(
                session,
                actor=person,
                now=state.clock.now(),
                tender_id=tender_id,
                enquiry_id=enquiry_id,
                answer=answer.strip(),
            )
    except QMError as exc:
        return _tender_page(
            request, person, tender_id, refusal=refusal_of(exc), typed=typed, status_code=status_of(exc)
        )
    return RedirectResponse(f"/buyer/tenders/{tender_id}#q-{enquiry_id}", status_code=303)
