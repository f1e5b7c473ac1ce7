"""Procurement plans in the buyer's workspace: list, prepare, change, publish, cancel, complete.

A buyer prepares and changes a draft plan; an approver who did not prepare it publishes it; an approver cancels a
draft or published plan with a reason, or marks a published plan complete. A published plan is where a tender
starts: "prepare a tender from this plan" opens the wizard prefilled and linked to the plan. Refusals re-render the
form with what was typed, explained by the service's error code (``refusals.EXPLANATIONS``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.api.deps import AppState
from quartermaster.api.problems import status_of
from quartermaster.errors import NotFound, QMError, StaleVersion, ValidationFailed
from quartermaster.plans import models as pm
from quartermaster.plans import service
from quartermaster.plans.models import Plan
from quartermaster.plans.schemas import CancelPlan, PlanCreate, PlanUpdate
from quartermaster.tenders.models import Tender
from quartermaster.web import buyer
from quartermaster.web.auth import CsrfChecked, PageRoute, Person
from quartermaster.web.buyer import ItemForm, Typed
from quartermaster.web.i18n import decimal_or_text
from quartermaster.web.queries import helpers, label
from quartermaster.web.refusals import Refusal
from quartermaster.web.templating import language, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MAX_ITEMS = 200  # as PlanCreate allows
PLAN_STATUS = {
    pm.PLAN_DRAFT: "Draft",
    pm.PLAN_PUBLISHED: "Published",
    pm.PLAN_COMPLETE: "Complete",
    pm.PLAN_CANCELLED: "Cancelled",
}
PLAN_LABELS = {
    "title": "Title",
    "description": "Description",
    "year": "Year",
    "budget_line": "Budget line",
    "budget_source": "Source of funding",
    "procedure": "Planned procedure",
    "category": "Category",
    "value_amount": "Estimated value",
    "currency": "Currency",
    "cpv_main": "Main CPV code",
    "tender_start": "Planned start of the procedure",
    "reason": "Reason",
    "items": "Items",
}


class PlanForm(BaseModel):
    """A plan's fields exactly as typed (strings), so a refused form can be shown again unchanged."""

    title: str = ""
    description: str = ""
    year: str = ""
    budget_line: str = ""
    budget_source: str = ""
    procedure: str = "open"
    category: str = "goods"
    value_amount: str = ""
    currency: str = "UAH"
    tender_start: str = ""
    version: str = ""
    items: list[ItemForm] = Field(default_factory=lambda: [ItemForm()])


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


def _refusal(exc: QMError | ValidationError) -> Refusal:
    """A refused plan command: explained as on the plan pages, the notes on the typed fields (items by row)."""
    if isinstance(exc, ValidationError):
        return Refusal.of_schema(exc, page="plans", field_of=buyer.form_field)
    return Refusal.of(exc, page="plans", field_of=buyer.form_field)


def plan_form(fields: dict[str, str]) -> PlanForm:
    """The plan form from the posted fields, item rows in their order."""
    top = {k: v for k, v in fields.items() if k in PlanForm.model_fields and k != "items"}
    rows = buyer.typed_rows(fields)
    allowed = set(ItemForm.model_fields)
    numbers = sorted(item for (lot, item) in rows if lot is None and item is not None)
    items = [ItemForm(**{k: v for k, v in rows[(None, n)].items() if k in allowed}) for n in numbers]
    return PlanForm(**top, items=items or [ItemForm()])


def _apply(form: PlanForm, action: str) -> bool:
    """Add or remove an item row; False when ``action`` is not a row button."""
    pressed = buyer.row_action(action)
    if pressed is None:
        return False
    what, numbers = pressed
    if what == "add_item" and not numbers and len(form.items) < MAX_ITEMS:
        form.items.append(ItemForm())
    elif what == "remove_item" and len(numbers) == 1 and len(form.items) > 1 and numbers[0] < len(form.items):
        del form.items[numbers[0]]
    return True


