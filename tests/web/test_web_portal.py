"""The public portal: tender search with every filter, HTMX partials, keyset pages, tender and contract pages, the
open-data page; classified processes never listed and shown only as their public OCDS record; Ukrainian and English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from quartermaster.actors import Role
from quartermaster.contracts.models import Contract
from quartermaster.db.tx import Database
from quartermaster.tenders.models import Tender
from quartermaster.types import FixedClock
from quartermaster.web import routes
from quartermaster.web.i18n import Formats
from support.contract_flows import ContractFlow, Line, active_contract
from support.flows import ITEM, Flow, ok, tender_body
from support.world import World, add_person

CANARY = "QMCANARY-restricted-title"
EN = {"Accept-Language": "en"}
UK_MONEY, EN_MONEY = Formats("uk").money, Formats("en").money
HTMX = {"HX-Request": "true"}


@dataclass
class Portal:
    """Published tenders of several kinds, a draft, and a restricted process carrying a canary title."""

    flow: Flow
    ammo: str  # open, 1 000 000 UAH, CPV 35330000-6, buyer_org
    fuel: str  # selective, 250 000 UAH, CPV 09134000-7, buyer_org, Ukrainian title
    rations: str  # open, 5 000 000 UAH, CPV 15890000-3, other_buyer_org, published a month later
    draft: str
    secret: str  # restricted process (published), with the canary in its title and description


def _lot(amount: str, cpv: str) -> list[dict[str, Any]]:
    return [{"title": "Lot 1", "value": {"amount": amount, "currency": "UAH"}, "items": [{**ITEM, "cpv": cpv}]}]


def _publish(flow: Flow, who: str, approver: str, body: dict[str, Any]) -> str:
    tender = ok(flow.c.post("/api/v1/tenders", json=body, headers=flow.h(who)), 201)
    mins = flow.minimum(body["procedure"])
    periods = {k: mins[k] for k in ("prequalification_end", "enquiry_end", "tender_end") if mins[k]}
    ok(flow.c.post(f"/api/v1/tenders/{tender['id']}/publish", json=periods, headers=flow.h(approver)))
    return str(tender["id"])


@pytest.fixture
def portal(client: TestClient, world: World, clock: FixedClock, database: Database) -> Portal:
    """The tenders every test searches."""
    with database.unit_of_work() as s:
        add_person(s, world, clock.now(), "r_buyer", Role.BUYER, world.buyer_org, "restricted")
        add_person(s, world, clock.now(), "r_approver", Role.APPROVER, world.buyer_org, "restricted")
    flow = Flow(client, world, clock, database)
    ammo = _publish(flow, "buyer", "approver", tender_body(title="Ammunition 5.56 mm", lots=1))
    fuel_body = tender_body("selective", title="Дизельне паливо для техніки", description="Паливо зимове", lots=0) | {
        "lots": _lot("250000.00", "09134000-7")
    }
    fuel = _publish(flow, "buyer", "approver", fuel_body)
    draft = ok(
        flow.c.post("/api/v1/tenders", json=tender_body(title="Unpublished draft"), headers=flow.h("buyer")), 201
    )
    secret_body = tender_body(title=CANARY, description=CANARY + " description", marking="restricted")
    secret = _publish(flow, "r_buyer", "r_approver", secret_body)
    clock.advance(timedelta(days=31))
    rations_body = tender_body(title="Ration packs", lots=0) | {"lots": _lot("5000000.00", "15890000-3")}
    rations = _publish(flow, "other_buyer", "other_approver", rations_body)
    return Portal(flow, ammo, fuel, rations, str(draft["id"]), secret)


def listed(html: str) -> set[str]:
    """The tender ids a results page links to."""
    return set(re.findall(r'href="/tenders/([0-9a-f]{32})"', html))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"ammo", "fuel", "rations"}),
        ({"q": "ammunition"}, {"ammo"}),
        ({"q": "ПАЛИВО"}, {"fuel"}),  # Cyrillic in another case than the title's
        ({"q": "зимове"}, {"fuel"}),  # the description
        ({"status": "active.enquiries"}, {"ammo", "rations"}),
        ({"procedure": "selective"}, {"fuel"}),
        ({"buyer": "other"}, {"rations"}),
        ({"cpv": "35"}, {"ammo"}),
        ({"cpv": "0913"}, {"fuel"}),
        ({"value_from": "300000", "value_to": "1,000,000.00"}, {"ammo"}),  # as written in English
        ({"value_from": "1000001"}, {"rations"}),
        ({"value_to": "250000"}, {"fuel"}),
        ({"published_from": "2026-03-15"}, {"rations"}),
        ({"published_to": "2026-03-02"}, {"ammo", "fuel"}),
        ({"q": "nothing like this"}, set()),
    ],
)
def test_search_filters_public_tenders(
    client: TestClient, portal: Portal, world: World, params: dict[str, str], expected: set[str]
) -> None:
    names = {portal.ammo: "ammo", portal.fuel: "fuel", portal.rations: "rations"}
    if params.get("buyer") == "other":
        params = {**params, "buyer": world.other_buyer_org}
    page = client.get("/tenders", params=params, headers=EN)

    assert page.status_code == 200
    assert {names.get(i, i) for i in listed(page.text)} == expected
    assert f"{len(expected)} tender" in page.text


def test_status_procedure_cpv_and_money_are_shown_in_the_page_language(client: TestClient, portal: Portal) -> None:
    uk = client.get("/tenders", params={"procedure": "selective"}).text
    en = client.get("/tenders", params={"procedure": "selective"}, headers=EN).text

    assert "Торги з обмеженою участю" in uk
    assert "Selective tender" in en
    assert "Газойлі" in uk
    assert "Gas oils" in en
    assert UK_MONEY("250000", "UAH") in uk
    assert EN_MONEY("250000", "UAH") in en
    assert "Знайдено 1 закупівлю" in uk
    assert '<html lang="uk">' in uk
    assert '<html lang="en">' in en


def test_an_htmx_request_gets_only_the_results(client: TestClient, portal: Portal) -> None:
    full = client.get("/tenders", params={"q": "ration"})
    partial = client.get("/tenders", params={"q": "ration"}, headers=HTMX)

    assert "<form" in full.text
    assert 'id="results"' in full.text
    assert "<html" in full.text
    assert "<html" not in partial.text
    assert "<form" not in partial.text
    assert listed(partial.text) == listed(full.text) == {portal.rations}
    assert "HX-Request" in partial.headers["vary"]


def test_more_pages_continue_where_the_last_one_ended(
    client: TestClient, portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "PAGE_SIZE", 2)
    first = client.get("/tenders", headers=EN)
    more = re.search(r'href="(/tenders\?after=[^"]+)"', first.text)
    assert more is not None
    second = client.get(more.group(1).replace("&amp;", "&"), headers=EN)

    assert list(listed(first.text))
    assert len(listed(first.text)) == 2
    assert listed(first.text) | listed(second.text) == {portal.ammo, portal.fuel, portal.rations}
    assert not listed(first.text) & listed(second.text)
    assert portal.rations in listed(first.text)  # newest first
    assert "More results" not in second.text
    assert "3 tenders found" in second.text


def test_filters_survive_into_the_next_page_link(
    client: TestClient, portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "PAGE_SIZE", 1)
    first = client.get("/tenders", params={"status": "active.enquiries"}, headers=EN)  # ammo and rations
    link = re.search(r'href="(/tenders\?[^"]+after=[^"]+)"', first.text)
    assert link is not None
    assert "status=active.enquiries" in link.group(1)
    second = client.get(link.group(1).replace("&amp;", "&"), headers=EN)

    assert listed(first.text) == {portal.rations}
    assert listed(second.text) == {portal.ammo}


def test_bad_numbers_and_dates_are_reported_not_fatal(client: TestClient, portal: Portal) -> None:
    page = client.get("/tenders", params={"value_from": "lots", "published_to": "yesterday"}, headers=EN)

    assert page.status_code == 200
    assert "values must be numbers" in page.text
    assert "dates must be YYYY-MM-DD" in page.text
    assert len(listed(page.text)) == 3


def test_drafts_and_classified_processes_are_never_listed(client: TestClient, portal: Portal) -> None:
    pages = [
        client.get("/tenders").text,
        client.get("/tenders", params={"q": "restricted-title"}).text,
        client.get("/tenders", params={"status": "active.enquiries"}, headers=HTMX).text,
        client.get("/tenders", params={"buyer": portal.flow.w.buyer_org}).text,
    ]

    for html in pages:
        assert portal.secret not in html
        assert portal.draft not in html
        assert "QMCANARY" not in html
        assert "Unpublished draft" not in html
    assert "Знайдено 0 закупівель" in pages[1]


def test_the_tender_page_shows_the_public_tender(client: TestClient, portal: Portal) -> None:
    page = client.get(f"/tenders/{portal.ammo}", headers=EN)

    assert page.status_code == 200
    assert "<h1>Ammunition 5.56 mm</h1>" in page.text
    assert "Defence Procurement Agency" in page.text
    assert "Open tender" in page.text
    assert "Enquiries" in page.text
    assert "1305-12-345-6789" in page.text
    assert "35330000-6" in page.text
    assert EN_MONEY("1000000", "UAH") in page.text
    assert f"/api/v1/ocds/records/ocds-qm0000-{portal.ammo}" in page.text


def test_questions_answers_and_documents_appear_on_the_tender_page(client: TestClient, portal: Portal) -> None:
    flow = portal.flow
    asked = {"title": "Packaging?", "description": "Boxes of how many rounds?"}
    url = f"/api/v1/tenders/{portal.rations}/questions"
    q = ok(flow.c.post(url, json=asked, headers=flow.h("supplier0")), 201)
    ok(flow.c.post(f"{url}/{q['id']}/answer", json={"answer": "Boxes of 1000."}, headers=flow.h("other_buyer")))
    doc = ok(
        flow.c.post(
            f"/api/v1/tenders/{portal.rations}/documents",
            params={"title": "Technical specification", "document_type": "technicalSpecifications"},
            content=b"spec",
            headers={**flow.h("other_buyer"), "Content-Type": "text/plain"},
        ),
        201,
    )

    page = client.get(f"/tenders/{portal.rations}", headers=EN).text

    assert "Packaging?" in page
    assert "Boxes of 1000." in page
    assert f'href="/api/v1/documents/{doc["id"]}/content"' in page
    assert "Technical specification" in page


def test_a_classified_tender_page_shows_only_its_public_record(client: TestClient, portal: Portal) -> None:
    uk = client.get(f"/tenders/{portal.secret}")
    en = client.get(f"/tenders/{portal.secret}", headers=EN)

    assert uk.status_code == en.status_code == 200
    for page in (uk.text, en.text):
        assert "QMCANARY" not in page
        assert f"/api/v1/ocds/records/ocds-qm0000-{portal.secret}" in page
    assert "withheld under the disclosure policy" in en.text
    assert "Open tender" in en.text  # the procedure is always public
    assert "не розкриваються згідно з політикою розкриття" in uk.text


def test_unknown_tenders_drafts_and_odd_ids_are_not_found_in_both_languages(client: TestClient, portal: Portal) -> None:
    for path in (f"/tenders/{'0' * 32}", f"/tenders/{portal.draft}", "/tenders/" + "a" * 40, "/tenders/x%27y"):
        uk, en = client.get(path), client.get(path, headers=EN)
        assert uk.status_code == en.status_code == 404, path
        assert "Не знайдено" in uk.text
        assert "Not found" in en.text
        assert "Unpublished draft" not in uk.text + en.text
    assert client.get(f"/contracts/{'0' * 32}", headers=EN).status_code == 404


def test_the_contract_page_shows_parties_value_items_and_implementation(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    contract = ContractFlow(client, world, clock, database).awarded(quantity="1000")
    page = client.get(f"/contracts/{contract['id']}", headers=EN)
    standalone = active_contract(database, world, clock.now(), [Line("10", "25.50")], supplier="supplier2")
    implemented = client.get(f"/contracts/{standalone}", headers=EN)

    assert page.status_code == 200
    assert "Defence Procurement Agency" in page.text
    assert "Supplier 1" in page.text
    assert EN_MONEY("100000", "UAH") in page.text
    assert EN_MONEY("100", "UAH") in page.text
    assert "Pending" in page.text
    assert "Not signed yet" in page.text
    assert f'href="/tenders/{contract["tender_id"]}"' in page.text
    assert EN_MONEY("25.50", "UAH") in implemented.text
    assert "Active" in implemented.text
    assert "Supplier 2" in implemented.text


def test_a_classified_contract_page_shows_nothing_withheld(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    contract_id = active_contract(database, world, clock.now(), [Line("10", "25.50")])
    with database.unit_of_work() as s:
        s.execute(update(Contract).where(Contract.id == contract_id).values(marking="secret", title=CANARY))

    page = client.get(f"/contracts/{contract_id}", headers=EN)

    assert page.status_code == 200
    assert "QMCANARY" not in page.text
    assert "25.50" not in page.text
    assert "Supplier 0" not in page.text
    assert "withheld under the disclosure policy" in page.text


def test_the_open_data_page_links_every_outlet_and_shows_the_aggregates(client: TestClient, portal: Portal) -> None:
    en = client.get("/open-data", headers=EN)
    uk = client.get("/open-data")

    assert en.status_code == 200
    for link in ("/api/v1/ocds/releases", "/api/v1/feed", "/api/v1/feed/stream", "/api/v1/log/checkpoint"):
        assert link in en.text
    assert "/api/v1/ocds/bulk/2026-03-release-package.json" in en.text
    assert "/api/v1/ocds/bulk/2026-04-csv.zip" in en.text
    assert "quartermaster verify" in en.text
    assert "<svg" in en.text
    assert re.search(r"<td>2026-03</td><td class=\"num\">3</td><td class=\"num\">1</td>", en.text)  # 1 classified
    assert "Зведені дані за місяцями" in uk.text
    assert "QMCANARY" not in en.text + uk.text


def test_the_open_data_page_shows_the_latest_signed_checkpoint(client: TestClient, portal: Portal) -> None:
    state: Any = client.app.state.qm  # type: ignore[attr-defined]
    with state.db.unit_of_work() as s:
        signed = state.publication.log.integrate(s, state.clock.now())
    page = client.get("/open-data", headers=EN).text

    assert signed is not None
    assert signed.note.splitlines()[0] in page  # the origin line of the C2SP note
    assert signed.note.splitlines()[2] in page  # the root hash


def test_the_canary_really_sits_in_a_classified_row(database: Database, portal: Portal) -> None:
    # The fixture really planted the canary in a classified row: the pages' absence of it proves something.
    with database.unit_of_work(write=False) as s:
        row = s.get(Tender, portal.secret)
        assert row is not None
        assert row.title == CANARY
        assert row.marking == "restricted"


@pytest.mark.parametrize(
    ("lang", "value_to", "expected"),
    [("uk", "1 000 000,00", {"ammo", "fuel"}), ("en", "1,000,000.00", {"ammo", "fuel"}), ("en", "1 000 000,00", None)],
)
def test_value_bounds_are_read_in_the_language_of_the_page(
    client: TestClient, portal: Portal, lang: str, value_to: str, expected: set[str] | None
) -> None:
    names = {portal.ammo: "ammo", portal.fuel: "fuel", portal.rations: "rations"}
    page = client.get("/tenders", params={"value_to": value_to}, headers={"Accept-Language": lang})

    assert page.status_code == 200
    if expected is None:  # an English page does not guess at a decimal comma: it says the bound is not a number
        assert "values must be numbers" in page.text
    else:
        assert "values must be numbers" not in page.text
        assert {names.get(i, i) for i in listed(page.text)} == expected
