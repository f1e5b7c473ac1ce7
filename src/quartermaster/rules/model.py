"""The rulebook's value types: an immutable ``Rulebook`` per version, a ``ProcedureRules`` per procedure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

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
class Rulebook:
    """One version of the procurement rules, in force for tenders published from ``effective_from``."""

    version: str
    effective_from: date
    currency: str
    holidays: frozenset[date]
    holidays_suspended: bool
    thresholds: Mapping[str, Decimal]
    abnormally_low_ratio: Decimal
    procedures: Mapping[str, ProcedureRules]

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
