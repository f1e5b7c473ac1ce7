"""Contract pages of both sides: lists, unit prices, signatures, amendments, deliveries, payments, completion.

Every command goes through the page's form; refusals must show the code, a sentence in the person's language and
what was typed, and change nothing. Other organizations get 404 pages, other roles 403.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quartermaster.contracts import service as contracts
from quartermaster.contracts.models import Amendment, Contract, Delivery, Payment
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from quartermaster.web import contracting, refusals
from quartermaster.web.i18n import translations
from support.contract_flows import ContractFlow, Line, active_contract, snapshot
from support.web import csrf_of, give_passwords, person_client
from support.world import World

PEOPLE = ("buyer", "buyer2", "approver", "other_buyer", "other_approver", "supplier0", "supplier1", "auditor")


@pytest.fixture
def people(database: Database, clock: FixedClock, world: World) -> World:
    """The world, with passwords for the people these tests log in."""
    give_passwords(database, clock, PEOPLE)
    return world


def pending_contract(
    db: Database, world: World, now: datetime, prices: list[tuple[str, str]], value: str, *, not_before: datetime
) -> str:
    """A pending contract of the world's buyer with supplier0, its lines priced as given (maybe not adding up)."""
    terms = [
        contracts.ItemTerms(
            item_id=None,
            description=f"line {n}",
            cpv="35330000-6",
            nsn=None,
            unit="H87",
            quantity=Decimal(qty),
            unit_price=Decimal(price),
        )
        for n, (qty, price) in enumerate(prices)
    ]
    with db.unit_of_work() as s:
        c = contracts.create_contract(
            s,
            actor=world["approver"].actor,
            now=now,
            buyer_id=world.buyer_org,
            supplier_id=world["supplier0"].organization_id or "",
            title="Boots call-off",
            value=Decimal(value),
            currency="UAH",
            items=terms,
            not_before=not_before,
            delivery_due=now + timedelta(days=60),
        )
        return c.id


def _row(db: Database, contract_id: str) -> Contract:
    with db.unit_of_work(write=False) as s:
        row = s.get(Contract, contract_id)
        assert row is not None
        s.expunge(row)
        return row


def _items(db: Database, contract_id: str) -> list[str]:
    with db.unit_of_work(write=False) as s:
        return [i.id for i in contracts.load_contract(s, contract_id).items]


# --- the buyer's list and the parties' pages --------------------------------------------------------------------


def test_the_buyer_lists_its_contracts_with_the_next_action(
    client: TestClient, database: Database, clock: FixedClock, people: World
) -> None:
    flow = ContractFlow(client, people, clock, database)
    contract = flow.awarded()
    buyer = person_client(client, "buyer")
    during = buyer.get("/buyer/contracts")
    flow.advance_to(contract["not_before"])
    after = person_client(client, "buyer").get("/buyer/contracts")  # days later: a new session
    uk = person_client(client, "approver", "uk").get("/buyer/contracts")
    other = person_client(client, "other_buyer").get("/buyer/contracts")
    supplier = person_client(client, "supplier1").get("/buyer/contracts")

    assert during.status_code == 200
    assert f'href="/buyer/contracts/{contract["id"]}"' in during.text
    assert "Ration packs" in during.text
    assert "Supplier 1" in during.text
    assert "UAH100,000.00" in during.text.replace("\xa0", "")
    assert "Wait for the end of the standstill" in during.text
    assert "Sign the contract" in after.text
    assert "Підписати договір" in uk.text
    assert "Очікує підписів" in uk.text
    assert contract["id"] not in other.text
    assert "Your organization has no contracts yet." in other.text
    assert supplier.status_code == 403


