"""Where a field sits: the markings of a process and its parts, and which contract's signature starts its clock.

The effective marking of a field is the highest of the process's marking and the markings of the parts it sits in:

* a lot (``tender.lots[]``), and what belongs to one lot: its items (``relatedLot``), enquiries, bids and awards
  (``relatedLots``) and the contracts made from those awards;
* an item (``tender.items[]``, and any ``items[]`` whose id is marked: give contract items the marking of the
  tender item they price), a document (any ``documents[]``) and a contract (``contracts[]``);
* an award also carries the markings of its contracts, and a bid those of the awards made on it: an award's value
  is its contract's value, a winning bid's value is the award's;
* an organization (``parties[]``, ``tender.tenderers[]``) carries the markings of every award, bid and contract
  that names it, except the buyer, whose identity is the process's own;
* totals over the whole process (``tender.value``, ``planning.budget.amount``, ``tender.numberOfTenderers``) carry
  the highest marking of any lot, item or contract, since a public total minus the public parts is the secret part.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Final

from quartermaster.disclosure.markings import Marking, max_marking, parse_marking

Json = dict[str, Any]

# Keys under which OCDS puts OrganizationReferences (a single one or a list).
ORGANIZATION_KEYS: Final = frozenset({"buyer", "procuringEntity", "tenderers", "suppliers", "payer", "payee"})
TOTALS: Final = frozenset({"tender.value", "planning.budget.amount", "tender.numberOfTenderers"})


@dataclass(frozen=True)
class Classification:
    """The secret facts about one process that decide its projection; the publisher loads them with the process.

    ``marking`` is the process's; ``lots``, ``items``, ``documents`` and ``contracts`` map ids to markings (None:
    inherits); ``signed`` maps contract ids to their signature moments; from ``declassify_on`` (00:00 UTC) the
    policy's ``declassification`` rules apply.
    """

    marking: str = "public"
    lots: Mapping[str, str | None] = field(default_factory=dict)
    items: Mapping[str, str | None] = field(default_factory=dict)
    documents: Mapping[str, str | None] = field(default_factory=dict)
    contracts: Mapping[str, str | None] = field(default_factory=dict)
    signed: Mapping[str, datetime] = field(default_factory=dict)
    declassify_on: date | None = None

    def __post_init__(self) -> None:
        parse_marking(self.marking)
        for table in (self.lots, self.items, self.documents, self.contracts):
            max_marking(*table.values())  # ValueError on an unknown marking
        for contract_id, moment in self.signed.items():
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"signature of contract {contract_id} must be timezone-aware, got {moment}")

    @property
    def declassified_at(self) -> datetime | None:
        """The moment of declassification: 00:00 UTC of ``declassify_on``."""
        return None if self.declassify_on is None else datetime.combine(self.declassify_on, time(0), tzinfo=UTC)


def signatures_in(release: Json) -> dict[str, datetime]:
    """Contract id -> signature moment, read from the (full) release's ``contracts[].dateSigned``."""
    out = {}
    for contract in _objects(release.get("contracts")):
        signed, cid = contract.get("dateSigned"), contract.get("id")
        if isinstance(signed, str) and isinstance(cid, str):
            out[cid] = datetime.fromisoformat(signed).astimezone(UTC)
    return out


def _objects(value: Any) -> list[Json]:
    """The objects of an array (anything else: none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def organization_ids(node: Any) -> Iterator[str]:
    """Every organization id referenced in ``node`` (OrganizationReferences under the usual keys), in order."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ORGANIZATION_KEYS:
                for ref in [value] if isinstance(value, dict) else _objects(value):
                    yield from _strings(ref.get("id"))
            yield from organization_ids(value)
    elif isinstance(node, list):
        for value in node:
            yield from organization_ids(value)


