"""Code lists: CPV 2008, NATO/Federal supply classes, UN/CEFACT units, ISO 4217 currencies; NSN validation.

``load_codelists()`` gives the small demo subsets shipped in ``data/``; ``load_codelists(path)`` an operator's
official lists (see ``loader``). Every ``validate_*`` returns the canonical value or raises ``ValueError``.
"""

from quartermaster.codelists.checks import cpv_division, validate_cpv, validate_currency, validate_unit
from quartermaster.codelists.loader import OFFICIAL_FILE_NAMES, load_codelists
from quartermaster.codelists.models import CodeLists, CpvEntry, FscEntry, UnitEntry
from quartermaster.codelists.nsn import NCB_CODES, validate_nsn

__all__ = [
    "NCB_CODES",
    "OFFICIAL_FILE_NAMES",
    "CodeLists",
    "CpvEntry",
    "FscEntry",
    "UnitEntry",
    "cpv_division",
    "load_codelists",
    "validate_cpv",
    "validate_currency",
    "validate_nsn",
    "validate_unit",
]
