"""Entries of the code lists (CPV, FSC/NSC, UN/CEFACT units, ISO 4217 currencies) and the CodeLists lookup."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["CodeLists", "CpvEntry", "FscEntry", "UnitEntry"]


@dataclass(frozen=True, slots=True)
class CpvEntry:
    """One CPV 2008 code, e.g. ``35300000-7`` (group) "Weapons, ammunition and associated parts"."""

    code: str
    level: str
    title_en: str
    title_uk: str

    @property
    def code8(self) -> str:
        """The eight digits before the check digit."""
        return self.code[:8]

    @property
    def division(self) -> str:
        """The first two digits (35 is security, fire-fighting, police and defence equipment)."""
        return self.code[:2]


@dataclass(frozen=True, slots=True)
class FscEntry:
    """One Federal/NATO Supply Class: the first four digits of a NATO Stock Number."""

    fsc: str
    title: str
    fsg: str
    fsg_title: str


@dataclass(frozen=True, slots=True)
class UnitEntry:
    """One UN/CEFACT Recommendation 20 unit of measure, e.g. ``H87`` piece."""

    code: str
    name_en: str
    name_uk: str


@dataclass(frozen=True, eq=False)
class CodeLists:
    """Loaded code lists; build with ``load_codelists``. ``sources`` names the file each list came from."""

    cpv_by_code8: Mapping[str, CpvEntry] = field(repr=False)
    fsc_by_code: Mapping[str, FscEntry] = field(repr=False)
    units_by_code: Mapping[str, UnitEntry] = field(repr=False)
    currency_codes: frozenset[str] = field(repr=False)
    sources: Mapping[str, str]

    def cpv(self, code: str) -> CpvEntry | None:
        """Return the CPV entry for an exact code such as ``35300000-7``, or None."""
        entry = self.cpv_by_code8.get(code[:8])
        return entry if entry is not None and entry.code == code else None

    def fsc(self, code4: str) -> FscEntry | None:
        """Return the supply class for a four-digit FSC/NSC code, or None."""
        return self.fsc_by_code.get(code4)

    def unit(self, code: str) -> UnitEntry | None:
        """Return the UN/CEFACT Rec 20 unit for a code such as ``KGM``, or None."""
        return self.units_by_code.get(code)

    def currency(self, code: str) -> bool:
        """Tell whether an ISO 4217 alphabetic code such as ``UAH`` is in the list."""
        return code in self.currency_codes
