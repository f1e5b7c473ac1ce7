"""Contract pages of both sides: unit prices, signatures, amendments, deliveries, acceptance, payments, completion.

``/buyer/contracts`` lists the buying organization's contracts with what to do next; ``/buyer/contracts/{id}`` is
one contract for the buyer's staff (the approver signs, amends, completes or terminates; a buyer accepts or rejects
deliveries; both record payments). ``/supplier/contracts/{id}`` is the supplier's view of its own contract (unit
prices, signature after the standstill, deliveries). Every command calls the contract services in one
``unit_of_work`` with the server's clock; a refusal (a ``QMError``, or a field the page cannot read) shows the page
again with the error code, the reason in the person's language and what was typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from quartermaster.actors import Actor, Role
from quartermaster.api.deps import AppState
from quartermaster.contracts import amendments, implementation
from quartermaster.contracts import service as contracts
from quartermaster.contracts.amendment_rules import GROUNDS
from quartermaster.contracts.models import (
    ACTIVE,
    COMPLETE,
    DELIVERY_ACCEPTED,
    DELIVERY_PENDING,
    PENDING,
    Contract,
    Delivery,
)
from quartermaster.contracts.schemas import (
    AcceptIn,
    AmendmentChangesIn,
    AmendmentIn,
    DeliveryIn,
    ItemChangeIn,
    PaymentIn,
    ReasonIn,
    UnitPriceIn,
    UnitPricesIn,
)
from quartermaster.documents.models import Document
from quartermaster.errors import NotFound, QMError
from quartermaster.identity.models import Organization, User
from quartermaster.schema_base import MoneyIO
from quartermaster.tenders import access
from quartermaster.web import attachments
from quartermaster.web.auth import CsrfChecked, PageRoute, Person
from quartermaster.web.i18n import parse_decimal
from quartermaster.web.queries import helpers
from quartermaster.web.refusals import Link, Refusal, denied, not_found, refused
from quartermaster.web.signing import draft_refused, draft_response, signature_of, signing_public_key
from quartermaster.web.templating import language, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
router.include_router(attachments.router)  # POST /documents: the attach form of every page

Side = Literal["buyer", "supplier"]
BUYER_STAFF = (Role.BUYER, Role.APPROVER)
MAX_TYPED = 5000  # longest value kept from a form field (a reason's limit)

CONTRACT_STATUS = {
    "pending": "Awaiting signatures",
    "active": "Active",
    "complete": "Complete",
    "terminated": "Terminated",
    "cancelled": "Cancelled",
}
DELIVERY_STATUS = {"pending": "Awaiting acceptance", "accepted": "Accepted", "rejected": "Rejected"}
# Form fields by their English label (translated in the templates), also naming the fields of refusals.
FIELD_LABELS = {
    "rationale": "Ground",
    "description": "Description",
    "delivery_due": "Delivery due",
    "unit_price": "Unit price",
    "quantity": "Quantity",
    "amount": "Amount",
    "paid_at": "Paid at",
    "delivery_id": "Delivery",
    "reference": "Reference",
    "reason": "Reason",
    "contract_item_id": "Line",
    "delivered_at": "Delivered at",
    "location": "Location",
    "items": "Lines",
    "changes": "Changes",
    "total": "Total",
    "signature": "Signature",
}
GROUND_LABELS = {code: ground.summary for code, ground in GROUNDS.items()}
# What the buyer's organization should do next, in English (translated in the page).
NEXT_ACTIONS = (
    "Wait for the supplier's unit prices",
    "Wait for the end of the standstill",
    "Sign the contract",
    "Wait for the supplier's signature",
    "Accept or reject deliveries",
    "Complete the contract",
    "Record payments",
    "Wait for deliveries",
    "Nothing to do",
)


def _refusal(exc: QMError | ValidationError) -> Refusal:
    """A refused command as the contract pages explain it, the notes on the form's fields."""
    if isinstance(exc, ValidationError):
        return Refusal.of_schema(exc, page="contracting", field_of=_field_name)
    return Refusal.of(exc, page="contracting", field_of=_field_name)


class BadForm(Exception):
    """A field the page could not read (a number or a moment): refused before any service is called."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


def _field_name(path: str) -> str:
    """The form's field of a service's or schema's field path (``changes.items.0.unit_price.amount`` -> unit_price)."""
    parts = [p for p in path.split(".") if p and not p.isdigit()]
    for part in reversed(parts):
        if part in FIELD_LABELS:
            return part
    return parts[-1] if parts else ""


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


