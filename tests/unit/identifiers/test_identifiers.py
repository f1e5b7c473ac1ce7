"""Organization identifiers: EDRPOU check digits (against a naive reference and hand-worked examples), NCAGE,
LEI, the other org-id schemes and the scheme dispatcher."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from quartermaster.identifiers import (
    IDENTIFIER_SCHEMES,
    edrpou_check_digit,
    ncage_assigner,
    validate_edrpou,
    validate_identifier,
    validate_lei,
    validate_ncage,
)

# --- EDRPOU ---------------------------------------------------------------------------------------


def naive_edrpou_remainders(code: str) -> tuple[int, int | None, int]:
    """Reference written straight from the rule text, sharing no code with the module under test.

    Returns (first-pass remainder, second-pass remainder or None, expected check digit).
    """
    value = int(code)
    in_shifted_range = 30_000_000 <= value < 60_000_000
    weights = [7, 1, 2, 3, 4, 5, 6] if in_shifted_range else [1, 2, 3, 4, 5, 6, 7]
    total = 0
    for i in range(7):
        total += weights[i] * int(code[i])
    first = total % 11
    if first != 10:
        return first, None, first
    total = 0
    for i in range(7):
        total += (weights[i] + 2) * int(code[i])
    second = total % 11
    return first, second, 0 if second == 10 else second


def naive_edrpou_valid(code: str) -> bool:
    return naive_edrpou_remainders(code)[2] == int(code[7])


eight_digit_codes = st.integers(min_value=0, max_value=99_999_999).map(lambda n: f"{n:08d}")


# Worked by hand (weights x digits, mod 11):
#   00034022  weights 1..7: 4*3 + 5*4 + 7*2 = 46; 46 mod 11 = 2                                  -> check 2
#   32855961  weights 7,1..6: 21 + 2 + 16 + 15 + 20 + 45 + 36 = 155; 155 mod 11 = 1               -> check 1
#   00000035  weights 1..7: 7*3 = 21 -> 10; again with +2: 9*3 = 27 -> 5                          -> check 5
#   00002810  weights 1..7: 5*2 + 6*8 + 7*1 = 65 -> 10; with +2: 7*2 + 8*8 + 9*1 = 87 -> 10 -> 0  -> check 0
#   33622197  weights 7,1..6: 21+3+12+6+8+5+54 = 109 -> 10; with 9,3..8: 27+9+24+10+12+7+72 = 161 -> 7
HAND_WORKED = ["00034022", "32855961", "00000035", "00002810", "33622197"]

# Real codes published online, as collected in python-stdnum's test suite (tests/test_ua_edrpou.doctest);
# 00034022 is the Ministry of Defence of Ukraine.
PUBLISHED = ["00022438", "00034022", "01072609", "02010669", "13857564", "20001303",
             "30327425", "35264255", "38004897", "40081200", "41399586", "43808820"]  # fmt: skip


@pytest.mark.parametrize("code", HAND_WORKED + PUBLISHED)
def test_known_valid_edrpou_codes_are_accepted(code: str) -> None:
    assert naive_edrpou_valid(code)
    assert validate_edrpou(code) == code


@pytest.mark.parametrize(("first7", "digit"), [("0003402", 2), ("3285596", 1), ("0000003", 5), ("0000281", 0)])
def test_check_digit_matches_hand_computation(first7: str, digit: int) -> None:
    assert edrpou_check_digit(first7) == digit


def test_hand_worked_examples_exercise_every_branch() -> None:
    # first pass, shifted weights, second pass, and the "second 10 gives 0" rule are all covered above
    assert naive_edrpou_remainders("00034022") == (2, None, 2)
    assert naive_edrpou_remainders("32855961") == (1, None, 1)
    assert naive_edrpou_remainders("00000035") == (10, 5, 5)
    assert naive_edrpou_remainders("00002810") == (10, 10, 0)
    assert naive_edrpou_remainders("33622197") == (10, 7, 7)


def test_wrong_check_digit_is_refused_with_the_expected_digit() -> None:
    with pytest.raises(ValueError, match=r"EDRPOU 32855968 has check digit 8, expected 1"):
        validate_edrpou("32855968")


@pytest.mark.parametrize("bad", ["", "3285596", "328559611", "3285596a", "32 855961", "٣٢٨٥٥٩٦١", "-3285596"])
def test_malformed_edrpou_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="EDRPOU must be 8 digits"):
        validate_edrpou(bad)


def test_edrpou_surrounding_whitespace_is_stripped() -> None:
    assert validate_edrpou(" 00034022\n") == "00034022"


@pytest.mark.parametrize("boundary", ["30000000", "60000000"])
def test_range_boundaries_are_invalid_under_either_weight_set(boundary: str) -> None:
    # so whether "between 30M and 60M" is read as inclusive or exclusive cannot change any result
    with pytest.raises(ValueError, match="check digit"):
        validate_edrpou(boundary)


@given(eight_digit_codes)
def test_validator_agrees_with_naive_reference_on_every_code(code: str) -> None:
    accepted = True
    try:
        validate_edrpou(code)
    except ValueError:
        accepted = False
    assert accepted == naive_edrpou_valid(code)


@given(st.integers(min_value=0, max_value=9_999_999).map(lambda n: f"{n:07d}"))
def test_exactly_one_check_digit_completes_each_prefix(prefix: str) -> None:
    valid = [d for d in "0123456789" if naive_edrpou_valid(prefix + d)]
    assert valid == [str(edrpou_check_digit(prefix))]
    for digit in "0123456789":
        if digit not in valid:
            with pytest.raises(ValueError):
                validate_edrpou(prefix + digit)


@given(eight_digit_codes, st.integers(min_value=0, max_value=7), st.integers(min_value=1, max_value=9))
def test_single_digit_change_is_caught_when_both_codes_score_on_the_first_pass(
    seed: str, position: int, delta: int
) -> None:
    valid = seed[:7] + str(naive_edrpou_remainders(seed)[2])
    changed = valid[:position] + str((int(valid[position]) + delta) % 10) + valid[position + 1 :]
    # Weights 1..7 are nonzero mod 11, so one changed digit always moves a first-pass remainder. The
    # guarantee does not hold across the "remainder 10" fallback or a change of weight set (next test).
    assume(naive_edrpou_remainders(valid)[1] is None and naive_edrpou_remainders(changed)[1] is None)
    assume((valid[0] in "345") == (changed[0] in "345"))
    with pytest.raises(ValueError):
        validate_edrpou(changed)


def test_some_single_digit_changes_are_not_detectable_by_the_scheme() -> None:
    # 33622797 scores 139 mod 11 = 7 on the first pass; 33622197 (one digit changed) falls to the second
    # pass and also scores 7. Both are valid: the EDRPOU check digit does not catch every typo.
    assert validate_edrpou("33622797") == "33622797"
    assert validate_edrpou("33622197") == "33622197"


# --- NCAGE ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "assigner"),
    [
        ("12345", "United States (or Canada, codes created before 2002)"),
        ("0A9Z7", "United States (or Canada, codes created before 2002)"),
        ("L1A23", "Canada"),
        ("C1234", "Germany"),
        ("D9ZZ0", "Germany"),
        ("F0001", "France"),
        ("M12A3", "France"),
        ("S4321", "NSPA (nations without their own range, and Iceland)"),
        ("1234N", "Austria"),
        ("A123H", "Albania"),
        ("A1234", "Italy"),
        ("Q1234", None),  # well-formed, structure not in the partial table: accepted, assigner unknown
        ("QAAAQ", None),
    ],
)
def test_ncage_syntax_is_accepted_and_assigner_named_where_known(code: str, assigner: str | None) -> None:
    assert validate_ncage(code) == code
    assert ncage_assigner(code) == assigner


def test_ncage_is_normalised_to_upper_case() -> None:
    assert validate_ncage(" d1234 ") == "D1234"
    assert ncage_assigner("d1234") == "Germany"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("1234", "5 characters"),
        ("123456", "5 characters"),
        ("12I45", "other than I and O"),
        ("O1234", "other than I and O"),
        ("12-45", "other than I and O"),
        ("12 45", "other than I and O"),
    ],
)
def test_malformed_ncage_is_refused(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_ncage(bad)
    assert ncage_assigner(bad) is None


# --- LEI ------------------------------------------------------------------------------------------


def naive_lei_remainder(text: str) -> int:
    """ISO 7064 MOD 97-10 digit by digit (letters A..Z expand to 10..35), without big integers."""
    remainder = 0
    for ch in text:
        for digit in str("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".index(ch)):
            remainder = (remainder * 10 + int(digit)) % 97
    return remainder


def naive_lei_check_digits(prefix18: str) -> str:
    return f"{98 - naive_lei_remainder(prefix18 + '00'):02d}"


# Published LEIs (GLEIF): Deutsche Bank, Apple Inc. and two other registered entities.
REAL_LEIS = ["7LTWFZYICNSX8D621K86", "HWUPKR0MPOU8FGXBT394", "5493001KJTIIGC8Y1R12", "529900T8BM49AURSDO55"]


@pytest.mark.parametrize("lei", REAL_LEIS)
def test_published_leis_are_accepted(lei: str) -> None:
    assert naive_lei_remainder(lei) == 1
    assert validate_lei(lei.lower()) == lei


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=18, max_size=18))
def test_lei_with_reference_check_digits_is_accepted_and_a_changed_check_digit_refused(prefix: str) -> None:
    lei = prefix + naive_lei_check_digits(prefix)
    assert validate_lei(lei) == lei
    wrong = lei[:19] + str((int(lei[19]) + 1) % 10)
    with pytest.raises(ValueError, match="mod-97"):
        validate_lei(wrong)


@pytest.mark.parametrize("bad", ["7LTWFZYICNSX8D621K8", "7LTWFZYICNSX8D621K8A", "7LTWFZYICNSX8D621-86"])
def test_malformed_lei_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="LEI must be"):
        validate_lei(bad)


# --- scheme dispatch ------------------------------------------------------------------------------


def test_accepted_schemes_are_exactly_the_six_supported() -> None:
    assert set(IDENTIFIER_SCHEMES) == {"UA-EDR", "NCAGE", "UA-IPN", "GB-COH", "US-EIN", "XI-LEI"}


@pytest.mark.parametrize(
    ("scheme", "raw", "canonical"),
    [
        ("UA-EDR", " 3285 5961 ", "32855961"),
        ("ua-edr", "00034022", "00034022"),
        ("NCAGE", "d 1234", "D1234"),
        ("UA-IPN", "1234567890", "1234567890"),
        ("GB-COH", "sc123456", "SC123456"),
        ("GB-COH", "01234567", "01234567"),
        ("US-EIN", "12-3456789", "123456789"),
        ("US-EIN", "123456789", "123456789"),
        ("XI-LEI", "7LTW FZYI CNSX 8D62 1K86", "7LTWFZYICNSX8D621K86"),
    ],
)
def test_identifier_is_normalised_and_dispatched_by_scheme(scheme: str, raw: str, canonical: str) -> None:
    assert validate_identifier(scheme, raw) == canonical


@pytest.mark.parametrize(
    ("scheme", "raw", "message"),
    [
        ("UA-EDR", "32855968", "expected 1"),
        ("UA-IPN", "123456789", "10 digits"),
        ("UA-IPN", "12345678901", "10 digits"),
        ("GB-COH", "1234567", "8 letters or digits"),
        ("US-EIN", "123-456789", "9 digits"),
        ("US-EIN", "12345678", "9 digits"),
        ("XI-LEI", "7LTWFZYICNSX8D621K87", "mod-97"),
    ],
)
def test_invalid_identifier_is_refused_by_its_scheme(scheme: str, raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_identifier(scheme, raw)


def test_unknown_scheme_is_refused_listing_the_accepted_ones() -> None:
    with pytest.raises(ValueError) as info:
        validate_identifier("DE-HRB", "123")
    message = str(info.value)
    assert "'DE-HRB'" in message
    assert "\n" not in message
    for scheme in IDENTIFIER_SCHEMES:
        assert scheme in message


@given(st.sampled_from(sorted(IDENTIFIER_SCHEMES)), st.text(max_size=30))
def test_any_text_is_either_accepted_idempotently_or_refused_with_value_error(scheme: str, raw: str) -> None:
    try:
        canonical = validate_identifier(scheme, raw)
    except ValueError:
        return
    assert validate_identifier(scheme, canonical) == canonical
