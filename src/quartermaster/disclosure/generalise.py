"""Generalisers: publish a coarser truth instead of the exact value (a CPV code's division, a quantity's order of
magnitude, an address's region, a date's month, an organization's alias).

A generaliser gets the member's key, its value and a ``GeneraliseContext``, and returns the members to put in the
parent object in its place: usually ``{key: coarser value}``, ``{}`` to withhold. Every output is built fresh from
the pieces a generaliser names, so anything else inside the value (an unexpected field, a wrong shape) is dropped:
generalisers fail closed too. Every output stays valid against the OCDS 1.1.5 release schema.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from hashlib import sha256
from types import MappingProxyType
from typing import Any, Final

from quartermaster.codelists import CodeLists

Members = dict[str, Any]

_CPV: Final = re.compile(r"([0-9]{2})[0-9]{6}(-[0-9])?")


@dataclass(frozen=True)
class GeneraliseContext:
    """What generalisers may know besides the value: the CPV list and organization aliases.

    ``aliases`` maps an organization's party id to the alias it is published under; ``buyer_id`` is the party id
    of the release's buyer.
    """

    codelists: CodeLists | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    buyer_id: str | None = None


@dataclass(frozen=True)
class Generaliser:
    """A named generaliser. ``passes`` lists the members of the input it may copy verbatim (documentation, and
    what the canary tests allow); ``description`` says what the public sees."""

    name: str
    apply: Callable[[str, Any, GeneraliseContext], Members]
    description: str
    passes: tuple[str, ...] = ()


def cpv_division(key: str, value: Any, ctx: GeneraliseContext) -> Members:
    """A CPV code (``35330000-6``) -> its division (``35000000-4`` when the CPV list is loaded, else ``35000000``).

    CPV check digits do not follow their documented formula (see ``codelists.checks``), so a division's check digit
    comes only from the loaded list; without it the eight digits are published, which Classification.id allows.
    """
    if not isinstance(value, str) or not (match := _CPV.fullmatch(value)):
        return {}
    code8 = f"{match.group(1)}000000"
    entry = ctx.codelists.cpv_by_code8.get(code8) if ctx.codelists is not None else None
    return {key: entry.code if entry is not None else code8}


def quantity_range(key: str, value: Any, ctx: GeneraliseContext) -> Members:
    """A quantity -> its decimal order of magnitude, published as ``<key>Range: {"atLeast": a, "lessThan": b}``.

    ``quantity`` is a JSON number in OCDS, so a range cannot take its place; the range gets its own member (the
    release schema allows additional properties) and ``quantity`` itself is withheld. 2.5 -> [1, 10);
    100000 -> [100000, 1000000); anything below 1 -> [0, 1). Not a finite non-negative number: withheld.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return {}
    exact = Decimal(str(value))  # the shortest repr: 2.5 stays 2.5, not 2.5000000000000000001
    if not exact.is_finite() or exact < 0:
        return {}
    if exact < 1:
        low, high = 0, 1
    else:
        magnitude = exact.adjusted()  # the exponent of the leading digit: 100000 -> 5, 2.5 -> 0
        low, high = 10**magnitude, 10 ** (magnitude + 1)
    return {f"{key}Range": {"atLeast": low, "lessThan": high}}


def address_region(key: str, value: Any, ctx: GeneraliseContext) -> Members:
    """An Address -> only its region and country (street, locality and postal code locate a site or a unit)."""
    if not isinstance(value, dict):
        return {}
    kept = {name: value[name] for name in ("region", "countryName") if isinstance(value.get(name), str)}
    return {key: kept} if kept else {}


def month(key: str, value: Any, ctx: GeneraliseContext) -> Members:
    """An RFC 3339 date-time -> the first instant of its UTC month (``2026-03-04T21:00:00Z`` -> ``2026-03-01...``)."""
    if not isinstance(value, str):
        return {}
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return {}
    if moment.tzinfo is None:
        return {}
    moment = moment.astimezone(UTC)
    return {key: f"{moment.year:04d}-{moment.month:02d}-01T00:00:00Z"}


def alias(key: str, value: Any, ctx: GeneraliseContext) -> Members:
    """An organization's party id -> its alias in this process (the same alias wherever the id is referenced)."""
    if not isinstance(value, str) or value not in ctx.aliases:
        return {}
    return {key: ctx.aliases[value]}


def alias_unless_buyer(key: str, value: Any, ctx: GeneraliseContext) -> Members:
    """The buyer's party id as it is; any other organization's party id -> its alias."""
    if ctx.buyer_id is not None and value == ctx.buyer_id:
        return {key: value}
    return alias(key, value, ctx)


def organization_alias(ocid: str, party_id: str, key: bytes) -> str:
    """The stable alias of an organization in one process: ``party-`` + 16 hex digits of HMAC-SHA256.

    Keyed, so nobody can test guesses (an 8-digit EDRPOU code has only 10**8 values); scoped by the ocid, so one
    supplier's processes cannot be linked through its alias.
    """
    digest = hmac.new(key, f"{ocid}\x00{party_id}".encode(), sha256).hexdigest()
    return f"party-{digest[:16]}"


GENERALISERS: Final[Mapping[str, Generaliser]] = MappingProxyType(
    {
        g.name: g
        for g in (
            Generaliser("cpv_division", cpv_division, "a CPV code as the code of its division"),
            Generaliser("quantity_range", quantity_range, "a quantity as <key>Range {atLeast, lessThan}, x10 wide"),
            Generaliser(
                "address_region", address_region, "an address as its region and country", ("region", "countryName")
            ),
            Generaliser("month", month, "a date-time as the first instant of its month"),
            Generaliser("alias", alias, "an organization's id as its alias in this process"),
            Generaliser("alias_unless_buyer", alias_unless_buyer, "the buyer's id as is, any other as its alias"),
        )
    }
)
