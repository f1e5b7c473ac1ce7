"""Bid use cases: submit before the deadline, keep sealed until opening, open, negotiate; prequalification."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.bids.models import (
    BID_MACHINE,
    DISQUALIFIED,
    PENDING,
    VALID,
    WITHDRAWN,
    Bid,
    BidValue,
)
from quartermaster.bids.schemas import BidValueIn, SealedBidIn
from quartermaster.committees import service as committees
from quartermaster.committees.vault import OpeningKeyVault
from quartermaster.db.base import new_id
from quartermaster.errors import Conflict, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from quartermaster.events.models import Event
from quartermaster.events.service import payload_hash, record_transition
from quartermaster.sealing import BidContext, SealingError, open_bid, parse_sealed_bid
from quartermaster.sealing.prices import parse_price_payload
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import TENDER_MACHINE, Tender


def supplier_of(actor: Actor) -> str:
    """The acting supplier's organization id, or PermissionDenied for anyone else."""
    if actor.role is not Role.SUPPLIER or actor.organization_id is None:
        raise PermissionDenied("only a supplier may do this", code="auth.role_forbidden", allowed_roles=["supplier"])
    return actor.organization_id


def _bid_event(
    session: Session,
    bid: Bid,
    actor: Actor,
    now: datetime,
    command: str,
    before: str | None,
    payload: dict[str, Any],
) -> Event:
    return record_transition(
        session,
        BID_MACHINE,
        actor=actor,
        now=now,
        command=command,
        object_id=bid.id,
        process_id=bid.tender_id,
        before=before,
        after=bid.status,
        payload=payload,
    )


def _check_values(tender: Tender, values: Sequence[BidValueIn]) -> None:
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, v in enumerate(values):
        lot = tender.lot(v.lot_id)
        if lot is None or lot.status != tm.LOT_ACTIVE:
            errors.append({"field": f"values.{i}.lot_id", "message": "not an open lot of this tender"})
        if v.lot_id in seen:
            errors.append({"field": f"values.{i}.lot_id", "message": "lot named twice"})
        seen.add(v.lot_id)
        if v.value.currency != tender.currency:
            errors.append({"field": f"values.{i}.value.currency", "message": f"must be {tender.currency}"})
    if errors:
        raise ValidationFailed("the bid's values are invalid", errors=errors, code="bid.invalid_values")


def _sealed(bid: Bid, values: Sequence[BidValueIn]) -> dict[str, Any]:
    """Event payload of a sealed bid: which lots and a salted commitment to the prices, never the prices.

    Events are readable by auditors; prices must stay unreadable by anyone but the bidder until opening. The salt
    (kept on the bid, published at opening) stops anyone from confirming guessed prices against the commitment.
    """
    bid.commitment_salt = secrets.token_hex(16)
    opened = opening_values([(v.lot_id, v.value.amount, v.value.currency) for v in values])
    commitment = payload_hash({"salt": bid.commitment_salt, "values": opened})
    return {"lots": sorted(v.lot_id for v in values), "values_commitment": commitment}


def _check_submission(
    session: Session,
    tender: Tender,
    supplier_id: str,
    values: Sequence[BidValueIn],
    sealed: SealedBidIn | None,
) -> str | None:
    """Check a submission against how the tender's bids are sealed; the envelope's commitment when sealed."""
    has_key = committees.opening_key_row(session, tender.id) is not None
    if has_key and (values or sealed is None):
        raise ValidationFailed(
            "this tender's bids are sealed: seal your prices to its opening key on your side "
            "(quartermaster bid seal, or the bid form) and send only the envelope",
            errors=[{"field": "values", "message": "plaintext prices are refused on a sealed tender"}],
            code="bid.must_be_sealed",
        )
    if not has_key:
        if sealed is not None or not values:
            raise ValidationFailed(
                "this tender was published under a rulebook without sealing: send plaintext values",
                errors=[{"field": "sealed", "message": "this tender has no opening key"}],
                code="bid.not_sealed",
            )
        _check_values(tender, values)
        return None
    assert sealed is not None
    try:
        envelope = parse_sealed_bid(sealed.envelope.encode("utf-8"))
    except SealingError as exc:
        raise ValidationFailed(
            f"the sealed envelope is not valid: {exc.message}",
            errors=[{"field": "sealed.envelope", "message": exc.message}],
            code="bid.bad_envelope",
        ) from None
    if envelope.context != BidContext(tender_id=tender.id, supplier_id=supplier_id, lot_id=None):
        raise ValidationFailed(
            "the envelope was sealed for another tender or supplier (or for one lot): seal it for this tender "
            "and your organization",
            errors=[{"field": "sealed.envelope", "message": "wrong tender or supplier in the envelope"}],
            code="bid.wrong_context",
        )
    errors = []
    for i, lot_id in enumerate(sealed.lots):
        lot = tender.lot(lot_id)
        if lot is None or lot.status != tm.LOT_ACTIVE:
            errors.append({"field": f"sealed.lots.{i}", "message": "not an open lot of this tender"})
    if len(set(sealed.lots)) != len(sealed.lots):
        errors.append({"field": "sealed.lots", "message": "a lot is named twice"})
    if errors:
        raise ValidationFailed("the bid's lots are invalid", errors=errors, code="bid.invalid_values")
    return envelope.commitment()


