"""Buyer pages of the web interface: the workspace, the draft tender wizard, publishing and answering questions.

Every page is for the staff of a buying organization (buyers and approvers); anyone else gets a 403 page. A refused
command re-renders its form with what was typed and the refusal explained by its error code (``refusals.EXPLANATIONS``),
the same codes the API's problem documents carry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.api.deps import AppState
from quartermaster.api.problems import status_of
from quartermaster.committees import service as committees
from quartermaster.contracts.models import Contract
from quartermaster.errors import NotFound, PermissionDenied, QMError, StaleVersion, ValidationFailed
from quartermaster.plans import service as plans
from quartermaster.plans.models import Plan
from quartermaster.rules import ProcedureRules, rulebook_for
from quartermaster.tenders import access, periods, service
from quartermaster.tenders import models as m
from quartermaster.tenders.models import Enquiry, Tender
from quartermaster.tenders.schemas import CancelTender, PublishTender, TenderCreate, TenderUpdate
from quartermaster.types import MARKINGS
from quartermaster.web.auth import CsrfChecked, PageRoute, Person
from quartermaster.web.i18n import decimal_or_text
from quartermaster.web.queries import helpers, label
from quartermaster.web.refusals import Link, Refusal, denied, not_found
from quartermaster.web.templating import language, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

WORKSPACE_ROLES = (Role.BUYER, Role.APPROVER)
# Procedures a buyer prepares here; a mini-competition is created by a call-off on its framework.
PROCEDURES = ("open", "selective", "negotiated", "limited", "framework")
CATEGORIES = ("goods", "services", "works")
PERIOD_FIELDS = ("prequalification_end", "enquiry_end", "tender_end")

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
    "reason": "Reason",
    "plan_id": "Plan",
    "lots": "Lots",
}
JUSTIFICATIONS = {
    "extreme_urgency": "Extreme urgency",
    "exclusive_rights_or_technical_reasons": "Exclusive rights or technical reasons",
    "security_of_supply_or_classified": "Security of supply or classified",
    "additional_deliveries": "Additional deliveries",
    "no_suitable_tenders": "No suitable tenders in a prior procedure",
}


ITEM_FIELDS = ("description", "cpv", "unit", "quantity", "nsn")
# Row fields by their English label (the item's description is labelled apart from the tender's).
ROW_LABELS = {
    "description": "Item description",
    "cpv": "CPV code",
    "unit": "Unit",
    "quantity": "Quantity",
    "nsn": "NSN",
    "title": "Lot title",
    "value_amount": "Expected value",
    "items": "Items",
}
MAX_LOTS = 100  # as TenderCreate allows
MAX_ITEMS = 200  # per lot, as LotIn allows
# A row number in a typed field's name: lots-0-title, lots-0-items-1-cpv, items-2-quantity (plans).
_ROW = re.compile(r"^(?:lots-(\d{1,3})-)?(?:items-(\d{1,3})-)?([a-z_]{1,30})$")
# The add/remove buttons' values: add_lot, remove_lot-1, add_item-0 (plans: add_item), remove_item-0-2.
_ACTION = re.compile(r"^(add_lot|remove_lot|add_item|remove_item)((?:-\d{1,3}){0,2})$")


class ItemForm(BaseModel):
    """One item row as typed."""

    description: str = ""
    cpv: str = ""
    unit: str = "H87"
    quantity: str = ""
    nsn: str = ""


class LotForm(BaseModel):
    """One lot as typed, with its item rows."""

    title: str = ""
    value_amount: str = ""
    items: list[ItemForm] = Field(default_factory=lambda: [ItemForm()])


class DraftForm(BaseModel):
    """The wizard's fields exactly as typed (strings), so a refused form can be shown again unchanged."""

    title: str = ""
    description: str = ""
    procedure: str = "open"
    category: str = "goods"
    award_criteria: str = "priceOnly"
    justification: str = ""
    justification_details: str = ""
    currency: str = "UAH"
    marking: str = "public"
    plan_id: str = ""
    version: str = ""
    lots: list[LotForm] = Field(default_factory=lambda: [LotForm()])


