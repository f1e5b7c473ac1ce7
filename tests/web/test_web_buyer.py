"""The buyer's workspace: the tender wizard, publishing by another approver, answering questions, refusals."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quartermaster.actors import SCHEDULER
from quartermaster.db.tx import Database
from quartermaster.identity import service as identity
from quartermaster.tenders import models as m
from quartermaster.tenders import periods
from quartermaster.tenders.models import Enquiry, Tender
from quartermaster.tenders.schemas import QuestionIn
from quartermaster.types import FixedClock
from support.world import World

PASSWORD = "correct horse battery staple"
DRAFT = {
    "title": "Field radios",
    "description": "Handheld VHF radios",
    "procedure": "open",
    "category": "goods",
    "award_criteria": "priceOnly",
    "value_amount": "1 500 000,50",
    "currency": "UAH",
    "item_description": "VHF radio, handheld",
    "cpv": "35330000-6",
    "unit": "H87",
    "quantity": "40",
    "nsn": "",
    "marking": "public",
}


def _csrf_of(text: str) -> str:
    found = re.findall(r'name="csrf" value="([^"]+)"', text)
    assert found
    return str(found[-1])


def _login(client: TestClient, username: str) -> None:
    csrf = _csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf, "next": "/buyer"},
        follow_redirects=False,
    )
    assert response.status_code == 303


@pytest.fixture
def people(database: Database, clock: FixedClock, world: World) -> World:
    """The world, with passwords for the people these tests log in as."""
    with database.unit_of_work() as s:
        for username in ("buyer", "approver", "approver2", "supplier0"):
            user = identity.find_user(s, username)
            identity.set_password(s, actor=SCHEDULER, user=user, password=PASSWORD, now=clock.now())
    return world


def _as(client: TestClient, username: str, lang: str = "en") -> TestClient:
    other = TestClient(client.app, raise_server_exceptions=False, headers={"Accept-Language": lang})
    _login(other, username)
    return other


def _create(client: TestClient, **changes: str) -> httpx.Response:
    page = client.get("/buyer/tenders/new")
    assert page.status_code == 200
    return client.post(
        "/buyer/tenders/new", data={**DRAFT, **changes, "csrf": _csrf_of(page.text)}, follow_redirects=False
    )


def _draft(client: TestClient) -> str:
    response = _create(client)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[-1]


def test_a_buyer_prepares_a_draft_that_the_workspace_lists(
    client: TestClient, people: World, database: Database
) -> None:
    buyer = _as(client, "buyer")
    tender_id = _draft(buyer)

    with database.unit_of_work(write=False) as s:
        tender = s.get(Tender, tender_id)
        assert tender is not None
        assert tender.status == m.DRAFT
        assert str(tender.value_amount) == "1500000.50"
        assert [(i.cpv, i.unit, str(i.quantity)) for i in tender.items] == [("35330000-6", "H87", "40.000")]
    home = buyer.get("/buyer")
    assert home.status_code == 200
    assert "Field radios" in home.text
    assert "Draft" in home.text
    assert "Waiting for an approver who did not prepare it to publish" in home.text
    page = buyer.get(f"/buyer/tenders/{tender_id}")
    assert "An approver of your organization who did not prepare this tender publishes it." in page.text
    assert 'action="/buyer/tenders/' + tender_id + '/publish"' not in page.text


def test_another_approver_publishes_with_the_prefilled_minimum_periods(
    client: TestClient, people: World, database: Database
) -> None:
    tender_id = _draft(_as(client, "buyer"))
    approver = _as(client, "approver2")
    assert "Review and publish" in approver.get("/buyer").text
    page = approver.get(f"/buyer/tenders/{tender_id}")
    ends = dict(re.findall(r'name="(enquiry_end|tender_end)" value="([^"]+)"', page.text))
    assert set(ends) == {"enquiry_end", "tender_end"}

    response = approver.post(
        f"/buyer/tenders/{tender_id}/publish", data={**ends, "csrf": _csrf_of(page.text)}, follow_redirects=False
    )

    assert response.status_code == 303
    with database.unit_of_work(write=False) as s:
        tender = s.get(Tender, tender_id)
        assert tender is not None
        assert tender.status == m.ENQUIRIES
        assert tender.enquiry_end is not None
        assert tender.enquiry_end.strftime("%Y-%m-%dT%H:%M") == ends["enquiry_end"]


def test_the_approver_who_prepared_a_draft_cannot_publish_it(
    client: TestClient, people: World, database: Database
) -> None:
    approver = _as(client, "approver")
    tender_id = _draft(approver)
    page = approver.get(f"/buyer/tenders/{tender_id}")
    assert "You prepared this tender, so another approver of your organization must publish it." in page.text

    forced = approver.post(
        f"/buyer/tenders/{tender_id}/publish",
        data={"enquiry_end": "2026-03-20T10:00", "tender_end": "2026-03-30T10:00", "csrf": _csrf_of(page.text)},
    )

    assert forced.status_code == 403
    assert "tender.separation_of_duties" in forced.text
    assert "another approver must" in forced.text
    with database.unit_of_work(write=False) as s:
        assert s.scalar(select(Tender.status).where(Tender.id == tender_id)) == m.DRAFT


def test_periods_shorter_than_the_rulebook_are_refused_and_kept(client: TestClient, people: World) -> None:
    tender_id = _draft(_as(client, "buyer"))
    approver = _as(client, "approver2")
    page = approver.get(f"/buyer/tenders/{tender_id}")

    refused = approver.post(
        f"/buyer/tenders/{tender_id}/publish",
        data={"enquiry_end": "2026-03-03T09:00", "tender_end": "2026-03-04T09:00", "csrf": _csrf_of(page.text)},
    )

    assert refused.status_code == 422
    assert "tender.rules_not_met" in refused.text
    assert 'value="2026-03-03T09:00"' in refused.text


@pytest.mark.parametrize("username", ["supplier0"])
def test_a_supplier_gets_a_403_page(client: TestClient, people: World, username: str) -> None:
    supplier = _as(client, username)

    for path in ("/buyer", "/buyer/tenders/new"):
        page = supplier.get(path)
        assert page.status_code == 403
        assert "buyers and approvers of a buying organization" in page.text


def test_a_refused_form_keeps_what_was_typed_and_says_why(client: TestClient, people: World) -> None:
    buyer = _as(client, "buyer")

    refused = _create(buyer, cpv="99999999-9", title="Night vision goggles")

    assert refused.status_code == 422
    assert "tender.invalid_items" in refused.text
    assert "CPV code:" in refused.text
    assert 'value="Night vision goggles"' in refused.text
    assert 'value="99999999-9"' in refused.text
    assert 'value="1 500 000,50"' in refused.text


def test_a_badly_typed_quantity_is_refused_by_field(client: TestClient, people: World) -> None:
    refused = _create(_as(client, "buyer"), quantity="many")

    assert refused.status_code == 422
    assert "validation.failed" in refused.text
    assert "Quantity:" in refused.text
    assert 'value="many"' in refused.text


def test_the_wizard_speaks_ukrainian(client: TestClient, people: World) -> None:
    buyer = _as(client, "buyer", lang="uk")

    page = buyer.get("/buyer/tenders/new")
    refused = _create(buyer, cpv="99999999-9")

    assert "Підготувати нову закупівлю" in page.text
    assert refused.status_code == 422
    assert "Лот або його позиція некоректні" in refused.text
    assert "Код CPV:" in refused.text


def test_the_procedure_select_rerenders_the_rulebook_hints(client: TestClient, people: World) -> None:
    buyer = _as(client, "buyer")

    limited = buyer.get("/buyer/tenders/new/rules", params={"procedure": "limited"}, headers={"HX-Request": "true"})
    open_ = buyer.get("/buyer/tenders/new/rules", params={"procedure": "open"}, headers={"HX-Request": "true"})

    assert limited.status_code == 200
    assert "<html" not in limited.text
    assert "This procedure requires a justification." in limited.text
    assert 'name="justification"' in limited.text
    assert 'value="costOnly"' not in limited.text
    assert "This procedure requires a justification." not in open_.text
    assert 'value="costOnly"' in open_.text
    assert "Questions until" in open_.text
    assert "Bids until" in open_.text


def test_a_limited_draft_without_justification_cannot_be_published(client: TestClient, people: World) -> None:
    limited = _create(_as(client, "buyer"), procedure="limited", justification="")
    assert limited.status_code == 303
    limited_id = limited.headers["location"].rsplit("/", 1)[-1]
    approver = _as(client, "approver2")
    page = approver.get(f"/buyer/tenders/{limited_id}")

    refused = approver.post(f"/buyer/tenders/{limited_id}/publish", data={"csrf": _csrf_of(page.text)})

    assert refused.status_code == 422
    assert "Justification:" in refused.text


def test_the_buyer_answers_an_open_question(
    client: TestClient, people: World, database: Database, clock: FixedClock
) -> None:
    tender_id = _draft(_as(client, "buyer"))
    approver = _as(client, "approver2")
    page = approver.get(f"/buyer/tenders/{tender_id}")
    ends = dict(re.findall(r'name="(enquiry_end|tender_end)" value="([^"]+)"', page.text))
    approver.post(f"/buyer/tenders/{tender_id}/publish", data={**ends, "csrf": _csrf_of(page.text)})
    clock.set(clock.now() + timedelta(hours=2))
    with database.unit_of_work() as s:
        periods.ask_question(
            s,
            actor=people["supplier0"].actor,
            now=clock.now(),
            tender_id=tender_id,
            question=QuestionIn(title="Battery life?", description="How many hours?"),
        )
    buyer = _as(client, "buyer")
    assert "Answer the questions" in buyer.get("/buyer").text
    page = buyer.get(f"/buyer/tenders/{tender_id}")
    with database.unit_of_work(write=False) as s:
        enquiry_id = s.scalars(select(Enquiry.id).where(Enquiry.tender_id == tender_id)).one()
    assert f"/questions/{enquiry_id}/answer" in page.text

    answered = buyer.post(
        f"/buyer/tenders/{tender_id}/questions/{enquiry_id}/answer",
        data={"answer": "Twelve hours.", "csrf": _csrf_of(page.text)},
        follow_redirects=False,
    )
    again = buyer.post(
        f"/buyer/tenders/{tender_id}/questions/{enquiry_id}/answer",
        data={"answer": "Ten hours.", "csrf": _csrf_of(page.text)},
    )

    assert answered.status_code == 303
    with database.unit_of_work(write=False) as s:
        assert s.scalar(select(Enquiry.answer).where(Enquiry.id == enquiry_id)) == "Twelve hours."
    assert again.status_code == 422
    assert "The question is already answered." in again.text
