"""Bid and candidacy I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from quartermaster.schema_base import AwareDatetime, Input, LongText, MoneyIO, Output

LotId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class BidValueIn(Input):
    """The price for one lot."""

    lot_id: LotId
    value: MoneyIO


class SealedBidIn(Input):
    """A bid sealed on the supplier's side: the canonical HPKE envelope and the lots it prices (never the prices).

    Make it with ``quartermaster bid seal``, ``quartermaster.client.seal_prices`` or the web bid form; the format is
    in docs/sealing.md. The platform stores the envelope and logs its SHA-256 commitment.
    """

    envelope: Annotated[str, StringConstraints(min_length=2, max_length=65536)]
    lots: list[LotId] = Field(min_length=1, max_length=100)


class BidCreate(Input):
    """A bid: ``sealed`` on a tender with an opening key; plaintext ``values`` only under a rulebook without sealing."""

    values: list[BidValueIn] = Field(default_factory=list, max_length=100)
    sealed: SealedBidIn | None = None


class BidRevise(Input):
    """New prices offered during negotiation."""

    values: list[BidValueIn] = Field(min_length=1, max_length=100)


class BidValueRead(Output):
    """A price as returned (null while sealed for this caller)."""

    lot_id: str
    value: MoneyIO | None
    initial_value: MoneyIO | None


class BidRead(Output):
    """A bid as returned to someone allowed to see it."""

    id: str
    tender_id: str
    supplier_id: str
    status: str
    submitted_at: datetime
    opened_at: datetime | None
    status_reason: str | None
    values: list[BidValueRead]
    version: int
    commitment: str | None = None
    sealed_lots: list[str] | None = None


class BidReceipt(Output):
    """What the supplier keeps as proof of submission (``commitment``: SHA-256 of a sealed bid's envelope)."""

    bid_id: str
    tender_id: str
    submitted_at: datetime
    payload_hash: str
    commitment: str | None = None
    event_seq: int | None = None  # the submission event (its log entry: GET /api/v1/bids/{id}/receipt)


class CandidacyCreate(Input):
    """A request to participate."""

    statement: LongText | None = None


class CandidacyRead(Output):
    """A candidacy as returned."""

    id: str
    tender_id: str
    supplier_id: str
    status: str
    applied_at: datetime
    decided_at: datetime | None
    decision_reason: str | None


class Decision(Input):
    """A reasoned decision (qualify, reject, disqualify)."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=5000)]


class InviteIn(Input):
    """End of the tender period for invited candidates."""

    tender_end: AwareDatetime


def bid_read(bid: Any, *, sealed: bool) -> BidRead:
    """BidRead from a Bid row; prices are null when ``sealed`` for this caller."""
    return BidRead(
        id=bid.id,
        tender_id=bid.tender_id,
        supplier_id=bid.supplier_id,
        status=bid.status,
        submitted_at=bid.submitted_at,
        opened_at=bid.opened_at,
        status_reason=bid.status_reason,
        version=bid.version,
        commitment=bid.commitment,
        sealed_lots=bid.sealed_lots,
        values=[
            BidValueRead(
                lot_id=v.lot_id,
                value=None if sealed else MoneyIO.of(v.amount, v.currency),
                initial_value=None if sealed else MoneyIO.of(v.initial_amount, v.currency),
            )
            for v in bid.values
        ],
    )
