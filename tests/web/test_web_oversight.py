"""Oversight pages: the auditor's event timeline of a process and the public dashboard of indicators (charts, tables,
CSV downloads), classified processes kept out of both unless the reader is cleared; Ukrainian and English.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from quartermaster.actors import SCHEDULER, Role
from quartermaster.contracts.models import Contract
from quartermaster.db.tx import Database
from quartermaster.events.models import Event
from quartermaster.identity import service as identity
from quartermaster.tenders.models import Tender
from quartermaster.types import FixedClock
from quartermaster.web.i18n import Formats
from support.contract_flows import ContractFlow
from support.world import World, add_person

PASSWORD = "correct horse battery staple"
EN = {"Accept-Language": "en"}


def _login(client: TestClient, database: Database, clock: FixedClock, username: str) -> None:
    with database.unit_of_work() as s:
        identity.set_password(
            s, actor=SCHEDULER, user=identity.find_user(s, username), password=PASSWORD, now=clock.now()
        )
    page = client.get("/login")
    csrf = re.findall(r'name="csrf" value="([^"]+)"', page.text)[-1]
    done = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303


def _single_bid(flow: ContractFlow, amount: str) -> str:
    """An open tender (one lot, estimated 1 000 000 UAH) with one bid, awarded; returns the tender id."""
    tender_id = flow.to_tendering()
    flow.bid(tender_id, "supplier1", amount)
    flow.open(tender_id)
    flow.evaluate_all(tender_id)
    flow.award_best(tender_id)
    return tender_id


@dataclass
class Data:
    """Two public open tenders: one with two bids, signed, with one delivery on time and one late; one with a
    single bid, awarded but not signed."""

    flow: ContractFlow
    signed: dict[str, Any]  # the contract of the two-bid tender
    single: str  # the single-bid tender


@pytest.fixture
def data(client: TestClient, world: World, clock: FixedClock, database: Database) -> Data:
    """The known small data set the dashboard's numbers are checked against."""
    flow = ContractFlow(client, world, clock, database)
    signed = flow.signed(lot_value="200000.00", winning="100000.00", losing="150000.00")
    due = clock.now() + timedelta(days=10)
    with database.unit_of_work() as s:  # a contract made from an award has no delivery date of its own: give it one
        s.execute(update(Contract).where(Contract.id == signed["id"]).values(delivery_due=due))
    early = flow.deliver(signed["id"], "400")
    flow.accept(early["id"])
    clock.set(due + timedelta(days=2))
    late = flow.deliver(signed["id"], "600")
    flow.accept(late["id"])
    single = _single_bid(flow, "800000.00")
    return Data(flow, flow.contract(signed["id"]), single)


def _mark_restricted(database: Database, tender_id: str) -> None:
    with database.unit_of_work() as s:
        s.execute(update(Tender).where(Tender.id == tender_id).values(marking="restricted"))


# --- the timeline --------------------------------------------------------------------------------------------------


def test_the_timeline_shows_every_event_of_the_process_oldest_first(
    client: TestClient, data: Data, database: Database, clock: FixedClock
) -> None:
    tender_id = data.signed["tender_id"]
    with database.unit_of_work(write=False) as s:
        events = s.scalars(select(Event).where(Event.process_id == tender_id).order_by(Event.seq)).all()
        expected = [(e.seq, e.command, e.payload_hash) for e in events]
    _login(client, database, clock, "auditor")

    page = client.get(f"/audit/tenders/{tender_id}", headers=EN)

    assert page.status_code == 200
    rows = re.findall(r'<tr id="event-(\d+)">(.*?)</tr>', page.text, re.S)
    assert [int(seq) for seq, _ in rows] == [seq for seq, _, _ in expected]
    for (_, body), (_, command, digest) in zip(rows, expected, strict=True):
        assert f'<span class="code">{command}</span>' in body
        assert digest in body
    assert len(expected) > 10  # create, publish, two bids, opening, evaluations, award, signatures, deliveries
    assert "publish_tender" in [c for _, c, _ in expected]
    for role in ("Buyer", "Approver", "Evaluator", "Supplier", "Platform (scheduler)"):
        assert f"<td>{role}</td>" in page.text
    assert "active.enquiries" in page.text


def test_the_buyers_staff_see_the_timeline_and_it_speaks_ukrainian(
    client: TestClient, data: Data, database: Database, clock: FixedClock
) -> None:
    _login(client, database, clock, "evaluator")

    page = client.get(f"/audit/tenders/{data.single}")

    assert page.status_code == 200
    assert "Історія подій" in page.text
    assert "<td>Оцінювач</td>" in page.text
    assert "<td>Постачальник</td>" in page.text


@pytest.mark.parametrize("who", ["supplier1", "other_buyer", "admin"])
def test_suppliers_other_buyers_and_admins_are_refused_the_timeline(
    client: TestClient, data: Data, database: Database, clock: FixedClock, who: str
) -> None:
    _login(client, database, clock, who)

    page = client.get(f"/audit/tenders/{data.single}", headers=EN)

    assert page.status_code == 403
    assert "Access refused" in page.text
    assert "submit_bid" not in page.text


