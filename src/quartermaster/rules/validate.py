"""Turn a parsed rulebook file into a ``Rulebook``, or say precisely which file and key is wrong.

All problems in a file are collected and reported together (one ``RuleViolation`` with
``code="rule.invalid_rulebook"`` and a ``problems`` list of ``"<file>: <key>: <what>"`` strings), so a rule
author fixes a file in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, cast

from quartermaster.errors import RuleViolation
from quartermaster.rules.calendar import PERIOD_KINDS, PeriodKind, PeriodRule
from quartermaster.rules.model import (
    AWARD_CRITERIA,
    BEST_VALUE_CRITERIA,
    COMPETITIVE_OCDS_METHODS,
    OCDS_METHODS,
    PERIOD_NAMES,
    STEPS,
    ProcedureRules,
    Rulebook,
    SealingRules,
)

_TOP_LEVEL_KEYS = frozenset(
    {
        "version",
        "effective_from",
        "currency",
        "changes",
        "notes",
        "calendar",
        "thresholds",
        "evaluation",
        "sealing",
        "procedures",
    }
)
_PROCEDURE_KEYS = frozenset(
    {
        "ocds_method",
        "competitive",
        "steps",
        "min_bids",
        "award_criteria",
        "justifications",
        "max_value",
        *PERIOD_NAMES,
    }
)
# Which steps make a period required, and which merely allow it (clarification questions are possible whenever
# there is a tendering step, but only a dedicated enquiries step makes their deadlines mandatory).
_REQUIRED_BY: Mapping[str, frozenset[str]] = {
    "prequalification_period": frozenset({"prequalification"}),
    "enquiry_period": frozenset({"enquiries"}),
    "enquiry_cutoff": frozenset({"enquiries"}),
    "unanswered_question_extension": frozenset({"enquiries"}),
    "tender_period": frozenset({"tendering"}),
}
_ALLOWED_BY: Mapping[str, frozenset[str]] = {
    "prequalification_period": frozenset({"prequalification"}),
    "enquiry_period": frozenset({"enquiries"}),
    "enquiry_cutoff": frozenset({"enquiries", "tendering"}),
    "unanswered_question_extension": frozenset({"enquiries", "tendering"}),
    "tender_period": frozenset({"tendering"}),
}
# A competitive award must leave losers time to complain before the contract is signed.
_REQUIRED_IF_COMPETITIVE = ("standstill", "complaint_window")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION = re.compile(r"^\d{4}\.\d+$")


class _Problems:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.items: list[str] = []

    def add(self, key: str, what: str) -> None:
        self.items.append(f"{self.origin}: {key}: {what}")


def _decimal(value: object) -> Decimal | None:
    """``value`` as a Decimal when it is a TOML integer or float (parsed as Decimal), else None."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    return Decimal(value)