class Scope:
    """The markings of one release's parts and the contracts whose signatures time them."""

    def __init__(self, release: Json, classification: Classification) -> None:
        self.process = parse_marking(classification.marking)
        self._c = classification
        awards, contracts = _objects(release.get("awards")), _objects(release.get("contracts"))
        bids = _objects(release.get("bids", {}).get("details")) if isinstance(release.get("bids"), dict) else []
        award_lots = {a["id"]: _strings(a.get("relatedLots")) for a in awards if isinstance(a.get("id"), str)}

        self.contracts_of_award: dict[str, list[str]] = {}
        self.contract: dict[str, Marking] = {}
        for c in contracts:
            cid, aid = c.get("id"), c.get("awardID")
            if isinstance(cid, str):
                lots = award_lots.get(aid, []) if isinstance(aid, str) else []
                self.contract[cid] = max_marking(classification.contracts.get(cid), *map(self.lot, lots))
                if isinstance(aid, str):
                    self.contracts_of_award.setdefault(aid, []).append(cid)
        self.award = {
            aid: max_marking(*map(self.lot, lots), *(self.contract[c] for c in self.contracts_of_award.get(aid, [])))
            for aid, lots in award_lots.items()
        }
        self.bid: dict[str, Marking] = {}
        for b in bids:
            if isinstance(b.get("id"), str):
                won = [self.award[a["id"]] for a in awards if a.get("relatedBid") == b["id"] and a["id"] in self.award]
                self.bid[b["id"]] = max_marking(*map(self.lot, _strings(b.get("relatedLots"))), *won)

        buyer = release.get("buyer")
        self.buyer_id = buyer.get("id") if isinstance(buyer, dict) and isinstance(buyer.get("id"), str) else None
        self.organization: dict[str, Marking] = {}
        for table, elements in ((self.award, awards), (self.bid, bids), (self.contract, contracts)):
            for element in elements:
                for org in organization_ids(element):
                    if org != self.buyer_id and isinstance(element.get("id"), str):
                        self.organization[org] = max_marking(self.organization.get(org), table[element["id"]])
        parts = [*classification.lots.values(), *classification.items.values(), *self.contract.values()]
        self.highest = max_marking(self.process, *parts)
        self._prices = self._prices_of(contracts)

    def _prices_of(self, contracts: list[Json]) -> dict[int, Marking]:
        """Unit prices of contract lines that share a contract with a marked line, by ``id()`` of the price node.

        A contract's value is public with its lot, and so are its public lines' prices: the marked line's price
        would be their difference. So every line price of such a contract carries the highest marking of its lines
        (keyed by node identity, because a price object has no id of its own; the release is not modified while
        it is projected).
        """
        prices: dict[int, Marking] = {}
        for c in contracts:
            lines = [i for i in _objects(c.get("items")) if isinstance(i.get("id"), str)]
            marking = max_marking(*(self._c.items.get(i["id"]) for i in lines))
            if marking is Marking.PUBLIC:
                continue
            for line in lines:
                unit = line.get("unit")
                if isinstance(unit, dict) and isinstance(unit.get("value"), dict):
                    prices[id(unit["value"])] = marking
        return prices

    def lot(self, lot_id: str) -> Marking:
        """A lot's own marking (public when unmarked)."""
        return max_marking(self._c.lots.get(lot_id))

    def marking_at(self, path: str, node: Any) -> Marking | None:
        """The marking the node at ``path`` carries itself (None: it is no marked part and inherits)."""
        if path in TOTALS:
            return self.highest
        if id(node) in self._prices:
            return self._prices[id(node)]
        if not path.endswith("[]") or not isinstance(node, dict) or not isinstance(node.get("id"), str):
            return None
        ident: str = node["id"]
        lot_of = max_marking(*map(self.lot, _strings(node.get("relatedLot"))))
        by_path: dict[str, Marking | None] = {
            "tender.lots[]": self.lot(ident),
            "tender.items[]": max_marking(self._c.items.get(ident), lot_of),
            "tender.enquiries[]": lot_of,
            "bids.details[]": self.bid.get(ident),
            "awards[]": self.award.get(ident),
            "contracts[]": self.contract.get(ident),
            "parties[]": self.organization.get(ident),
            "tender.tenderers[]": self.organization.get(ident),
        }
        if path in by_path:
            return by_path[path]
        if path.endswith("items[]"):
            return max_marking(self._c.items.get(ident))
        if path.endswith("documents[]"):
            return max_marking(self._c.documents.get(ident))
        return None

    def contracts_at(self, path: str, node: Any) -> tuple[str, ...] | None:
        """The contracts whose signature times the fields of a ``contracts[]`` or ``awards[]`` element, else None."""
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            return None
        if path == "contracts[]":
            return (node["id"],)
        if path == "awards[]":
            return tuple(self.contracts_of_award.get(node["id"], ()))
        return None

    def signed(self, contract_id: str) -> datetime | None:
        """When a contract was signed, if it was."""
        return self._c.signed.get(contract_id)
