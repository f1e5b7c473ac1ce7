"""The procurement rulebook: versioned data files plus the code that reads them.

Differences between procedures are data (STYLE rule 9): each ``rulebook-<version>.toml`` in this package
says which steps, minimum periods, bid counts, award criteria and legal grounds every procedure has, and
cites the source of every figure in a comment next to it.

Versioning rule: a version applies from its ``effective_from`` date, to new tenders only. A tender records
the version it was published under (``rulebook_for(published_at).version``) and is judged by that version for
the rest of its life (``rulebook_version(tender.rulebook_version)``), even after a newer version takes effect.
Versions are never edited once a tender may have used them; a correction ships as a new version.
"""

from quartermaster.rules.calendar import PeriodKind, PeriodRule, WorkCalendar
from quartermaster.rules.loader import load_rulebooks, parse_rulebook, rulebook_for, rulebook_version
from quartermaster.rules.model import (
    AWARD_CRITERIA,
    OCDS_METHODS,
    PERIOD_NAMES,
    STEPS,
    ProcedureRules,
    Rulebook,
)
from quartermaster.rules.validate import validate_rulebook

__all__ = [
    "AWARD_CRITERIA",
    "OCDS_METHODS",
    "PERIOD_NAMES",
    "STEPS",
    "PeriodKind",
    "PeriodRule",
    "ProcedureRules",
    "Rulebook",
    "WorkCalendar",
    "load_rulebooks",
    "parse_rulebook",
    "rulebook_for",
    "rulebook_version",
    "validate_rulebook",
]
