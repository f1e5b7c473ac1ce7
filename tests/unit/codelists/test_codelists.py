"""Code lists: the shipped demo subsets, an operator's official lists (with fallback and caching), and the
CPV, NSN, unit and currency validators."""

from __future__ import annotations

import csv
import os
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quartermaster.codelists import (
    NCB_CODES,
    CodeLists,
    CpvEntry,
    UnitEntry,
    cpv_division,
    load_codelists,
    validate_cpv,
    validate_currency,
    validate_nsn,
    validate_unit,
)

ROOT = Path(__file__).resolve().parents[3]
# The official lists live in shared/ beside the repository (never copied into it); QM_SHARED_DIR overrides.
REFERENCE_DIR = Path(os.environ.get("QM_SHARED_DIR", ROOT.parent / "shared")) / "reference-data"
DATA_DIR = ROOT / "src" / "quartermaster" / "codelists" / "data"
needs_reference = pytest.mark.skipif(
    not (REFERENCE_DIR / "cpv2008.csv").is_file(),
    reason=f"official reference lists not present at {REFERENCE_DIR}",
)

REQUIRED_UNITS = [
    "H87",
    "KGM",
    "LTR",
    "MTR",
    "SET",
    "E48",
    "TNE",
    "MTK",
    "HUR",
    "DAY",
    "MON",
    "C62",
    "PR",
    "KMT",
]
REQUIRED_CURRENCIES = ["UAH", "EUR", "USD", "GBP", "PLN", "NOK", "CHF", "CZK", "SEK", "DKK", "JPY", "CAD"]


@pytest.fixture(scope="module")
def demo() -> CodeLists:
    return load_codelists()


@pytest.fixture(scope="module")
def official() -> CodeLists:
    if not (REFERENCE_DIR / "cpv2008.csv").is_file():
        pytest.skip(f"official reference lists not present at {REFERENCE_DIR}")
    return load_codelists(REFERENCE_DIR)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def parent_code8s(code8: str) -> list[str]:
    """CPV ancestors by the hierarchy rule: zero the last significant digit, down to the division."""
    significant = code8.rstrip("0")
    parents = []
    while len(significant) > 2:
        significant = significant[:-1]
        parents.append(significant.ljust(8, "0"))
    return parents


