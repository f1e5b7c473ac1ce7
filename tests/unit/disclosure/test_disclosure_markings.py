"""Markings: one ordered scale shared with quartermaster.types, clearance, and who sees a process in full."""

from __future__ import annotations

import pytest

from quartermaster.actors import Role
from quartermaster.disclosure import Marking, clears, max_marking, parse_marking, rank, viewer_sees_full
from quartermaster.types import MARKINGS


def test_the_enum_is_the_scale_of_quartermaster_types_lowest_first() -> None:
    assert tuple(Marking) == MARKINGS
    assert [m.rank for m in Marking] == [0, 1, 2, 3]
    shuffled = [Marking.SECRET, Marking.PUBLIC, Marking.CONFIDENTIAL, Marking.RESTRICTED]
    assert sorted(shuffled) == list(Marking)  # by rank, not alphabetically


def test_markings_compare_by_rank_with_each_other_and_with_their_names() -> None:
    assert Marking.PUBLIC < Marking.RESTRICTED < Marking.CONFIDENTIAL < Marking.SECRET
    assert Marking.CONFIDENTIAL > Marking.RESTRICTED  # alphabetically it would be the other way round
    assert Marking.SECRET >= "secret"
    assert Marking.PUBLIC <= "public"
    assert "secret" > Marking.CONFIDENTIAL  # noqa: SIM300 - the reflected comparison is the point
    assert Marking.SECRET == "secret"


def test_comparing_a_marking_with_a_non_string_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        assert Marking.SECRET < 3


@pytest.mark.parametrize("name", ["top secret", "Secret", ""])
def test_an_unknown_marking_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown marking"):
        parse_marking(name)
    with pytest.raises(ValueError, match="unknown marking"):
        rank(name)


def test_the_highest_marking_wins_and_none_inherits() -> None:
    assert max_marking("restricted", None, "confidential", "public") is Marking.CONFIDENTIAL
    assert max_marking(None, None) is Marking.PUBLIC
    assert max_marking() is Marking.PUBLIC


@pytest.mark.parametrize(
    ("clearance", "marking", "expected"),
    [
        ("public", "public", True),
        ("public", "restricted", False),
        ("confidential", "restricted", True),
        ("confidential", "confidential", True),
        ("confidential", "secret", False),
        ("secret", "secret", True),
    ],
)
def test_a_clearance_reads_markings_at_or_below_it(clearance: str, marking: str, expected: bool) -> None:
    assert clears(clearance, marking) is expected


@pytest.mark.parametrize(
    ("clearance", "role", "is_party", "marking", "expected"),
    [
        ("public", Role.SUPPLIER, False, "public", True),  # public data is for everyone
        ("secret", Role.SUPPLIER, True, "secret", True),  # a cleared party
        ("secret", Role.BUYER, False, "restricted", False),  # cleared, but no need to know
        ("restricted", Role.BUYER, True, "confidential", False),  # a party, but not cleared
        ("confidential", Role.AUDITOR, False, "confidential", True),  # a cleared auditor
        ("restricted", Role.AUDITOR, False, "secret", False),  # an auditor without clearance
        ("secret", Role.ADMIN, False, "restricted", False),
    ],
)
def test_full_data_needs_clearance_and_need_to_know(
    clearance: str, role: Role, is_party: bool, marking: str, expected: bool
) -> None:
    assert viewer_sees_full(clearance=clearance, role=role, is_party=is_party, marking=marking) is expected
