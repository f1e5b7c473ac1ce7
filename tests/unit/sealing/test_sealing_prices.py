"""Price payloads: canonical JSON with decimal strings, refusing what is not a price."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quartermaster.sealing import InvalidArgumentError, price_payload


def test_prices_are_decimal_strings_in_canonical_json() -> None:
    payload = price_payload("EUR", {"lot-2": Decimal("1E+3"), "lot-1": Decimal("0.10"), "lot-3": Decimal("-0")})
    assert payload == b'{"currency":"EUR","lots":{"lot-1":"0.10","lot-2":"1000","lot-3":"0"}}'


@pytest.mark.parametrize(
    ("currency", "prices", "field"),
    [
        ("eur", {"l": Decimal(1)}, "currency"),
        ("EURO", {"l": Decimal(1)}, "currency"),
        ("EUR", {}, "lot_prices"),
        ("EUR", {"": Decimal(1)}, "lot_id"),
        ("EUR", {"l": Decimal("-1")}, "lot_prices"),
        ("EUR", {"l": Decimal("NaN")}, "lot_prices"),
        ("EUR", {"l": Decimal("Infinity")}, "lot_prices"),
        ("EUR", {"l": 1.5}, "lot_prices"),
    ],
)
def test_what_is_not_a_price_is_refused(currency: str, prices: dict[str, Decimal], field: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        price_payload(currency, prices)
    assert caught.value.fields["field"] == field