def _freeze(value: object) -> object:
    """Lists become tuples and tables read-only mappings, so a loaded rulebook cannot be edited in place."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    return value


def _table(raw: Mapping[str, Any], key: str, problems: _Problems) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        problems.add(key, "missing table" if value is None else "must be a table")
        return {}
    return value


def _period(value: object, key: str, problems: _Problems) -> PeriodRule | None:
    if not isinstance(value, Mapping):
        problems.add(key, 'must be a table like { days = 6, kind = "working" }')
        return None
    unknown = set(value) - {"days", "kind", "source"}
    if unknown:
        problems.add(key, f"unknown fields {sorted(unknown)}")
    days, kind, source = value.get("days"), value.get("kind"), value.get("source", "")
    ok = True
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        problems.add(f"{key}.days", f"must be a non-negative integer, got {days!r}")
        ok = False
    if kind not in PERIOD_KINDS:
        problems.add(f"{key}.kind", f"must be one of {sorted(PERIOD_KINDS)}, got {kind!r}")
        ok = False
    if not isinstance(source, str):
        problems.add(f"{key}.source", "must be a string")
        ok = False
    return PeriodRule(cast(int, days), cast(PeriodKind, kind), cast(str, source)) if ok else None


def _string_list(value: object, key: str, problems: _Problems) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(key, "must be a list of strings")
        return ()
    if len(set(value)) != len(value):
        problems.add(key, "has duplicates")
    return tuple(value)


def _steps(value: object, key: str, problems: _Problems) -> tuple[str, ...]:
    steps = _string_list(value, key, problems)
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        problems.add(key, f"unknown steps {unknown}; known: {list(STEPS)}")
        return ()
    if list(steps) != sorted(steps, key=STEPS.index):
        problems.add(key, f"steps must follow the order {list(STEPS)}")
    return steps


def _check_periods(
    name: str,
    steps: tuple[str, ...],
    competitive: bool,
    periods: Mapping[str, PeriodRule | None],
    problems: _Problems,
) -> None:
    for period, required_by in _REQUIRED_BY.items():
        needed = required_by & set(steps)
        if needed and periods[period] is None:
            problems.add(f"procedures.{name}.{period}", f"missing (required by step '{sorted(needed)[0]}')")
        if periods[period] is not None and not _ALLOWED_BY[period] & set(steps):
            problems.add(
                f"procedures.{name}.{period}",
                f"set, but the procedure has none of {sorted(_ALLOWED_BY[period])}",
            )
    if competitive:
        for period in _REQUIRED_IF_COMPETITIVE:
            if periods[period] is None:
                problems.add(f"procedures.{name}.{period}", "missing (required for a competitive procedure)")


def _procedure(name: str, raw: Mapping[str, Any], problems: _Problems) -> ProcedureRules | None:
    key = f"procedures.{name}"
    before = len(problems.items)
    method = raw.get("ocds_method")
    if method not in OCDS_METHODS:
        problems.add(f"{key}.ocds_method", f"must be one of {sorted(OCDS_METHODS)}, got {method!r}")
    competitive = raw.get("competitive")
    if not isinstance(competitive, bool):
        problems.add(f"{key}.competitive", "must be true or false")
        competitive = False
    elif method in OCDS_METHODS and competitive != (method in COMPETITIVE_OCDS_METHODS):
        problems.add(f"{key}.competitive", f"contradicts ocds_method '{method}'")
    steps = _steps(raw.get("steps"), f"{key}.steps", problems)
    periods = {p: _period(raw[p], f"{key}.{p}", problems) if p in raw else None for p in PERIOD_NAMES}
    _check_periods(name, steps, competitive, periods, problems)

    min_bids = raw.get("min_bids")
    if isinstance(min_bids, bool) or not isinstance(min_bids, int) or min_bids < 1:
        problems.add(f"{key}.min_bids", f"must be an integer >= 1, got {min_bids!r}")
    criteria = _string_list(raw.get("award_criteria"), f"{key}.award_criteria", problems)
    if not criteria:
        problems.add(f"{key}.award_criteria", "must name at least one OCDS awardCriteria code")
    unknown_criteria = sorted(set(criteria) - AWARD_CRITERIA)
    if unknown_criteria:
        problems.add(f"{key}.award_criteria", f"unknown OCDS awardCriteria codes {unknown_criteria}")
    justifications = _string_list(raw.get("justifications", []), f"{key}.justifications", problems)
    if competitive and justifications:
        problems.add(f"{key}.justifications", "only a non-competitive procedure needs justifications")
    if not competitive and not justifications:
        problems.add(f"{key}.justifications", "a non-competitive procedure must list its legal grounds")
    bad = [j for j in justifications if not _SNAKE.match(j)]
    if bad:
        problems.add(f"{key}.justifications", f"codes must be snake_case: {bad}")
    max_value = _decimal(raw.get("max_value"))
    if "max_value" in raw and (max_value is None or max_value <= 0):
        problems.add(f"{key}.max_value", "must be a positive number")
    if len(problems.items) > before:
        return None

    extra = {
        k: (_period(v, f"{key}.{k}", problems) if isinstance(v, Mapping) and "days" in v else _freeze(v))
        for k, v in raw.items()
        if k not in _PROCEDURE_KEYS
    }
    return ProcedureRules(
        name=name,
        ocds_method=cast(str, method),
        competitive=competitive,
        steps=steps,
        min_bids=cast(int, min_bids),
        award_criteria=criteria,
        justifications=justifications,
        max_value=max_value,
        extra=MappingProxyType(extra),
        **periods,
    )


def _header(raw: Mapping[str, Any], problems: _Problems) -> tuple[str, date, str]:
    unknown = sorted(set(raw) - _TOP_LEVEL_KEYS)
    if unknown:
        problems.add("(top level)", f"unknown keys {unknown}")
    version = raw.get("version")
    if not isinstance(version, str) or not _VERSION.match(version):
        problems.add("version", f'must be a string like "2025.1", got {version!r}')
    effective = raw.get("effective_from")
    if not isinstance(effective, date) or isinstance(effective, datetime):
        problems.add("effective_from", f"must be a TOML date like 2025-01-01, got {effective!r}")
    currency = raw.get("currency")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        problems.add("currency", f"must be an ISO 4217 code, got {currency!r}")
    return cast(str, version), cast(date, effective), cast(str, currency)


def _calendar(raw: Mapping[str, Any], problems: _Problems) -> tuple[frozenset[date], bool]:
    table = _table(raw, "calendar", problems)
    holidays = table.get("holidays")
    if not isinstance(holidays, list) or not all(isinstance(d, date) and not isinstance(d, datetime) for d in holidays):
        problems.add("calendar.holidays", "must be a list of TOML dates")
        holidays = []
    suspended = table.get("martial_law_holidays_suspended")
    if not isinstance(suspended, bool):
        problems.add("calendar.martial_law_holidays_suspended", "must be true or false")
        suspended = False
    return frozenset(holidays), suspended


def _thresholds(raw: Mapping[str, Any], problems: _Problems) -> Mapping[str, Decimal]:
    table = _table(raw, "thresholds", problems)
    out: dict[str, Decimal] = {}
    for key, value in table.items():
        amount = _decimal(value)
        if amount is None or amount < 0:
            problems.add(f"thresholds.{key}", f"must be a non-negative number, got {value!r}")
        else:
            out[key] = amount
    return MappingProxyType(out)


def _ratio(raw: Mapping[str, Any], problems: _Problems) -> Decimal:
    value = _table(raw, "evaluation", problems).get("abnormally_low_ratio")
    ratio = _decimal(value)
    if ratio is None or not 0 < ratio < 1:
        problems.add("evaluation.abnormally_low_ratio", f"must be a number between 0 and 1, got {value!r}")
        return Decimal(0)
    return ratio


def _weights(raw: Mapping[str, Any], problems: _Problems) -> Mapping[str, Decimal]:
    """``[evaluation] best_value_weights``: the criteria a best-value award may weigh and their default weights."""
    key = "evaluation.best_value_weights"
    value = _table(raw, "evaluation", problems).get("best_value_weights")
    if not isinstance(value, Mapping) or not value:
        problems.add(key, "must be a table like { price = 0.6, quality = 0.4 }")
        return MappingProxyType({})
    unknown = sorted(set(value) - set(BEST_VALUE_CRITERIA))
    if unknown:
        problems.add(key, f"unknown criteria {unknown}; known: {list(BEST_VALUE_CRITERIA)}")
    weights = {k: _decimal(v) for k, v in value.items()}
    clean = {k: w for k, w in weights.items() if w is not None and 0 <= w <= 1}
    if len(clean) != len(weights):
        problems.add(key, "each weight must be a number between 0 and 1")
    elif sum(clean.values(), Decimal(0)) != 1:
        problems.add(key, f"weights must add up to 1, got {sum(clean.values(), Decimal(0))}")
    return MappingProxyType(clean)


def _sealing(raw: Mapping[str, Any], problems: _Problems) -> SealingRules | None:
    if "sealing" not in raw:
        return None
    table = _table(raw, "sealing", problems)
    unknown = set(table) - {"platform_key_below", "committee_min_members", "committee_min_threshold"}
    if unknown:
        problems.add("sealing", f"unknown fields {sorted(unknown)}")
    below = _decimal(table.get("platform_key_below"))
    if below is None or below < 0:
        problems.add("sealing.platform_key_below", "must be a non-negative amount (0: never a platform-held key)")
    numbers = {}
    for key in ("committee_min_members", "committee_min_threshold"):
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 255:
            problems.add(f"sealing.{key}", f"must be an integer from 1 to 255, got {value!r}")
            value = 1
        numbers[key] = value
    if numbers["committee_min_threshold"] > numbers["committee_min_members"]:
        problems.add("sealing.committee_min_threshold", "cannot exceed committee_min_members")
    return SealingRules(
        platform_key_below=below or Decimal(0),
        committee_min_members=numbers["committee_min_members"],
        committee_min_threshold=numbers["committee_min_threshold"],
    )


def validate_rulebook(raw: Mapping[str, Any], *, origin: str = "<rulebook>") -> Rulebook:
    """Check a parsed rulebook and build it; errors (``rule.invalid_rulebook``) name the file and key."""
    problems = _Problems(origin)
    version, effective, currency = _header(raw, problems)
    holidays, suspended = _calendar(raw, problems)
    thresholds = _thresholds(raw, problems)
    ratio = _ratio(raw, problems)
    weights = _weights(raw, problems)
    sealing = _sealing(raw, problems)
    procedures: dict[str, ProcedureRules] = {}
    table = _table(raw, "procedures", problems)
    if not table:
        problems.add("procedures", "must define at least one procedure")
    for name, body in table.items():
        if not isinstance(body, Mapping):
            problems.add(f"procedures.{name}", "must be a table")
            continue
        rules = _procedure(name, body, problems)
        if rules is not None:
            procedures[name] = rules
    if problems.items:
        raise RuleViolation(
            f"invalid rulebook {origin}: " + "; ".join(problems.items),
            code="rule.invalid_rulebook",
            origin=origin,
            problems=list(problems.items),
        )
    return Rulebook(
        version=version,
        effective_from=effective,
        currency=currency,
        holidays=holidays,
        holidays_suspended=suspended,
        thresholds=thresholds,
        abnormally_low_ratio=ratio,
        best_value_weights=weights,
        procedures=MappingProxyType(procedures),
        sealing=sealing,
    )