def _start(raw: str) -> datetime | None:
    """The planned start typed as a date (``YYYY-MM-DD``), midnight UTC; ValidationFailed names the field."""
    if not raw.strip():
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError as exc:
        error = {"field": "tender_start", "message": "not a date (YYYY-MM-DD)"}
        raise ValidationFailed("not a date", errors=[error]) from exc
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _body(form: PlanForm, lang: str) -> dict[str, Any]:
    return {
        "title": form.title,
        "description": form.description.strip() or None,
        "year": form.year.strip() or None,
        "budget_line": form.budget_line,
        "budget_source": form.budget_source.strip() or None,
        "procedure": form.procedure,
        "category": form.category,
        "value": {"amount": decimal_or_text(form.value_amount, lang), "currency": form.currency.strip().upper()},
        "items": [
            {"description": i.description, "cpv": i.cpv, "unit": i.unit, "quantity": decimal_or_text(i.quantity, lang)}
            for i in form.items
        ],
        "tender_start": _start(form.tender_start),
    }


def _editor(
    request: Request,
    form: PlanForm,
    *,
    plan: Plan | None = None,
    refusal: Refusal | None = None,
    status_code: int = 200,
    fragment: bool = False,
) -> Response:
    action = f"/buyer/plans/{plan.id}/edit" if plan is not None else "/buyer/plans/new"
    page = render(
        request,
        "plans/_items.html" if fragment else "plans/form.html",
        status_code=status_code,
        v=form.model_dump(),
        plan=plan,
        form_action=action,
        refusal=refusal,
        procedures=buyer.PROCEDURES,
        categories=buyer.CATEGORIES,
        field_labels={**buyer.FIELD_LABELS, **PLAN_LABELS},
        row_labels=buyer.ROW_LABELS,
        max_items=MAX_ITEMS,
        label=label,
    )
    page.headers["Cache-Control"] = "no-store"
    return page


def _not_found(request: Request) -> Response:
    return buyer.plan_not_found(request)


def _own_plan(session: Session, person: Actor, plan_id: str) -> Plan:
    """The organization's plan (NotFound for anyone else's, published or not)."""
    plan = service.get_plan(session, plan_id, actor=person)
    if plan.buyer_id != person.organization_id:
        raise NotFound("plan not found", code="plan.not_found")
    return plan


# --- the list ---------------------------------------------------------------------------------------------------


def next_action(plan: Plan, person: Actor) -> str:
    """What the organization should do next with a plan, as an English sentence (translated in the page)."""
    if plan.status == pm.PLAN_DRAFT:
        if person.role is Role.APPROVER and person.user_id != plan.created_by:
            return "Review and publish"
        if person.role is Role.BUYER:
            return "Change it, or wait for an approver to publish it"
        return "Waiting for an approver who did not prepare it to publish"
    if plan.status == pm.PLAN_PUBLISHED:
        return "Prepare its tender; mark it complete when done"
    return "Nothing: it is closed"


@router.get("/buyer/plans", response_class=HTMLResponse)
def plan_list(request: Request, person: Person) -> Response:
    """The organization's plans, newest year first, each with its status and what to do next."""
    refused = buyer._staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        flt = service.PlanFilter(buyer_id=person.organization_id)
        found = service.list_plans(session, actor=person, flt=flt, after=None, limit=1000)
        ordered = sorted(found, key=lambda p: (-p.year, p.created_at), reverse=False)
        rows = [{"plan": p, "next": next_action(p, person)} for p in ordered]
        page = render(
            request,
            "plans/list.html",
            rows=rows,
            statuses=PLAN_STATUS,
            may_prepare=person.role is Role.BUYER,
            label=label,
        )
    page.headers["Cache-Control"] = "no-store"
    return page


# --- preparing and changing --------------------------------------------------------------------------------------


@router.get("/buyer/plans/new", response_class=HTMLResponse)
def new_plan_form(request: Request, person: Person) -> Response:
    """An empty draft plan for next year."""
    refused = buyer._staff(request, person)
    if refused is not None:
        return refused
    year = str(_state(request).clock.now().year + 1)
    return _editor(request, PlanForm(year=year))


