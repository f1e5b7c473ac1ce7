"""Supplier pages of the web interface: my bids with their receipts, awards and contracts; bid, ask, sign.

Every page is for a person with the supplier role (anyone else gets a 403 page). Commands call the services in
one ``unit_of_work`` each, with the server's clock; a refusal (a ``QMError``) re-renders the form with what the
person typed and the reason explained in their language, keyed by the same ``code`` the API returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.api.deps import AppState
from quartermaster.awards.models import Award
from quartermaster.bids import service as bids
from quartermaster.bids.models import PENDING as BID_PENDING
from quartermaster.bids.models import Bid
from quartermaster.bids.schemas import BidValueIn, SealedBidIn
from quartermaster.committees import service as committees
from quartermaster.contracts.models import PENDING as CONTRACT_PENDING
from quartermaster.contracts.models import Contract
from quartermaster.errors import QMError
from quartermaster.events.models import Event
from quartermaster.schema_base import MoneyIO
from quartermaster.tenders import access, periods
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import Tender
from quartermaster.tenders.schemas import QuestionIn
from quartermaster.web import attachments
from quartermaster.web.auth import CsrfChecked, PageRoute, Person
from quartermaster.web.i18n import parse_decimal
from quartermaster.web.refusals import Link, Refusal, denied, not_found, refused
from quartermaster.web.templating import language, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

STATUS = {
    Bid.__name__: {
        "pending": "Sealed until opening",
        "valid": "Opened",
        "disqualified": "Disqualified",
        "withdrawn": "Withdrawn",
    },
    Award.__name__: {"active": "Active", "cancelled": "Cancelled"},
    Contract.__name__: {
        "pending": "Awaiting signatures",
        "active": "Active",
        "complete": "Complete",
        "terminated": "Terminated",
        "cancelled": "Cancelled",
    },
}


def _refusal(exc: QMError) -> Refusal:
    """A refused command as the supplier's pages explain it."""
    return Refusal.of(exc, page="supplier")


def _local(code: str) -> Refusal:
    return Refusal.local(code, page="supplier")


def _refused(request: Request, exc: QMError) -> HTMLResponse:
    """The page of a refusal with no form to show again (a tender this person may not bid on or ask about)."""
    return refused(request, _refusal(exc), links=[Link("/supplier", "Back to my workspace")], nav="supplier/_nav.html")


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


def _forbidden(request: Request) -> HTMLResponse:
    return denied(
        request,
        heading="Suppliers only",
        message="This workspace is for people who bid on behalf of a supplier. Your role does not give access to it.",
        links=[Link("/account", "My account"), Link("/tenders", "Search tenders")],
    )


def _is_supplier(person: Actor) -> bool:
    return person.role is Role.SUPPLIER and person.organization_id is not None


# --- the workspace ------------------------------------------------------------------------------------------------


def _receipts(session: Session, bid_ids: Sequence[str]) -> dict[str, Event]:
    """The latest sealing event (submission or amendment) of each bid: its hash is the supplier's receipt."""
    if not bid_ids:
        return {}
    rows = session.scalars(
        select(Event)
        .where(Event.object_id.in_(bid_ids), Event.command.in_(("submit_bid", "amend_bid")))
        .order_by(Event.seq)
    ).all()
    return {event.object_id: event for event in rows}


def _process_of(contract: Contract) -> str:
    return contract.tender_id or contract.framework_id or contract.id


def _workspace(session: Session, person: Actor) -> dict[str, Any]:
    org = person.organization_id
    my_bids = session.scalars(select(Bid).where(Bid.supplier_id == org).order_by(Bid.submitted_at.desc())).all()
    awards = session.scalars(select(Award).where(Award.supplier_id == org).order_by(Award.decided_at.desc())).all()
    my_contracts = session.scalars(
        select(Contract).where(Contract.supplier_id == org).order_by(Contract.created_at.desc())
    ).all()
    process_ids = {b.tender_id for b in my_bids} | {a.tender_id for a in awards}
    titles: dict[str, str | None] = {}
    for tender in session.scalars(select(Tender).where(Tender.id.in_(process_ids))).all():
        titles[tender.id] = tender.title if access.may_view(session, person, tender.id) else None
    return {
        "bids": my_bids,
        "receipts": _receipts(session, [b.id for b in my_bids]),
        "awards": awards,
        "contracts": [c for c in my_contracts if access.may_view(session, person, _process_of(c))],
        "titles": titles,
        "contract_pending": CONTRACT_PENDING,
        "statuses": STATUS,
    }


def _workspace_page(request: Request, person: Actor, *, status_code: int = 200, **extra: Any) -> HTMLResponse:
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        page = render(
            request,
            "supplier/workspace.html",
            status_code=status_code,
            person=person,
            now=state.clock.now(),
            **_workspace(session, person),
            **extra,
        )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/supplier", response_class=HTMLResponse)
