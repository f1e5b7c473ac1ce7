"""The supplier's workspace: bid with a receipt, refusals that explain and keep what was typed, questions, roles."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quartermaster.actors import SCHEDULER
from quartermaster.bids.models import Bid
from quartermaster.contracts.models import Contract
from quartermaster.db.tx import Database
from quartermaster.events.models import Event
from quartermaster.identity import service as identity
from quartermaster.tenders.models import Enquiry
from quartermaster.types import FixedClock
from quartermaster.web import refusals, supplier
from quartermaster.web.i18n import translations
from support.contract_flows import ContractFlow
from support.flows import Flow
from support.world import World

PASSWORD = "correct horse battery staple"


def _csrf_of(text: str) -> str:
    found = re.findall(r'name="csrf" value="([^"]+)"', text)
    assert found
    return str(found[-1])  # the page's own form, after the header's log-out form


def _log_in(client: TestClient, database: Database, clock: FixedClock, username: str) -> None:
    with database.unit_of_work() as s:
        user = identity.find_user(s, username)
        identity.set_password(s, actor=SCHEDULER, user=user, password=PASSWORD, now=clock.now())
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": _csrf_of(page.text), "next": "/supplier"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


@pytest.fixture
def flow(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    """Drives tenders through the API as the world's buyer staff."""
    return Flow(client, world, clock, database)


def _lot_input(text: str) -> str:
    found = re.findall(r'name="(amount-[^"]+)"', text)
    assert len(found) == 1
    return str(found[0])


def test_a_supplier_bids_and_sees_the_receipt(
    client: TestClient, database: Database, clock: FixedClock, flow: Flow
) -> None:
    tender_id = flow.to_tendering()
    _log_in(client, database, clock, "supplier0")

    form = client.get(f"/supplier/tenders/{tender_id}/bid")
    field = _lot_input(form.text)
    sent = client.post(
        f"/supplier/tenders/{tender_id}/bid",
        data={"csrf": _csrf_of(form.text), field: "950 000,50"},
        follow_redirects=False,
    )
    receipt = client.get(sent.headers["location"])
    workspace = client.get("/supplier")

    assert form.status_code == 200
    assert sent.status_code == 303
    with database.unit_of_work(write=False) as s:
        bid = s.scalars(select(Bid).where(Bid.tender_id == tender_id)).one()
        bid_id, amounts = bid.id, [v.amount for v in bid.values]
        event = s.scalars(select(Event).where(Event.object_id == bid.id, Event.command == "submit_bid")).one()
        receipt_hash = event.payload_hash
    assert sent.headers["location"] == f"/supplier/bids/{bid_id}"
    assert amounts == [Decimal("950000.50")]
    assert receipt.status_code == 200
    assert receipt_hash in receipt.text
    assert "Квитанція" in receipt.text  # Ukrainian by default
    assert receipt_hash[:16] in workspace.text
    assert "Запечатано до розкриття" in workspace.text
    assert "950 000,50" not in workspace.text  # the workspace lists the receipt, not the prices


@pytest.mark.parametrize(
    ("lang", "reason"),
    [
        ("uk", "Строк подання пропозицій минув"),
        ("en", "The tender period has ended: bids are no longer accepted."),
    ],
)
def test_a_late_bid_is_refused_with_the_reason_and_the_typed_amount_kept(
    client: TestClient, database: Database, clock: FixedClock, flow: Flow, lang: str, reason: str
) -> None:
    tender_id = flow.to_tendering()
    deadline = datetime.fromisoformat(flow.tender(tender_id)["tender_end"])
    clock.set(deadline - timedelta(minutes=5))
    client.cookies.set("lang", lang)
    _log_in(client, database, clock, "supplier1")
    form = client.get(f"/supplier/tenders/{tender_id}/bid")
    clock.set(deadline + timedelta(seconds=1))  # the person took too long to type

    refused = client.post(
        f"/supplier/tenders/{tender_id}/bid",
        data={"csrf": _csrf_of(form.text), _lot_input(form.text): "901234.56"},
    )

    assert refused.status_code == 422
    assert reason in refused.text
    assert "bid.deadline_passed" in refused.text
    assert 'value="901234.56"' in refused.text
    with database.unit_of_work(write=False) as s:
        assert s.scalars(select(Bid).where(Bid.tender_id == tender_id)).all() == []


def test_a_second_bid_and_a_bad_amount_are_refused_in_words(
    client: TestClient, database: Database, clock: FixedClock, flow: Flow
) -> None:
    tender_id = flow.to_tendering()
    flow.bid(tender_id, "supplier2", "800000")
    client.cookies.set("lang", "en")
    _log_in(client, database, clock, "supplier2")
    form = client.get(f"/supplier/tenders/{tender_id}/bid")
    field = "amount-" + flow.tender(tender_id)["lots"][0]["id"]

    bad = client.post(f"/supplier/tenders/{tender_id}/bid", data={"csrf": _csrf_of(form.text), field: "seven"})
    again = client.post(f"/supplier/tenders/{tender_id}/bid", data={"csrf": _csrf_of(form.text), field: "700"})

    assert field not in form.text  # the form is replaced by a link to the receipt of the bid already made
    assert "already has a bid on this tender" in form.text
    assert bad.status_code == 422
    assert "A price must be a positive amount" in bad.text
    assert 'value="seven"' in bad.text
    assert again.status_code == 409
    assert "bid.duplicate" in again.text