# --- reading what people typed ----------------------------------------------------------------------------------


class TypedForm(dict[str, str]):
    """A form's text fields as typed, and the language the person writes numbers in."""

    def __init__(self, values: dict[str, str], lang: str) -> None:
        super().__init__(values)
        self.lang = lang


async def _typed(request: Request) -> TypedForm:
    """The form's text fields as typed (cut to ``MAX_TYPED``), without the CSRF token."""
    form = await request.form()
    values = {k: v[:MAX_TYPED] for k, v in form.multi_items() if isinstance(v, str) and k != "csrf"}
    return TypedForm(values, language(request))


def _amount(raw: str, name: str, lang: str) -> Decimal:
    value = parse_decimal(raw, lang) if raw.strip() else None
    if value is None or abs(value) >= Decimal(10) ** 16:
        raise BadForm(Refusal.local("form.bad_number", page="contracting", fields=[name]))
    return value


def _moment(raw: str, name: str) -> datetime:
    """A moment typed in a ``datetime-local`` field (read as UTC, as the pages show times) or in ISO form."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise BadForm(Refusal.local("form.bad_moment", page="contracting", fields=[name])) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_input(moment: datetime | None) -> str:
    """A moment as a ``datetime-local`` field's value (UTC, to the minute)."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


# --- loading a contract for one of its parties -----------------------------------------------------------------


def _party_contract(session: Session, person: Actor, contract_id: str, side: Side, ocid_prefix: str) -> Contract:
    """The contract if ``person`` works for its ``side``: NotFound for other organizations' contracts."""
    contract = session.get(Contract, contract_id)
    mine = contract is not None and person.organization_id == (
        contract.buyer_id if side == "buyer" else contract.supplier_id
    )
    if contract is None or not mine:
        raise NotFound("contract not found", code="contract.not_found")
    access.require_view(session, person, access.process_of_contract(contract), ocid_prefix=ocid_prefix)
    return contract


def _role_ok(person: Actor, side: Side) -> bool:
    if person.organization_id is None:
        return False
    return person.role in BUYER_STAFF if side == "buyer" else person.role is Role.SUPPLIER


def _forbidden(request: Request, side: Side) -> HTMLResponse:
    if side == "buyer":
        message = (
            "These pages are for the buyers and approvers of the buying organization. Your account may not use them."
        )
    else:
        message = "These pages are for the people who act for the supplier. Your account may not use them."
    return denied(
        request,
        heading="Contracts",
        message=message,
        links=[Link("/account", "My account"), Link("/tenders", "Search tenders")],
    )


def _next_action(
    contract: Contract, now: datetime, pending_deliveries: int, accepted_in_full: bool, paid: Decimal
) -> str:
    """What the buyer's organization should do next with a contract (an English sentence of ``NEXT_ACTIONS``)."""
    if contract.status == PENDING:
        if contracts.lines_total(contract) != contract.value_amount:
            return NEXT_ACTIONS[0]
        if contract.not_before is not None and now < contract.not_before:
            return NEXT_ACTIONS[1]
        return NEXT_ACTIONS[2] if contract.buyer_signed_at is None else NEXT_ACTIONS[3]
    if contract.status == ACTIVE:
        if pending_deliveries:
            return NEXT_ACTIONS[4]
        return NEXT_ACTIONS[5] if accepted_in_full else NEXT_ACTIONS[7]
    if contract.status == COMPLETE and paid < contract.value_amount:
        return NEXT_ACTIONS[6]
    return NEXT_ACTIONS[8]


def _accepted_in_full(contract: Contract, accepted: Mapping[str, Decimal]) -> bool:
    return all(accepted.get(i.id, Decimal(0)) >= i.quantity for i in contract.items)


@dataclass
class Facts:
    """What a contract page shows beyond the contract row."""

    buyer: Organization | None
    supplier: Organization | None
    signers: dict[str, str]
    amendments: Sequence[Any]
    deliveries: Sequence[Delivery]
    payments: Sequence[Any]
    documents: Sequence[Document]
    committed: dict[str, Decimal]
    accepted: dict[str, Decimal]
    paid: Decimal


