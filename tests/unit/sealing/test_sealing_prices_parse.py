"""Reading an opened price payload back: exactly what ``price_payload`` writes, every other shape refused by field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quartermaster.sealing import MalformedEnvelopeError, price_payload
from quartermaster.sealing.prices import parse_price_payload


def test_a_written_payload_reads_back_to_its_currency_and_prices() -> None:
    prices = {"lot-1": Decimal("100.50"), "lot-2": Decimal("0"), "lot-3": Decimal("999999999999999999.999999")}
    currency, found = parse_price_payload(price_payload("UAH", prices))
    assert currency == "UAH"
    assert found == prices
    assert all(isinstance(price, Decimal) for price in found.values())


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (b'{"currency":"uah","lots":{"l":"1"}}', "currency", "not an ISO 4217 code"),
        (b'{"currency":"EURO","lots":{"l":"1"}}', "currency", "not an ISO 4217 code"),
        (b'{"currency":980,"lots":{"l":"1"}}', "currency", "not an ISO 4217 code"),
        (b'{"currency":"UAH","lots":{}}', "lots", "names no lot prices"),
        (b'{"currency":"UAH","lots":["1"]}', "lots", "names no lot prices"),
        (b'{"currency":"UAH","lots":{"l":1}}', "lots", "the price of lot 'l' is not a decimal string"),
        (b'{"currency":"UAH","lots":{"l":"-1"}}', "lots", "the price of lot 'l' is not a decimal string"),
        (b'{"currency":"UAH","lots":{"l":"01"}}', "lots", "the price of lot 'l' is not a decimal string"),
        (b'{"currency":"UAH","lots":{"l":"1E+3"}}', "lots", "the price of lot 'l' is not a decimal string"),
        (b'{"currency":"UAH","lots":{"l":"1.1234567"}}', "lots", "the price of lot 'l' is not a decimal string"),
        (b'{"currency":"UAH","lots":{"l":"1."}}', "lots", "the price of lot 'l' is not a decimal string"),
    ],
)
def test_a_payload_that_is_not_a_price_bid_is_refused_naming_its_field(data: bytes, field: str, message: str) -> None:
    with pytest.raises(MalformedEnvelopeError, match=message) as caught:
        parse_price_payload(data)
    assert caught.value.fields["field"] == field


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"lots":{"l":"1"},"currency":"UAH"}', "RFC 8785 canonical form"),  # members out of order
        (b'{"currency":"UAH"}', r"missing \['lots'\]"),
        (b'{"currency":"UAH","lots":{"l":"1"},"note":"x"}', r"unknown \['note'\]"),
    ],
)
def test_a_payload_that_is_not_canonical_json_with_exactly_its_members_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(MalformedEnvelopeError, match=message):
        parse_price_payload(data)
