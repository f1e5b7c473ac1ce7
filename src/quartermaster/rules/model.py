"""The rulebook's value types: an immutable ``Rulebook`` per version, a ``ProcedureRules`` per procedure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from quartermaster.errors import RuleViolation
from quartermaster.rules.calendar import PeriodRule, WorkCalendar

# The steps a procedure may have, in the only order they may occur.
STEPS: tuple[str, ...] = ("prequalification", "enquiries", "tendering", "negotiation")

# OCDS procurementMethod codelist (closed).
OCDS_METHODS: frozenset[str] = frozenset({"open", "selective", "limited", "direct"})
COMPETITIVE_OCDS_METHODS: frozenset[str] = frozenset({"open", "selective"})

# OCDS awardCriteria codelist: four current codes plus four deprecated in OCDS 1.1 but still seen in data.
AWARD_CRITERIA: frozenset[str] = frozenset(
    {
        "priceOnly",
        "costOnly",
        "qualityOnly",
        "ratedCriteria",
        "lowestCost",
        "bestProposal",
        "bestValueToGovernment",
        "singleBidOnly",
    }
)

# The criteria a best-value award can weigh (awards/methods.py scores them; docs/award-methods.md has the formulas).
BEST_VALUE_CRITERIA: tuple[str, ...] = ("price", "quality", "delivery", "life_cycle_cost")

# Quartermaster's award methods and the OCDS awardCriteria codes a tender using each may declare. OCDS has no code
# for "price per quality point": it weighs price against quality, so it is published as ratedCriteria with
# awardCriteriaDetails naming the method. costOnly is ranked by price (the offered price is the cost borne).
AWARD_METHODS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "lowest_price": frozenset({"priceOnly", "costOnly", "lowestCost", "singleBidOnly"}),
        "best_value": frozenset({"ratedCriteria", "bestProposal", "bestValueToGovernment", "qualityOnly"}),
        "price_per_quality_point": frozenset({"ratedCriteria", "bestProposal", "bestValueToGovernment"}),
    }
)


def default_award_method(award_criteria: str) -> str:
    """The method a tender uses when its buyer chose none: lowest price for price codes, best value otherwise."""
    return "lowest_price" if award_criteria in AWARD_METHODS["lowest_price"] else "best_value"


def award_method_errors(
    award_criteria: str, method: str | None, weights: Mapping[str, Decimal] | None, allowed: Mapping[str, Decimal]
) -> list[dict[str, str]]:
    """Field errors in a tender's award method and best-value weights (``allowed``: the rulebook's defaults)."""
    errors: list[dict[str, str]] = []
    chosen = method or default_award_method(award_criteria)
    if chosen not in AWARD_METHODS:
        return [{"field": "award_method", "message": f"one of {sorted(AWARD_METHODS)}"}]
    if method is not None and award_criteria not in AWARD_METHODS[chosen]:  # a bad code alone waits for publication
        codes = sorted(AWARD_METHODS[chosen])
        errors.append({"field": "award_method", "message": f"{chosen} is published as one of {codes}"})
    if weights is None:
        return errors
    if chosen != "best_value":
        errors.append({"field": "award_weights", "message": "only a best_value award weighs criteria"})
    unknown = sorted(set(weights) - set(allowed))
    if unknown:
        errors.append({"field": "award_weights", "message": f"criteria {unknown} not allowed; use {list(allowed)}"})
    if any(not 0 <= w <= 1 for w in weights.values()):
        errors.append({"field": "award_weights", "message": "each weight is between 0 and 1"})
    if sum(weights.values(), Decimal(0)) != 1:
        errors.append({"field": "award_weights", "message": "the weights add up to exactly 1"})
    return errors


# Every minimum period a procedure can declare, in declaration order.
PERIOD_NAMES: tuple[str, ...] = (
    "prequalification_period",
    "enquiry_period",
    "tender_period",
    "enquiry_cutoff",
    "unanswered_question_extension",
    "standstill",
    "complaint_window",
)


@dataclass(frozen=True)
class ProcedureRules:
    """What one procedure requires: its steps, minimum periods, bid count, criteria and justifications."""

    name: str
    ocds_method: str
    competitive: bool
    steps: tuple[str, ...]
    prequalification_period: PeriodRule | None
    enquiry_period: PeriodRule | None
    tender_period: PeriodRule | None
    enquiry_cutoff: PeriodRule | None
    unanswered_question_extension: PeriodRule | None
    standstill: PeriodRule | None
    complaint_window: PeriodRule | None
    min_bids: int
    award_criteria: tuple[str, ...]
    justifications: tuple[str, ...]
    max_value: Decimal | None
    extra: Mapping[str, object]

    def has_step(self, step: str) -> bool:
        """True when the procedure includes ``step`` (e.g. ``"enquiries"``)."""
        return step in self.steps

    def period(self, name: str) -> PeriodRule:
        """The minimum period ``name``; ``RuleViolation(code="rule.no_such_period")`` if it has none."""
        rule = getattr(self, name, None) if name in PERIOD_NAMES else self.extra.get(name)
        if not isinstance(rule, PeriodRule):
            raise RuleViolation(
                f"procedure '{self.name}' has no period '{name}'",
                code="rule.no_such_period",
                procedure=self.name,
                period=name,
            )
        return rule


@dataclass(frozen=True)
class SealingRules:
    """How bids are sealed: to a committee's threshold key, or (small, unmarked tenders) to a platform-held key."""

    platform_key_below: Decimal  # tenders worth less than this and carrying no security marking: platform-held key
    committee_min_members: int  # the fewest members a committee holding key shares may have
    committee_min_threshold: int  # the fewest shares that may open the bids (k)

    def mode_for(self, value: Decimal, marking: str) -> str:
        """``platform`` for a small unmarked tender, ``threshold`` for every other."""
        return "platform" if value < self.platform_key_below and marking == "public" else "threshold"


@dataclass(frozen=True)
class Rulebook:
    """One version of the procurement rules, in force for tenders published from ``effective_from``."""

    version: str
    effective_from: date
    currency: str
    holidays: frozenset[date]
    holidays_suspended: bool
    thresholds: Mapping[str, Decimal]
    abnormally_low_ratio: Decimal
    best_value_weights: Mapping[str, Decimal]
    procedures: Mapping[str, ProcedureRules]
    sealing: SealingRules | None = None  # None (rulebook 2025.1): bids in plaintext, hidden by output filtering

    def procedure(self, name: str) -> ProcedureRules:
        """The rules of procedure ``name``; ``RuleViolation(code="rule.unknown_procedure")`` if absent."""
        try:
            return self.procedures[name]
        except KeyError:
            known = sorted(self.procedures)
            raise RuleViolation(
                f"unknown procedure '{name}' in rulebook {self.version}; known: {', '.join(known)}",
                code="rule.unknown_procedure",
                procedure=name,
                version=self.version,
                known=known,
            ) from None

    def calendar(self) -> WorkCalendar:
        """The working-day calendar this version measures its periods on."""
        return WorkCalendar(self.holidays, self.holidays_suspended)
