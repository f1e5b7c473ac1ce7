"""Amendments of signed contracts against the database: the closed list of grounds and the 10 % market rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from quartermaster.contracts import amendments, implementation
from quartermaster.contracts import service as contracts
from quartermaster.contracts.schemas import AmendmentIn, DeliveryIn
from quartermaster.db.tx import Database
from quartermaster.errors import PermissionDenied, RuleViolation
from quartermaster.types import FixedClock
from support.contract_flows import Line, active_contract, snapshot
from support.world import World


def _amend(
    db: Database,
    world: World,
    now: datetime,
    cid: str,
    rationale: str,
    *,
    items: list[dict[str, Any]] | None = None,
    due: datetime | None = None,
    who: str = "approver",
) -> Any:
    changes: dict[str, Any] = {"items": items or []}
    if due is not None:
        changes["delivery_due"] = due
    spec = AmendmentIn.model_validate({"rationale": rationale, "description": "documented", "changes": changes})
    with db.unit_of_work() as s:
        row = amendments.amend_contract(s, actor=world[who].actor, now=now, contract_id=cid, spec=spec)
        return {
            "number": row.number,
            "value_before": row.value_before,
            "value_after": row.value_after,
            "before": row.before,
            "after": row.after,
        }


def _line(db: Database, cid: str, n: int = 0) -> str:
    with db.unit_of_work(write=False) as s:
        return contracts.load_contract(s, cid).items[n].id


def _price(line: str, price: str, quantity: str | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {"contract_item_id": line, "unit_price": {"amount": price, "currency": "UAH"}}
    if quantity is not None:
        change["quantity"] = quantity
    return change


# Each case: successive market_price_change amendments of one line signed at 1000 × 100.00 (total 100000.00),
# as (new unit price, new quantity, refusal code or None).
MARKET_CASES = {
    "9.99 % up with the total kept is allowed": [("109.99", "909", None)],
    "exactly 10 % up is allowed": [("110.00", "909", None)],
    "10.01 % up is refused": [("110.01", "900", "amendment.price_cap_exceeded")],
    "9.99 % down is allowed": [("90.01", "1000", None)],
    "10.01 % down is refused": [("89.99", "1000", "amendment.price_cap_exceeded")],
    "a price rise that raises the total is refused": [("105.00", "1000", "amendment.total_increased")],
    "more quantity is refused": [("100.00", "1001", "amendment.quantity_direction")],
    "two steps adding up past 10 % are refused": [
        ("105.00", "950", None),
        ("111.00", "890", "amendment.price_cap_exceeded"),
    ],
    "two steps adding up to 10 % are allowed": [("105.00", "950", None), ("110.00", "900", None)],
    "after a cut, a rise back within 10 % of the signed price is allowed": [
        ("95.00", "1000", None),
        ("109.00", "870", None),
    ],
}


@pytest.mark.parametrize("steps", MARKET_CASES.values(), ids=MARKET_CASES.keys())
def test_market_price_change_is_capped_at_ten_percent_of_the_signed_price(
    database: Database, world: World, clock: FixedClock, steps: list[tuple[str, str, str | None]]
) -> None:
    now = clock.now()
    cid = active_contract(database, world, now, [Line("1000", "100.00")])
    line = _line(database, cid)
    for price, quantity, refusal in steps:
        if refusal is None:
            done = _amend(database, world, now, cid, "market_price_change", items=[_price(line, price, quantity)])
            assert done["value_after"] == Decimal(price) * Decimal(quantity)
            continue
        before = snapshot(database, cid)
        with pytest.raises(RuleViolation) as err:
            _amend(database, world, now, cid, "market_price_change", items=[_price(line, price, quantity)])
        assert err.value.code == refusal
        assert err.value.fields["errors"][0]["field"].startswith("changes")
        assert snapshot(database, cid) == before
    with database.unit_of_work(write=False) as s:
        item = contracts.load_contract(s, cid).items[0]
        assert item.original_unit_price == Decimal("100.00")  # the reference never moves


def test_an_accepted_amendment_records_before_and_after(database: Database, world: World, clock: FixedClock) -> None:
    now = clock.now()
    cid = active_contract(database, world, now, [Line("1000", "100.00"), Line("10", "500.00")])
    a, b = _line(database, cid, 0), _line(database, cid, 1)
    first = _amend(database, world, now, cid, "volume_reduction", items=[{"contract_item_id": b, "quantity": "4"}])
    assert first["number"] == 1
    assert (first["value_before"], first["value_after"]) == (Decimal("105000.00"), Decimal("102000.00"))
    assert Decimal(first["before"]["items"][b]["quantity"]) == 10
    assert Decimal(first["after"]["items"][b]["quantity"]) == 4
    second = _amend(database, world, now, cid, "price_reduction", items=[_price(a, "99.00")])
    assert second["number"] == 2
    assert second["value_after"] == Decimal("101000.00")
    with database.unit_of_work(write=False) as s:
        c = contracts.load_contract(s, cid)
        assert c.value_amount == Decimal("101000.00")
        assert c.signed_value_amount == Decimal("105000.00")
        assert [i.unit_price for i in c.items] == [Decimal("99.00"), Decimal("500.00")]
        rows = contracts.list_amendments(s, actor=None, contract_id=cid, after=0, limit=10)
        assert [(r.number, r.rationale) for r in rows] == [(1, "volume_reduction"), (2, "price_reduction")]


GROUND_CASES: dict[str, tuple[str, str, str, str | None]] = {
    # ground, unit price, quantity of line 0 (signed at 100.00 × 1000), expected refusal
    "volume reduction lowers quantities": ("volume_reduction", "100.00", "900", None),
    "volume reduction cannot raise a quantity": ("volume_reduction", "100.00", "1100", "amendment.quantity_direction"),
    "volume reduction does not touch prices": ("volume_reduction", "90.00", "900", "amendment.change_not_allowed"),
    "price reduction lowers the total": ("price_reduction", "95.00", "1000", None),
    "price reduction cannot raise a price": ("price_reduction", "101.00", "1000", "amendment.price_direction"),
    "price reduction keeps quantities": ("price_reduction", "95.00", "900", "amendment.change_not_allowed"),
    "quality improvement cannot lower the total": ("quality_improvement", "95.00", "1000", "amendment.total_changed"),
    "quality improvement allows no price rise": ("quality_improvement", "101.00", "1000", "amendment.price_direction"),
    "a tax change may raise prices": ("tax_rate_change", "120.00", "1000", None),
    "an index change may lower prices": ("exchange_rate_or_index_change", "80.00", "1000", None),
    "a tax change keeps quantities": ("tax_rate_change", "120.00", "999", "amendment.change_not_allowed"),
    "a term extension does not touch prices": ("term_extension", "99.00", "1000", "amendment.change_not_allowed"),
}


@pytest.mark.parametrize("case", GROUND_CASES.values(), ids=GROUND_CASES.keys())
def test_each_ground_allows_only_its_own_changes(
    database: Database, world: World, clock: FixedClock, case: tuple[str, str, str, str | None]
) -> None:
    ground, price, quantity, refusal = case
    now = clock.now()
    cid = active_contract(database, world, now, [Line("1000", "100.00")])
    line = _line(database, cid)
    change = _price(line, price, quantity) if price != "100.00" else {"contract_item_id": line, "quantity": quantity}
    if refusal is None:
        assert _amend(database, world, now, cid, ground, items=[change])["value_after"] == Decimal(price) * Decimal(
            quantity
        )
        return
    before = snapshot(database, cid)
    with pytest.raises(RuleViolation) as err:
        _amend(database, world, now, cid, ground, items=[change])
    assert refusal in [e["code"] for e in err.value.fields["errors"]]
    assert snapshot(database, cid) == before


def test_term_extension_only_moves_the_delivery_date_later(database: Database, world: World, clock: FixedClock) -> None:
    now = clock.now()
    cid = active_contract(database, world, now, [Line("1000", "100.00")])
    due = now + timedelta(days=30)
    before = snapshot(database, cid)
    with pytest.raises(RuleViolation) as err:
        _amend(database, world, now, cid, "term_extension", due=due - timedelta(days=1))
    assert err.value.code == "amendment.term_not_extended"
    with pytest.raises(RuleViolation) as err:
        _amend(database, world, now, cid, "market_price_change", due=due + timedelta(days=1))
    assert err.value.code == "amendment.change_not_allowed"
    with pytest.raises(RuleViolation) as err:
        _amend(database, world, now, cid, "term_extension")
    assert err.value.code == "amendment.no_change"
    assert snapshot(database, cid) == before
    done = _amend(database, world, now, cid, "term_extension", due=due + timedelta(days=14))
    assert done["value_after"] == done["value_before"] == Decimal("100000.00")
    assert done["after"]["delivery_due"] == (due + timedelta(days=14)).isoformat()


def test_amendment_cannot_cut_below_what_was_delivered_or_paid(
    database: Database, world: World, clock: FixedClock
) -> None:
    now = clock.now()
    cid = active_contract(database, world, now, [Line("1000", "100.00")])
    line = _line(database, cid)
    later = now + timedelta(hours=2)
    with database.unit_of_work() as s:
        implementation.record_delivery(
            s,
            actor=world["supplier0"].actor,
            now=later,
            contract_id=cid,
            spec=DeliveryIn(contract_item_id=line, quantity=Decimal(600), delivered_at=later - timedelta(hours=1)),
        )
    before = snapshot(database, cid)
    with pytest.raises(RuleViolation) as err:
        _amend(database, world, later, cid, "volume_reduction", items=[{"contract_item_id": line, "quantity": "599"}])
    assert err.value.code == "amendment.below_delivered"
    assert err.value.fields["errors"][0]["field"] == "changes.items.0.quantity"
    assert snapshot(database, cid) == before
    assert _amend(
        database, world, later, cid, "volume_reduction", items=[{"contract_item_id": line, "quantity": "600"}]
    )["value_after"] == Decimal("60000.00")


def test_only_the_buyers_approver_amends(database: Database, world: World, clock: FixedClock) -> None:
    now = clock.now()
    cid = active_contract(database, world, now, [Line("1000", "100.00")])
    line = _line(database, cid)
    before = snapshot(database, cid)
    for who in ("buyer", "supplier0", "other_approver"):
        with pytest.raises(PermissionDenied):
            _amend(database, world, now, cid, "price_reduction", items=[_price(line, "90.00")], who=who)
    assert snapshot(database, cid) == before