def test_anonymous_readers_are_sent_to_log_in(client: TestClient, data: Data) -> None:
    page = client.get(f"/audit/tenders/{data.single}", follow_redirects=False)

    assert page.status_code == 303
    assert page.headers["location"] == f"/login?next=/audit/tenders/{data.single}"


def test_an_unknown_process_is_not_found(
    client: TestClient, world: World, database: Database, clock: FixedClock
) -> None:
    _login(client, database, clock, "auditor")

    assert client.get("/audit/tenders/nope").status_code == 404


def test_a_classified_timeline_needs_the_auditors_clearance(
    client: TestClient, data: Data, world: World, database: Database, clock: FixedClock
) -> None:
    _mark_restricted(database, data.single)
    with database.unit_of_work() as s:
        add_person(s, world, clock.now(), "cleared_auditor", Role.AUDITOR, None, "restricted")
    _login(client, database, clock, "auditor")
    refused = client.get(f"/audit/tenders/{data.single}", headers=EN)
    _login(client, database, clock, "cleared_auditor")
    shown = client.get(f"/audit/tenders/{data.single}", headers=EN)

    assert refused.status_code == 403
    assert "submit_bid" not in refused.text
    assert shown.status_code == 200
    assert "submit_bid" in shown.text


# --- the dashboard -------------------------------------------------------------------------------------------------


def _csv(client: TestClient, key: str) -> list[dict[str, str]]:
    response = client.get(f"/dashboard/{key}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_the_dashboard_numbers_for_a_known_data_set(client: TestClient, data: Data, database: Database) -> None:
    with database.unit_of_work(write=False) as s:
        published = s.get(Tender, data.signed["tender_id"]).published_at  # type: ignore[union-attr]
    signed = datetime.fromisoformat(data.signed["date_signed"])
    days = (Decimal(str((signed - published).total_seconds())) / 86400).quantize(Decimal("0.1"), ROUND_HALF_UP)

    cycle = _csv(client, "cycle-time")
    competition = _csv(client, "competition")
    savings = _csv(client, "savings")
    on_time = _csv(client, "on-time-delivery")

    assert cycle == [{"procedure": "open", "contracts": "1", "median_days": str(days)}]
    # two tenders, three opened bids: 1.5 per tender, one tender of two with a single bid
    assert competition == [
        {"procedure": "open", "tenders": "2", "bids": "3", "mean_bids": "1.50", "single_bid_share": "0.5000"}
    ]
    # estimated 200 000 + 1 000 000, awarded 100 000 + 800 000: 1 - 900 000 / 1 200 000 = 0.25
    assert savings == [
        {
            "procedure": "open",
            "currency": "UAH",
            "lots": "2",
            "estimated": "1200000.00",
            "awarded": "900000.00",
            "savings_share": "0.2500",
        }
    ]
    assert on_time == [{"procedure": "open", "deliveries": "2", "on_time": "1", "on_time_share": "0.5000"}]


def test_the_dashboard_page_shows_charts_and_tables_in_the_page_language(client: TestClient, data: Data) -> None:
    en = client.get("/dashboard", headers=EN)
    uk = client.get("/dashboard")

    assert en.status_code == 200
    assert en.text.count("<svg") == 4
    assert en.text.count("<table") == 4
    for key in ("cycle-time", "competition", "savings", "on-time-delivery"):
        assert f'href="/dashboard/{key}.csv"' in en.text
    assert "Open tender" in en.text
    assert Formats("en").money("1200000.00", "UAH") in en.text
    assert '<td class="num">25.0%</td>' in en.text
    assert '<td class="num">50.0%</td>' in en.text  # single-bid share
    assert '<td class="num">1.5</td>' in en.text
    assert "classified process does not enter" in en.text
    assert uk.headers["content-language"] == "uk"
    assert "Відкриті торги" in uk.text
    assert Formats("uk").money("1200000.00", "UAH") in uk.text
    assert '<td class="num">1,5</td>' in uk.text
    assert '<td class="num">25,0%</td>' in uk.text
    assert "Панель показників" in uk.text


def test_classified_processes_are_left_out_of_every_indicator(
    client: TestClient, data: Data, database: Database
) -> None:
    before = {k: _csv(client, k) for k in ("cycle-time", "competition", "savings", "on-time-delivery")}
    _mark_restricted(database, data.signed["tender_id"])

    after = {k: _csv(client, k) for k in before}

    assert before["cycle-time"] != []
    assert after["cycle-time"] == []
    assert after["on-time-delivery"] == []
    assert after["competition"] == [
        {"procedure": "open", "tenders": "1", "bids": "1", "mean_bids": "1.00", "single_bid_share": "1.0000"}
    ]
    assert after["savings"][0]["estimated"] == "1000000.00"
    assert after["savings"][0]["savings_share"] == "0.2000"


def test_an_empty_dashboard_and_an_unknown_download(client: TestClient, world: World) -> None:
    page = client.get("/dashboard", headers=EN)

    assert page.status_code == 200
    assert page.text.count("No data yet.") == 4
    assert _csv(client, "savings") == []
    assert client.get("/dashboard/nothing.csv").status_code == 404