def form_field(path: str) -> str:
    """The typed field of a service's or schema's field path (``lots.1.items.0.cpv`` -> ``lots-1-items-0-cpv``, the
    second lot's first item; ``items.2.unit`` -> ``items-2-unit`` of a plan; ``lots.0`` -> ``lots-0``)."""
    parts = [p for p in path.split(".") if p]
    lot: int | None = None
    if len(parts) >= 2 and parts[0] == "lots" and parts[1].isdigit():
        lot, parts = int(parts[1]), parts[2:]
    prefix = "" if lot is None else f"lots-{lot}-"
    if len(parts) >= 2 and parts[0] == "items" and parts[1].isdigit():
        item, rest = int(parts[1]), parts[2:]
        name = rest[0] if rest else ""
        return f"{prefix}items-{item}-{name}" if name in ITEM_FIELDS else f"{prefix}items-{item}"
    if parts[:1] == ["value"] or parts[:1] == ["value_amount"]:
        return "currency" if parts[1:2] == ["currency"] else f"{prefix}value_amount"
    if lot is not None:
        name = parts[0] if parts else ""
        return f"{prefix}{name}" if name in ("title", "items") else prefix.rstrip("-")
    return parts[-1] if parts else path


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


def refusal_of(exc: QMError) -> Refusal:
    """A domain error as the buyer's pages explain it, the notes on the typed fields (lots and items by row)."""
    return Refusal.of(exc, field_of=form_field)


def refusal_of_schema(exc: ValidationError) -> Refusal:
    """A schema's refusal of what was typed, with a note per typed field."""
    return Refusal.of_schema(exc, field_of=form_field)


def status_label(code: str | None) -> str:
    """The English label of a code, drafts included (the public portal never shows a draft)."""
    return "Draft" if code == m.DRAFT else label(code)


def _staff(request: Request, person: Actor) -> Response | None:
    """None for a buyer or approver of an organization; the 403 page for anyone else."""
    if person.role in WORKSPACE_ROLES and person.organization_id is not None:
        return None
    return denied(
        request,
        heading="Buyer's workspace",
        message="The buyer's workspace is for the buyers and approvers of a buying organization. "
        "Your account may not use it.",
        links=[Link("/account", "Your account"), Link("/tenders", "Search tenders")],
    )


def tender_not_found(request: Request) -> Response:
    """The 404 page of a tender the person's organization does not have."""
    return not_found(
        request,
        message="Your organization has no tender at this address.",
        links=[Link("/buyer", "Buyer's workspace")],
    )


def plan_not_found(request: Request) -> Response:
    """The 404 page of a plan the person's organization does not have."""
    return not_found(
        request,
        message="Your organization has no plan at this address.",
        links=[Link("/buyer/plans", "Procurement plans")],
    )


# --- the workspace --------------------------------------------------------------------------------------------


def _next_action(tender: Tender, person: Actor, prepared_by: set[str], unanswered: int) -> str:
    """What the organization should do next with a tender, as an English sentence (translated in the page)."""
    if tender.status == m.DRAFT:
        if person.role is Role.APPROVER and person.user_id not in prepared_by:
            return "Review and publish"
        return "Waiting for an approver who did not prepare it to publish"
    if unanswered:
        return "Answer the questions"
    if tender.status == m.QUALIFICATION:
        return "Evaluate and award"
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


async def typed_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (the first value of each name), as typed."""
    form = await request.form()  # parsed once per request: the CSRF check reads the same
    out: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key not in out:
            out[key] = value
    return out


Typed = Annotated[dict[str, str], Depends(typed_fields)]


def typed_rows(fields: dict[str, str]) -> dict[tuple[int | None, int | None], dict[str, str]]:
    """The row fields of a posted form by (lot, item) number: ``lots-1-items-0-cpv`` -> ``(1, 0): {"cpv": ...}``."""
    rows: dict[tuple[int | None, int | None], dict[str, str]] = {}
    for key, value in fields.items():
        match = _ROW.match(key)
        if match is None or (match[1] is None and match[2] is None):
            continue
        lot = None if match[1] is None else int(match[1])
        item = None if match[2] is None else int(match[2])
        rows.setdefault((lot, item), {})[match[3]] = value
    return rows


def _items_of(rows: dict[tuple[int | None, int | None], dict[str, str]], lot: int | None) -> list[ItemForm]:
    numbers = sorted(item for (li, item) in rows if li == lot and item is not None)
    allowed = set(ItemForm.model_fields)
    return [ItemForm(**{k: v for k, v in rows[(lot, n)].items() if k in allowed}) for n in numbers]


def draft_form(fields: dict[str, str]) -> DraftForm:
    """The wizard's form from the posted fields, rows in their order (gaps left by removed rows closed).

    The one-lot form of earlier versions (``value_amount``, ``item_description``, ``cpv``... at the top level) is
    still read, as the first lot with its one item."""
    top = {k: v for k, v in fields.items() if k in DraftForm.model_fields and k != "lots"}
    rows = typed_rows(fields)
    lots: list[LotForm] = []
    for number in sorted({lot for (lot, _) in rows if lot is not None}):
        own = rows.get((number, None), {})
        lots.append(
            LotForm(title=own.get("title", ""), value_amount=own.get("value_amount", ""), items=_items_of(rows, number))
        )
    if not lots and any(k in fields for k in ("cpv", "item_description", "value_amount")):
        item = ItemForm(
            description=fields.get("item_description", ""),
            cpv=fields.get("cpv", ""),
            unit=fields.get("unit", "H87"),
            quantity=fields.get("quantity", ""),
            nsn=fields.get("nsn", ""),
        )
        lots = [LotForm(title=fields.get("title", ""), value_amount=fields.get("value_amount", ""), items=[item])]
    return DraftForm(**top, lots=lots or [LotForm()])


def row_action(raw: str) -> tuple[str, list[int]] | None:
    """An add/remove button's value as (what, row numbers); None when it is not one."""
    match = _ACTION.match(raw.strip())
    if match is None:
        return None
    return match[1], [int(n) for n in match[2].split("-") if n]