@router.post("/buyer/plans/new", dependencies=[CsrfChecked])
def create_plan(request: Request, person: Person, fields: Typed) -> Response:
    """Prepare the draft plan ("add an item"/remove buttons show the form again with the rows changed)."""
    refused = buyer._staff(request, person)
    if refused is not None:
        return refused
    form = plan_form(fields)
    if _apply(form, fields.get("action", "")):
        return _editor(request, form, fragment=bool(request.headers.get("HX-Request")))
    state = _state(request)
    try:
        spec = PlanCreate.model_validate(_body(form, language(request)))
        with state.db.unit_of_work() as session:
            plan = service.create_plan(session, actor=person, now=state.clock.now(), spec=spec, lists=state.lists)
            plan_id = plan.id
    except ValidationError as exc:
        return _editor(request, form, refusal=_refusal(exc), status_code=422)
    except QMError as exc:
        return _editor(request, form, refusal=_refusal(exc), status_code=status_of(exc))
    return RedirectResponse(f"/buyer/plans/{plan_id}", status_code=303)


def _typed_of(plan: Plan) -> PlanForm:
    return PlanForm(
        title=plan.title,
        description=plan.description or "",
        year=str(plan.year),
        budget_line=plan.budget_line,
        budget_source=plan.budget_source or "",
        procedure=plan.procedure,
        category=plan.category,
        value_amount=buyer._plain(plan.value_amount),
        currency=plan.currency,
        tender_start=plan.tender_start.date().isoformat() if plan.tender_start else "",
        version=str(plan.version),
        items=[
            ItemForm(
                description=str(i.get("description", "")),
                cpv=str(i.get("cpv", "")),
                unit=str(i.get("unit", "")),
                quantity=buyer._plain(Decimal(str(i.get("quantity", "0")))),
            )
            for i in plan.items
        ]
        or [ItemForm()],
    )


@router.get("/buyer/plans/{plan_id}/edit", response_class=HTMLResponse)
def edit_plan_form(request: Request, person: Person, plan_id: str) -> Response:
    """The plan form prefilled with a draft plan."""
    refused = buyer._staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        try:
            plan = _own_plan(session, person, plan_id)
        except NotFound:
            return _not_found(request)
        if plan.status != pm.PLAN_DRAFT:
            refusal = Refusal.local("state.invalid_transition", status=409, explain_as="plan.not_a_draft")
            return _plan_page(request, person, plan_id, refusal=refusal, status_code=409)
        return _editor(request, _typed_of(plan), plan=plan)


@router.post("/buyer/plans/{plan_id}/edit", dependencies=[CsrfChecked])
def edit_plan(request: Request, person: Person, plan_id: str, fields: Typed) -> Response:
    """Save the changed draft plan; refused if someone saved it since the form was opened."""
    refused = buyer._staff(request, person)
    if refused is not None:
        return refused
    state = _state(request)
    form = plan_form(fields)
    with state.db.unit_of_work(write=False) as session:
        try:
            plan = _own_plan(session, person, plan_id)
        except NotFound:
            return _not_found(request)
        session.expunge(plan)  # shown again after the session ends (title, id)
    if _apply(form, fields.get("action", "")):
        return _editor(request, form, plan=plan, fragment=bool(request.headers.get("HX-Request")))
    try:
        spec = PlanUpdate.model_validate(_body(form, language(request)))
        with state.db.unit_of_work() as session:
            current = service.get_plan(session, plan_id, actor=person, for_update=True)
            if form.version.strip() and form.version.strip() != str(current.version):
                raise StaleVersion("the plan changed since you opened it", current_version=current.version)
            service.update_plan(
                session, actor=person, now=state.clock.now(), plan_id=plan_id, spec=spec, lists=state.lists
            )
    except ValidationError as exc:
        return _editor(request, form, plan=plan, refusal=_refusal(exc), status_code=422)
    except QMError as exc:
        refusal = _refusal(exc)
        return _editor(request, form, plan=plan, refusal=refusal, status_code=status_of(exc))
    return RedirectResponse(f"/buyer/plans/{plan_id}", status_code=303)