def test_a_supplier_asks_a_question_and_a_late_one_keeps_the_text(
    client: TestClient, database: Database, clock: FixedClock, flow: Flow
) -> None:
    tender = flow.create()
    published = flow.publish(tender["id"])
    _log_in(client, database, clock, "supplier0")
    form = client.get(f"/supplier/tenders/{tender['id']}/ask")
    question = {"csrf": _csrf_of(form.text), "title": "Packaging", "description": "Are crates of 1000 acceptable?"}

    asked = client.post(f"/supplier/tenders/{tender['id']}/questions", data=question, follow_redirects=False)
    flow.advance_to(published["tender_end"])
    _log_in(client, database, clock, "supplier0")  # days later: a new session
    question["csrf"] = _csrf_of(client.get("/supplier").text)
    late = client.post(
        f"/supplier/tenders/{tender['id']}/questions", data={**question, "title": "Late one"}, follow_redirects=False
    )

    assert form.status_code == 200
    assert asked.status_code == 303
    assert asked.headers["location"].startswith(f"/tenders/{tender['id']}")
    with database.unit_of_work(write=False) as s:
        titles = [q.title for q in s.scalars(select(Enquiry).where(Enquiry.tender_id == tender["id"]))]
    assert titles == ["Packaging"]
    assert late.status_code in (409, 422)
    assert 'value="Late one"' in late.text
    assert "Are crates of 1000 acceptable?</textarea>" in late.text


def test_the_workspace_is_for_suppliers_only(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    anonymous = client.get("/supplier", follow_redirects=False)
    _log_in(client, database, clock, "buyer")
    uk = client.get("/supplier")
    client.cookies.set("lang", "en")
    en = client.get("/supplier")
    bid_form = client.get("/supplier/tenders/whatever/bid")

    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/supplier"
    assert uk.status_code == 403
    assert "Лише для постачальників" in uk.text
    assert en.status_code == 403
    assert "Suppliers only" in en.text
    assert bid_form.status_code == 403


def test_a_supplier_sees_its_empty_workspace_in_english(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    client.cookies.set("lang", "en")
    _log_in(client, database, clock, "supplier3")

    page = client.get("/supplier")

    assert page.status_code == 200
    assert "Your organization has no bids yet." in page.text
    assert "Your organization has no contracts yet." in page.text


def test_a_supplier_signs_its_contract_after_the_standstill_and_not_before(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    flow = ContractFlow(client, world, clock, database)
    contract = flow.awarded()
    _log_in(client, database, clock, "supplier1")
    during = client.get("/supplier")
    early = client.post(f"/supplier/contracts/{contract['id']}/sign", data={"csrf": _csrf_of(during.text)})
    flow.advance_to(contract["not_before"])
    _log_in(client, database, clock, "supplier1")
    after = client.get("/supplier")
    signed = client.post(
        f"/supplier/contracts/{contract['id']}/sign", data={"csrf": _csrf_of(after.text)}, follow_redirects=False
    )
    again = client.get("/supplier")

    assert "Підписати можна після" in during.text
    assert f"/supplier/contracts/{contract['id']}/sign" not in during.text
    assert "Ration packs" in during.text  # the award of supplier1's organization
    assert early.status_code == 422
    assert "Період очікування ще не завершився" in early.text
    assert f"/supplier/contracts/{contract['id']}/sign" in after.text
    assert signed.status_code == 303
    assert signed.headers["location"] == f"/supplier/contracts/{contract['id']}#signatures"
    assert 'href="/supplier/contracts/{}"'.format(contract["id"]) in during.text  # the contract's own page
    with database.unit_of_work(write=False) as s:
        row = s.get(Contract, contract["id"])
        assert row is not None
        assert row.supplier_signed_by == world["supplier1"].actor.user_id
    assert "Ви підписали" in again.text


def test_the_supplier_contract_page_speaks_the_accept_language(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    flow = ContractFlow(client, world, clock, database)
    contract = flow.awarded()
    _log_in(client, database, clock, "supplier1")

    uk = client.get(f"/supplier/contracts/{contract['id']}", headers={"Accept-Language": "uk"})
    en = client.get(f"/supplier/contracts/{contract['id']}", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert uk.status_code == en.status_code == 200
    assert "Очікує підписів" in uk.text
    assert "Період очікування триває до" in uk.text
    assert "Awaiting signatures" in en.text
    assert "Ration packs" in en.text
    assert 'enctype="multipart/form-data"' in en.text


def test_every_supplier_text_has_a_ukrainian_translation() -> None:
    templates = Path(supplier.__file__).parent / "templates" / "supplier"
    used = {
        a or b
        for page in templates.glob("*.html")
        for a, b in re.findall(r"""_\((?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""", page.read_text())
    }
    used |= refusals.every_explanation()
    used |= {text for labels in supplier.STATUS.values() for text in labels.values()}
    uk = translations("uk")

    missing = sorted(text for text in used if uk.gettext(text) == text)

    assert len(used) > 60
    assert missing == []