# --- shipped demo subsets -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cpv-demo.csv", "fsc-demo.csv", "units.csv", "currencies.csv"])
def test_shipped_files_are_utf8_without_bom(name: str) -> None:
    raw = (DATA_DIR / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    raw.decode("utf-8")  # raises on anything else


def test_demo_lists_have_the_promised_sizes_and_sources(demo: CodeLists) -> None:
    assert 60 <= len(demo.cpv_by_code8) <= 120
    assert 35 <= len(demo.fsc_by_code) <= 50
    assert demo.sources["cpv"].endswith("cpv-demo.csv")
    assert demo.sources["fsc"].endswith("fsc-demo.csv")


def test_demo_cpv_covers_defence_division_in_depth(demo: CodeLists) -> None:
    divisions = {entry.division for entry in demo.cpv_by_code8.values()}
    assert {"09", "15", "18", "33", "34", "35", "45", "50", "72", "79", "90"} <= divisions
    division_35 = [entry for entry in demo.cpv_by_code8.values() if entry.division == "35"]
    assert len(division_35) >= 40
    assert {entry.level for entry in division_35} == {"division", "group", "class", "category", "subcategory"}


def test_every_demo_cpv_code_has_its_division_and_listed_parents(demo: CodeLists) -> None:
    for entry in demo.cpv_by_code8.values():
        division = demo.cpv_by_code8.get(entry.division + "000000")
        assert division is not None, entry.code
        assert division.level == "division"


@needs_reference
def test_demo_cpv_rows_are_verbatim_copies_with_every_existing_ancestor(demo: CodeLists) -> None:
    full = {row["code8"]: row for row in read_csv(REFERENCE_DIR / "cpv2008.csv")}
    for code8, entry in demo.cpv_by_code8.items():
        row = full[code8]
        assert (entry.code, entry.level, entry.title_en, entry.title_uk) == (
            row["code"],
            row["level"],
            row["title_en"],
            row["title_uk"],
        )
        for parent in parent_code8s(code8):
            if parent in full:  # the official list skips some levels, e.g. there is no 35611000
                assert parent in demo.cpv_by_code8, f"{entry.code} lacks its parent {parent}"


@needs_reference
def test_demo_fsc_rows_are_verbatim_copies(demo: CodeLists) -> None:
    full = {row["fsc"]: row for row in read_csv(REFERENCE_DIR / "fsc_classes.csv")}
    for code, entry in demo.fsc_by_code.items():
        row = full[code]
        assert (entry.title, entry.fsg, entry.fsg_title) == (row["fsc_title"], row["fsg"], row["fsg_title"])
    groups = {entry.fsg for entry in demo.fsc_by_code.values()}
    assert {"10", "13", "14", "15", "23", "25", "28", "58", "59", "65", "84", "89", "91"} <= groups


def test_demo_fsc_lookup(demo: CodeLists) -> None:
    entry = demo.fsc("1005")
    assert entry is not None
    assert (entry.title, entry.fsg, entry.fsg_title) == ("GUNS, THROUGH 30MM", "10", "WEAPONS")
    assert demo.fsc("8470") is not None
    assert demo.fsc("9999") is None


@pytest.mark.parametrize(
    ("code", "name_en", "name_uk"),
    [
        ("H87", "piece", "штука"),
        ("KGM", "kilogram", "кілограм"),
        ("LTR", "litre", "літр"),
        ("E48", "service unit", "одиниця послуги"),
        ("PR", "pair", "пара"),
    ],
)
def test_units_have_english_and_ukrainian_names(demo: CodeLists, code: str, name_en: str, name_uk: str) -> None:
    assert demo.unit(code) == UnitEntry(code=code, name_en=name_en, name_uk=name_uk)


def test_all_required_units_and_currencies_are_shipped(demo: CodeLists) -> None:
    assert [code for code in REQUIRED_UNITS if demo.unit(code) is None] == []
    assert [code for code in REQUIRED_CURRENCIES if not demo.currency(code)] == []
    assert len(demo.currency_codes) >= 24
    assert not demo.currency("XYZ")
    assert not demo.currency("uah")  # lookups are exact; validate_currency normalises


# --- validators -----------------------------------------------------------------------------------


def test_validate_cpv_returns_the_entry_and_tolerates_whitespace(demo: CodeLists) -> None:
    entry = validate_cpv("  35300000-7\t", demo)
    assert entry == CpvEntry(
        code="35300000-7",
        level="group",
        title_en="Weapons, ammunition and associated parts",
        title_uk="Зброя, боєприпаси та супутні деталі",
    )
    assert entry.code8 == "35300000"


def test_validate_cpv_names_the_listed_check_digit(demo: CodeLists) -> None:
    with pytest.raises(ValueError, match=r"35300000-8 has the wrong check digit; the list has 35300000-7"):
        validate_cpv("35300000-8", demo)


def test_validate_cpv_refuses_codes_missing_from_the_list(demo: CodeLists) -> None:
    with pytest.raises(ValueError, match=r"not in the loaded CPV list .*cpv-demo\.csv"):
        validate_cpv("03000000-1", demo)  # a real CPV code, but not in the demo subset


@pytest.mark.parametrize("bad", ["", "353000007", "35300000", "35300000-", "35300000-77", "3530000-7", "35300000 7"])
def test_validate_cpv_refuses_malformed_codes(demo: CodeLists, bad: str) -> None:
    with pytest.raises(ValueError, match="CPV code must be"):
        validate_cpv(bad, demo)


@pytest.mark.parametrize(("code", "division"), [("35300000-7", "35"), ("09134200", "09"), (" 18143000-3 ", "18")])
def test_cpv_division_is_the_first_two_digits(code: str, division: str) -> None:
    assert cpv_division(code) == division


@pytest.mark.parametrize("bad", ["35", "3530000-7", "ab300000-7"])
def test_cpv_division_refuses_non_codes(bad: str) -> None:
    with pytest.raises(ValueError, match="CPV code must look like"):
        cpv_division(bad)


def test_validate_unit_and_currency_normalise_case(demo: CodeLists) -> None:
    assert validate_unit(" kgm ", demo).name_en == "kilogram"
    assert validate_currency("uah", demo) == "UAH"


def test_validate_unit_and_currency_refuse_unknown_codes(demo: CodeLists) -> None:
    with pytest.raises(ValueError, match=r"unit 'XXX' is not in the loaded UN/CEFACT Rec 20 list \(C62, DAY"):
        validate_unit("XXX", demo)
    with pytest.raises(ValueError, match="currency 'HRK' is not in the loaded ISO 4217 list"):
        validate_currency("HRK", demo)  # the kuna was withdrawn in 2023


# --- NSN ------------------------------------------------------------------------------------------


def test_ncb_table_holds_the_well_known_bureaus() -> None:
    assert NCB_CODES["00"] == NCB_CODES["01"] == "United States"
    assert (NCB_CODES["12"], NCB_CODES["14"], NCB_CODES["99"]) == ("Germany", "France", "United Kingdom")
    assert (NCB_CODES["66"], NCB_CODES["25"], NCB_CODES["11"]) == ("Australia", "Norway", "NATO")
    assert all(len(code) == 2 and code.isdigit() for code in NCB_CODES)


@pytest.mark.parametrize("nsn", ["1005-12-123-4567", "1005121234567", " 1005-12-123-4567 "])
def test_nsn_is_returned_in_dashed_form(demo: CodeLists, nsn: str) -> None:
    assert validate_nsn(nsn, demo) == "1005-12-123-4567"


@pytest.mark.parametrize(
    "bad",
    ["", "1005-12-123-456", "10051212345678", "100512-123-4567", "1005 12 123 4567", "1005-12-12A-4567"],
)
def test_malformed_nsn_is_refused(demo: CodeLists, bad: str) -> None:
    with pytest.raises(ValueError, match="NSN must be 13 digits"):
        validate_nsn(bad, demo)


def test_nsn_with_unknown_supply_class_is_refused(demo: CodeLists) -> None:
    with pytest.raises(ValueError, match="NSN 9999-12-123-4567: supply class 9999 is not in the loaded"):
        validate_nsn("9999121234567", demo)


def test_nsn_with_unknown_ncb_is_refused(demo: CodeLists) -> None:
    assert "57" not in NCB_CODES
    with pytest.raises(ValueError, match="NSN 1005-57-123-4567: 57 is not a known National Codification Bureau"):
        validate_nsn("1005-57-123-4567", demo)


@given(
    st.sampled_from(sorted(load_codelists().fsc_by_code)),
    st.sampled_from(sorted(NCB_CODES)),
    st.integers(min_value=0, max_value=9_999_999),
)
def test_nsn_formatting_round_trips(supply_class: str, ncb: str, serial: int) -> None:
    lists = load_codelists()
    digits = f"{supply_class}{ncb}{serial:07d}"
    dashed = f"{digits[:4]}-{digits[4:6]}-{digits[6:9]}-{digits[9:]}"
    assert validate_nsn(digits, lists) == dashed
    assert validate_nsn(dashed, lists) == dashed
    assert validate_nsn(dashed, lists).replace("-", "") == digits


# --- official lists, fallback, caching ------------------------------------------------------------


@needs_reference
def test_every_official_cpv_row_validates_to_itself(official: CodeLists) -> None:
    rows = read_csv(REFERENCE_DIR / "cpv2008.csv")
    assert len(rows) == len(official.cpv_by_code8) == 9454
    for row in rows:
        entry = validate_cpv(row["code"], official)
        assert (entry.code, entry.level, entry.title_en) == (row["code"], row["level"], row["title_en"])


@needs_reference
@pytest.mark.parametrize(
    ("code", "level", "title_en"),
    [
        ("35300000-7", "group", "Weapons, ammunition and associated parts"),
        ("18143000-3", "category", "Protective gear"),
        ("35815100-1", "subcategory", "Bullet-proof vests"),
        ("35000000-4", "division", "Security, fire-fighting, police and defence equipment"),
    ],
)
def test_well_known_official_cpv_codes(official: CodeLists, code: str, level: str, title_en: str) -> None:
    entry = validate_cpv(code, official)
    assert (entry.level, entry.title_en) == (level, title_en)


@needs_reference
def test_official_lists_come_from_the_directory_with_shipped_units_and_currencies(
    official: CodeLists,
) -> None:
    assert len(official.fsc_by_code) == 692
    assert official.sources["cpv"] == str(REFERENCE_DIR / "cpv2008.csv")
    assert official.sources["fsc"] == str(REFERENCE_DIR / "fsc_classes.csv")
    assert official.sources["units"] == str(DATA_DIR / "units.csv")
    assert official.sources["currencies"] == str(DATA_DIR / "currencies.csv")
    assert validate_nsn("5905-00-734-5199", official) == "5905-00-734-5199"  # NSPA's brochure example


@needs_reference
def test_full_cpv_loads_well_under_a_second(tmp_path: Path) -> None:
    shutil.copy(REFERENCE_DIR / "cpv2008.csv", tmp_path / "cpv2008.csv")  # a new path: no cache hit
    started = time.perf_counter()
    lists = load_codelists(tmp_path)
    elapsed = time.perf_counter() - started
    assert len(lists.cpv_by_code8) == 9454
    assert elapsed < 1.0


def test_loads_are_cached_per_resolved_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "units.csv").write_text("code,name_en,name_uk\nH87,piece,штука\n", encoding="utf-8")
    first = load_codelists(tmp_path)
    monkeypatch.chdir(tmp_path.parent)
    assert load_codelists(Path(tmp_path.name)) is first  # a relative spelling of the same directory
    assert load_codelists() is load_codelists(None)
    assert sorted(first.units_by_code) == ["H87"]