def test_both_sides_sign_from_their_contract_pages_after_the_standstill(
    client: TestClient, database: Database, clock: FixedClock, people: World
) -> None:
    flow = ContractFlow(client, people, clock, database)
    contract = flow.awarded()
    cid = contract["id"]
    supplier = person_client(client, "supplier1", "uk")
    approver = person_client(client, "approver")
    page = supplier.get(f"/supplier/contracts/{cid}")
    early = supplier.post(f"/supplier/contracts/{cid}/sign", data={"csrf": csrf_of(page.text)})
    flow.advance_to(contract["not_before"])
    supplier = person_client(client, "supplier1", "uk")
    ready = supplier.get(f"/supplier/contracts/{cid}")
    signed = supplier.post(
        f"/supplier/contracts/{cid}/sign", data={"csrf": csrf_of(ready.text)}, follow_redirects=False
    )
    approver = person_client(client, "approver")
    buyer_page = approver.get(f"/buyer/contracts/{cid}")
    both = approver.post(
        f"/buyer/contracts/{cid}/sign", data={"csrf": csrf_of(buyer_page.text)}, follow_redirects=False
    )
    final = approver.get(f"/buyer/contracts/{cid}")
    workspace = person_client(client, "supplier1").get("/supplier")

    assert page.status_code == 200
    assert f"/supplier/contracts/{cid}/sign" not in page.text
    assert early.status_code == 422
    assert "contract.standstill" in early.text
    assert "Період очікування ще не завершився" in early.text
    assert f"/supplier/contracts/{cid}/sign" in ready.text
    assert signed.status_code == 303
    assert signed.headers["location"] == f"/supplier/contracts/{cid}#signatures"
    assert "signed by Supplier1" in buyer_page.text
    assert f"/buyer/contracts/{cid}/sign" in buyer_page.text
    assert both.status_code == 303
    row = _row(database, cid)
    assert row.status == "active"
    assert row.buyer_signed_by == people["approver"].actor.user_id
    assert "signed by Approver" in final.text
    assert f"/buyer/contracts/{cid}/sign" not in final.text
    assert f'href="/supplier/contracts/{cid}"' in workspace.text


def test_the_supplier_sets_unit_prices_and_a_wrong_sum_keeps_what_was_typed(
    client: TestClient, database: Database, clock: FixedClock, people: World
) -> None:
    cid = pending_contract(
        database, people, clock.now(), [("10", "100.00"), ("5", "100.00")], "2000.00", not_before=clock.now()
    )
    first, second = _items(database, cid)
    supplier = person_client(client, "supplier0")
    page = supplier.get(f"/supplier/contracts/{cid}")
    approver_page = person_client(client, "approver").get(f"/buyer/contracts/{cid}")
    before = snapshot(database, cid)
    wrong = supplier.post(
        f"/supplier/contracts/{cid}/unit-prices",
        data={"csrf": csrf_of(page.text), f"unit-{first}": "150", f"unit-{second}": "99.99"},
    )
    unreadable = supplier.post(
        f"/supplier/contracts/{cid}/unit-prices",
        data={"csrf": csrf_of(page.text), f"unit-{first}": "a lot", f"unit-{second}": "100"},
    )
    unchanged = snapshot(database, cid)
    right = supplier.post(
        f"/supplier/contracts/{cid}/unit-prices",
        data={"csrf": csrf_of(page.text), f"unit-{first}": "150.00", f"unit-{second}": "100.00"},
        follow_redirects=False,
    )

    assert f"unit-{first}" in page.text
    assert "The unit prices do not add up to the contract value yet" in approver_page.text
    assert f"/buyer/contracts/{cid}/sign" not in approver_page.text
    assert wrong.status_code == 422
    assert "contract.unit_prices_mismatch" in wrong.text
    assert 'value="99.99"' in wrong.text
    assert unreadable.status_code == 422
    assert "form.bad_number" in unreadable.text
    assert 'value="a lot"' in unreadable.text
    assert unchanged == before
    assert right.status_code == 303
    with database.unit_of_work(write=False) as s:
        prices = [i.unit_price for i in contracts.load_contract(s, cid).items]
    assert prices == [Decimal("150.00"), Decimal("100.00")]