def apply_action(form: DraftForm, what: str, numbers: list[int]) -> None:
    """Add or remove a lot or an item row (a lot and a lot's items always keep at least one row)."""
    lots = form.lots
    if what == "add_lot" and len(lots) < MAX_LOTS:
        lots.append(LotForm())
    elif what == "remove_lot" and len(numbers) == 1 and len(lots) > 1 and numbers[0] < len(lots):
        del lots[numbers[0]]
    elif what == "add_item" and len(numbers) == 1 and numbers[0] < len(lots):
        items = lots[numbers[0]].items
        if len(items) < MAX_ITEMS:
            items.append(ItemForm())
    elif what == "remove_item" and len(numbers) == 2 and numbers[0] < len(lots):
        items = lots[numbers[0]].items
        if len(items) > 1 and numbers[1] < len(items):
            del items[numbers[1]]


def _wizard(
    request: Request,
    form: DraftForm,
    *,
    action: str = "/buyer/tenders/new",
    editing: dict[str, str] | None = None,
    refusal: Refusal | None = None,
    status_code: int = 200,
    fragment: bool = False,
) -> Response:
    state = _state(request)
    page = render(
        request,
        "buyer/_lots.html" if fragment else "buyer/new.html",
        status_code=status_code,
        v=form.model_dump(),
        form_action=action,
        editing=editing,
        refusal=refusal,
        procedures=PROCEDURES,
        categories=CATEGORIES,
        markings=MARKINGS,
        field_labels=FIELD_LABELS,
        row_labels=ROW_LABELS,
        justification_labels=JUSTIFICATIONS,
        max_lots=MAX_LOTS,
        max_items=MAX_ITEMS,
        label=status_label,
        **_hints(form.procedure, state.clock.now()),
    )
    page.headers["Cache-Control"] = "no-store"
    return page


def _plain(value: Decimal) -> str:
    """A stored number as a person would type it again (``40.000`` -> ``40``, ``1500000.50`` kept)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def plan_draft(plan: Plan) -> DraftForm:
    """A draft prefilled from a plan: its title, procedure, category, value and items as one lot."""
    items = [
        ItemForm(
            description=str(i.get("description", "")),
            cpv=str(i.get("cpv", "")),
            unit=str(i.get("unit", "")),
            quantity=_plain(Decimal(str(i.get("quantity", "0")))),
        )
        for i in plan.items
    ]
    return DraftForm(
        title=plan.title,
        description=plan.description or "",
        procedure=plan.procedure if plan.procedure in PROCEDURES else "open",
        category=plan.category,
        currency=plan.currency,
        plan_id=plan.id,
        lots=[LotForm(title=plan.title, value_amount=_plain(plan.value_amount), items=items or [ItemForm()])],
    )


@router.get("/buyer/tenders/new", response_class=HTMLResponse)
def new_tender_form(request: Request, person: Person, plan_id: Annotated[str, Query(max_length=32)] = "") -> Response:
    """An empty draft with the rulebook hints of the open procedure, or one prefilled from a plan."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    if not plan_id:
        return _wizard(request, DraftForm())
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        try:
            plan = plans.get_plan(session, plan_id, actor=person)
        except NotFound:
            return plan_not_found(request)
        if plan.buyer_id != person.organization_id:
            return plan_not_found(request)
        return _wizard(request, plan_draft(plan))


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


