"""Security markings as an ordered enum, clearance checks, and who may see a process in full.

The scale is ``quartermaster.types.MARKINGS`` (public < restricted < confidential < secret); the national and NATO
names of each step live in the disclosure policy file, because which national marking corresponds to which step is a
legal decision, not a code one.
"""

from __future__ import annotations

from enum import StrEnum

from quartermaster.actors import Role
from quartermaster.types import marking_rank


class Marking(StrEnum):
    """A security marking; members compare by rank (``Marking.PUBLIC < Marking.SECRET``) and equal their names.

    Comparing with a string compares with the marking it names; a string naming no marking raises ValueError.
    """

    PUBLIC = "public"
    RESTRICTED = "restricted"
    CONFIDENTIAL = "confidential"
    SECRET = "secret"  # noqa: S105 - a marking's name, not a password

    @property
    def rank(self) -> int:
        """Position on the scale, public = 0."""
        return marking_rank(self.value)

    # StrEnum compares as str (alphabetically); markings must compare by rank instead.
    def __lt__(self, other: object) -> bool:
        return self.rank < parse_marking(other).rank if isinstance(other, str) else NotImplemented

    def __le__(self, other: object) -> bool:
        return self.rank <= parse_marking(other).rank if isinstance(other, str) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return self.rank > parse_marking(other).rank if isinstance(other, str) else NotImplemented

    def __ge__(self, other: object) -> bool:
        return self.rank >= parse_marking(other).rank if isinstance(other, str) else NotImplemented


def parse_marking(value: str) -> Marking:
    """The Marking named ``value`` (our own names only); ValueError naming the scale for anything else."""
    marking_rank(value)  # the one place that knows the scale raises the ValueError
    return Marking(value)


def rank(marking: str) -> int:
    """Position of a marking on the scale (public = 0); ValueError for an unknown one."""
    return marking_rank(marking)


def max_marking(*markings: str | None) -> Marking:
    """The highest of some markings (None = inherits, ignored); public when none is given."""
    return max((parse_marking(m) for m in markings if m is not None), default=Marking.PUBLIC)


def clears(clearance: str, marking: str) -> bool:
    """True when a holder of ``clearance`` may read information marked ``marking`` (at or above it)."""
    return rank(clearance) >= rank(marking)


def viewer_sees_full(*, clearance: str, role: Role, is_party: bool, marking: str) -> bool:
    """Whether a reader sees the full data of something marked ``marking``.

    Public data is for everyone. Above public, a reader needs both clearance at or above the marking and
    need-to-know: being a party to the process (its buyer's or a supplier's staff), or being an auditor.
    """
    if parse_marking(marking) is Marking.PUBLIC:
        return True
    return clears(clearance, marking) and (is_party or role is Role.AUDITOR)