def _facts(session: Session, person: Actor, contract: Contract) -> Facts:
    cid = contract.id
    deliveries = implementation.list_deliveries(session, actor=person, contract_id=cid, after=0, limit=1000)
    history = contracts.list_amendments(session, actor=person, contract_id=cid, after=0, limit=1000)
    payments = implementation.list_payments(session, actor=person, contract_id=cid, after=0, limit=1000)
    users = {contract.buyer_signed_by, contract.supplier_signed_by} | {d.decided_by for d in deliveries}
    users |= {a.amended_by for a in history} | {p.recorded_by for p in payments}
    wanted = [u for u in users if u]
    names = {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(wanted)))} if wanted else {}
    return Facts(
        buyer=session.get(Organization, contract.buyer_id),
        supplier=session.get(Organization, contract.supplier_id),
        signers=names,
        amendments=history,
        deliveries=deliveries,
        payments=payments,
        documents=attachments.documents_of(session, person, "contract", cid),
        committed=implementation.committed_quantities(session, cid),
        accepted=implementation.delivered_quantities(session, cid, (DELIVERY_ACCEPTED,)),
        paid=implementation.paid_total(session, cid),
    )


def _may(person: Actor, contract: Contract, side: Side, facts: Facts, now: datetime) -> dict[str, bool]:
    """Which forms the page offers this person (the services decide; this only hides what would surely fail)."""
    role, status = person.role, contract.status
    unsigned = contract.buyer_signed_at is None and contract.supplier_signed_at is None
    after_standstill = contract.not_before is None or now >= contract.not_before
    signable = after_standstill and contracts.lines_total(contract) == contract.value_amount
    if side == "supplier":
        return {
            "set_prices": status == PENDING and unsigned,
            "sign": status == PENDING and contract.supplier_signed_at is None and signable,
            "deliver": status == ACTIVE
            and any(facts.committed.get(i.id, Decimal(0)) < i.quantity for i in contract.items),
        }
    approver = role is Role.APPROVER
    return {
        "sign": approver and status == PENDING and contract.buyer_signed_at is None and signable,
        "amend": approver and status == ACTIVE,
        "decide": role is Role.BUYER and status == ACTIVE,
        "pay": status in (ACTIVE, COMPLETE) and facts.paid < contract.value_amount,
        "complete": approver and status == ACTIVE,
        "terminate": approver and status == ACTIVE,
    }


# --- the pages ---------------------------------------------------------------------------------------------------


def _home(side: Side) -> Link:
    if side == "buyer":
        return Link("/buyer/contracts", "Contracts of my organization")
    return Link("/supplier#contracts", "My workspace")


def _not_found(request: Request, side: Side, refusal: Refusal | None = None) -> HTMLResponse:
    return not_found(
        request,
        message="Your organization has no contract at this address.",
        links=[_home(side)],
        refusal=refusal,
    )


def _refused(request: Request, side: Side, refusal: Refusal) -> HTMLResponse:
    if refusal.status == 404:
        return _not_found(request, side, refusal)
    return refused(request, refusal, links=[_home(side)])