def workspace(request: Request, person: Person) -> Response:
    """My bids (sealed: the receipt and status), awards and contracts of my organization."""
    if not _is_supplier(person):
        return _forbidden(request)
    return _workspace_page(request, person)


@router.get("/supplier/bids/{bid_id}", response_class=HTMLResponse)
def receipt(request: Request, bid_id: str, person: Person) -> Response:
    """The receipt of one of my bids: when it was received and the hash committing to its sealed prices."""
    if not _is_supplier(person):
        return _forbidden(request)
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        bid = session.get(Bid, bid_id)
        if bid is None or bid.supplier_id != person.organization_id:
            return not_found(
                request,
                message="There is no public page at this address. The tender or contract may not exist, or may not "
                "have been published yet.",
                links=[Link("/tenders", "Search tenders")],
            )
        tender = session.get(Tender, bid.tender_id)
        visible = access.may_view(session, person, bid.tender_id)
        page = render(
            request,
            "supplier/receipt.html",
            bid=bid,
            receipt=_receipts(session, [bid.id]).get(bid.id),
            title=tender.title if tender is not None and visible else None,
            statuses=STATUS,
        )
    page.headers["Cache-Control"] = "no-store"
    return page


# --- bidding ------------------------------------------------------------------------------------------------------


def _tender_for(session: Session, person: Actor, tender_id: str, prefix: str) -> Tender:
    tender = tenders.get_tender(session, tender_id, actor=person)
    access.require_view(session, person, tender.id, ocid_prefix=prefix)
    return tender


def _bid_page(
    request: Request,
    person: Actor,
    tender_id: str,
    *,
    typed: dict[str, str] | None = None,
    refusal: Refusal | None = None,
    bad_lots: Sequence[str] = (),
) -> HTMLResponse:
    state = _state(request)
    now = state.clock.now()
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = _tender_for(session, person, tender_id, state.settings.ocid_prefix)
        except QMError as exc:
            return _refused(request, exc)
        existing = session.scalar(
            select(Bid).where(Bid.tender_id == tender.id, Bid.supplier_id == person.organization_id)
        )
        open_for_bids = tender.status == tm.TENDERING and tender.tender_end is not None and now < tender.tender_end
        bid_documents = attachments.documents_of(session, person, "bid", existing.id) if existing else []
        opening_key = committees.opening_key_row(session, tender.id)
        return render(
            request,
            "supplier/bid.html",
            status_code=refusal.status if refusal else 200,
            tender=tender,
            lots=[lot for lot in tender.lots if lot.status == tm.LOT_ACTIVE],
            existing=existing,
            open_for_bids=open_for_bids,
            typed=typed or {},
            refusal=refusal,
            bad_lots=set(bad_lots),
            bid_documents=bid_documents,
            may_attach=existing is not None and existing.status == BID_PENDING and open_for_bids,
            # A tender with an opening key takes only bids sealed in the page (static/seal.js) or with the CLI.
            opening_key=opening_key.public_key if opening_key is not None else None,
            supplier_id=person.organization_id,
        )


@router.get("/supplier/tenders/{tender_id}/bid", response_class=HTMLResponse)
def bid_form(request: Request, tender_id: str, person: Person) -> Response:
    """The bid form: one price per open lot, while the tender period runs."""
    if not _is_supplier(person):
        return _forbidden(request)
    return _bid_page(request, person, tender_id)


@router.post("/supplier/tenders/{tender_id}/bid", dependencies=[CsrfChecked])
async def submit_bid(request: Request, tender_id: str, person: Person) -> Response:
    """Submit the bid; a refusal shows the form again with the typed prices and the reason."""
    if not _is_supplier(person):
        return _forbidden(request)
    form = await request.form()
    typed = {
        key.removeprefix("amount-"): value[:40]
        for key, value in form.multi_items()
        if key.startswith("amount-") and isinstance(value, str)
    }
    envelope = form.get("envelope")
    lots = [value for value in form.getlist("lots") if isinstance(value, str)]
    sealed = (envelope, lots) if isinstance(envelope, str) and envelope else None
    return await run_in_threadpool(_submit, request, person, tender_id, typed, sealed)