def _receipt(
    bid: Bid, values: Sequence[BidValueIn], sealed: SealedBidIn | None, commitment: str | None
) -> dict[str, Any]:
    """The submission event's payload: for a sealed bid its lots and the envelope's commitment, never a price."""
    if sealed is None or commitment is None:
        bid.envelope = bid.commitment = bid.sealed_lots = None
        return _sealed(bid, values)
    bid.envelope, bid.commitment, bid.sealed_lots = sealed.envelope, commitment, sorted(sealed.lots)
    bid.commitment_salt = None
    return {"lots": sorted(sealed.lots), "commitment": commitment}


def opening_values(values: Sequence[tuple[str, Decimal, str]]) -> list[dict[str, Any]]:
    """The canonical form of a bid's prices, as committed at submission and published at opening."""
    return [
        {"lot_id": lot_id, "amount": f"{amount:.2f}", "currency": currency}
        for lot_id, amount, currency in sorted(values)
    ]


def _require_tendering(tender: Tender, command: str) -> None:
    # A pending bid outlives its tender period (closed, cancelled): only a tendering tender takes changes to it.
    if tender.status != tm.TENDERING:
        raise TENDER_MACHINE.refuse(
            obj_id=tender.id, state=tender.status, command=command, reason="bids change only while tendering"
        )


def _check_deadline(tender: Tender, now: datetime) -> None:
    if tender.tender_end is None or now >= tender.tender_end:
        raise RuleViolation(
            "the tender period has ended", code="bid.deadline_passed", deadline=tender.tender_end, received_at=now
        )


@cache
def _bid_of_supplier() -> Select[str]:
    # Built once with bound parameters: on the bid path building a statement costs more than running it.
    return select(Bid.id).where(Bid.tender_id == bindparam("tender_id"), Bid.supplier_id == bindparam("supplier_id"))


def submit_bid(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    tender_id: str,
    values: Sequence[BidValueIn] = (),
    sealed: SealedBidIn | None = None,
) -> tuple[Bid, Event]:
    """Accept a bid strictly before the tender period ends; one bid per supplier per tender.

    A tender with an opening key takes only sealed bids (``sealed``: the envelope the supplier sealed on their side);
    one published under a rulebook without sealing takes plaintext ``values``.
    """
    supplier_id = supplier_of(actor)
    tender = tenders.get_tender(session, tender_id, actor=actor, for_share=True, join_lots=True)
    BID_MACHINE.check(obj_id="new", state="none", command="submit_bid", actor=actor)
    _require_tendering(tender, "submit_bid")
    _check_deadline(tender, now)
    if tenders.bidders_restricted(tender) and not tenders.is_invited(session, tender=tender, supplier_id=supplier_id):
        raise PermissionDenied("only invited suppliers may bid on this tender", code="bid.not_invited")
    commitment = _check_submission(session, tender, supplier_id, values, sealed)
    existing = session.scalar(_bid_of_supplier(), {"tender_id": tender.id, "supplier_id": supplier_id})
    if existing is not None:
        raise Conflict(
            "this supplier already has a bid on the tender; amend or withdraw it",
            code="bid.duplicate",
            bid_id=existing,
        )
    bid = Bid(
        id=new_id(),  # known before the flush, so the event joins the same flush as the bid
        tender_id=tender.id,
        supplier_id=supplier_id,
        submitted_by=actor.user_id,
        status=PENDING,
        submitted_at=now,
        updated_at=now,
        values=[
            BidValue(lot_id=v.lot_id, amount=v.value.amount, currency=v.value.currency, initial_amount=v.value.amount)
            for v in values
        ]
        if sealed is None
        else [],
    )
    receipt = _receipt(bid, values, sealed, commitment)  # sets salt or envelope before the INSERT: no extra UPDATE
    session.add(bid)
    event = _bid_event(session, bid, actor, now, "submit_bid", None, receipt)
    try:
        session.flush()  # one flush for the bid, its values and its event
    except IntegrityError as exc:  # a concurrent twin won the unique index
        raise Conflict("this supplier already has a bid on the tender", code="bid.duplicate") from exc
    return bid, event