def test_other_organizations_and_roles_get_403_or_404_and_change_nothing(
    client: TestClient, database: Database, clock: FixedClock, people: World
) -> None:
    cid = pending_contract(database, people, clock.now(), [("10", "100.00")], "1000.00", not_before=clock.now())
    before = snapshot(database, cid)
    other_supplier = person_client(client, "supplier1")
    token = csrf_of(other_supplier.get("/supplier").text)
    other_buyer = person_client(client, "other_approver")
    other_token = csrf_of(other_buyer.get("/buyer/contracts").text)
    buyer = person_client(client, "buyer")

    assert other_supplier.get(f"/supplier/contracts/{cid}").status_code == 404
    assert other_supplier.post(f"/supplier/contracts/{cid}/sign", data={"csrf": token}).status_code == 404
    assert other_buyer.get(f"/buyer/contracts/{cid}").status_code == 404
    assert other_buyer.post(f"/buyer/contracts/{cid}/sign", data={"csrf": other_token}).status_code == 404
    assert buyer.get(f"/supplier/contracts/{cid}").status_code == 403
    assert person_client(client, "supplier0").get(f"/buyer/contracts/{cid}").status_code == 403
    assert person_client(client, "auditor").get(f"/buyer/contracts/{cid}").status_code == 403
    assert buyer.get("/buyer/contracts/no-such-contract").status_code == 404
    assert client.get(f"/buyer/contracts/{cid}", follow_redirects=False).status_code == 303  # to the login page
    assert other_supplier.post(f"/supplier/contracts/{cid}/sign", data={"csrf": "forged"}).status_code == 403
    assert snapshot(database, cid) == before


# --- implementation: deliveries, acceptance, payments, amendments, the end ----------------------------------------


@pytest.fixture
def active(database: Database, clock: FixedClock, people: World) -> str:
    """An active contract of the world's buyer with supplier0: 10 × 100.00 and 5 × 200.00."""
    cid = active_contract(database, people, clock.now(), [Line("10", "100.00"), Line("5", "200.00")])
    clock.set(clock.now() + timedelta(hours=2))
    return cid