def _submit(
    request: Request,
    person: Actor,
    tender_id: str,
    typed: dict[str, str],
    sealed: tuple[str, list[str]] | None = None,
) -> Response:
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = tenders.get_tender(session, tender_id, actor=person)
        except QMError as exc:
            return _refused(request, exc)
        currency, is_sealed = tender.currency, committees.opening_key_row(session, tender.id) is not None
    if is_sealed or sealed is not None:
        return _submit_sealed(request, person, tender_id, typed, sealed, is_sealed=is_sealed)
    values: list[BidValueIn] = []
    bad: list[str] = []
    for lot_id, raw in typed.items():
        if not raw.strip():
            continue
        amount = parse_decimal(raw, language(request))
        try:
            if amount is None:
                raise ValueError(raw)
            values.append(BidValueIn(lot_id=lot_id, value=MoneyIO(amount=amount, currency=currency)))
        except (ValueError, ValidationError):
            bad.append(lot_id)
    if bad:
        return _bid_page(request, person, tender_id, typed=typed, refusal=_local("bid.bad_amount"), bad_lots=bad)
    if not values:
        return _bid_page(request, person, tender_id, typed=typed, refusal=_local("bid.no_values"))
    try:
        with state.db.unit_of_work() as session:
            bid, _ = bids.submit_bid(session, actor=person, now=state.clock.now(), tender_id=tender_id, values=values)
            bid_id = bid.id
    except QMError as exc:
        return _bid_page(request, person, tender_id, typed=typed, refusal=_refusal(exc))
    return RedirectResponse(f"/supplier/bids/{bid_id}", status_code=303)


def _submit_sealed(
    request: Request,
    person: Actor,
    tender_id: str,
    typed: dict[str, str],
    sealed: tuple[str, list[str]] | None,
    *,
    is_sealed: bool,
) -> Response:
    """A sealed tender takes only the envelope sealed in the page; a price typed in the clear is refused unread.

    Nothing typed is shown again: on a sealed tender the server must never hold a price, not even to re-fill a form.
    """
    state = _state(request)
    if is_sealed and (any(raw.strip() for raw in typed.values()) or sealed is None):
        return _bid_page(request, person, tender_id, refusal=_local("bid.must_be_sealed"))
    assert sealed is not None  # a sealed tender, or an envelope sent to one without a key (the service refuses it)
    try:
        sealed_in = SealedBidIn(envelope=sealed[0], lots=sealed[1])
    except ValidationError:
        return _bid_page(request, person, tender_id, refusal=_local("bid.bad_envelope"))
    try:
        with state.db.unit_of_work() as session:
            bid, _ = bids.submit_bid(
                session, actor=person, now=state.clock.now(), tender_id=tender_id, sealed=sealed_in
            )
            bid_id = bid.id
    except QMError as exc:
        return _bid_page(request, person, tender_id, refusal=_refusal(exc))
    return RedirectResponse(f"/supplier/bids/{bid_id}", status_code=303)


# --- questions ----------------------------------------------------------------------------------------------------

Title = Annotated[str, Form(max_length=1000)]
Text = Annotated[str, Form(max_length=10000)]
LotChoice = Annotated[str, Form(max_length=32)]


def _ask_page(
    request: Request,
    person: Actor,
    tender_id: str,
    *,
    typed: dict[str, str] | None = None,
    refusal: Refusal | None = None,
) -> HTMLResponse:
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = _tender_for(session, person, tender_id, state.settings.ocid_prefix)
        except QMError as exc:
            return _refused(request, exc)
        cutoff = periods.enquiry_cutoff(tender)
        return render(
            request,
            "supplier/ask.html",
            status_code=refusal.status if refusal else 200,
            tender=tender,
            lots=list(tender.lots),
            cutoff=cutoff,
            typed=typed or {"title": "", "description": "", "lot_id": ""},
            refusal=refusal,
        )


@router.get("/supplier/tenders/{tender_id}/ask", response_class=HTMLResponse)
def ask_form(request: Request, tender_id: str, person: Person) -> Response:
    """The form of a question to the buyer (answered publicly on the tender's page)."""
    if not _is_supplier(person):
        return _forbidden(request)
    return _ask_page(request, person, tender_id)


@router.post("/supplier/tenders/{tender_id}/questions", dependencies=[CsrfChecked])
def ask_question(
    request: Request, tender_id: str, person: Person, title: Title = "", description: Text = "", lot_id: LotChoice = ""
) -> Response:
    """Ask a question while enquiries are open; a refusal keeps what was typed."""
    if not _is_supplier(person):
        return _forbidden(request)
    typed = {"title": title, "description": description, "lot_id": lot_id}
    try:
        question = QuestionIn(title=title, description=description, lot_id=lot_id or None)
    except ValidationError:
        return _ask_page(request, person, tender_id, typed=typed, refusal=_local("question.invalid"))
    state = _state(request)
    try:
        with state.db.unit_of_work() as session:
            periods.ask_question(session, actor=person, now=state.clock.now(), tender_id=tender_id, question=question)
    except QMError as exc:
        return _ask_page(request, person, tender_id, typed=typed, refusal=_refusal(exc))
    return RedirectResponse(f"/tenders/{tender_id}#questions", status_code=303)


# --- contracts ----------------------------------------------------------------------------------------------------
# The supplier's contract page and its commands (unit prices, signature at /supplier/contracts/{id}/sign,
# deliveries) are in ``web.contracting``, next to the buyer's side of the same contract.