def test_missing_lists_fall_back_to_the_shipped_files(tmp_path: Path) -> None:
    (tmp_path / "cpv2008.csv").write_text(
        "code,code8,check_digit,level,title_en,title_uk\n"
        "35000000-4,35000000,4,division,Defence,Оборона\n"
        "35300000-7,35300000,7,group,Weapons,Зброя\n",
        encoding="utf-8-sig",  # a BOM, as spreadsheet tools write it
    )
    lists = load_codelists(tmp_path)
    assert sorted(lists.cpv_by_code8) == ["35000000", "35300000"]
    assert validate_cpv("35300000-7", lists).title_uk == "Зброя"
    assert lists.sources["fsc"] == str(DATA_DIR / "fsc-demo.csv")
    assert lists.fsc("1005") is not None
    assert validate_unit("H87", lists).name_en == "piece"


def test_operator_units_replace_the_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "units.csv").write_text("code,name_en,name_uk\nH87,piece,штука\n", encoding="utf-8")
    lists = load_codelists(tmp_path)
    assert sorted(lists.units_by_code) == ["H87"]
    with pytest.raises(ValueError, match="not in the loaded UN/CEFACT"):
        validate_unit("KGM", lists)


def test_missing_directory_is_an_error_not_a_silent_demo(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_codelists(tmp_path / "nowhere")


def test_directory_without_any_list_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("nothing here", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"holds none of cpv2008\.csv"):
        load_codelists(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("code,level,title_en\n35300000-7,group,Weapons\n", "missing column.*title_uk"),
        ("code,level,title_en,title_uk\n35300000,group,Weapons,Зброя\n", r":2: malformed code '35300000'"),
        (
            "code,level,title_en,title_uk\n35300000-7,group,W,З\n35300000-7,group,W,З\n",
            r":3: duplicate code '35300000-7'",
        ),
        (
            "code,level,title_en,title_uk\n35300000-7,group,W,З\n35300000-8,group,W,З\n",
            "one 8-digit CPV code appears with two check digits",
        ),
    ],
)
def test_malformed_operator_cpv_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "cpv2008.csv").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_codelists(tmp_path)


def test_fsc_filed_under_the_wrong_group_is_refused(tmp_path: Path) -> None:
    (tmp_path / "fsc_classes.csv").write_text(
        'fsg,fsg_title,fsc,fsc_title\n13,AMMUNITION,1005,"GUNS, THROUGH 30MM"\n', encoding="utf-8"
    )
    with pytest.raises(ValueError, match="class 1005 filed under group 13"):
        load_codelists(tmp_path)