def _lots_spec(form: DraftForm, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "title": lot.title,
            "value": {"amount": decimal_or_text(lot.value_amount, lang), "currency": form.currency.strip().upper()},
            "items": [
                {
                    "description": item.description,
                    "cpv": item.cpv,
                    "unit": item.unit,
                    "quantity": decimal_or_text(item.quantity, lang),
                    "nsn": item.nsn.strip() or None,
                }
                for item in lot.items
            ],
        }
        for lot in form.lots
    ]


def _common_spec(form: DraftForm, lang: str) -> dict[str, Any]:
    return {
        "title": form.title,
        "description": form.description.strip() or None,
        "category": form.category,
        "award_criteria": form.award_criteria,
        "justification": form.justification or None,
        "justification_details": form.justification_details.strip() or None,
        "marking": form.marking,
        "lots": _lots_spec(form, lang),
    }


def draft_spec(form: DraftForm, lang: str) -> TenderCreate:
    """The command body of a draft with its lots and items, numbers read as written in ``lang`` (pydantic's
    ValidationError for what the schema refuses)."""
    body = {**_common_spec(form, lang), "procedure": form.procedure, "plan_id": form.plan_id.strip() or None}
    return TenderCreate.model_validate(body)


def update_spec(form: DraftForm, lang: str) -> TenderUpdate:
    """The change of a draft: every field of the form (the procedure and the plan are fixed once prepared)."""
    return TenderUpdate.model_validate(_common_spec(form, lang))


@router.post("/buyer/tenders/new", dependencies=[CsrfChecked])
def create_draft(request: Request, person: Person, fields: Typed) -> Response:
    """Prepare the draft; "add a lot"/"add an item" and remove buttons show the form again with the rows changed; a
    refusal shows the form again with what was typed and why."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    form = draft_form(fields)
    pressed = row_action(fields.get("action", ""))
    if pressed is not None:
        apply_action(form, *pressed)
        return _wizard(request, form, fragment=bool(request.headers.get("HX-Request")))
    state = _state(request)
    try:
        spec = draft_spec(form, language(request))
    except ValidationError as exc:
        return _wizard(request, form, refusal=refusal_of_schema(exc), status_code=422)
    try:
        with state.db.unit_of_work() as session:
            tender = service.create_tender(session, actor=person, now=state.clock.now(), spec=spec, lists=state.lists)
            tender_id = tender.id
    except QMError as exc:
        return _wizard(request, form, refusal=refusal_of(exc), status_code=status_of(exc))
    return RedirectResponse(f"/buyer/tenders/{tender_id}", status_code=303)


def tender_draft(tender: Tender) -> DraftForm:
    """The wizard prefilled with a stored draft (its lots and items in order)."""
    return DraftForm(
        title=tender.title,
        description=tender.description or "",
        procedure=tender.procedure,
        category=tender.category,
        award_criteria=tender.award_criteria,
        justification=tender.justification or "",
        justification_details=tender.justification_details or "",
        currency=tender.currency,
        marking=tender.marking,
        plan_id=tender.plan_id or "",
        version=str(tender.version),
        lots=[
            LotForm(
                title=lot.title,
                value_amount=_plain(lot.value_amount),
                items=[
                    ItemForm(
                        description=i.description, cpv=i.cpv, unit=i.unit, quantity=_plain(i.quantity), nsn=i.nsn or ""
                    )
                    for i in lot.items
                ]
                or [ItemForm()],
            )
            for lot in tender.lots
        ]
        or [LotForm()],
    )


@router.get("/buyer/tenders/{tender_id}/edit", response_class=HTMLResponse)
def edit_draft_form(request: Request, person: Person, tender_id: str) -> Response:
    """The wizard prefilled with the organization's draft."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = _own_tender(session, person, tender_id)
        except (NotFound, PermissionDenied):
            return tender_not_found(request)
        if tender.status != m.DRAFT:
            refusal = Refusal.local("state.invalid_transition", status=409, explain_as="tender.not_a_draft")
            return _tender_page(request, person, tender_id, refusal=refusal, status_code=409)
        editing = {"id": tender.id, "title": tender.title}
        return _wizard(request, tender_draft(tender), action=f"/buyer/tenders/{tender_id}/edit", editing=editing)