# --- one plan and its commands -------------------------------------------------------------------------------------


def _plan_page(
    request: Request,
    person: Actor,
    plan_id: str,
    *,
    refusal: Refusal | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        try:
            plan = _own_plan(session, person, plan_id)
        except NotFound:
            return _not_found(request)
        allowed = service.allowed_commands(plan)
        approver = person.role is Role.APPROVER
        tenders = session.scalars(
            select(Tender).where(Tender.plan_id == plan.id).order_by(Tender.created_at, Tender.id)
        ).all()
        page = render(
            request,
            "plans/plan.html",
            status_code=status_code,
            plan=plan,
            tenders=tenders,
            statuses=PLAN_STATUS,
            may_change="update_plan" in allowed and person.role is Role.BUYER,
            may_publish="publish_plan" in allowed and approver and person.user_id != plan.created_by,
            prepared_it="publish_plan" in allowed and approver and person.user_id == plan.created_by,
            may_cancel="cancel_plan" in allowed and approver,
            may_complete="complete_plan" in allowed and approver,
            may_tender=plan.status == pm.PLAN_PUBLISHED,
            approver_needed=bool({"publish_plan", "cancel_plan", "complete_plan"} & set(allowed)) and not approver,
            typed=typed or {},
            refusal=refusal,
            field_labels={**buyer.FIELD_LABELS, **PLAN_LABELS},
            row_labels=buyer.ROW_LABELS,
            tender_label=buyer.status_label,
            **helpers(state.lists, language(request)),
        )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/buyer/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, person: Person, plan_id: str) -> Response:
    """A plan of the organization with the actions its state and the person's role allow."""
    return buyer._staff(request, person) or _plan_page(request, person, plan_id)


def _command(request: Request, person: Actor, plan_id: str, command: str, reason: str = "") -> Response:
    state = _state(request)
    typed = {"reason": reason} if command == "cancel" else {}
    try:
        with state.db.unit_of_work() as session:
            _own_plan(session, person, plan_id)
            now = state.clock.now()
            if command == "publish":
                service.publish_plan(session, actor=person, now=now, plan_id=plan_id)
            elif command == "complete":
                service.complete_plan(session, actor=person, now=now, plan_id=plan_id)
            else:
                body = CancelPlan(reason=reason)
                service.cancel_plan(session, actor=person, now=now, plan_id=plan_id, reason=body.reason)
    except ValidationError as exc:
        refusal = _refusal(exc)
        return _plan_page(request, person, plan_id, refusal=refusal, typed=typed, status_code=422)
    except QMError as exc:
        refusal = _refusal(exc)
        return _plan_page(request, person, plan_id, refusal=refusal, typed=typed, status_code=status_of(exc))
    return RedirectResponse(f"/buyer/plans/{plan_id}", status_code=303)


@router.post("/buyer/plans/{plan_id}/publish", dependencies=[CsrfChecked])
def publish(request: Request, person: Person, plan_id: str) -> Response:
    """An approver who did not prepare the plan publishes it."""
    return buyer._staff(request, person) or _command(request, person, plan_id, "publish")


@router.post("/buyer/plans/{plan_id}/complete", dependencies=[CsrfChecked])
def complete(request: Request, person: Person, plan_id: str) -> Response:
    """An approver marks a published plan as carried out."""
    return buyer._staff(request, person) or _command(request, person, plan_id, "complete")


@router.post("/buyer/plans/{plan_id}/cancel", dependencies=[CsrfChecked])
def cancel(
    request: Request, person: Person, plan_id: str, reason: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    """An approver cancels a draft or published plan, with a reason."""
    return buyer._staff(request, person) or _command(request, person, plan_id, "cancel", reason)
