"""The buyer's workspace: the tender wizard, publishing by another approver, answering questions, refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from quartermaster.actors import SCHEDULER
from quartermaster.db.tx import Database
from quartermaster.identity import service as identity
from quartermaster.tenders import models as m
from quartermaster.tenders import periods
from quartermaster.tenders.models import Enquiry, Tender
from quartermaster.tenders.schemas import QuestionIn
from quartermaster.types import FixedClock
from quartermaster.web import buyer as buyer_pages
from quartermaster.web import plans as plan_pages
from quartermaster.web import refusals
from quartermaster.web.i18n import translations
from support.contract_flows import ContractFlow
from support.web import give_passwords
from support.world import World

PASSWORD = "correct horse battery staple"
DRAFT = {
    "title": "Field radios",
    "description": "Handheld VHF radios",
    "procedure": "open",
    "category": "goods",
    "award_criteria": "priceOnly",
    "value_amount": "1,500,000.50",  # as an English-speaking person writes it (the clients speak English)
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
    assert 'value="1,500,000.50"' in refused.text


def test_a_badly_typed_quantity_is_refused_by_field(client: TestClient, people: World) -> None:
    refused = _create(_as(client, "buyer"), quantity="many")

    assert refused.status_code == 422
    assert "validation.failed" in refused.text
    assert "Quantity:" in refused.text
    assert 'value="many"' in refused.text


def test_the_wizard_speaks_ukrainian(client: TestClient, people: World) -> None:
    buyer = _as(client, "buyer", lang="uk")

    page = buyer.get("/buyer/tenders/new")
    refused = _create(buyer, cpv="99999999-9", value_amount="1 500 000,50")  # as a Ukrainian-speaking person writes it

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


# --- several lots and items, editing, cancelling, links to the later stages -------------------------------------

TWO_LOTS = {
    "title": "Communications kit",
    "description": "",
    "procedure": "open",
    "category": "goods",
    "award_criteria": "priceOnly",
    "currency": "UAH",
    "marking": "public",
    "lots-0-title": "Handheld radios",
    "lots-0-value_amount": "1 000 000",
    "lots-0-items-0-description": "VHF radio, handheld",
    "lots-0-items-0-cpv": "35330000-6",
    "lots-0-items-0-unit": "H87",
    "lots-0-items-0-quantity": "40",
    "lots-0-items-0-nsn": "",
    "lots-0-items-1-description": "Spare battery",
    "lots-0-items-1-cpv": "32237000-3",
    "lots-0-items-1-unit": "H87",
    "lots-0-items-1-quantity": "80",
    "lots-0-items-1-nsn": "",
    "lots-1-title": "Vehicle radios",
    "lots-1-value_amount": "2,500,000.75",
    "lots-1-items-0-description": "Vehicle radio set",
    "lots-1-items-0-cpv": "32230000-4",
    "lots-1-items-0-unit": "H87",
    "lots-1-items-0-quantity": "12.5",
    "lots-1-items-0-nsn": "",
    "lots-1-items-1-description": "Antenna mount",
    "lots-1-items-1-cpv": "32230000-4",
    "lots-1-items-1-unit": "H87",
    "lots-1-items-1-quantity": "12",
    "lots-1-items-1-nsn": "",
}


def _post_new(client: TestClient, data: dict[str, str], **kw: Any) -> httpx.Response:
    page = client.get("/buyer/tenders/new")
    return client.post("/buyer/tenders/new", data={**data, "csrf": _csrf_of(page.text)}, follow_redirects=False, **kw)


def _two_lot_draft(client: TestClient) -> str:
    response = _post_new(client, TWO_LOTS)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[-1]


def _lots_of(database: Database, tender_id: str) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    with database.unit_of_work(write=False) as s:
        tender = s.get(Tender, tender_id)
        assert tender is not None
        return [
            (lot.title, str(lot.value_amount), [(i.description, i.cpv, str(i.quantity)) for i in lot.items])
            for lot in tender.lots
        ]


def test_a_draft_with_two_lots_of_two_items_is_saved_and_shown(
    client: TestClient, people: World, database: Database
) -> None:
    buyer = _as(client, "buyer")
    tender_id = _two_lot_draft(buyer)

    assert _lots_of(database, tender_id) == [
        (
            "Handheld radios",
            "1000000.00",
            [("VHF radio, handheld", "35330000-6", "40.000"), ("Spare battery", "32237000-3", "80.000")],
        ),
        (
            "Vehicle radios",
            "2500000.75",
            [("Vehicle radio set", "32230000-4", "12.500"), ("Antenna mount", "32230000-4", "12.000")],
        ),
    ]
    with database.unit_of_work(write=False) as s:
        assert str(s.scalar(select(Tender.value_amount).where(Tender.id == tender_id))) == "3500000.75"
    page = buyer.get(f"/buyer/tenders/{tender_id}")
    assert "Lot 2: Vehicle radios" in page.text
    assert "Antenna mount" in page.text
    assert f'href="/buyer/tenders/{tender_id}/edit"' in page.text
    assert "/evaluation" not in page.text


def test_a_refusal_on_the_second_lots_item_points_at_it_and_keeps_everything(
    client: TestClient, people: World, database: Database
) -> None:
    buyer = _as(client, "buyer")

    refused = _post_new(buyer, {**TWO_LOTS, "lots-1-items-1-cpv": "99999999-9"})

    assert refused.status_code == 422
    assert "tender.invalid_items" in refused.text
    assert "Lot 2, item 2 — CPV code:" in refused.text
    assert re.search(r'class="cell error">\s*<label for="t-lots-1-items-1-cpv">', refused.text)
    assert not re.search(r'class="cell error">\s*<label for="t-lots-0-items-1-cpv">', refused.text)
    for name, value in TWO_LOTS.items():
        if name.startswith("lots-") and value and name != "lots-1-items-1-cpv":
            assert f'name="{name}" value="{value}"' in refused.text, name
    assert 'name="lots-1-items-1-cpv" value="99999999-9"' in refused.text
    schema = _post_new(buyer, {**TWO_LOTS, "lots-1-items-0-quantity": "lots"})
    assert schema.status_code == 422
    assert "Lot 2, item 1 — Quantity:" in schema.text
    with database.unit_of_work(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Tender)) == 0


def test_lots_and_items_are_added_and_removed_without_and_with_htmx(client: TestClient, people: World) -> None:
    buyer = _as(client, "buyer")

    with_lot = _post_new(buyer, {**TWO_LOTS, "action": "add_lot"})
    with_item = _post_new(buyer, {**TWO_LOTS, "action": "add_item-1"})
    without = _post_new(buyer, {**TWO_LOTS, "action": "remove_lot-0"}, headers={"HX-Request": "true"})
    bogus = _post_new(buyer, {**TWO_LOTS, "action": "remove_lot-9"})

    assert with_lot.status_code == 200
    assert 'name="lots-2-title"' in with_lot.text
    assert 'value="Antenna mount"' in with_lot.text
    assert 'name="lots-1-items-2-cpv"' in with_item.text
    assert "<html" not in without.text
    assert without.text.lstrip().startswith('<div id="lots"')
    assert 'name="lots-0-title" value="Vehicle radios"' in without.text
    assert "Handheld radios" not in without.text
    assert bogus.status_code == 200
    assert 'name="lots-1-title" value="Vehicle radios"' in bogus.text


def test_the_buyer_edits_a_draft_and_a_stale_form_is_refused(
    client: TestClient, people: World, database: Database
) -> None:
    buyer = _as(client, "buyer")
    tender_id = _two_lot_draft(buyer)
    form = buyer.get(f"/buyer/tenders/{tender_id}/edit")
    assert form.status_code == 200
    assert 'name="lots-1-items-0-quantity" value="12.5"' in form.text
    assert 'name="lots-1-value_amount" value="2500000.75"' in form.text
    version = re.findall(r'name="version" value="(\d+)"', form.text)[0]
    changed = {k: v for k, v in TWO_LOTS.items() if not k.startswith("lots-1-")}
    changed.update({"title": "Handheld kit only", "lots-0-items-1-quantity": "100", "version": version})

    saved = buyer.post(
        f"/buyer/tenders/{tender_id}/edit", data={**changed, "csrf": _csrf_of(form.text)}, follow_redirects=False
    )
    stale = buyer.post(
        f"/buyer/tenders/{tender_id}/edit",
        data={**changed, "title": "Lost update", "csrf": _csrf_of(form.text)},
    )

    assert saved.status_code == 303, saved.text
    assert _lots_of(database, tender_id) == [
        (
            "Handheld radios",
            "1000000.00",
            [("VHF radio, handheld", "35330000-6", "40.000"), ("Spare battery", "32237000-3", "100.000")],
        )
    ]
    assert stale.status_code == 412
    assert "precondition.stale" in stale.text
    assert 'value="Lost update"' in stale.text
    with database.unit_of_work(write=False) as s:
        assert s.scalar(select(Tender.title).where(Tender.id == tender_id)) == "Handheld kit only"


def test_an_approver_cancels_a_draft_with_a_reason_and_a_buyer_may_not(
    client: TestClient, people: World, database: Database
) -> None:
    tender_id = _two_lot_draft(_as(client, "buyer"))
    buyer = _as(client, "buyer")
    page = buyer.get(f"/buyer/tenders/{tender_id}")
    assert "Only an approver of your organization may cancel a tender." in page.text

    by_buyer = buyer.post(
        f"/buyer/tenders/{tender_id}/cancel", data={"reason": "Not needed", "csrf": _csrf_of(page.text)}
    )
    approver = _as(client, "approver")
    page = approver.get(f"/buyer/tenders/{tender_id}")
    short = approver.post(f"/buyer/tenders/{tender_id}/cancel", data={"reason": "x", "csrf": _csrf_of(page.text)})
    done = approver.post(
        f"/buyer/tenders/{tender_id}/cancel",
        data={"reason": "Requirement withdrawn", "csrf": _csrf_of(page.text)},
        follow_redirects=False,
    )
    again = approver.post(
        f"/buyer/tenders/{tender_id}/cancel", data={"reason": "Once more", "csrf": _csrf_of(page.text)}
    )
    edit = approver.get(f"/buyer/tenders/{tender_id}/edit")

    assert by_buyer.status_code == 403
    assert "auth.role_forbidden" in by_buyer.text
    assert short.status_code == 422
    assert "Reason:" in short.text
    assert ">x</textarea>" in short.text
    assert done.status_code == 303
    with database.unit_of_work(write=False) as s:
        tender = s.get(Tender, tender_id)
        assert tender is not None
        assert tender.status == m.CANCELLED
        assert {lot.status for lot in tender.lots} == {m.LOT_CANCELLED}
    assert again.status_code == 409
    assert "state.invalid_transition" in again.text
    assert "This cannot be done in the tender&#39;s current state." in again.text
    assert edit.status_code == 409
    assert "Only a draft may be changed" in edit.text


def test_another_organizations_draft_is_not_found(client: TestClient, people: World, database: Database) -> None:
    tender_id = _two_lot_draft(_as(client, "buyer"))
    give_passwords(database, FixedClock(datetime.now(UTC)), ["other_buyer", "other_approver"])
    other = _as(client, "other_buyer")
    other_approver = _as(client, "other_approver")
    page = other.get("/buyer")

    for path in (f"/buyer/tenders/{tender_id}", f"/buyer/tenders/{tender_id}/edit"):
        assert other.get(path).status_code == 404
    edit = other.post(
        f"/buyer/tenders/{tender_id}/edit", data={**TWO_LOTS, "title": "Mine", "csrf": _csrf_of(page.text)}
    )
    cancel = other_approver.post(
        f"/buyer/tenders/{tender_id}/cancel",
        data={"reason": "Not yours", "csrf": _csrf_of(other_approver.get("/buyer").text)},
    )

    assert edit.status_code == 404
    assert "Your organization has no tender at this address." in edit.text
    assert cancel.status_code == 404
    with database.unit_of_work(write=False) as s:
        tender = s.get(Tender, tender_id)
        assert tender is not None
        assert (tender.title, tender.status) == ("Communications kit", m.DRAFT)


def test_the_tender_page_links_to_evaluation_and_contracts_after_the_award(
    client: TestClient, people: World, database: Database, clock: FixedClock
) -> None:
    flow = ContractFlow(client, people, clock, database)
    contract = flow.awarded()
    tender_id = contract["tender_id"]
    buyer = _as(client, "buyer")

    page = buyer.get(f"/buyer/tenders/{tender_id}")
    home = buyer.get("/buyer")

    assert f'href="/buyer/tenders/{tender_id}/evaluation"' in page.text
    assert "Evaluation and award" in page.text
    assert f'href="/buyer/contracts/{contract["id"]}"' in page.text
    assert 'href="/buyer/plans"' in home.text
    assert 'href="/buyer/contracts"' in home.text


def test_a_tender_in_qualification_asks_to_evaluate_and_award(
    client: TestClient, people: World, database: Database, clock: FixedClock
) -> None:
    flow = ContractFlow(client, people, clock, database)
    tender_id = flow.to_tendering()
    flow.bid(tender_id, "supplier0", "900000.00")
    before = _as(client, "buyer").get(f"/buyer/tenders/{tender_id}")
    flow.open(tender_id)

    assert "/evaluation" not in before.text
    with database.unit_of_work(write=False) as s:
        assert s.scalar(select(Tender.status).where(Tender.id == tender_id)) == m.QUALIFICATION
    buyer = _as(client, "buyer")
    assert "Evaluate and award" in buyer.get("/buyer").text
    assert "Оцінити й визначити переможця" in _as(client, "buyer", lang="uk").get("/buyer").text


def test_the_multi_lot_wizard_speaks_ukrainian(client: TestClient, people: World) -> None:
    buyer = _as(client, "buyer", lang="uk")

    in_ukrainian = {"lots-1-value_amount": "2 500 000,75", "lots-1-items-0-quantity": "12,5"}
    refused = _post_new(buyer, {**TWO_LOTS, **in_ukrainian, "lots-1-items-1-cpv": "99999999-9"})
    home = buyer.get("/buyer")

    assert "Лот 2, позиція 2 — Код CPV:" in refused.text
    assert 'value="2 500 000,75"' in refused.text
    assert "Додати лот" in refused.text
    assert "Плани закупівель" in home.text


def test_every_buyer_and_plan_text_has_a_ukrainian_translation() -> None:
    root = Path(buyer_pages.__file__).parent / "templates"
    used = {
        a or b
        for part in ("buyer", "plans")
        for page in (root / part).glob("*.html")
        for a, b in re.findall(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""", page.read_text())
    }
    for labels in (
        buyer_pages.FIELD_LABELS,
        buyer_pages.ROW_LABELS,
        buyer_pages.JUSTIFICATIONS,
        plan_pages.PLAN_STATUS,
        plan_pages.PLAN_LABELS,
    ):
        used |= set(labels.values())
    used |= refusals.every_explanation()
    uk = translations("uk")
    # Texts whose Ukrainian is the same as the English (codes everyone writes alike).
    same = {"NSN"}

    missing = sorted(text for text in used if uk.gettext(text) == text and text not in same)

    assert len(used) > 120
    assert missing == []
