"""Load code lists from CSV: the small demo subsets shipped in ``data/``, or an operator's official lists.

An operator's directory holds files named like /work/shared/reference-data: ``cpv2008.csv`` and
``fsc_classes.csv``, optionally ``units.csv`` and ``currencies.csv``; any of the four it lacks comes from the
shipped files. Loads are cached per resolved directory, so edit a list and restart to see the change.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Final, TypeVar

from quartermaster.codelists.models import CodeLists, CpvEntry, FscEntry, UnitEntry

__all__ = ["OFFICIAL_FILE_NAMES", "load_codelists"]

# list name -> (file name in an operator's directory, shipped file name)
OFFICIAL_FILE_NAMES: Final = MappingProxyType(
    {
        "cpv": ("cpv2008.csv", "cpv-demo.csv"),
        "fsc": ("fsc_classes.csv", "fsc-demo.csv"),
        "units": ("units.csv", "units.csv"),
        "currencies": ("currencies.csv", "currencies.csv"),
    }
)

_CPV_CODE_RE: Final = re.compile(r"[0-9]{8}-[0-9]")
_FSC_RE: Final = re.compile(r"[0-9]{4}")
_UNIT_RE: Final = re.compile(r"[0-9A-Z]{2,3}")
_CURRENCY_RE: Final = re.compile(r"[A-Z]{3}")

_E = TypeVar("_E")


# Shipped as package data (pyproject: codelists/data/*.csv); installs are unzipped, so a real path exists.
_DATA_DIR: Final = Path(__file__).resolve().parent / "data"


def _rows(source: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream (line number, row) pairs; utf-8-sig tolerates the BOM spreadsheet tools write."""
    with source.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in required if column not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{source}: missing column(s) {', '.join(missing)}")
        for row in reader:
            yield reader.line_num, row


def _index(
    source: Path,
    required: tuple[str, ...],
    key_column: str,
    key_re: re.Pattern[str],
    build: Callable[[dict[str, str]], _E],
) -> dict[str, _E]:
    index: dict[str, _E] = {}
    for line, row in _rows(source, required):
        key = row[key_column]
        if not key_re.fullmatch(key):
            raise ValueError(f"{source}:{line}: malformed {key_column} {key!r}")
        if key in index:
            raise ValueError(f"{source}:{line}: duplicate {key_column} {key!r}")
        index[key] = build(row)
    return index


def _load_cpv(source: Path) -> dict[str, CpvEntry]:
    entries = _index(
        source,
        ("code", "level", "title_en", "title_uk"),
        "code",
        _CPV_CODE_RE,
        lambda r: CpvEntry(code=r["code"], level=r["level"], title_en=r["title_en"], title_uk=r["title_uk"]),
    )
    by_code8 = {entry.code8: entry for entry in entries.values()}
    if len(by_code8) != len(entries):
        raise ValueError(f"{source}: one 8-digit CPV code appears with two check digits")
    return by_code8


def _load_fsc(source: Path) -> dict[str, FscEntry]:
    entries = _index(
        source,
        ("fsg", "fsg_title", "fsc", "fsc_title"),
        "fsc",
        _FSC_RE,
        lambda r: FscEntry(fsc=r["fsc"], title=r["fsc_title"], fsg=r["fsg"], fsg_title=r["fsg_title"]),
    )
    for entry in entries.values():
        if entry.fsg != entry.fsc[:2]:
            raise ValueError(f"{source}: class {entry.fsc} filed under group {entry.fsg}")
    return entries


def _load_units(source: Path) -> dict[str, UnitEntry]:
    return _index(
        source,
        ("code", "name_en", "name_uk"),
        "code",
        _UNIT_RE,
        lambda r: UnitEntry(code=r["code"], name_en=r["name_en"], name_uk=r["name_uk"]),
    )


def _load_currencies(source: Path) -> frozenset[str]:
    return frozenset(_index(source, ("code",), "code", _CURRENCY_RE, lambda r: r["code"]))


def _pick(directory: Path | None, list_name: str) -> Path:
    official, shipped = OFFICIAL_FILE_NAMES[list_name]
    if directory is not None and (directory / official).is_file():
        return directory / official
    return _DATA_DIR / shipped


@lru_cache(maxsize=8)
def _load(directory: Path | None) -> CodeLists:
    if directory is not None:
        if not directory.is_dir():
            raise FileNotFoundError(f"code list directory {directory} does not exist")
        if not any((directory / official).is_file() for official, _ in OFFICIAL_FILE_NAMES.values()):
            # Falling back to demo lists for everything would hide a misconfigured path in production.
            expected = ", ".join(official for official, _ in OFFICIAL_FILE_NAMES.values())
            raise FileNotFoundError(f"code list directory {directory} holds none of {expected}")
    picked = {name: _pick(directory, name) for name in OFFICIAL_FILE_NAMES}
    return CodeLists(
        cpv_by_code8=MappingProxyType(_load_cpv(picked["cpv"])),
        fsc_by_code=MappingProxyType(_load_fsc(picked["fsc"])),
        units_by_code=MappingProxyType(_load_units(picked["units"])),
        currency_codes=_load_currencies(picked["currencies"]),
        sources=MappingProxyType({name: str(source) for name, source in picked.items()}),
    )


def load_codelists(directory: Path | None = None) -> CodeLists:
    """Load (cached per resolved directory) the official lists in ``directory``, else the demo subsets."""
    return _load(None if directory is None else Path(directory).expanduser().resolve())
