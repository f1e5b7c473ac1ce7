"""Releases of the sample process, canaries planted in them, and an independent reading of what the policy allows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from quartermaster.disclosure import Classification, Marking, Policy, Rule, signatures_in
from quartermaster.ocds import release
from support.ocds_objects import NAMING, change, process

CANARY = "\u2063CANARY"  # an invisible separator, then a word no real field contains
SIGNED = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)  # contract c1 of the sample (T0 + 60 h), a Wednesday
TEN_WORKING_DAYS = datetime(2026, 3, 18, 21, 0, tzinfo=UTC)  # martial law: holidays count as working days
BEFORE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
AFTER = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
CLASSIFIED = (Marking.RESTRICTED, Marking.CONFIDENTIAL, Marking.SECRET)
KEY = b"0123456789abcdef0123456789abcdef"


def full_release(seq: int = 42, **kw: str) -> dict[str, Any]:
    """The complete sample process (two lots, opened bids, an award, a signed contract with deliveries)."""
    return release(process(**kw), change(seq, 100, "ContractCompleted"), NAMING)


def classified(marking: str, rel: dict[str, Any] | None = None, **kw: Any) -> Classification:
    """The sample classified at ``marking`` with contract c1 signed at SIGNED."""
    return Classification(marking=marking, signed=signatures_in(rel or full_release()), **kw)


def plant(node: Any, canary: str = CANARY) -> Any:
    """A copy with ``canary`` appended to every string (equal strings stay equal, so id references still match)."""
    if isinstance(node, dict):
        return {k: plant(v, canary) for k, v in node.items()}
    if isinstance(node, list):
        return [plant(v, canary) for v in node]
    return f"{node}{canary}" if isinstance(node, str) else node


def strings(node: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """(path in policy syntax, value) of every string in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, key if path == "$" else f"{path}.{key}")
    elif isinstance(node, list):
        for value in node:
            yield from strings(value, f"{path}[]")
    elif isinstance(node, str):
        yield path, node


def keys(node: Any) -> Iterator[str]:
    """Every object key in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from keys(value)


def in_force(rule: Rule, at: datetime, declassified: datetime | None = None) -> bool:
    """Whether a rule is in force for the sample's contract at ``at`` (written out, not taken from the engine)."""
    if rule.timing.kind == "now":
        return True
    if rule.timing.kind == "after_signature":
        assert rule.timing.working_days == 10, "the sample's dates are worked out for 10 working days"
        return at >= TEN_WORKING_DAYS
    return declassified is not None and at >= declassified


def covers(rule_path: str, path: str) -> bool:
    """Whether ``path`` is ``rule_path`` or lies inside it."""
    return rule_path in ("$", path) or path.startswith((f"{rule_path}.", f"{rule_path}[]"))


def may_show_verbatim(
    policy: Policy, marking: Marking, path: str, value: str, at: datetime, *, buyer_id: str | None = None
) -> bool:
    """Whether the policy lets ``value`` at ``path`` through unchanged at ``marking``: an exact rule in force on it
    or above it, a generaliser that passes that member through, or the buyer's own id where the buyer is public."""
    for rule in policy.rules_for(marking):
        if not in_force(rule, at):
            continue
        if rule.treatment == "exact" and covers(rule.path, path):
            return True
        if rule.generaliser is not None:
            if any(path == f"{rule.path}.{member}" for member in rule.generaliser.passes):
                return True
            if rule.generaliser.name == "alias_unless_buyer" and path == rule.path and value == buyer_id:
                return True
    return False
