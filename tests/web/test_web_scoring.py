"""The committee's scoring pages: each member assesses the opened bids in a form, unseen by the others; the chair sees
how many have assessed and consolidates; then the whole committee sees the consolidated table, which the award
follows. Refusals are explained on the page and change nothing; both languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from quartermaster.web import scoring
from quartermaster.web.i18n import translations
from support.committee import Committee
from support.flows import Flow, ok, tender_body
from support.web import csrf_of, give_passwords, person_client
from support.world import World

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # rulebook 2026.1: sealed bids, committees
PEOPLE = ("buyer", "approver", "evaluator", "evaluator2", "approver2", "other_buyer", "supplier0")
PRICES = ("7100000.00", "7200000.00")


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    give_passwords(database, clock, PEOPLE)
    return Flow(client, world, clock, database)


def _opened(f: Flow, *, declare_approver2: bool = True) -> tuple[str, str, list[str]]:
    """A sealed tender whose committee (evaluator chairs; evaluator2, approver2; k = 2) has opened two bids."""
    committee = Committee(f)
    body = tender_body("open")
    body["lots"][0]["value"]["amount"] = "8000000.00"
    tid = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)["id"]
    committee.appoint(tid)
    f.advance_to(f.publish(tid)["enquiry_end"])
    t = f.tender(tid, "buyer")
    lot = t["lots"][0]["id"]
    bids = []
    for i, price in enumerate(PRICES):
        values = {"values": [{"lot_id": lot, "value": {"amount": price, "currency": "UAH"}}]}
        sealed = f.seal(tid, f"supplier{i}", values)
        bids.append(
            ok(f.c.post(f"/api/v1/tenders/{tid}/bids", json=sealed, headers=f.h(f"supplier{i}")), 201)["bid_id"]
        )
    f.advance_to(t["tender_end"])
    for member in ("evaluator", "evaluator2"):
        ok(committee.release(tid, member))
    ok(f.c.post(f"/api/v1/tenders/{tid}/open-bids", headers=f.h("evaluator")))
    if declare_approver2:
        committee.declare(tid, "approver2")
    return tid, lot, bids


def _page(tid: str) -> str:
    return f"/buyer/tenders/{tid}/scoring"


def _assess(person: TestClient, tid: str, lot: str, rows: dict[str, dict[str, str]]) -> Any:
    """Post the scoring form of a lot: per bid id, its fields (compliant yes/no, quality, delivery, cost, note)."""
    data = {"csrf": csrf_of(person.get(_page(tid)).text)}
    for bid, fields in rows.items():
        data |= {f"{name}-{bid}": value for name, value in fields.items()}
    return person.post(f"/buyer/tenders/{tid}/scoring/{lot}/assessments", data=data, follow_redirects=False)


def _consolidate(person: TestClient, tid: str, lot: str) -> Any:
    csrf = csrf_of(person.get(_page(tid)).text)
    return person.post(f"/buyer/tenders/{tid}/scoring/{lot}/consolidation", data={"csrf": csrf}, follow_redirects=False)


def _scores(f: Flow, tid: str, lot: str, who: str) -> list[dict[str, Any]]:
    url = f"/api/v1/tenders/{tid}/lots/{lot}/assessments"
    return ok(f.c.get(url, headers=f.h(who)))["scores"]  # type: ignore[no-any-return]


def test_members_assess_unseen_and_the_chair_consolidates_for_the_whole_committee(f: Flow) -> None:
    tid, lot, (b0, b1) = _opened(f)
    chair, member, third = (person_client(f.c, who) for who in ("evaluator", "evaluator2", "approver2"))

    first = chair.get(_page(tid))
    assert first.status_code == 200
    assert f'name="quality-{b0}"' in first.text
    assert f'name="delivery-{b1}"' in first.text
    assert "0 of 3 members have assessed every bid; the quorum is 2." in first.text
    assert "/consolidation" not in first.text  # no quorum yet: no button

    sent = _assess(
        chair,
        tid,
        lot,
        {
            b0: {"compliant": "yes", "quality": "80.5", "delivery": "30", "cost": "1,500,000.00", "note": "chair-b0"},
            b1: {"compliant": "no", "quality": "20", "note": "chair-b1"},
        },
    )
    assert sent.status_code == 303
    mine = chair.get(_page(tid)).text
    assert "My assessments" in mine
    assert "chair-b0" in mine
    assert f'name="quality-{b0}"' not in mine  # assessments are final: no form for them again
    recorded = {s["bid_id"]: s for s in _scores(f, tid, lot, "evaluator")}
    assert (recorded[b0]["quality"], recorded[b0]["delivery_days"], recorded[b0]["life_cycle_cost"]) == (
        "80.50",
        30,
        "1500000.00",
    )
    assert recorded[b1]["compliant"] is False

    unseen = member.get(_page(tid)).text
    assert "chair-b0" not in unseen
    assert "80.5" not in unseen
    assert "members have assessed every bid" not in unseen  # the count is the chair's
    ok_member = _assess(
        member,
        tid,
        lot,
        {b0: {"compliant": "yes", "quality": "60", "delivery": "40"}, b1: {"compliant": "yes", "quality": "70"}},
    )
    assert ok_member.status_code == 303

    counted = chair.get(_page(tid)).text
    assert "2 of 3 members have assessed every bid; the quorum is 2." in counted
    assert f"/scoring/{lot}/consolidation" in counted
    not_chair = _consolidate(member, tid, lot)
    assert not_chair.status_code == 403
    assert "committee.chair_only" in not_chair.text
    assert "Only the committee&#39;s chair consolidates the assessments." in not_chair.text
    assert _consolidate(chair, tid, lot).status_code == 303

    for person in (chair, member, third):
        page = person.get(_page(tid)).text
        assert "Consolidated assessment" in page
        assert "chair-b0" in page  # every member's assessments are shown once consolidated
        table = page.split('class="consolidated"')[1].split("</table>")[0]
        rows = [
            [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r'<tr class="result">(.*?)</tr>', table, re.S)
        ]
        # majority compliance; the medians of 80.5 and 60, of 30 and 40 days, of one cost (bids submitted at the
        # same moment are listed in bid id order, so the rows are compared sorted)
        assert sorted(rows) == [
            ["Supplier 0", "UAH\u00a07,100,000.00", "Compliant", "2/2", "70.25", "35", "UAH\u00a01,500,000.00"],
            ["Supplier 1", "UAH\u00a07,200,000.00", "Not compliant", "1/2", "45", "—", "—"],
        ]
    ranking = ok(f.c.get(f"/api/v1/tenders/{tid}/lots/{lot}/ranking", headers=f.h("buyer")))
    assert [(r["bid_id"], r["compliant"], r["basis"]) for r in ranking] == [
        (b0, True, "consolidation"),
        (b1, False, "consolidation"),
    ]
    late = _assess(third, tid, lot, {b0: {"compliant": "yes"}})
    assert late.status_code == 409
    assert "committee.consolidated" in late.text


def test_refused_assessments_are_explained_keep_what_was_typed_and_record_nothing(f: Flow) -> None:
    tid, lot, (b0, b1) = _opened(f)
    chair = person_client(f.c, "evaluator")

    bad_number = _assess(chair, tid, lot, {b0: {"compliant": "yes", "quality": "eighty", "note": "kept-note"}})
    assert bad_number.status_code == 422
    assert "form.bad_number" in bad_number.text
    assert 'value="eighty"' in bad_number.text
    assert "kept-note" in bad_number.text
    assert re.search(rf'name="quality-{b0}"[^>]*aria-invalid="true"', bad_number.text)

    too_high = _assess(chair, tid, lot, {b0: {"compliant": "yes", "quality": "101"}})
    assert too_high.status_code == 422
    assert "validation.failed" in too_high.text
    assert "Quality score (0–100)" in too_high.text

    bad_days = _assess(chair, tid, lot, {b0: {"compliant": "yes", "delivery": "0"}})
    assert bad_days.status_code == 422
    assert "Delivery time, days" in bad_days.text

    nothing = _assess(chair, tid, lot, {})
    assert nothing.status_code == 422
    assert "form.missing" in nothing.text
    unanswered = _assess(chair, tid, lot, {b1: {"quality": "50"}})  # figures but no compliance chosen
    assert unanswered.status_code == 422
    assert "form.missing" in unanswered.text

    short = _consolidate(chair, tid, lot)
    assert short.status_code == 409
    assert "committee.no_quorum" in short.text
    assert _scores(f, tid, lot, "evaluator") == []  # nothing was recorded


def test_who_sees_what_before_the_consolidation(f: Flow) -> None:
    tid, lot, (b0, _) = _opened(f, declare_approver2=False)
    ok_chair = _assess(person_client(f.c, "evaluator"), tid, lot, {b0: {"compliant": "yes", "note": "secret-note"}})
    assert ok_chair.status_code == 303

    undeclared = person_client(f.c, "approver2").get(_page(tid))
    assert "Declare first, for each bidder, whether you have a conflict of interest:" in undeclared.text
    assert f"/buyer/tenders/{tid}/opening#declarations" in undeclared.text
    assert f'name="quality-{b0}"' not in undeclared.text
    refused = _assess(person_client(f.c, "approver2"), tid, lot, {b0: {"compliant": "yes"}})
    assert "committee.declarations_missing" in refused.text

    outsider = person_client(f.c, "buyer").get(_page(tid))  # the buyer's own staff, not on the committee
    assert outsider.status_code == 200
    assert "You are not on this tender&#39;s committee" in outsider.text
    assert "secret-note" not in outsider.text
    assert 'name="compliant-' not in outsider.text
    not_member = _assess(person_client(f.c, "buyer"), tid, lot, {b0: {"compliant": "yes"}})
    assert not_member.status_code == 403
    assert "committee.not_a_member" in not_member.text

    assert person_client(f.c, "supplier0").get(_page(tid)).status_code == 403
    assert person_client(f.c, "other_buyer").get(_page(tid)).status_code == 404
    assert person_client(f.c, "other_buyer").post(
        f"/buyer/tenders/{tid}/scoring/{lot}/consolidation", data={"csrf": "x"}
    ).status_code in (403, 404)


def test_the_page_speaks_ukrainian_and_reads_ukrainian_numbers(f: Flow) -> None:
    tid, lot, (b0, _) = _opened(f)
    chair = person_client(f.c, "evaluator", lang="uk")
    page = chair.get(_page(tid))
    assert "Оцінки комітету" in page.text
    assert "Записати мої оцінки" in page.text
    assert page.headers["Content-Language"] == "uk"
    sent = _assess(chair, tid, lot, {b0: {"compliant": "yes", "quality": "72,5", "cost": "1 200 000,50"}})
    assert sent.status_code == 303
    (score,) = _scores(f, tid, lot, "evaluator")
    assert (score["quality"], score["life_cycle_cost"]) == ("72.50", "1200000.50")
    assert "Мої оцінки" in chair.get(_page(tid)).text


def test_every_text_the_page_shows_from_python_has_a_ukrainian_translation() -> None:
    uk = translations("uk")
    texts = {*scoring.FIELDS.values(), *scoring.EXPLANATIONS.values()}
    assert sorted(t for t in texts if uk.gettext(t) == t) == []


def test_the_evaluation_and_opening_pages_link_to_the_scoring(f: Flow) -> None:
    tid, _, _ = _opened(f)
    chair = person_client(f.c, "evaluator")
    assert f'href="{_page(tid)}"' in chair.get(f"/buyer/tenders/{tid}/evaluation").text
    assert f'href="{_page(tid)}"' in chair.get(f"/buyer/tenders/{tid}/opening").text


def test_a_tender_without_a_committee_says_so(f: Flow) -> None:
    f.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # rulebook 2025.1: no committee
    tid = f.to_tendering()
    page = person_client(f.c, "evaluator").get(_page(tid))
    assert page.status_code == 200
    assert "This tender has no evaluation committee" in page.text