def _own_bid(session: Session, actor: Actor, bid_id: str, *, for_update: bool = True) -> tuple[Bid, Tender]:
    supplier_id = supplier_of(actor)
    stmt = select(Bid).where(Bid.id == bid_id)
    if for_update:
        stmt = stmt.with_for_update()
    bid = session.scalar(stmt)
    if bid is None or bid.supplier_id != supplier_id:
        raise NotFound("bid not found", code="bid.not_found")
    return bid, tenders.get_tender(session, bid.tender_id, actor=actor)


def amend_bid(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    bid_id: str,
    values: Sequence[BidValueIn] = (),
    sealed: SealedBidIn | None = None,
) -> Bid:
    """Replace a pending bid's prices (or its sealed envelope) before the deadline."""
    bid, tender = _own_bid(session, actor, bid_id)
    BID_MACHINE.check(obj_id=bid.id, state=bid.status, command="amend_bid", actor=actor)
    _require_tendering(tender, "amend_bid")
    _check_deadline(tender, now)
    commitment = _check_submission(session, tender, bid.supplier_id, values, sealed)
    bid.values.clear()
    session.flush()
    if sealed is None:
        bid.values.extend(
            BidValue(lot_id=v.lot_id, amount=v.value.amount, currency=v.value.currency, initial_amount=v.value.amount)
            for v in values
        )
    bid.updated_at = now
    _bid_event(session, bid, actor, now, "amend_bid", PENDING, _receipt(bid, values, sealed, commitment))
    return bid


def withdraw_bid(session: Session, *, actor: Actor, now: datetime, bid_id: str) -> Bid:
    """Withdraw a pending bid before the deadline."""
    bid, tender = _own_bid(session, actor, bid_id)
    BID_MACHINE.check(obj_id=bid.id, state=bid.status, command="withdraw_bid", actor=actor)
    _require_tendering(tender, "withdraw_bid")
    _check_deadline(tender, now)
    bid.status, bid.updated_at = WITHDRAWN, now
    _bid_event(session, bid, actor, now, "withdraw_bid", PENDING, {})
    return bid


def revise_bid(session: Session, *, actor: Actor, now: datetime, bid_id: str, values: Sequence[BidValueIn]) -> Bid:
    """Offer new prices during negotiation (negotiated procedure); the first offer stays on record."""
    bid, tender = _own_bid(session, actor, bid_id)
    BID_MACHINE.check(obj_id=bid.id, state=bid.status, command="revise_bid", actor=actor)
    if tender.status != tm.NEGOTIATION:
        raise TENDER_MACHINE.refuse(
            obj_id=tender.id, state=tender.status, command="revise_bid", reason="only during negotiation"
        )
    errors = [
        {"field": f"values.{i}.lot_id", "message": "the bid has no offer on this lot"}
        for i, v in enumerate(values)
        if bid.value_for(v.lot_id) is None
    ]
    if errors:
        raise ValidationFailed("revisions must refer to lots already offered", errors=errors)
    _check_values(tender, values)
    for v in values:
        current = bid.value_for(v.lot_id)
        assert current is not None
        current.amount = v.value.amount
    bid.updated_at = now
    _bid_event(session, bid, actor, now, "revise_bid", VALID, {"values": [v.model_dump(mode="json") for v in values]})
    return bid


