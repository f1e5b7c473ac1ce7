"""Procurement plans in the buyer's workspace: prepare, change, publish, complete, cancel, and a tender from a plan."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quartermaster.db.tx import Database
from quartermaster.plans import models as pm
from quartermaster.plans.models import Plan
from quartermaster.tenders.models import Tender
from quartermaster.types import FixedClock
from support.web import csrf_of, give_passwords, person_client
from support.world import World

PLAN = {
    "title": "Radios for 2027",
    "description": "Handheld and vehicle radios",
    "year": "2027",
    "budget_line": "KPKVK 2101020",
    "budget_source": "State budget",
    "procedure": "open",
    "category": "goods",
    "value_amount": "2,400,000.00",  # typed as an English-speaking person writes it (the clients speak English)
    "currency": "UAH",
    "tender_start": "2027-02-01",
    "items-0-description": "VHF radio, handheld",
    "items-0-cpv": "35330000-6",
    "items-0-unit": "H87",
    "items-0-quantity": "40",
    "items-1-description": "Vehicle radio set",
    "items-1-cpv": "32230000-4",
    "items-1-unit": "H87",
    "items-1-quantity": "12.5",
}
# The same plan as a Ukrainian-speaking person types its numbers.
IN_UKRAINIAN = {"value_amount": "2 400 000,00", "items-1-quantity": "12,5"}


@pytest.fixture
def people(database: Database, clock: FixedClock, world: World) -> World:
    """The world, with passwords for the people these tests log in as."""
    give_passwords(database, clock, ("buyer", "approver", "approver2", "other_buyer", "supplier0"))
    return world


def _post(client: TestClient, path: str, data: dict[str, str], **kw: object) -> httpx.Response:
    page = client.get(path if not path.endswith(("/publish", "/cancel", "/complete")) else path.rsplit("/", 1)[0])
    return client.post(path, data={**data, "csrf": csrf_of(page.text)}, follow_redirects=False, **kw)  # type: ignore[arg-type]


def _plan(client: TestClient, **changes: str) -> str:
    response = _post(client, "/buyer/plans/new", {**PLAN, **changes})
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[-1]


def _status(database: Database, plan_id: str) -> str | None:
    with database.unit_of_work(write=False) as s:
        return s.scalar(select(Plan.status).where(Plan.id == plan_id))


def test_a_plan_goes_from_draft_to_published_to_complete(client: TestClient, people: World, database: Database) -> None:
    buyer = person_client(client, "buyer")
    plan_id = _plan(buyer)

    with database.unit_of_work(write=False) as s:
        plan = s.get(Plan, plan_id)
        assert plan is not None
        assert (plan.status, plan.year, str(plan.value_amount), plan.cpv_main) == (
            pm.PLAN_DRAFT,
            2027,
            "2400000.00",
            "35330000-6",
        )
        assert [(i["cpv"], i["quantity"]) for i in plan.items] == [("35330000-6", "40"), ("32230000-4", "12.5")]
        assert plan.tender_start is not None
        assert plan.tender_start.date().isoformat() == "2027-02-01"
    listing = buyer.get("/buyer/plans")
    assert "Radios for 2027" in listing.text
    assert "Change it, or wait for an approver to publish it" in listing.text
    page = buyer.get(f"/buyer/plans/{plan_id}")
    assert f'href="/buyer/plans/{plan_id}/edit"' in page.text
    assert f"/buyer/plans/{plan_id}/publish" not in page.text

    # The buyer changes the draft: one item fewer, a new title; the form comes prefilled.
    edit = buyer.get(f"/buyer/plans/{plan_id}/edit")
    assert 'value="Vehicle radio set"' in edit.text
    assert 'value="12.5"' in edit.text
    changed = {
        **PLAN,
        "title": "Radios (revised)",
        "version": re.findall(r'name="version" value="(\d+)"', edit.text)[0],
    }
    del changed["items-1-description"], changed["items-1-cpv"], changed["items-1-unit"], changed["items-1-quantity"]
    saved = buyer.post(
        f"/buyer/plans/{plan_id}/edit", data={**changed, "csrf": csrf_of(edit.text)}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    with database.unit_of_work(write=False) as s:
        plan = s.get(Plan, plan_id)
        assert plan is not None
        assert plan.title == "Radios (revised)"
        assert len(plan.items) == 1

    approver = person_client(client, "approver")
    assert "Review and publish" in approver.get("/buyer/plans").text
    published = _post(approver, f"/buyer/plans/{plan_id}/publish", {})
    assert published.status_code == 303
    assert _status(database, plan_id) == pm.PLAN_PUBLISHED
    page = approver.get(f"/buyer/plans/{plan_id}")
    assert f"/buyer/tenders/new?plan_id={plan_id}" in page.text
    assert "Mark the plan complete" in page.text

    # A published plan is no longer a draft: changing it is refused and explained.
    refused = buyer.get(f"/buyer/plans/{plan_id}/edit")
    assert refused.status_code == 409
    assert "Only a draft plan may be changed." in refused.text

    completed = _post(approver, f"/buyer/plans/{plan_id}/complete", {})
    assert completed.status_code == 303
    assert _status(database, plan_id) == pm.PLAN_COMPLETE
    closed = approver.get(f"/buyer/plans/{plan_id}")
    assert "The plan is closed: nothing more can be done with it." in closed.text
    again = _post(approver, f"/buyer/plans/{plan_id}/complete", {})
    assert again.status_code == 409
    assert "state.invalid_transition" in again.text


def test_the_approver_cancels_a_plan_with_a_reason_and_a_short_one_is_refused(
    client: TestClient, people: World, database: Database
) -> None:
    plan_id = _plan(person_client(client, "buyer"))
    approver = person_client(client, "approver")

    short = _post(approver, f"/buyer/plans/{plan_id}/cancel", {"reason": "no"})
    assert short.status_code == 422
    assert "Reason:" in short.text
    assert ">no</textarea>" in short.text
    assert _status(database, plan_id) == pm.PLAN_DRAFT

    cancelled = _post(approver, f"/buyer/plans/{plan_id}/cancel", {"reason": "Budget line withdrawn"})
    assert cancelled.status_code == 303
    with database.unit_of_work(write=False) as s:
        plan = s.get(Plan, plan_id)
        assert plan is not None
        assert (plan.status, plan.status_reason) == (pm.PLAN_CANCELLED, "Budget line withdrawn")
    assert "Budget line withdrawn" in approver.get(f"/buyer/plans/{plan_id}").text


def test_the_buyer_may_not_publish_and_the_preparer_rule_is_explained(
    client: TestClient, people: World, database: Database
) -> None:
    buyer = person_client(client, "buyer")
    plan_id = _plan(buyer)

    forced = _post(buyer, f"/buyer/plans/{plan_id}/publish", {})

    assert forced.status_code == 403
    assert "auth.role_forbidden" in forced.text
    assert "Your role may not do this." in forced.text
    assert _status(database, plan_id) == pm.PLAN_DRAFT


def test_a_refused_plan_keeps_what_was_typed_and_points_at_the_item(client: TestClient, people: World) -> None:
    buyer = person_client(client, "buyer")

    refused = _post(buyer, "/buyer/plans/new", {**PLAN, "items-1-cpv": "99999999-9", "year": "next"})
    bad_cpv = _post(buyer, "/buyer/plans/new", {**PLAN, "items-1-cpv": "99999999-9"})

    assert refused.status_code == 422
    assert "Year:" in refused.text
    assert 'value="next"' in refused.text
    assert bad_cpv.status_code == 422
    assert "plan.invalid" in bad_cpv.text
    assert "Item 2 — CPV code:" in bad_cpv.text
    assert re.search(r'class="cell error">\s*<label for="p-items-1-cpv">', bad_cpv.text)
    assert 'value="Vehicle radio set"' in bad_cpv.text
    assert 'value="2,400,000.00"' in bad_cpv.text


def test_item_rows_are_added_and_removed_with_and_without_htmx(client: TestClient, people: World) -> None:
    buyer = person_client(client, "buyer")

    added = _post(buyer, "/buyer/plans/new", {**PLAN, "action": "add_item"})
    fragment = _post(buyer, "/buyer/plans/new", {**PLAN, "action": "remove_item-0"}, headers={"HX-Request": "true"})

    assert added.status_code == 200
    assert 'name="items-2-description"' in added.text
    assert 'value="Vehicle radio set"' in added.text
    assert "<html" not in fragment.text
    assert 'id="items"' in fragment.text
    assert 'name="items-1-description"' not in fragment.text
    assert 'value="Vehicle radio set"' in fragment.text


def test_a_tender_prepared_from_a_published_plan_is_linked_to_it(
    client: TestClient, people: World, database: Database
) -> None:
    buyer = person_client(client, "buyer")
    plan_id = _plan(buyer)
    draft_only = buyer.get(f"/buyer/tenders/new?plan_id={plan_id}")
    assert draft_only.status_code == 200  # prefilled; saving is refused while the plan is a draft
    refused = buyer.post(
        "/buyer/tenders/new",
        data={**_wizard_fields(draft_only.text), "csrf": csrf_of(draft_only.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert "tender.invalid_plan" in refused.text
    assert "A tender may only follow a published plan of your organization." in refused.text
    _post(person_client(client, "approver"), f"/buyer/plans/{plan_id}/publish", {})

    form = buyer.get(f"/buyer/tenders/new?plan_id={plan_id}")
    fields = _wizard_fields(form.text)
    assert fields["title"] == "Radios for 2027"
    assert fields["plan_id"] == plan_id
    assert fields["lots-0-items-1-cpv"] == "32230000-4"
    assert fields["lots-0-items-1-quantity"] == "12.5"
    created = buyer.post("/buyer/tenders/new", data={**fields, "csrf": csrf_of(form.text)}, follow_redirects=False)

    assert created.status_code == 303, created.text
    tender_id = created.headers["location"].rsplit("/", 1)[-1]
    with database.unit_of_work(write=False) as s:
        tender = s.get(Tender, tender_id)
        assert tender is not None
        assert tender.plan_id == plan_id
        assert [i.cpv for i in tender.items] == ["35330000-6", "32230000-4"]
    assert "Radios for 2027" in buyer.get(f"/buyer/plans/{plan_id}").text
    assert f'href="/buyer/plans/{plan_id}"' in buyer.get(f"/buyer/tenders/{tender_id}").text


def _wizard_fields(html: str) -> dict[str, str]:
    """The values a browser would send from the wizard's inputs and selected options."""
    fields = dict(re.findall(r'<input id="[^"]*"(?: type="[^"]*")? name="([^"]+)" value="([^"]*)"', html))
    fields.update(re.findall(r'<input type="hidden" name="(plan_id|version|procedure)" value="([^"]*)"', html))
    for name, body in re.findall(r'<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        if chosen:
            fields[name] = chosen[1]
    return {k: v.replace("&#34;", '"').replace("&amp;", "&") for k, v in fields.items()}


def test_another_organizations_plan_is_not_found(client: TestClient, people: World) -> None:
    plan_id = _plan(person_client(client, "buyer"))
    other = person_client(client, "other_buyer")

    for path in (f"/buyer/plans/{plan_id}", f"/buyer/plans/{plan_id}/edit", f"/buyer/tenders/new?plan_id={plan_id}"):
        page = other.get(path)
        assert page.status_code == 404
        assert "Your organization has no plan at this address." in page.text
    assert "Radios for 2027" not in other.get("/buyer/plans").text
    assert person_client(client, "supplier0").get("/buyer/plans").status_code == 403


def test_the_plan_pages_speak_ukrainian(client: TestClient, people: World) -> None:
    buyer = person_client(client, "buyer", lang="uk")
    plan_id = _plan(buyer, **IN_UKRAINIAN)

    listing = buyer.get("/buyer/plans")
    page = buyer.get(f"/buyer/plans/{plan_id}")
    refused = _post(buyer, "/buyer/plans/new", {**PLAN, **IN_UKRAINIAN, "items-1-cpv": "99999999-9"})

    assert "Плани закупівель" in listing.text
    assert "Чернетка" in page.text
    assert "Змінити план" in page.text
    assert "Позиція 2 — Код CPV:" in refused.text