def _detail_page(
    request: Request,
    person: Actor,
    contract_id: str,
    side: Side,
    *,
    refusal: Refusal | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    state = _state(request)
    now = state.clock.now()
    with state.db.unit_of_work(write=False) as session:
        try:
            contract = _party_contract(session, person, contract_id, side, state.settings.ocid_prefix)
        except QMError as exc:
            return _refused(request, side, _refusal(exc))
        facts = _facts(session, person, contract)
        items = {i.id: i for i in contract.items}
        may = _may(person, contract, side, facts, now)
        page = render(
            request,
            f"contracting/{side}.html",
            status_code=refusal.status if refusal else 200,
            side=side,
            contract=contract,
            items=items,
            facts=facts,
            may=may,
            signing_key=signing_public_key(session, person) if may.get("sign") else None,
            now=now,
            now_input=local_input(now),
            local_input=local_input,
            prices_match=contracts.lines_total(contract) == contract.value_amount,
            remaining={i.id: i.quantity - facts.committed.get(i.id, Decimal(0)) for i in contract.items},
            pending_deliveries=[d for d in facts.deliveries if d.status == DELIVERY_PENDING],
            accepted_deliveries=[d for d in facts.deliveries if d.status == DELIVERY_ACCEPTED],
            statuses=CONTRACT_STATUS,
            delivery_statuses=DELIVERY_STATUS,
            grounds=GROUND_LABELS,
            field_labels=FIELD_LABELS,
            refusal=refusal,
            typed=typed or {},
            here=f"/{side}/contracts/{contract.id}",
            **helpers(state.lists, language(request)),
        )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/buyer/contracts", response_class=HTMLResponse)
def buyer_contracts(request: Request, person: Person) -> Response:
    """The buying organization's contracts: status, supplier, value and what to do next."""
    if not _role_ok(person, "buyer"):
        return _forbidden(request, "buyer")
    state = _state(request)
    now = state.clock.now()
    with state.db.unit_of_work(write=False) as session:
        rows = session.scalars(
            select(Contract).where(Contract.buyer_id == person.organization_id).order_by(Contract.created_at.desc())
        ).all()
        mine = [c for c in rows if access.may_view(session, person, access.process_of_contract(c))]
        suppliers = {
            o.id: o
            for o in session.scalars(select(Organization).where(Organization.id.in_({c.supplier_id for c in mine})))
        }
        waiting: dict[str, int] = {}
        for contract_id in session.scalars(
            select(Delivery.contract_id).where(
                Delivery.contract_id.in_([c.id for c in mine]), Delivery.status == DELIVERY_PENDING
            )
        ):
            waiting[contract_id] = waiting.get(contract_id, 0) + 1
        next_actions = {
            c.id: _next_action(
                c,
                now,
                waiting.get(c.id, 0),
                c.status == ACTIVE
                and _accepted_in_full(c, implementation.delivered_quantities(session, c.id, (DELIVERY_ACCEPTED,))),
                implementation.paid_total(session, c.id) if c.status == COMPLETE else Decimal(0),
            )
            for c in mine
        }
        page = render(
            request,
            "contracting/buyer_list.html",
            contracts=mine,
            suppliers=suppliers,
            next_actions=next_actions,
            statuses=CONTRACT_STATUS,
            **helpers(state.lists, language(request)),
        )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/buyer/contracts/{contract_id}", response_class=HTMLResponse)
def buyer_contract(request: Request, contract_id: str, person: Person) -> Response:
    """One contract for the buyer's staff, with the forms their role may use."""
    if not _role_ok(person, "buyer"):
        return _forbidden(request, "buyer")
    return _detail_page(request, person, contract_id, "buyer")


@router.get("/supplier/contracts/{contract_id}", response_class=HTMLResponse)
def supplier_contract(request: Request, contract_id: str, person: Person) -> Response:
    """The supplier's own contract: unit prices, signature, deliveries, acceptance and payments."""
    if not _role_ok(person, "supplier"):
        return _forbidden(request, "supplier")
    return _detail_page(request, person, contract_id, "supplier")


# --- commands ----------------------------------------------------------------------------------------------------

Command = Callable[[Session, Actor, datetime], object]


def _run(
    request: Request,
    person: Actor,
    contract_id: str,
    side: Side,
    build: Callable[[Contract], Command],
    typed: dict[str, str],
    anchor: str,
) -> Response:
    """Check the party, read the form (``build``), run the command in one transaction, then show the contract."""
    state = _state(request)
    try:
        with state.db.unit_of_work() as session:
            contract = _party_contract(session, person, contract_id, side, state.settings.ocid_prefix)
            command = build(contract)
            command(session, person, state.clock.now())
    except BadForm as bad:
        return _detail_page(request, person, contract_id, side, refusal=bad.refusal, typed=typed)
    except ValidationError as exc:
        return _detail_page(request, person, contract_id, side, refusal=_refusal(exc), typed=typed)
    except QMError as exc:
        return _detail_page(request, person, contract_id, side, refusal=_refusal(exc), typed=typed)
    return RedirectResponse(f"/{side}/contracts/{contract_id}#{anchor}", status_code=303)


async def _command(
    request: Request, person: Actor, contract_id: str, side: Side, build: Callable[..., Command], anchor: str
) -> Response:
    if not _role_ok(person, side):
        return _forbidden(request, side)
    typed = await _typed(request)
    return await run_in_threadpool(_run, request, person, contract_id, side, lambda c: build(c, typed), typed, anchor)


def _sign(contract: Contract, typed: TypedForm) -> Command:
    signature = signature_of(typed.get("signature", ""))
    return lambda s, who, now: contracts.sign_contract(
        s, actor=who, now=now, contract_id=contract.id, signature=signature
    )


def _sign_draft(request: Request, person: Actor, contract_id: str, side: Side) -> Response:
    """The document this party signs for the contract as it now stands (JSON for ``static/sign.js``)."""
    if not _role_ok(person, side):
        return _forbidden(request, side)
    state = _state(request)
    try:
        with state.db.unit_of_work(write=False) as session:
            contract = _party_contract(session, person, contract_id, side, state.settings.ocid_prefix)
            _, made = contracts.draft_signature(session, actor=person, contract_id=contract.id)
            return draft_response(made, signing_public_key(session, person))
    except QMError as exc:
        return draft_refused(request, exc)


@router.post("/buyer/contracts/{contract_id}/sign", dependencies=[CsrfChecked])
async def buyer_sign(request: Request, contract_id: str, person: Person) -> Response:
    """The buyer's approver signs (after the standstill; with their signing key once they have one)."""
    return await _command(request, person, contract_id, "buyer", _sign, "signatures")


@router.post("/buyer/contracts/{contract_id}/sign/draft", dependencies=[CsrfChecked])
def buyer_sign_draft(request: Request, contract_id: str, person: Person) -> Response:
    """The document the buyer's approver signs."""
    return _sign_draft(request, person, contract_id, "buyer")


@router.post("/supplier/contracts/{contract_id}/sign", dependencies=[CsrfChecked])
async def supplier_sign(request: Request, contract_id: str, person: Person) -> Response:
    """The supplier signs its contract after the standstill (the unit prices must add up first; with its person's
    signing key once they have one)."""
    return await _command(request, person, contract_id, "supplier", _sign, "signatures")


@router.post("/supplier/contracts/{contract_id}/sign/draft", dependencies=[CsrfChecked])
def supplier_sign_draft(request: Request, contract_id: str, person: Person) -> Response:
    """The document the supplier's person signs."""
    return _sign_draft(request, person, contract_id, "supplier")


def _unit_prices(contract: Contract, typed: TypedForm) -> Command:
    lines = []
    for item in contract.items:
        name = f"unit-{item.id}"
        price = MoneyIO(amount=_amount(typed.get(name, ""), "unit_price", typed.lang), currency=contract.currency)
        lines.append(UnitPriceIn(contract_item_id=item.id, unit_price=price))
    spec = UnitPricesIn(items=lines)
    return lambda s, who, now: contracts.set_unit_prices(s, actor=who, now=now, contract_id=contract.id, spec=spec)


@router.post("/supplier/contracts/{contract_id}/unit-prices", dependencies=[CsrfChecked])
async def set_unit_prices(request: Request, contract_id: str, person: Person) -> Response:
    """The supplier prices every line before signing; the lines must add up to the contract value."""
    return await _command(request, person, contract_id, "supplier", _unit_prices, "lines")


def _delivery(contract: Contract, typed: TypedForm) -> Command:
    spec = DeliveryIn(
        contract_item_id=typed.get("contract_item_id", ""),
        quantity=_amount(typed.get("quantity", ""), "quantity", typed.lang),
        delivered_at=_moment(typed.get("delivered_at", ""), "delivered_at"),
        location=typed.get("location", "").strip() or None,
    )
    return lambda s, who, now: implementation.record_delivery(s, actor=who, now=now, contract_id=contract.id, spec=spec)


@router.post("/supplier/contracts/{contract_id}/deliveries", dependencies=[CsrfChecked])
async def record_delivery(request: Request, contract_id: str, person: Person) -> Response:
    """The supplier reports a delivery of (part of) a line; the buyer then accepts or rejects it."""
    return await _command(request, person, contract_id, "supplier", _delivery, "deliveries")


def _amendment(contract: Contract, typed: TypedForm) -> Command:
    changes = []
    for item in contract.items:
        raw_price, raw_qty = typed.get(f"price-{item.id}", "").strip(), typed.get(f"qty-{item.id}", "").strip()
        price = _amount(raw_price, "unit_price", typed.lang) if raw_price else None
        quantity = _amount(raw_qty, "quantity", typed.lang) if raw_qty else None
        price = None if price == item.unit_price else price
        quantity = None if quantity == item.quantity else quantity
        if price is not None or quantity is not None:
            changes.append(
                ItemChangeIn(
                    contract_item_id=item.id,
                    unit_price=None if price is None else MoneyIO(amount=price, currency=contract.currency),
                    quantity=quantity,
                )
            )
    raw_due = typed.get("delivery_due", "").strip()
    due = _moment(raw_due, "delivery_due") if raw_due else None
    if due is not None and contract.delivery_due is not None and local_input(due) == local_input(contract.delivery_due):
        due = None  # the prefilled date, unchanged
    spec = AmendmentIn(
        rationale=typed.get("rationale", ""),
        description=typed.get("description", ""),
        changes=AmendmentChangesIn(items=changes, delivery_due=due),
    )
    return lambda s, who, now: amendments.amend_contract(s, actor=who, now=now, contract_id=contract.id, spec=spec)


@router.post("/buyer/contracts/{contract_id}/amend", dependencies=[CsrfChecked])
async def amend(request: Request, contract_id: str, person: Person) -> Response:
    """The approver amends a signed contract on a lawful ground: new unit prices, quantities or delivery date."""
    return await _command(request, person, contract_id, "buyer", _amendment, "amendments")


def _delivery_of(contract: Contract, delivery_id: str) -> str:
    """The id of one of the contract's deliveries (NotFound for another contract's or an unknown one)."""
    session = object_session(contract)
    found = session.get(Delivery, delivery_id) if session is not None else None
    if found is None or found.contract_id != contract.id:
        raise NotFound("delivery not found", code="delivery.not_found")
    return delivery_id


def _acceptance(delivery_id: str) -> Callable[[Contract, TypedForm], Command]:
    def build(contract: Contract, typed: TypedForm) -> Command:
        target = _delivery_of(contract, delivery_id)
        note = AcceptIn(reason=typed.get(f"reason-{delivery_id}", "") or None).reason or None
        return lambda s, who, now: implementation.accept_delivery(
            s, actor=who, now=now, delivery_id=target, reason=note
        )

    return build


def _rejection(delivery_id: str) -> Callable[[Contract, TypedForm], Command]:
    def build(contract: Contract, typed: TypedForm) -> Command:
        target = _delivery_of(contract, delivery_id)
        reason = ReasonIn(reason=typed.get(f"reason-{delivery_id}", "")).reason
        return lambda s, who, now: implementation.reject_delivery(
            s, actor=who, now=now, delivery_id=target, reason=reason
        )

    return build


@router.post("/buyer/contracts/{contract_id}/deliveries/{delivery_id}/accept", dependencies=[CsrfChecked])
async def accept_delivery(request: Request, contract_id: str, delivery_id: str, person: Person) -> Response:
    """A buyer accepts a delivery awaiting acceptance (an optional note)."""
    return await _command(request, person, contract_id, "buyer", _acceptance(delivery_id), "deliveries")


@router.post("/buyer/contracts/{contract_id}/deliveries/{delivery_id}/reject", dependencies=[CsrfChecked])
async def reject_delivery(request: Request, contract_id: str, delivery_id: str, person: Person) -> Response:
    """A buyer rejects a delivery awaiting acceptance, with a reason."""
    return await _command(request, person, contract_id, "buyer", _rejection(delivery_id), "deliveries")


def _payment(contract: Contract, typed: TypedForm) -> Command:
    spec = PaymentIn(
        amount=MoneyIO(amount=_amount(typed.get("amount", ""), "amount", typed.lang), currency=contract.currency),
        paid_at=_moment(typed.get("paid_at", ""), "paid_at"),
        delivery_id=typed.get("delivery_id", "").strip() or None,
        reference=typed.get("reference", "").strip() or None,
    )
    return lambda s, who, now: implementation.record_payment(s, actor=who, now=now, contract_id=contract.id, spec=spec)


@router.post("/buyer/contracts/{contract_id}/payments", dependencies=[CsrfChecked])
async def record_payment(request: Request, contract_id: str, person: Person) -> Response:
    """The buyer's staff record a payment (at most the contract value in total)."""
    return await _command(request, person, contract_id, "buyer", _payment, "payments")


def _complete(contract: Contract, typed: TypedForm) -> Command:
    return lambda s, who, now: implementation.complete_contract(s, actor=who, now=now, contract_id=contract.id)


def _terminate(contract: Contract, typed: TypedForm) -> Command:
    reason = ReasonIn(reason=typed.get("termination_reason", "")).reason
    return lambda s, who, now: implementation.terminate_contract(
        s, actor=who, now=now, contract_id=contract.id, reason=reason
    )


@router.post("/buyer/contracts/{contract_id}/complete", dependencies=[CsrfChecked])
async def complete(request: Request, contract_id: str, person: Person) -> Response:
    """The approver completes a contract whose every line is accepted in full."""
    return await _command(request, person, contract_id, "buyer", _complete, "end")


@router.post("/buyer/contracts/{contract_id}/terminate", dependencies=[CsrfChecked])
async def terminate(request: Request, contract_id: str, person: Person) -> Response:
    """The approver ends an active contract early, with a reason."""
    return await _command(request, person, contract_id, "buyer", _terminate, "end")
