"""The plaintext of a price bid: canonical JSON of currency and per-lot prices as decimal strings.

Decimal strings rather than JSON numbers: RFC 8785 numbers are IEEE 754 doubles, which cannot hold every price.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from quartermaster.sealing.encoding import canonical, check_identifier, check_keys, parse_canonical
from quartermaster.sealing.errors import InvalidArgumentError, MalformedEnvelopeError

_CURRENCY = re.compile(r"[A-Z]{3}")
_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?")
_PAYLOAD_MEMBERS = frozenset({"currency", "lots"})


def price_payload(currency: str, lot_prices: Mapping[str, Decimal]) -> bytes:
    """Canonical JSON ``{"currency": ..., "lots": {lot_id: "123.45"}}`` to pass to ``seal_bid`` as its payload."""
    if not _CURRENCY.fullmatch(currency):
        raise InvalidArgumentError("currency must be an ISO 4217 code such as UAH or EUR", field="currency")
    if not lot_prices:
        raise InvalidArgumentError("a price bid names at least one lot", field="lot_prices")
    lots: dict[str, str] = {}
    for lot_id, price in lot_prices.items():
        check_identifier("lot_id", lot_id)
        if not isinstance(price, Decimal) or not price.is_finite() or price < 0:
            raise InvalidArgumentError(
                f"the price of lot {lot_id!r} must be a finite, non-negative Decimal", field="lot_prices"
            )
        lots[lot_id] = format(price if price else Decimal(0), "f")  # one spelling of zero, never "-0"
    return canonical({"currency": currency, "lots": lots})


def parse_price_payload(data: bytes) -> tuple[str, dict[str, Decimal]]:
    """Read an opened price payload back: its currency and per-lot prices; MalformedEnvelopeError otherwise.

    Accepts exactly what ``price_payload`` writes (canonical JSON, decimal strings), so an opened bid has one reading.
    """
    document = parse_canonical(data)
    check_keys(document, _PAYLOAD_MEMBERS)
    currency, lots = document["currency"], document["lots"]
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise MalformedEnvelopeError("the payload's currency is not an ISO 4217 code", field="currency")
    if not isinstance(lots, dict) or not lots:
        raise MalformedEnvelopeError("the payload names no lot prices", field="lots")
    prices: dict[str, Decimal] = {}
    for lot_id, text in lots.items():
        if not isinstance(text, str) or not _AMOUNT.fullmatch(text):
            raise MalformedEnvelopeError(f"the price of lot {lot_id!r} is not a decimal string", field="lots")
        prices[lot_id] = Decimal(text)
    return currency, prices