def test_the_supplier_records_deliveries_and_refusals_keep_what_was_typed(
    client: TestClient, database: Database, clock: FixedClock, active: str
) -> None:
    first, _ = _items(database, active)
    supplier = person_client(client, "supplier0")
    page = supplier.get(f"/supplier/contracts/{active}")
    token = csrf_of(page.text)
    when = (clock.now() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    base = {"csrf": token, "contract_item_id": first, "delivered_at": when, "location": "Lviv depot"}
    before = snapshot(database, active)
    too_many = supplier.post(f"/supplier/contracts/{active}/deliveries", data={**base, "quantity": "11"})
    not_a_number = supplier.post(f"/supplier/contracts/{active}/deliveries", data={**base, "quantity": "ten"})
    bad_moment = supplier.post(
        f"/supplier/contracts/{active}/deliveries", data={**base, "quantity": "1", "delivered_at": "yesterday"}
    )
    future = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    in_future = supplier.post(
        f"/supplier/contracts/{active}/deliveries", data={**base, "quantity": "1", "delivered_at": future}
    )
    unchanged = snapshot(database, active)
    done = supplier.post(
        f"/supplier/contracts/{active}/deliveries", data={**base, "quantity": "4"}, follow_redirects=False
    )
    uk = person_client(client, "supplier0", "uk").get(f"/supplier/contracts/{active}")

    assert "Record a delivery" in page.text
    assert too_many.status_code == 422
    assert "delivery.quantity_exceeded" in too_many.text
    assert "more than what remains" in too_many.text
    assert 'value="11"' in too_many.text
    assert 'value="Lviv depot"' in too_many.text
    assert not_a_number.status_code == 422
    assert "form.bad_number" in not_a_number.text
    assert bad_moment.status_code == 422
    assert "form.bad_moment" in bad_moment.text
    assert in_future.status_code == 422
    assert "validation.failed" in in_future.text
    assert unchanged == before
    assert done.status_code == 303
    with database.unit_of_work(write=False) as s:
        rows = s.scalars(select(Delivery).where(Delivery.contract_id == active)).all()
        assert [(d.quantity, d.location, d.status) for d in rows] == [(Decimal(4), "Lviv depot", "pending")]
    assert "Очікує приймання" in uk.text
    assert "Lviv depot" in uk.text


def test_the_buyer_accepts_and_rejects_deliveries_a_rejection_needs_a_reason(
    client: TestClient, database: Database, clock: FixedClock, people: World, active: str
) -> None:
    flow = ContractFlow(client, people, clock, database)
    one = flow.deliver(active, "4", who="supplier0")
    two = flow.deliver(active, "2", who="supplier0")
    buyer = person_client(client, "buyer")
    page = buyer.get(f"/buyer/contracts/{active}")
    token = csrf_of(page.text)
    approver = person_client(client, "approver")
    approver_page = approver.get(f"/buyer/contracts/{active}")
    before = snapshot(database, active)
    no_reason = buyer.post(
        f"/buyer/contracts/{active}/deliveries/{two['id']}/reject", data={"csrf": token, f"reason-{two['id']}": "x"}
    )
    by_approver = approver.post(
        f"/buyer/contracts/{active}/deliveries/{one['id']}/accept", data={"csrf": csrf_of(approver_page.text)}
    )
    unchanged = snapshot(database, active)
    accepted = buyer.post(
        f"/buyer/contracts/{active}/deliveries/{one['id']}/accept",
        data={"csrf": token, f"reason-{one['id']}": ""},
        follow_redirects=False,
    )
    rejected = buyer.post(
        f"/buyer/contracts/{active}/deliveries/{two['id']}/reject",
        data={"csrf": token, f"reason-{two['id']}": "Wrong size"},
        follow_redirects=False,
    )
    twice = buyer.post(f"/buyer/contracts/{active}/deliveries/{two['id']}/accept", data={"csrf": token})
    elsewhere = buyer.post(f"/buyer/contracts/{active}/deliveries/nope/accept", data={"csrf": token})
    supplier_view = person_client(client, "supplier0").get(f"/supplier/contracts/{active}")

    assert f"/deliveries/{one['id']}/accept" in page.text
    assert f"/deliveries/{one['id']}/accept" not in approver_page.text  # acceptance is a buyer's act
    assert no_reason.status_code == 422
    assert "validation.failed" in no_reason.text
    assert ">x</textarea>" in no_reason.text
    assert by_approver.status_code == 403
    assert "auth.role_forbidden" in by_approver.text
    assert unchanged == before
    assert accepted.status_code == 303
    assert rejected.status_code == 303
    assert twice.status_code == 409
    assert elsewhere.status_code == 404
    with database.unit_of_work(write=False) as s:
        statuses = {d.id: (d.status, d.reason) for d in s.scalars(select(Delivery))}
    assert statuses == {one["id"]: ("accepted", None), two["id"]: ("rejected", "Wrong size")}
    assert "Wrong size" in supplier_view.text
    assert "Rejected" in supplier_view.text


def test_payments_are_recorded_and_one_beyond_the_value_is_refused(
    client: TestClient, database: Database, clock: FixedClock, people: World, active: str
) -> None:
    flow = ContractFlow(client, people, clock, database)
    delivery = flow.deliver(active, "10", who="supplier0")
    flow.accept(delivery["id"])
    approver = person_client(client, "approver", "uk")
    page = approver.get(f"/buyer/contracts/{active}")
    when = (clock.now() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    form = {"csrf": csrf_of(page.text), "paid_at": when, "delivery_id": delivery["id"], "reference": "PO-17"}
    before = snapshot(database, active)
    too_much = approver.post(f"/buyer/contracts/{active}/payments", data={**form, "amount": "2 000,01"})
    unchanged = snapshot(database, active)
    paid = approver.post(
        f"/buyer/contracts/{active}/payments", data={**form, "amount": "1 000,00"}, follow_redirects=False
    )
    after = approver.get(f"/buyer/contracts/{active}")

    assert 'name="amount"' in page.text
    assert too_much.status_code == 422
    assert "payment.exceeds_value" in too_much.text
    assert "Усі платежі разом не можуть перевищувати вартість договору" in too_much.text
    assert 'value="2 000,01"' in too_much.text
    assert 'value="PO-17"' in too_much.text
    assert unchanged == before
    assert paid.status_code == 303
    with database.unit_of_work(write=False) as s:
        rows = s.scalars(select(Payment).where(Payment.contract_id == active)).all()
        assert [(p.amount, p.reference, p.delivery_id) for p in rows] == [(Decimal("1000.00"), "PO-17", delivery["id"])]
    assert "PO-17" in after.text


def test_the_approver_amends_on_a_lawful_ground_and_an_unlawful_one_keeps_the_form(
    client: TestClient, database: Database, clock: FixedClock, active: str
) -> None:
    first, second = _items(database, active)
    approver = person_client(client, "approver")
    page = approver.get(f"/buyer/contracts/{active}")
    token = csrf_of(page.text)
    buyer_page = person_client(client, "buyer").get(f"/buyer/contracts/{active}")
    before = snapshot(database, active)
    unlawful = approver.post(
        f"/buyer/contracts/{active}/amend",
        data={
            "csrf": token,
            "rationale": "volume_reduction",
            "description": "Funding for the second half of the year",
            f"qty-{first}": "12",
        },
    )
    empty = approver.post(
        f"/buyer/contracts/{active}/amend",
        data={"csrf": token, "rationale": "price_reduction", "description": "Nothing really"},
    )
    unchanged = snapshot(database, active)
    lawful = approver.post(
        f"/buyer/contracts/{active}/amend",
        data={
            "csrf": token,
            "rationale": "price_reduction",
            "description": "The supplier agreed a lower unit price",
            f"price-{second}": "190.00",
            f"qty-{second}": "5",
        },
        follow_redirects=False,
    )
    after = approver.get(f"/buyer/contracts/{active}")

    assert 'name="rationale"' in page.text
    assert 'name="rationale"' not in buyer_page.text  # amendments are the approver's
    assert unlawful.status_code == 422
    assert "amendment.quantity_direction" in unlawful.text
    assert "Funding for the second half of the year</textarea>" in unlawful.text
    assert 'value="12"' in unlawful.text
    assert '<option value="volume_reduction" selected>' in unlawful.text
    assert empty.status_code == 422
    assert "amendment.no_change" in empty.text
    assert unchanged == before
    assert lawful.status_code == 303
    with database.unit_of_work(write=False) as s:
        rows = s.scalars(select(Amendment).where(Amendment.contract_id == active)).all()
        assert [(a.rationale, a.value_before, a.value_after) for a in rows] == [
            ("price_reduction", Decimal("2000.00"), Decimal("1950.00"))
        ]
    assert "The supplier agreed a lower unit price" in after.text
    assert "An agreed lower price, quantities and quality unchanged" in after.text


def test_completion_needs_full_acceptance_and_termination_a_reason(
    client: TestClient, database: Database, clock: FixedClock, people: World
) -> None:
    cid = active_contract(database, people, clock.now(), [Line("3", "100.00")])
    other = active_contract(database, people, clock.now(), [Line("3", "100.00")])
    clock.set(clock.now() + timedelta(hours=2))
    flow = ContractFlow(client, people, clock, database)
    approver = person_client(client, "approver", "uk")
    token = csrf_of(approver.get(f"/buyer/contracts/{cid}").text)
    early = approver.post(f"/buyer/contracts/{cid}/complete", data={"csrf": token})
    flow.accept(flow.deliver(cid, "3", who="supplier0")["id"])
    done = approver.post(f"/buyer/contracts/{cid}/complete", data={"csrf": token}, follow_redirects=False)
    short = approver.post(f"/buyer/contracts/{other}/terminate", data={"csrf": token, "termination_reason": "no"})
    ended = approver.post(
        f"/buyer/contracts/{other}/terminate",
        data={"csrf": token, "termination_reason": "The supplier stopped delivering"},
        follow_redirects=False,
    )
    listing = approver.get("/buyer/contracts")

    assert early.status_code == 422
    assert "contract.not_fully_accepted" in early.text
    assert done.status_code == 303
    assert _row(database, cid).status == "complete"
    assert short.status_code == 422
    assert ">no</textarea>" in short.text
    assert ended.status_code == 303
    finished = _row(database, other)
    assert (finished.status, finished.status_reason) == ("terminated", "The supplier stopped delivering")
    assert "Завершено" in listing.text
    assert "Зареєструйте платежі" in listing.text  # the completed contract is not paid yet
    assert "Розірвано" in listing.text


# --- the catalogue ----------------------------------------------------------------------------------------------


def _template_texts(pages: list[Path]) -> set[str]:
    return {
        a or b
        for page in pages
        for a, b in re.findall(r"""_\((?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""", page.read_text())
    }


def test_every_contracting_text_has_a_ukrainian_translation() -> None:
    templates = Path(contracting.__file__).parent / "templates"
    used = _template_texts([*(templates / "contracting").glob("*.html"), templates / "partials" / "attach.html"])
    used |= refusals.every_explanation()
    used |= set(contracting.CONTRACT_STATUS.values()) | set(contracting.DELIVERY_STATUS.values())
    used |= set(contracting.FIELD_LABELS.values()) | set(contracting.GROUND_LABELS.values())
    used |= set(contracting.NEXT_ACTIONS)
    uk = translations("uk")

    missing = sorted(text for text in used if uk.gettext(text) == text)

    assert len(used) > 150
    assert missing == []
