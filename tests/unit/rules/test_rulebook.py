"""The shipped rulebooks: they load, validate, cite a source for every value and version by effective date."""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from quartermaster.errors import RuleViolation
from quartermaster.rules import (
    PERIOD_NAMES,
    PeriodRule,
    ProcedureRules,
    Rulebook,
    load_rulebooks,
    rulebook_for,
    rulebook_version,
    validate_rulebook,
)

PROCEDURES = {"open", "selective", "negotiated", "limited", "framework", "framework.mini-competition"}
SHIPPED = ("rulebook-2025.1.toml", "rulebook-2026.1.toml")


def shipped_text(name: str) -> str:
    return resources.files("quartermaster.rules").joinpath(name).read_text(encoding="utf-8")


def raw_2025() -> dict[str, Any]:
    return tomllib.loads(shipped_text("rulebook-2025.1.toml"), parse_float=Decimal)


def days(rule: PeriodRule | None) -> tuple[int, str] | None:
    return None if rule is None else (rule.days, rule.kind)


@pytest.fixture(scope="module")
def books() -> tuple[Rulebook, ...]:
    return load_rulebooks()


# --- both versions load ---------------------------------------------------------------------------


def test_both_shipped_versions_load_in_effective_order(books: tuple[Rulebook, ...]) -> None:
    assert [(b.version, b.effective_from) for b in books] == [
        ("2025.1", date(2025, 1, 1)),
        ("2026.1", date(2026, 7, 1)),
    ]
    assert all(b.currency == "UAH" for b in books)
    assert all(set(b.procedures) == PROCEDURES for b in books)


def test_loading_is_cached() -> None:
    assert load_rulebooks() is load_rulebooks()


@pytest.mark.parametrize("version", ["2025.1", "2026.1"])
@pytest.mark.parametrize(
    ("name", "ocds_method", "competitive", "steps"),
    [
        ("open", "open", True, ("enquiries", "tendering")),
        ("selective", "selective", True, ("prequalification", "tendering")),
        ("negotiated", "selective", True, ("tendering", "negotiation")),
        ("limited", "limited", False, ()),
        ("framework", "open", True, ("enquiries", "tendering")),
        ("framework.mini-competition", "selective", True, ("tendering",)),
    ],
)
def test_procedure_shape(version: str, name: str, ocds_method: str, competitive: bool, steps: tuple[str, ...]) -> None:
    rules = rulebook_version(version).procedure(name)
    assert (rules.name, rules.ocds_method, rules.competitive, rules.steps) == (
        name,
        ocds_method,
        competitive,
        steps,
    )


def test_open_procedure_follows_prozorro_defence_in_2025() -> None:
    rules = rulebook_version("2025.1").procedure("open")
    assert days(rules.tender_period) == (6, "working")
    assert days(rules.enquiry_period) == (3, "working")
    assert days(rules.enquiry_cutoff) == (3, "working")
    assert days(rules.unanswered_question_extension) == (2, "working")
    assert days(rules.complaint_window) == (4, "working")
    assert days(rules.standstill) == (4, "working")
    assert rules.prequalification_period is None
    assert rules.min_bids == 1
    assert rules.award_criteria == ("priceOnly", "costOnly", "ratedCriteria")
    assert rules.justifications == ()
    assert rules.tender_period is not None
    assert "Prozorro aboveThresholdUA.defense" in rules.tender_period.source


def test_selective_procedure_uses_directive_time_limits() -> None:
    rules = rulebook_version("2025.1").procedure("selective")
    assert days(rules.prequalification_period) == (30, "calendar")
    assert days(rules.tender_period) == (35, "calendar")
    assert days(rules.standstill) == (10, "calendar")
    assert rules.enquiry_period is None
    assert rules.min_bids == 2
    assert rules.prequalification_period is not None
    assert "2009/81/EC art. 33" in rules.prequalification_period.source


def test_limited_procedure_lists_its_legal_grounds_and_no_periods() -> None:
    rules = rulebook_version("2025.1").procedure("limited")
    assert rules.justifications == (
        "extreme_urgency",
        "exclusive_rights_or_technical_reasons",
        "security_of_supply_or_classified",
        "additional_deliveries",
        "no_suitable_tenders",
    )
    periods = [
        rules.prequalification_period,
        rules.enquiry_period,
        rules.tender_period,
        rules.enquiry_cutoff,
        rules.unanswered_question_extension,
        rules.standstill,
        rules.complaint_window,
    ]
    assert periods == [None] * 7
    assert rules.min_bids == 1
    assert rules.max_value is None
    assert days(rules.period("report_deadline")) == (10, "working")


