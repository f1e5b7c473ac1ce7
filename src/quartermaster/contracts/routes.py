"""Contract endpoints: HTTP <-> schemas only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.api.deps import (
    After,
    AppState,
    Cmd,
    IfMatch,
    Limit,
    MaybeActor,
    ReadSession,
    State,
    check_version,
    json_response,
    next_cursor,
    parse_if_match,
)
from quartermaster.contracts import amendments, implementation, service
from quartermaster.contracts.models import Contract
from quartermaster.contracts.schemas import (
    AcceptIn,
    AmendmentIn,
    AmendmentRead,
    ContractMarkingIn,
    ContractRead,
    DeliveryIn,
    DeliveryRead,
    PaymentIn,
    PaymentRead,
    ReasonIn,
    UnitPricesIn,
    amendment_read,
    contract_read,
    delivery_read,
    payment_read,
)
from quartermaster.decisions.schemas import SignIn
from quartermaster.schema_base import Page
from quartermaster.tenders import access

router = APIRouter(prefix="/api/v1", tags=["contracts"])

Number = Annotated[
    str | None, Query(max_length=12, pattern=r"^\d+$", description="Cursor: the `next` value of the previous page")
]


def _read(c: Contract) -> ContractRead:
    return contract_read(c, service.allowed_commands(c))


def _require_view(session: Session, cmd: Cmd, contract_id: str) -> None:
    """A command's answer goes only to a caller who may see the contract's process (else it is refused, undone)."""
    access.require_view_of(session, cmd.actor, "contract", contract_id, ocid_prefix=cmd.state.settings.ocid_prefix)


def _viewable(session: Session, actor: Actor | None, state: AppState, contract_id: str) -> None:
    """Refuse a read of a contract whose process the caller may not see."""
    access.require_view_of(session, actor, "contract", contract_id, ocid_prefix=state.settings.ocid_prefix)


def _after(cursor: str | None) -> int:
    return int(cursor) if cursor else 0


def _number_cursor(rows: list[AmendmentRead] | list[DeliveryRead] | list[PaymentRead], limit: int) -> str | None:
    return str(rows[-1].number) if rows and len(rows) == limit else None


def _check_version(s: Session, contract_id: str, expected: int | None) -> None:
    """Under the row lock: refuse when If-Match names a version that is no longer current."""
    if expected is None:
        return
    check_version("contract", service.load_contract(s, contract_id, for_update=True).version, expected)


def _contract_command(
    cmd: Cmd,
    contract_id: str,
    if_match: str | None,
    action: Callable[[Session, datetime], Contract],
    status_code: int = 200,
) -> Response:
    """Run a contract command, checking If-Match (when sent) under the row lock."""
    expected = parse_if_match(if_match)

    def go(s: Session, now: datetime) -> ContractRead:
        _check_version(s, contract_id, expected)
        contract = action(s, now)
        _require_view(s, cmd, contract.id)
        return _read(contract)

    return cmd.run(go, status_code=status_code, etag=lambda r: r.version)


@router.get("/contracts", response_model=Page[ContractRead], summary="List contracts")
def list_contracts(
    session: ReadSession,
    actor: MaybeActor,
    limit: Limit = 50,
    after: After = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    buyer_id: Annotated[str | None, Query(max_length=32)] = None,
    supplier_id: Annotated[str | None, Query(max_length=32)] = None,
    tender_id: Annotated[str | None, Query(max_length=32)] = None,
) -> Page[ContractRead]:
    """Contracts (public from the award on), filtered, in keyset pages."""
    flt = service.ContractFilter(status=status, buyer_id=buyer_id, supplier_id=supplier_id, tender_id=tender_id)
    rows = list(service.list_contracts(session, actor=actor, flt=flt, after=after, limit=limit))
    return Page[ContractRead](data=[_read(c) for c in rows], next=next_cursor(rows, limit))


@router.get("/contracts/{contract_id}", response_model=ContractRead, summary="Read a contract")
def get_contract(contract_id: str, session: ReadSession, actor: MaybeActor, state: State) -> Response:
    """One contract, with its ETag."""
    contract = service.get_contract(session, actor=actor, contract_id=contract_id)
    access.require_view(session, actor, access.process_of_contract(contract), ocid_prefix=state.settings.ocid_prefix)
    return json_response(_read(contract), etag=contract.version)


@router.post("/contracts/{contract_id}/unit-prices", response_model=ContractRead, summary="Set unit prices")
def set_unit_prices(contract_id: str, body: UnitPricesIn, cmd: Cmd, if_match: IfMatch = None) -> Response:
    """The supplier prices every line before signing; the lines must add up to the contract value."""
    return _contract_command(
        cmd,
        contract_id,
        if_match,
        lambda s, now: service.set_unit_prices(s, actor=cmd.actor, now=now, contract_id=contract_id, spec=body),
    )


@router.post("/contracts/{contract_id}/marking", response_model=ContractRead, summary="Raise a contract's marking")
def classify_contract(contract_id: str, body: ContractMarkingIn, cmd: Cmd, if_match: IfMatch = None) -> Response:
    """The buyer's approver raises the contract's security marking (up to their clearance; never lowers it)."""
    return _contract_command(
        cmd,
        contract_id,
        if_match,
        lambda s, now: service.classify_contract(
            s, actor=cmd.actor, now=now, contract_id=contract_id, marking=body.marking
        ),
    )


@router.post("/contracts/{contract_id}/sign", response_model=ContractRead, summary="Sign a contract")
def sign_contract(contract_id: str, cmd: Cmd, if_match: IfMatch = None, body: SignIn | None = None) -> Response:
    """The buyer's approver or the supplier signs after the standstill; both signatures make it active.

    A person with an enrolled signing key sends ``{"signature": {...}}`` over the document
    ``POST /api/v1/decisions/draft`` gives for ``sign_contract``.
    """
    signature = body.signature if body is not None else None
    return _contract_command(
        cmd,
        contract_id,
        if_match,
        lambda s, now: service.sign_contract(s, actor=cmd.actor, now=now, contract_id=contract_id, signature=signature),
    )


@router.post(
    "/contracts/{contract_id}/amendments",
    status_code=201,
    response_model=AmendmentRead,
    summary="Amend a signed contract",
)
def amend_contract(contract_id: str, body: AmendmentIn, cmd: Cmd, if_match: IfMatch = None) -> Response:
    """An approver amends an active contract on a ground from the closed list."""
    expected = parse_if_match(if_match)

    def go(s: Session, now: datetime) -> AmendmentRead:
        _check_version(s, contract_id, expected)
        row = amendments.amend_contract(s, actor=cmd.actor, now=now, contract_id=contract_id, spec=body)
        _require_view(s, cmd, contract_id)
        return amendment_read(row, service.load_contract(s, contract_id).currency)

    return cmd.run(go, status_code=201)


@router.get("/contracts/{contract_id}/amendments", response_model=Page[AmendmentRead], summary="Amendments")
def list_amendments(
    contract_id: str, session: ReadSession, actor: MaybeActor, state: State, limit: Limit = 50, after: Number = None
) -> Page[AmendmentRead]:
    """Amendments of a contract in order, with the terms before and after each."""
    currency = service.get_contract(session, actor=actor, contract_id=contract_id).currency
    _viewable(session, actor, state, contract_id)
    rows = [
        amendment_read(a, currency)
        for a in service.list_amendments(
            session, actor=actor, contract_id=contract_id, after=_after(after), limit=limit
        )
    ]
    return Page[AmendmentRead](data=rows, next=_number_cursor(rows, limit))


@router.post(
    "/contracts/{contract_id}/deliveries", status_code=201, response_model=DeliveryRead, summary="Report a delivery"
)
def record_delivery(contract_id: str, body: DeliveryIn, cmd: Cmd) -> Response:
    """The supplier reports goods handed over; the buyer then accepts or rejects them."""

    def go(s: Session, now: datetime) -> DeliveryRead:
        delivery = implementation.record_delivery(s, actor=cmd.actor, now=now, contract_id=contract_id, spec=body)
        _require_view(s, cmd, contract_id)
        return delivery_read(delivery)

    return cmd.run(go, status_code=201)


@router.get("/contracts/{contract_id}/deliveries", response_model=Page[DeliveryRead], summary="Deliveries")
def list_deliveries(
    contract_id: str, session: ReadSession, actor: MaybeActor, state: State, limit: Limit = 50, after: Number = None
) -> Page[DeliveryRead]:
    """Deliveries of a contract in the order they were reported."""
    found = implementation.list_deliveries(
        session, actor=actor, contract_id=contract_id, after=_after(after), limit=limit
    )
    _viewable(session, actor, state, contract_id)
    rows = [delivery_read(d) for d in found]
    return Page[DeliveryRead](data=rows, next=_number_cursor(rows, limit))


@router.post("/deliveries/{delivery_id}/accept", response_model=DeliveryRead, summary="Accept a delivery")
def accept_delivery(delivery_id: str, cmd: Cmd, body: AcceptIn | None = None) -> Response:
    """The buyer accepts a pending delivery."""

    def go(s: Session, now: datetime) -> DeliveryRead:
        delivery = implementation.accept_delivery(
            s, actor=cmd.actor, now=now, delivery_id=delivery_id, reason=body.reason if body else None
        )
        _require_view(s, cmd, delivery.contract_id)
        return delivery_read(delivery)

    return cmd.run(go)


@router.post("/deliveries/{delivery_id}/reject", response_model=DeliveryRead, summary="Reject a delivery")
def reject_delivery(delivery_id: str, body: ReasonIn, cmd: Cmd) -> Response:
    """The buyer rejects a pending delivery with a reason."""

    def go(s: Session, now: datetime) -> DeliveryRead:
        delivery = implementation.reject_delivery(
            s, actor=cmd.actor, now=now, delivery_id=delivery_id, reason=body.reason
        )
        _require_view(s, cmd, delivery.contract_id)
        return delivery_read(delivery)

    return cmd.run(go)


@router.post(
    "/contracts/{contract_id}/payments", status_code=201, response_model=PaymentRead, summary="Record a payment"
)
def record_payment(contract_id: str, body: PaymentIn, cmd: Cmd) -> Response:
    """The buyer records money paid; payments together may not exceed the contract value."""

    def go(s: Session, now: datetime) -> PaymentRead:
        payment = implementation.record_payment(s, actor=cmd.actor, now=now, contract_id=contract_id, spec=body)
        _require_view(s, cmd, contract_id)
        return payment_read(payment)

    return cmd.run(go, status_code=201)


@router.get("/contracts/{contract_id}/payments", response_model=Page[PaymentRead], summary="Payments")
def list_payments(
    contract_id: str, session: ReadSession, actor: MaybeActor, state: State, limit: Limit = 50, after: Number = None
) -> Page[PaymentRead]:
    """Payments of a contract in the order they were recorded."""
    found = implementation.list_payments(
        session, actor=actor, contract_id=contract_id, after=_after(after), limit=limit
    )
    _viewable(session, actor, state, contract_id)
    rows = [payment_read(p) for p in found]
    return Page[PaymentRead](data=rows, next=_number_cursor(rows, limit))


@router.post("/contracts/{contract_id}/complete", response_model=ContractRead, summary="Complete a contract")
def complete_contract(contract_id: str, cmd: Cmd, if_match: IfMatch = None) -> Response:
    """An approver closes a contract whose every line is fully accepted."""
    return _contract_command(
        cmd,
        contract_id,
        if_match,
        lambda s, now: implementation.complete_contract(s, actor=cmd.actor, now=now, contract_id=contract_id),
    )


@router.post("/contracts/{contract_id}/terminate", response_model=ContractRead, summary="Terminate a contract")
def terminate_contract(contract_id: str, body: ReasonIn, cmd: Cmd, if_match: IfMatch = None) -> Response:
    """An approver ends an active contract early, with a reason."""
    return _contract_command(
        cmd,
        contract_id,
        if_match,
        lambda s, now: implementation.terminate_contract(
            s, actor=cmd.actor, now=now, contract_id=contract_id, reason=body.reason
        ),
    )