def open_bids(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    tender_id: str,
    vault: OpeningKeyVault | None = None,
    open_documents: Callable[[Bid, bytes], str | None] | None = None,
) -> Tender:
    """Open every pending bid at once; lots with fewer bids than the rulebook's minimum become unsuccessful.

    Sealed tenders: the opening key is rebuilt from the committee's released shares (or unwrapped from ``vault``),
    every envelope is checked against its logged commitment and opened, a bid that does not open is invalidated with
    the reason, and the private key is published with the opening record so anyone can re-open every envelope.
    ``open_documents`` (``documents.opening.opener``) opens each sealed bid's sealed documents once its prices
    opened, and gives the reason when one does not, which invalidates the bid too.
    """
    tender = tenders.get_tender(session, tender_id, actor=actor, for_update=True, join_lots=True)
    TENDER_MACHINE.check(obj_id=tender.id, state=tender.status, command="open_bids", actor=actor)
    tenders.require_buyer_staff(actor, tender, Role.APPROVER, Role.EVALUATOR)
    _, rules = tenders.tender_rules(tender)
    key_row = committees.opening_key_row(session, tender.id)
    private_key = None
    if key_row is not None:
        private_key = committees.opening_private_key(session, tender=tender, now=now, vault=vault)
    bids = session.scalars(
        select(Bid).where(Bid.tender_id == tender.id, Bid.status == PENDING).order_by(Bid.submitted_at, Bid.id)
    ).all()
    opened: list[Bid] = []
    invalid: dict[str, str] = {}
    logged = _logged_commitments(session, tender.id) if key_row is not None else {}
    for bid in bids:
        if bid.envelope is not None:
            opened_prices = _open_sealed(tender, bid, private_key, logged.get(bid.id))
            problem = opened_prices if isinstance(opened_prices, str) else None
            if problem is None and open_documents is not None and private_key is not None:
                problem = open_documents(bid, private_key)
            if problem is not None:
                invalid[bid.id] = problem
                bid.status, bid.status_reason, bid.updated_at = DISQUALIFIED, problem, now
                _bid_event(
                    session,
                    bid,
                    actor,
                    now,
                    "invalidate_bid",
                    PENDING,
                    {"reason": problem, "commitment": bid.commitment, "envelope": bid.envelope},
                )
                continue
            assert not isinstance(opened_prices, str)
            bid.values.extend(
                BidValue(lot_id=lot_id, amount=amount, currency=tender.currency, initial_amount=amount)
                for lot_id, amount in sorted(opened_prices.items())
            )
            payload: dict[str, Any] = {"commitment": bid.commitment, "envelope": bid.envelope}
        else:
            payload = {"salt": bid.commitment_salt}
        bid.status, bid.opened_at, bid.updated_at = VALID, now, now
        payload["values"] = opening_values([(v.lot_id, v.amount, v.currency) for v in bid.values])
        _bid_event(session, bid, actor, now, "open_bid", PENDING, payload)
        opened.append(bid)
    opening: dict[str, Any] = {}
    if key_row is not None and private_key is not None:
        committees.publish_private_key(key_row, private_key, now)
        opening = {"opening_key": {"mode": key_row.mode, "private_key": key_row.released_private_key}}
        if invalid:
            opening["invalid"] = invalid
    counts = {lot.id: 0 for lot in tender.lots}
    for bid in opened:
        for v in bid.values:
            counts[v.lot_id] = counts.get(v.lot_id, 0) + 1
    for lot in tender.lots:
        if lot.status == tm.LOT_ACTIVE and counts[lot.id] < rules.min_bids:
            tenders.transition_lot(
                session,
                tender=tender,
                lot=lot,
                command="declare_lot_unsuccessful",
                target=tm.LOT_UNSUCCESSFUL,
                actor=actor,
                now=now,
                payload={"reason": "too_few_bids", "bids": counts[lot.id], "min_bids": rules.min_bids},
            )
    if all(lot.status != tm.LOT_ACTIVE for lot in tender.lots):
        target = tm.UNSUCCESSFUL
    else:
        target = tm.NEGOTIATION if "negotiation" in rules.steps else tm.QUALIFICATION
    tenders.advance_tender(
        session,
        tender=tender,
        command="open_bids",
        target=target,
        actor=actor,
        now=now,
        payload={"bids": [b.id for b in opened], "per_lot": counts, **opening},
    )
    return tender


_MAX_PRICE = Decimal("1e15")  # MoneyIO's bound on every price the API accepts


def _logged_commitments(session: Session, tender_id: str) -> dict[str, str]:
    """Each bid's commitment as its last submission or amendment event recorded it (the log's, not the row's)."""
    rows = session.execute(
        select(Event.object_id, Event.payload)
        .where(Event.process_id == tender_id, Event.command.in_(("submit_bid", "amend_bid")))
        .order_by(Event.seq)
    )
    return {bid_id: payload["commitment"] for bid_id, payload in rows if payload.get("commitment")}