def test_framework_has_a_seven_year_limit_and_two_call_off_methods() -> None:
    rules = rulebook_version("2025.1").procedure("framework")
    assert rules.extra["max_duration_years"] == 7
    assert rules.extra["call_off_methods"] == ("direct_order", "mini_competition")
    mini = rulebook_version("2025.1").procedure("framework.mini-competition")
    assert days(mini.tender_period) == (3, "working")
    assert mini.tender_period is not None
    assert mini.tender_period.source.startswith("Quartermaster default (check)")


def test_thresholds_calendar_and_evaluation(books: tuple[Rulebook, ...]) -> None:
    for book in books:
        assert dict(book.thresholds) == {
            "direct_contract_report_goods_services": Decimal(200000),
            "direct_contract_report_works": Decimal(1500000),
            "eu_directive_2009_81_supplies_services_eur": Decimal(443000),
            "eu_directive_2009_81_works_eur": Decimal(5538000),
        }
        assert book.abnormally_low_ratio == Decimal("0.70")
        assert len(book.holidays) == 33
        assert {date(2025, 10, 1), date(2026, 4, 12), date(2027, 5, 2), date(2027, 6, 20)} <= book.holidays
        assert book.holidays_suspended is True
        # Martial law: Defenders Day (a Wednesday) is a working day; a Saturday still is not.
        assert book.calendar().is_working_day(date(2025, 10, 1)) is True
        assert book.calendar().is_working_day(date(2025, 10, 4)) is False


def test_every_period_carries_its_cited_source(books: tuple[Rulebook, ...]) -> None:
    for book in books:
        for rules in book.procedures.values():
            for name in PERIOD_NAMES:
                rule = getattr(rules, name)
                assert rule is None or rule.source, (book.version, rules.name, name)


def test_loaded_rulebooks_are_read_only(books: tuple[Rulebook, ...]) -> None:
    with pytest.raises(TypeError):
        books[0].procedures["auction"] = books[0].procedures["open"]  # type: ignore[index]
    with pytest.raises(TypeError):
        books[0].thresholds["new"] = Decimal(1)  # type: ignore[index]


# --- what changed between versions ----------------------------------------------------------------


def test_2026_version_lengthens_the_open_standstill() -> None:
    old = rulebook_version("2025.1").procedure("open")
    new = rulebook_version("2026.1").procedure("open")
    assert (days(old.standstill), days(new.standstill)) == ((4, "working"), (10, "calendar"))
    assert (days(old.complaint_window), days(new.complaint_window)) == ((4, "working"), (10, "calendar"))
    assert days(old.tender_period) == days(new.tender_period) == (6, "working")


def test_2026_version_documents_its_changes() -> None:
    raw = tomllib.loads(shipped_text("rulebook-2026.1.toml"))
    assert "open: standstill 4 working days -> 10 calendar days" in raw["changes"]


# --- picking a version ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "version"),
    [
        (date(2025, 1, 1), "2025.1"),
        (date(2026, 6, 30), "2025.1"),
        (datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC), "2025.1"),
        (datetime(2026, 7, 1, 0, 0, tzinfo=UTC), "2026.1"),
        (date(2026, 7, 1), "2026.1"),
        (date(2030, 1, 1), "2026.1"),
        # 01:00 on 1 July in Kyiv is still 30 June in UTC, and versions switch on the UTC date.
        (datetime(2026, 7, 1, 1, 0, tzinfo=timezone(timedelta(hours=3))), "2025.1"),
    ],
)
def test_rulebook_for_picks_the_latest_version_in_force(when: date, version: str) -> None:
    assert rulebook_for(when).version == version


def test_a_tender_keeps_the_version_it_was_published_under() -> None:
    published = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
    recorded = rulebook_for(published).version
    judged_later = rulebook_version(recorded)  # e.g. when an award is made in August 2026
    assert judged_later.version == "2025.1"
    assert judged_later is rulebook_for(published)
    assert rulebook_for(datetime(2026, 8, 1, tzinfo=UTC)).version == "2026.1"