@router.post("/buyer/tenders/{tender_id}/edit", dependencies=[CsrfChecked])
def edit_draft(request: Request, person: Person, tender_id: str, fields: Typed) -> Response:
    """Save the changed draft; refused if someone saved it since the form was opened (its version moved on)."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    action = f"/buyer/tenders/{tender_id}/edit"
    form = draft_form(fields)
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = _own_tender(session, person, tender_id)
        except (NotFound, PermissionDenied):
            return tender_not_found(request)
        form.procedure, form.plan_id = tender.procedure, tender.plan_id or ""  # fixed once prepared
        editing = {"id": tender.id, "title": tender.title}
    pressed = row_action(fields.get("action", ""))
    if pressed is not None:
        apply_action(form, *pressed)
        fragment = bool(request.headers.get("HX-Request"))
        return _wizard(request, form, action=action, editing=editing, fragment=fragment)
    try:
        spec = update_spec(form, language(request))
    except ValidationError as exc:
        refusal = refusal_of_schema(exc)
        return _wizard(request, form, action=action, editing=editing, refusal=refusal, status_code=422)
    try:
        with state.db.unit_of_work() as session:
            current = service.get_tender(session, tender_id, actor=person, for_update=True)
            if form.version.strip() and form.version.strip() != str(current.version):
                raise StaleVersion("the draft changed since you opened it", current_version=current.version)
            service.update_tender(
                session, actor=person, now=state.clock.now(), tender_id=tender_id, spec=spec, lists=state.lists
            )
    except QMError as exc:
        refusal = refusal_of(exc)
        return _wizard(request, form, action=action, editing=editing, refusal=refusal, status_code=status_of(exc))
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


EVALUATION_STATES = (m.OPENING, m.NEGOTIATION, m.QUALIFICATION, m.AWARDED)


def past_deadline(tender: Tender, now: datetime) -> bool:
    """True once bids can no longer come in: opened, negotiated, evaluated or awarded, or tendering past its end."""
    if tender.status in EVALUATION_STATES:
        return True
    end = tender.tender_end
    if tender.status != m.TENDERING or end is None:
        return False
    return now >= (end if end.tzinfo else end.replace(tzinfo=UTC))


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
            return tender_not_found(request)
        prepared_by = service.preparers(session, tender)
        publish: dict[str, str] = {}
        if tender.status == m.DRAFT:
            book = rulebook_for(now)
            rules: ProcedureRules = book.procedure(tender.procedure)
            minimum = service.minimum_periods(book, rules, _period_start(now))
            publish = {f: _local(minimum[f]) for f in PERIOD_FIELDS if minimum[f] is not None}
            publish.update({k: v for k, v in (typed or {}).items() if k in publish})
        allowed = service.allowed_commands(tender)
        answerable = person.role is Role.BUYER and "answer_question" in allowed
        contracts = session.scalars(
            select(Contract)
            .where(Contract.tender_id == tender.id, Contract.buyer_id == person.organization_id)
            .order_by(Contract.created_at, Contract.id)
        ).all()
        plan = session.get(Plan, tender.plan_id) if tender.plan_id else None
        page = render(
            request,
            "buyer/tender.html",
            status_code=status_code,
            tender=tender,
            plan=plan,
            enquiries=periods.list_enquiries(session, tender),
            may_publish=person.role is Role.APPROVER and person.user_id not in prepared_by,
            prepared_it=person.role is Role.APPROVER and person.user_id in prepared_by,
            may_edit=tender.status == m.DRAFT and person.role in WORKSPACE_ROLES,
            cancellable="cancel_tender" in allowed,
            may_cancel="cancel_tender" in allowed and person.role is Role.APPROVER,
            past_deadline=past_deadline(tender, now),
            contracts=contracts,
            publish=publish,
            answerable=answerable,
            typed=typed or {},
            refusal=refusal,
            field_labels=FIELD_LABELS,
            row_labels=ROW_LABELS,
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
            committees.publish_tender(
                session, actor=person, now=state.clock.now(), tender_id=tender_id, periods=ends, vault=state.vault
            )
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


@router.post("/buyer/tenders/{tender_id}/cancel", dependencies=[CsrfChecked])
def cancel(
    request: Request, person: Person, tender_id: str, reason: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    """An approver cancels a draft or live tender with a reason; its open lots are cancelled with it."""
    refused = _staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    typed = {"reason": reason}
    try:
        body = CancelTender(reason=reason)
    except ValidationError as exc:
        return _tender_page(request, person, tender_id, refusal=refusal_of_schema(exc), typed=typed, status_code=422)
    try:
        with state.db.unit_of_work() as session:
            _own_tender(session, person, tender_id)
            service.cancel_tender(session, actor=person, now=state.clock.now(), tender_id=tender_id, reason=body.reason)
    except QMError as exc:
        return _tender_page(
            request, person, tender_id, refusal=refusal_of(exc), typed=typed, status_code=status_of(exc)
        )
    return RedirectResponse(f"/buyer/tenders/{tender_id}", status_code=303)