def _open_sealed(tender: Tender, bid: Bid, private_key: bytes | None, logged: str | None) -> str | dict[str, Decimal]:
    """Open a sealed bid's envelope: its prices by lot, or the reason it is invalid instead.

    The envelope must match the commitment its submission event logged: an insider who rewrites both the envelope
    and the bid row's commitment still fails here (and rewriting the event breaks the log's signed checkpoints).
    """
    assert bid.envelope is not None
    assert bid.commitment is not None
    if private_key is None:  # pragma: no cover - a sealed bid implies an opening key
        return "the tender has no opening key"
    context = BidContext(tender_id=tender.id, supplier_id=bid.supplier_id, lot_id=None)
    try:
        envelope = parse_sealed_bid(bid.envelope.encode("utf-8"))
        if logged is None or logged != bid.commitment:
            return "the bid's commitment differs from the one logged on receipt"
        plaintext = open_bid(private_key, envelope, logged, expected_context=context)
        currency, prices = parse_price_payload(plaintext)
    except SealingError as exc:
        return f"{type(exc).__name__}: {exc.message}"
    if currency != tender.currency:
        return f"the opened bid is in {currency}, the tender in {tender.currency}"
    if sorted(prices) != sorted(bid.sealed_lots or []):
        return "the opened bid prices other lots than the ones it was submitted for"
    if any(amount != round(amount, 2) or amount > _MAX_PRICE for amount in prices.values()):
        return "a price has more than two decimal places or exceeds 10^15"
    return prices


def close_negotiation(session: Session, *, actor: Actor, now: datetime, tender_id: str) -> Tender:
    """End negotiation; the last revised prices are evaluated."""
    tender = tenders.get_tender(session, tender_id, actor=actor, for_update=True)
    TENDER_MACHINE.check(obj_id=tender.id, state=tender.status, command="close_negotiation", actor=actor)
    tenders.require_buyer_staff(actor, tender, Role.APPROVER)
    tenders.advance_tender(
        session, tender=tender, command="close_negotiation", target=tm.QUALIFICATION, actor=actor, now=now
    )
    return tender


# --- reading, with sealing -----------------------------------------------------------------------------------


def can_read_contents(actor: Actor | None, bid: Bid) -> bool:
    """A bid's prices are readable by its own supplier, and by everyone else only once it has been opened."""
    if bid.status not in (PENDING, WITHDRAWN):
        return True
    return actor is not None and actor.role is Role.SUPPLIER and actor.organization_id == bid.supplier_id


def list_bids(session: Session, *, actor: Actor | None, tender_id: str) -> Sequence[Bid]:
    """Bids the caller may see: its own always; others' only after opening."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
    stmt = select(Bid).where(Bid.tender_id == tender.id).order_by(Bid.submitted_at, Bid.id)
    own = actor.organization_id if actor is not None and actor.role is Role.SUPPLIER else None
    stmt = stmt.where((Bid.status.notin_([PENDING, WITHDRAWN])) | (Bid.supplier_id == own))
    return session.scalars(stmt).all()


def get_bid(session: Session, *, actor: Actor | None, bid_id: str) -> Bid:
    """One bid, NotFound for anyone who may not see it yet."""
    bid = session.get(Bid, bid_id)
    if bid is None or not can_read_contents(actor, bid):
        raise NotFound("bid not found", code="bid.not_found")
    tenders.get_tender(session, bid.tender_id, actor=actor)
    return bid


def count_bids(session: Session, tender_id: str) -> int:
    """How many live bids a tender holds (a number only; published after opening)."""
    return (
        session.scalar(select(func.count()).select_from(Bid).where(Bid.tender_id == tender_id, Bid.status != WITHDRAWN))
        or 0
    )


def bidders(session: Session, tender_id: str) -> list[str]:
    """The organizations holding a live (not withdrawn) bid on the tender: whom committee members declare about."""
    return sorted(
        session.scalars(select(Bid.supplier_id).where(Bid.tender_id == tender_id, Bid.status != WITHDRAWN)).all()
    )


def opened_on_lot(session: Session, tender_id: str, lot_id: str) -> list[str]:
    """The opened, valid bids that price a lot: what its committee assesses."""
    return sorted(
        session.scalars(
            select(Bid.id)
            .join(BidValue, BidValue.bid_id == Bid.id)
            .where(Bid.tender_id == tender_id, Bid.status == VALID, BidValue.lot_id == lot_id)
        ).all()
    )