def test_no_rulebook_before_the_first_version() -> None:
    with pytest.raises(RuleViolation) as caught:
        rulebook_for(date(2024, 12, 31))
    assert caught.value.code == "rule.no_rulebook"


def test_rulebook_for_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        rulebook_for(datetime(2026, 7, 1, 12, 0))


def test_unknown_version_error_carries_its_code() -> None:
    with pytest.raises(RuleViolation) as caught:
        rulebook_version("2024.9")
    assert caught.value.code == "rule.unknown_version"
    assert caught.value.fields["known"] == ["2025.1", "2026.1"]


def test_unknown_procedure_error_lists_the_known_ones(books: tuple[Rulebook, ...]) -> None:
    with pytest.raises(RuleViolation) as caught:
        books[0].procedure("auction")
    assert caught.value.code == "rule.unknown_procedure"
    assert caught.value.fields["known"] == sorted(PROCEDURES)
    assert "framework.mini-competition" in caught.value.message


def test_missing_period_error_carries_its_code(books: tuple[Rulebook, ...]) -> None:
    rules: ProcedureRules = books[0].procedure("limited")
    with pytest.raises(RuleViolation) as caught:
        rules.period("tender_period")
    assert caught.value.code == "rule.no_such_period"
    assert books[0].procedure("open").period("tender_period").days == 6


# --- every value cites a source -------------------------------------------------------------------

_HEADER = re.compile(r"^\[(.+)\]\s*(#.*)?$")
_CITED_TABLES = ("calendar", "thresholds", "evaluation", "procedures.")


@pytest.mark.parametrize("file_name", SHIPPED)
def test_every_value_in_the_rule_tables_has_a_source_comment(file_name: str) -> None:
    lines = shipped_text(file_name).splitlines()
    table = ""
    checked = 0
    uncited = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if header := _HEADER.match(stripped):
            table = header.group(1)
            continue
        if stripped.startswith("#") or "=" not in stripped or not table.startswith(_CITED_TABLES):
            continue
        checked += 1
        previous = lines[number - 2].strip() if number > 1 else ""
        if "#" not in stripped and not previous.startswith("#"):
            uncited.append(f"{file_name}:{number}: {stripped}")
    assert uncited == []
    assert checked >= 60  # the scan really saw the tables (6 procedures, thresholds, calendar, evaluation)


@pytest.mark.parametrize("file_name", SHIPPED)
def test_every_holiday_and_justification_is_annotated(file_name: str) -> None:
    items = [ln for ln in shipped_text(file_name).splitlines() if re.match(r'^\s+("[a-z_]+"|\d{4}-\d\d-\d\d),', ln)]
    assert len(items) == 33 + 5
    assert all("#" in ln for ln in items)


# --- validation names file and key ----------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Mutation:
    *parents, leaf = path.split("/")

    def apply(raw: dict[str, Any]) -> None:
        node = raw
        for part in parents:
            node = node[part]
        if value is _DELETE:
            del node[leaf]
        else:
            node[leaf] = value

    return apply


