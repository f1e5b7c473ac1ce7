"""The projection: markings of parts, timing (working days, declassification), next_change, aliases, purity."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from disclosure_samples import AFTER, BEFORE, CLASSIFIED, KEY, SIGNED, TEN_WORKING_DAYS, classified, full_release

from quartermaster.codelists import load_codelists
from quartermaster.disclosure import Classification, Marking, load_policy, parse_policy, project, signatures_in
from quartermaster.ocds import release
from quartermaster.rules import WorkCalendar
from support.ocds_objects import NAMING, before_opening, change

POLICY = load_policy()
FULL = full_release()

_NAMES = """
[markings.restricted]
nato = "R"
national = "r"
[markings.confidential]
nato = "C"
national = "c"
[markings.secret]
nato = "S"
national = "s"
"""


def _policy(rules: str) -> Any:
    """A small policy: the names plus ``rules``."""
    return parse_policy(f'version = "t"\neffective_from = 2026-01-01\n{_NAMES}\n{rules}')


def _unit(out: dict[str, Any]) -> dict[str, Any]:
    unit: dict[str, Any] = out["contracts"][0]["items"][0]["unit"]
    return unit


# --- public and untouched -----------------------------------------------------------------------------------------


def test_a_public_process_is_published_in_full_as_a_new_object() -> None:
    result = project(FULL, Classification(), POLICY, at=AFTER)

    assert result.complete is True
    assert result.release == FULL
    assert result.release is not FULL
    assert result.release["tender"] is not FULL["tender"]
    assert result.next_change is None


@pytest.mark.parametrize("marking", list(Marking))
def test_the_input_release_is_never_modified(marking: Marking) -> None:
    rel = full_release()
    before = copy.deepcopy(rel)

    result = project(rel, classified(marking, rel), POLICY, at=AFTER, alias_key=KEY, codelists=load_codelists())
    result.release["tender"]["id"] = "changed"

    assert rel == before


@pytest.mark.parametrize("marking", CLASSIFIED)
def test_a_classified_process_is_incomplete_and_keeps_its_frame(marking: Marking) -> None:
    result = project(FULL, classified(marking), POLICY, at=AFTER)

    assert result.complete is False
    frame = ("ocid", "id", "tag", "initiationType", "language")
    assert {k: result.release[k] for k in frame} == {k: FULL[k] for k in frame}
    # The release date is exact at restricted and its month above (it would give away the dates inside).
    month = FULL["date"][:8] + "01T00:00:00Z"
    assert result.release["date"] == (FULL["date"] if marking == "restricted" else month)
    assert result.release["tender"]["procurementMethod"] == "open"
    assert [c["status"] for c in result.release["contracts"]] == ["terminated"]


def test_empty_containers_of_a_public_release_are_kept_as_they_are() -> None:
    rel = {"ocid": "o", "id": "o-1", "tender": {"id": "t", "items": [], "value": {}}}

    result = project(rel, Classification(), POLICY, at=AFTER)

    assert result.release == rel
    assert result.complete is True


def test_a_release_with_nothing_publishable_projects_to_an_empty_object() -> None:
    policy = _policy('[[restricted]]\npath = "tender.id"\ntreatment = "withhold"\nreason = "r"')

    result = project(FULL, Classification(marking="restricted"), policy, at=AFTER)

    assert result.release == {}
    assert result.complete is False


def test_at_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        project(FULL, Classification(), POLICY, at=datetime(2026, 3, 10))  # a naive datetime: the point of the test


# --- markings of parts -----------------------------------------------------------------------------------------------


def test_a_restricted_lot_in_a_public_process_hides_its_items_enquiries_bids_award_and_contract() -> None:
    classification = classified("public", lots={"lot-1": "restricted"})

    out = project(FULL, classification, POLICY, at=BEFORE, codelists=load_codelists()).release

    i1, i2 = out["tender"]["items"]
    assert i2 == FULL["tender"]["items"][1]  # lot 2 is public
    assert i1["classification"] == {"scheme": "CPV", "id": "35000000-4"}
    assert i1["quantityRange"] == {"atLeast": 100000, "lessThan": 1000000}
    assert "description" not in i1
    assert out["tender"]["lots"][1] == FULL["tender"]["lots"][1]
    assert out["tender"]["lots"][0] == {"id": "lot-1", "status": "complete"}
    assert "title" not in out["tender"]["enquiries"][0]
    assert all("value" not in b for b in out["bids"]["details"])
    assert "value" not in out["awards"][0]
    assert "value" not in out["contracts"][0]
    assert out["tender"]["title"] == "5.56 mm ammunition"  # the process is public


def test_a_marked_item_raises_the_item_and_a_contract_item_given_the_same_marking() -> None:
    classification = classified("public", items={"i2": "secret", "ci1": "confidential"})

    out = project(FULL, classification, POLICY, at=AFTER).release

    assert out["tender"]["items"][0] == FULL["tender"]["items"][0]
    assert out["tender"]["items"][1] == {"id": "i2", "relatedLot": "lot-2"}
    assert out["contracts"][0]["items"][0] == {"id": "ci1", "classification": {"scheme": "CPV", "id": "35000000"}}
    assert out["contracts"][0]["title"] == "Contract for lot 1"  # the rest of the contract is public


def test_a_secret_contract_in_a_restricted_process_uses_the_secret_rules_inside_it() -> None:
    classification = classified("restricted", contracts={"c1": "secret"})

    out = project(FULL, classification, POLICY, at=AFTER, alias_key=KEY).release

    assert out["contracts"][0] == {
        "id": "c1",
        "awardID": "a1",
        "status": "terminated",
        "items": [{"id": "ci1"}],
        "amendments": [{"id": "am1"}],
        "implementation": {
            "transactions": [{"id": "pay1"}],
            "milestones": [
                {"id": "d1", "type": "delivery", "status": "met"},
                {"id": "d2", "type": "delivery", "status": "scheduled"},
            ],
        },
    }
    assert "date" not in out["awards"][0]  # the award carries its contract's marking
    assert out["tender"]["enquiries"][0]["date"] == "2026-03-02T11:00:00Z"  # restricted, not secret


def test_a_marked_document_is_projected_under_its_own_marking() -> None:
    rel = copy.deepcopy(FULL)
    rel["tender"]["documents"] = [
        {"id": "doc-1", "title": "Specification", "documentType": "technicalSpecifications"},
        {"id": "doc-2", "title": "Notice", "documentType": "tenderNotice"},
    ]

    out = project(rel, classified("public", documents={"doc-1": "secret"}), POLICY, at=AFTER).release

    assert out["tender"]["documents"] == [{"id": "doc-1"}, rel["tender"]["documents"][1]]


def test_the_buyer_keeps_the_process_marking_even_when_it_pays_under_a_secret_contract() -> None:
    classification = classified("public", contracts={"c1": "secret"})

    out = project(FULL, classification, POLICY, at=AFTER).release

    assert out["parties"][0] == FULL["parties"][0]


# --- timing ------------------------------------------------------------------------------------------------------


def test_the_unit_price_appears_exactly_ten_working_days_after_signature() -> None:
    classification = classified("restricted")
    a_second_before = TEN_WORKING_DAYS - timedelta(seconds=1)

    early = project(FULL, classification, POLICY, at=a_second_before)
    due = project(FULL, classification, POLICY, at=TEN_WORKING_DAYS)

    assert "value" not in _unit(early.release)
    assert early.next_change == TEN_WORKING_DAYS
    assert _unit(due.release)["value"] == {"amount": 9.0001, "currency": "UAH"}
    assert due.next_change is None
    assert due.complete is False


def test_working_days_follow_the_calendar_given() -> None:
    # With holidays observed, Monday 9 March 2026 (International Women's Day moved from Sunday) is a day off.
    observed = WorkCalendar(frozenset({date(2026, 3, 9)}), holidays_suspended=False)

    result = project(FULL, classified("restricted"), POLICY, at=BEFORE, calendar=observed)

    assert result.next_change == TEN_WORKING_DAYS + timedelta(days=1)


def test_an_unsigned_contract_never_starts_the_clock() -> None:
    result = project(FULL, Classification(marking="restricted"), POLICY, at=AFTER)

    assert "value" not in _unit(result.release)
    assert result.next_change is None


def test_an_award_is_timed_by_the_signature_of_its_contract() -> None:
    policy = _policy(
        '[[restricted]]\npath = "awards[].value"\ntreatment = "exact"\n'
        'timing = "after_signature"\nworking_days = 0\nreason = "r"'
    )
    rel = copy.deepcopy(FULL)
    rel["awards"].append({"id": "a2", "status": "active", "value": {"amount": 5, "currency": "UAH"}})

    early = project(rel, classified("restricted"), policy, at=SIGNED - timedelta(seconds=1))
    signed = project(rel, classified("restricted"), policy, at=SIGNED)

    assert "awards" not in early.release
    assert early.next_change == SIGNED
    assert signed.release["awards"] == [{"value": {"amount": 900000.1, "currency": "UAH"}}]  # a2 has no contract


@pytest.mark.parametrize("marking", CLASSIFIED)
def test_on_the_declassification_date_the_whole_release_is_published(marking: Marking) -> None:
    classification = classified(marking, declassify_on=date(2027, 1, 1), contracts={"c1": "secret"})
    declassified = datetime(2027, 1, 1, tzinfo=UTC)

    before = project(FULL, classification, POLICY, at=declassified - timedelta(seconds=1))
    after = project(FULL, classification, POLICY, at=declassified)

    assert before.complete is False
    assert before.next_change == declassified
    assert after.complete is True
    assert after.release == FULL
    assert after.next_change is None


def test_next_change_is_the_earliest_of_several_pending_moments() -> None:
    classification = classified("restricted", declassify_on=date(2027, 1, 1))

    first = project(FULL, classification, POLICY, at=BEFORE)
    second = project(FULL, classification, POLICY, at=first.next_change or BEFORE)

    assert first.next_change == TEN_WORKING_DAYS
    assert second.next_change == datetime(2027, 1, 1, tzinfo=UTC)


def _on_the_first_of_the_month(rel: dict[str, Any]) -> dict[str, Any]:
    """The sample with its payment and deliveries dated exactly at the start of a month (month() keeps them as is)."""
    out = copy.deepcopy(rel)
    implementation = out["contracts"][0]["implementation"]
    implementation["transactions"][0]["date"] = "2026-03-01T00:00:00Z"
    for milestone in implementation["milestones"]:
        milestone["dateModified"] = "2026-03-01T00:00:00Z"
    return out


def _later(path: str, days: int) -> str:
    return (
        f'[[restricted]]\npath = "contracts[].{path}"\ntreatment = "exact"\n'
        f'timing = "after_signature"\nworking_days = {days}\nreason = "r"\n'
    )


def _by_month(path: str) -> str:
    return (
        f'[[restricted]]\npath = "contracts[].{path}"\ntreatment = "generalise"\ngeneraliser = "month"\nreason = "r"\n'
    )


# Dates published by month now and exactly 5 and 10 working days after signature: since they are the first
# instants of their months, neither moment changes what is published.
_NO_OP = (
    _by_month("implementation.transactions[].date")
    + _later("implementation.transactions[].date", 5)
    + _by_month("implementation.milestones[].dateModified")
    + _later("implementation.milestones[].dateModified", 10)
)


def test_next_change_skips_moments_at_which_nothing_visible_changes() -> None:
    policy = _policy(_NO_OP + _later("items[].unit.value.amount", 15))

    result = project(_on_the_first_of_the_month(FULL), classified("restricted"), policy, at=BEFORE)

    assert result.next_change == datetime(2026, 3, 25, 21, 0, tzinfo=UTC)


def test_when_no_pending_moment_changes_anything_there_is_no_next_change() -> None:
    result = project(_on_the_first_of_the_month(FULL), classified("restricted"), _policy(_NO_OP), at=BEFORE)

    assert result.complete is False
    assert result.next_change is None


def test_rules_for_fields_the_release_lacks_give_no_next_change() -> None:
    policy = _policy(_later("absent", 1))

    assert project(FULL, classified("restricted"), policy, at=BEFORE).next_change is None


def test_a_malformed_release_is_projected_without_error_and_fails_closed() -> None:
    rel = copy.deepcopy(FULL)
    rel["contracts"] += [{"awardID": "a1", "title": "no id"}, {"id": "c9", "awardID": 7, "title": "odd award"}]
    rel["bids"]["details"].append({"status": "valid", "value": {"amount": 1, "currency": "UAH"}})
    rel["awards"].append("not an object")

    out = project(rel, classified("restricted", contracts={"c9": "secret"}), POLICY, at=AFTER).release

    assert out["contracts"][1:] == [{"awardID": "a1"}, {"id": "c9", "awardID": 7}]
    assert out["bids"]["details"][2] == {"status": "valid"}
    assert "not an object" not in out["awards"]

    rel["bids"] = ["not", "an", "object"]
    assert "bids" not in project(rel, classified("restricted"), POLICY, at=AFTER).release


# --- aliases -------------------------------------------------------------------------------------------------------


def _ids(out: dict[str, Any]) -> dict[str, Any]:
    tender = out["tender"]
    return {
        "parties": [p["id"] for p in out["parties"]],
        "buyer": out["buyer"]["id"],
        "procuringEntity": tender["procuringEntity"]["id"],
        "tenderers": [t["id"] for t in tender["tenderers"]],
        "awarded": out["awards"][0]["suppliers"][0]["id"],
    }


def test_an_organization_has_one_alias_wherever_it_is_named() -> None:
    ids = _ids(project(FULL, classified("confidential"), POLICY, at=AFTER, alias_key=KEY).release)

    buyer, winner, loser = ids["parties"]
    assert ids["buyer"] == ids["procuringEntity"] == buyer
    assert ids["tenderers"] == [winner, loser]
    assert ids["awarded"] == winner
    assert len({buyer, winner, loser}) == 3
    assert all(a.startswith("party-") and len(a) == 22 for a in (buyer, winner, loser))


def test_keyed_aliases_are_stable_across_a_process_s_releases_and_hide_the_identifier() -> None:
    later = full_release(seq=43)
    earlier = release(before_opening(), change(7, 30, "TenderPeriodEnded"), NAMING)

    a = project(later, classified("confidential"), POLICY, at=AFTER, alias_key=KEY).release
    b = project(earlier, classified("confidential"), POLICY, at=AFTER, alias_key=KEY).release
    other_key = project(later, classified("confidential"), POLICY, at=AFTER, alias_key=b"another key").release

    assert a["parties"][0]["id"] == b["parties"][0]["id"]
    assert a["parties"][0]["id"] != other_key["parties"][0]["id"]
    assert "43210987" not in repr(a)


def test_without_a_key_aliases_are_numbered_in_order_of_appearance() -> None:
    ids = _ids(project(FULL, classified("confidential"), POLICY, at=AFTER).release)

    assert ids["parties"] == ["party-1", "party-2", "party-3"]


COMPANY = {"classifications": [{"scheme": "QM-ORGANIZATION-KIND", "id": "company", "description": "Company"}]}


def test_at_restricted_the_buyer_keeps_its_identity_and_suppliers_are_aliased() -> None:
    out = project(FULL, classified("restricted"), POLICY, at=AFTER).release

    assert out["buyer"] == FULL["buyer"]
    assert out["parties"][0] == {
        "id": "UA-EDR-43210987",
        "roles": ["buyer", "procuringEntity"],
        "address": {"region": "Kyiv"},
        "details": COMPANY,
    }
    assert out["parties"][1] == {"id": "party-2", "roles": ["tenderer", "supplier"], "details": COMPANY}
    payment = out["contracts"][0]["implementation"]["transactions"][0]
    assert payment == {
        "id": "pay1",
        "date": "2026-03-01T00:00:00Z",
        "payer": {"id": "UA-EDR-43210987"},
        "payee": {"id": "party-2"},
    }


# --- classification input --------------------------------------------------------------------------------------------


def test_signatures_are_read_from_the_full_release() -> None:
    rel = copy.deepcopy(FULL)
    rel["contracts"].append({"id": "c2", "awardID": "a1"})

    assert signatures_in(rel) == {"c1": SIGNED}
    assert signatures_in({"ocid": "o"}) == {}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"marking": "top secret"}, "unknown marking"),
        ({"lots": {"l": "cosmic"}}, "unknown marking"),
        ({"signed": {"c1": datetime(2026, 3, 4)}}, "timezone-aware"),  # a naive datetime: the point of the test
    ],
)
def test_a_classification_with_an_unknown_marking_or_a_naive_signature_is_refused(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Classification(**kwargs)


def test_the_declassification_moment_is_midnight_utc() -> None:
    assert Classification(declassify_on=date(2027, 1, 1)).declassified_at == datetime(2027, 1, 1, tzinfo=UTC)
    assert Classification().declassified_at is None


def test_the_lines_of_a_contract_with_a_marked_line_hide_their_prices_so_no_difference_gives_it_away() -> None:
    rel = copy.deepcopy(FULL)
    lines = rel["contracts"][0]["items"]
    public_line = {**copy.deepcopy(lines[0]), "id": "ci-public"}
    no_price = {"id": "ci-unpriced", "quantity": 1}  # a line without a unit price is left as it is
    rel["contracts"][0]["items"] = [*lines, public_line, no_price]
    classification = classified("public", items={"ci1": "confidential"})

    out = project(rel, classification, POLICY, at=AFTER).release
    priced = {line["id"]: line.get("unit", {}).get("value") for line in out["contracts"][0]["items"]}

    assert priced == {"ci1": None, "ci-public": None, "ci-unpriced": None}
    assert out["contracts"][0]["value"] == rel["contracts"][0]["value"]  # the total stays public with its lot
    public = project(rel, classified("public"), POLICY, at=AFTER).release
    by_id = {line["id"]: line for line in public["contracts"][0]["items"]}
    assert by_id["ci-public"]["unit"]["value"] == public_line["unit"]["value"]  # unmarked: every price is public