_DELETE = object()


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (_set("procedures/open/tender_period", _DELETE), "procedures.open.tender_period: missing"),
        (_set("procedures/selective/prequalification_period", _DELETE), "selective.prequalification_period"),
        (_set("procedures/open/award_criteria", ["cheapest"]), "procedures.open.award_criteria: unknown"),
        (_set("procedures/open/tender_period", {"days": 6, "kind": "business"}), "open.tender_period.kind"),
        (_set("procedures/open/tender_period", {"days": -1, "kind": "working"}), "open.tender_period.days"),
        (
            _set("procedures/limited/tender_period", {"days": 6, "kind": "working"}),
            "limited.tender_period: set",
        ),
        (
            _set("procedures/selective/steps", ["tendering", "prequalification"]),
            "selective.steps: steps must",
        ),
        (_set("procedures/open/steps", ["auction"]), "procedures.open.steps: unknown steps"),
        (_set("procedures/open/justifications", ["extreme_urgency"]), "procedures.open.justifications"),
        (_set("procedures/limited/justifications", []), "procedures.limited.justifications"),
        (_set("procedures/open/standstill", _DELETE), "procedures.open.standstill: missing"),
        (_set("procedures/open/ocds_method", "negotiated"), "procedures.open.ocds_method"),
        (_set("procedures/limited/competitive", True), "procedures.limited.competitive: contradicts"),
        (_set("procedures/open/min_bids", 0), "procedures.open.min_bids"),
        (_set("procedures/open/max_value", -5), "procedures.open.max_value"),
        (_set("evaluation/abnormally_low_ratio", Decimal("1.5")), "evaluation.abnormally_low_ratio"),
        (_set("thresholds/direct_contract_report_works", "lots"), "thresholds.direct_contract_report_works"),
        (_set("calendar/martial_law_holidays_suspended", "yes"), "calendar.martial_law_holidays_suspended"),
        (_set("calendar/holidays", ["2025-01-01"]), "calendar.holidays"),
        (_set("effective_from", "2025-01-01"), "effective_from"),
        (_set("version", 2025), "version"),
        (_set("surprise", 1), "(top level): unknown keys ['surprise']"),
    ],
)
def test_invalid_rulebook_is_refused_naming_file_and_key(mutation: Mutation, expected: str) -> None:
    raw = copy.deepcopy(raw_2025())
    mutation(raw)
    with pytest.raises(RuleViolation) as caught:
        validate_rulebook(raw, origin="rulebook-2025.1.toml")
    assert caught.value.code == "rule.invalid_rulebook"
    problems = caught.value.fields["problems"]
    assert any(p.startswith("rulebook-2025.1.toml: ") and expected in p for p in problems), problems


def test_validate_rulebook_builds_the_same_book_as_the_loader() -> None:
    book = validate_rulebook(raw_2025(), origin="rulebook-2025.1.toml")
    shipped = rulebook_version("2025.1")
    assert (book.version, book.effective_from, book.holidays) == (
        shipped.version,
        shipped.effective_from,
        shipped.holidays,
    )
    assert days(book.procedure("open").tender_period) == (6, "working")
    # Without the loader, sources come only from explicit `source` fields, of which the files have none.
    assert book.procedure("open").tender_period == PeriodRule(6, "working", "")


# --- loading from a directory ---------------------------------------------------------------------


def _copy_shipped(directory: Path) -> None:
    for name in SHIPPED:
        (directory / name).write_text(shipped_text(name), encoding="utf-8")


def test_load_from_a_directory(tmp_path: Path) -> None:
    _copy_shipped(tmp_path)
    assert [b.version for b in load_rulebooks(tmp_path)] == ["2025.1", "2026.1"]


def test_books_argument_overrides_the_shipped_set(tmp_path: Path) -> None:
    _copy_shipped(tmp_path)
    (tmp_path / "rulebook-2026.1.toml").unlink()
    only_2025 = load_rulebooks(tmp_path)
    assert rulebook_for(date(2027, 1, 1), only_2025).version == "2025.1"
    with pytest.raises(RuleViolation) as caught:
        rulebook_version("2026.1", only_2025)
    assert caught.value.code == "rule.unknown_version"


def test_file_name_must_match_its_version(tmp_path: Path) -> None:
    (tmp_path / "rulebook-2025.2.toml").write_text(shipped_text("rulebook-2025.1.toml"), encoding="utf-8")
    with pytest.raises(RuleViolation) as caught:
        load_rulebooks(tmp_path)
    assert caught.value.code == "rule.invalid_rulebook"
    assert "rulebook-2025.1.toml" in caught.value.message


def test_two_versions_cannot_share_an_effective_date(tmp_path: Path) -> None:
    _copy_shipped(tmp_path)
    text = shipped_text("rulebook-2026.1.toml").replace('version = "2026.1"', 'version = "2026.2"')
    (tmp_path / "rulebook-2026.2.toml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleViolation) as caught:
        load_rulebooks(tmp_path)
    assert caught.value.code == "rule.invalid_rulebook"
    assert "effective_from 2026-07-01" in caught.value.message


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "rulebook-2025.1.toml").write_text("version = \n", encoding="utf-8")
    with pytest.raises(RuleViolation) as caught:
        load_rulebooks(tmp_path)
    assert caught.value.code == "rule.invalid_rulebook"
    assert caught.value.message.startswith("rulebook-2025.1.toml: not valid TOML")


def test_empty_directory_has_no_rulebook(tmp_path: Path) -> None:
    with pytest.raises(RuleViolation) as caught:
        load_rulebooks(tmp_path)
    assert caught.value.code == "rule.no_rulebook"
