"""The one projection: a full OCDS release -> what the public may see of it now, under the disclosure policy.

Everything that leaves the system for the public goes through ``project``. It walks the release once; at every
field it takes the field's effective marking (``scope``), and above public applies the most revealing rule of that
marking in force at ``at``. A field no rule names is withheld (fail closed), so a field nobody thought of never
leaks; a container is only entered when some rule names something inside it.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from quartermaster.codelists import CodeLists
from quartermaster.disclosure.generalise import GeneraliseContext, organization_alias
from quartermaster.disclosure.markings import Marking
from quartermaster.disclosure.policy import ROOT, Policy, Rule, ancestor_paths
from quartermaster.disclosure.scope import Classification, Json, Scope, organization_ids
from quartermaster.rules import PeriodRule, WorkCalendar, rulebook_for


class _Missing:
    """Marks a withheld node while walking (None is a JSON value and cannot serve)."""


_MISSING: Final = _Missing()


@dataclass(frozen=True)
class Projection:
    """A projected release. ``complete``: nothing was withheld or generalised (the release is the full release).
    ``next_change``: the earliest moment after ``at`` at which the projection would show more, if any is known."""

    release: Json
    complete: bool
    next_change: datetime | None


def project(
    release: Json,
    classification: Classification,
    policy: Policy,
    *,
    at: datetime,
    calendar: WorkCalendar | None = None,
    codelists: CodeLists | None = None,
    alias_key: bytes | None = None,
) -> Projection:
    """The public projection of ``release`` at moment ``at``; the input is never modified.

    ``calendar`` counts the working days after a signature (default: the calendar of the rulebook in force at the
    signature). ``codelists`` lets a CPV division carry its check digit. ``alias_key`` keys organization aliases so
    they stay the same across a process's releases; without it aliases are numbered by order of appearance.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"at must be timezone-aware, got {at.isoformat()}")
    walker = _Walker(release, classification, policy, calendar, codelists, alias_key)
    out, pending = walker.run(at)  # a new structure: containers are rebuilt, only immutable scalars are shared
    if out == release:
        return Projection(out, True, None)
    return Projection(out, False, walker.next_change(at, out, pending))


def _aliases(release: Json, alias_key: bytes | None) -> dict[str, str]:
    """Party id -> alias for every organization the release names (parties first, then references)."""
    ocid = release["ocid"] if isinstance(release.get("ocid"), str) else ""
    ids = [p["id"] for p in release.get("parties", []) if isinstance(p, dict) and isinstance(p.get("id"), str)]
    ordered = list(dict.fromkeys([*ids, *organization_ids(release)]))
    if alias_key is None:
        return {org: f"party-{n}" for n, org in enumerate(ordered, start=1)}
    return {org: organization_alias(ocid, org, alias_key) for org in ordered}


class _Walker:
    """One release, one classification, one policy; ``run(at)`` projects at a moment."""

    def __init__(
        self,
        release: Json,
        classification: Classification,
        policy: Policy,
        calendar: WorkCalendar | None,
        codelists: CodeLists | None,
        alias_key: bytes | None,
    ) -> None:
        self.release, self.policy, self.calendar = release, policy, calendar
        self.classification = classification
        self.scope = Scope(release, classification)
        self.context = GeneraliseContext(codelists, _aliases(release, alias_key), self.scope.buyer_id)
        self.at = datetime.min.replace(tzinfo=UTC)
        self.pending: set[datetime] = set()

    def run(self, at: datetime) -> tuple[Json, set[datetime]]:
        """The projection at ``at`` and the later moments at which a rule it met would take effect."""
        self.at, self.pending = at, set()
        marking = self.scope.process
        exact = marking is Marking.PUBLIC or self._is_exact(ROOT, marking, ())
        out = self._object(self.release, ROOT, marking, exact, ())
        return (out if isinstance(out, dict) else {}), self.pending

    def next_change(self, at: datetime, current: Json, pending: set[datetime]) -> datetime | None:
        """The first pending moment at which the projection differs from ``current`` (projections only widen)."""
        queue = sorted(pending)
        tried: set[datetime] = set()
        while queue:
            moment = heapq.heappop(queue)
            if moment in tried:
                continue
            tried.add(moment)
            later, more = self.run(moment)
            if later != current:
                return moment
            for m in more - tried:
                heapq.heappush(queue, m)
        return None

    # --- rules and their timing -------------------------------------------------------------------------------

    def _activation(self, rule: Rule, contracts: Sequence[str]) -> datetime | None:
        """When ``rule`` takes effect for a field timed by ``contracts``; None: not foreseeable yet."""
        timing = rule.timing
        if timing.kind == "now":
            return datetime.min.replace(tzinfo=UTC)
        if timing.kind == "declassification":
            return self.classification.declassified_at
        moments = [self.scope.signed(c) for c in contracts]
        if not moments or None in moments:
            return None  # an unsigned contract: the clock has not started
        period = PeriodRule(timing.working_days, "working")
        return max(self._calendar(m).add(m, period) for m in moments if m is not None)

    def _calendar(self, signed: datetime) -> WorkCalendar:
        return self.calendar if self.calendar is not None else rulebook_for(signed).calendar()

    def _decide(self, path: str, marking: Marking, contracts: Sequence[str]) -> Rule | None:
        """The most revealing rule for ``path`` in force now; notes when a more revealing one will be."""
        best: Rule | None = None
        later: list[tuple[datetime, Rule]] = []
        for rule in self.policy.index(marking).rules(path):
            start = self._activation(rule, contracts)
            if start is None:
                continue
            if start <= self.at:
                best = rule if best is None or rule.reveals > best.reveals else best
            else:
                later.append((start, rule))
        floor = -1 if best is None else best.reveals
        self.pending.update(start for start, rule in later if rule.reveals > floor)
        return best

    def _is_exact(self, path: str, marking: Marking, contracts: Sequence[str]) -> bool:
        rule = self._decide(path, marking, contracts)
        return rule is not None and rule.treatment == "exact"

    def _enter(
        self, path: str, node: Any, marking: Marking, exact: bool, contracts: Sequence[str]
    ) -> tuple[Marking, bool]:
        """The marking and exactness inside ``node``: a part marked higher starts over under its own rules."""
        own = self.scope.marking_at(path, node)
        if own is None or own <= marking:
            return marking, exact
        return own, any(self._is_exact(p, own, contracts) for p in ancestor_paths(path))

    # --- the walk ------------------------------------------------------------------------------------------------

    def _node(self, value: Any, path: str, marking: Marking, exact: bool, contracts: Sequence[str]) -> Any:
        if isinstance(value, dict):
            return self._object(value, path, marking, exact, contracts)
        if isinstance(value, list):
            return self._array(value, path, marking, exact, contracts)
        return value if exact else _MISSING

    def _object(self, obj: Json, path: str, marking: Marking, exact: bool, contracts: Sequence[str]) -> Any:
        out: Json = {}
        for key, value in obj.items():
            child = key if path == ROOT else f"{path}.{key}"
            inner, child_exact = self._enter(child, value, marking, exact, contracts)
            if not child_exact:
                rule = self._decide(child, inner, contracts)
                if rule is not None and rule.generaliser is not None:
                    out.update(rule.generaliser.apply(key, value, self.context))
                    continue
                child_exact = rule is not None and rule.treatment == "exact"
                if not child_exact and child not in self.policy.index(inner).below:
                    continue
            result = self._node(value, child, inner, child_exact, contracts)
            if result is not _MISSING:
                out[key] = result
        return out if out or (exact and not obj) else _MISSING

    def _array(self, items: list[Any], path: str, marking: Marking, exact: bool, contracts: Sequence[str]) -> Any:
        out: list[Any] = []
        child = f"{path}[]"
        for element in items:
            scoped = self.scope.contracts_at(child, element)
            within = contracts if scoped is None else scoped
            inner, child_exact = self._enter(child, element, marking, exact, within)
            if not child_exact:
                child_exact = self._is_exact(child, inner, within)
                if not child_exact and child not in self.policy.index(inner).below:
                    continue
            result = self._node(element, child, inner, child_exact, within)
            if result is not _MISSING:
                out.append(result)
        return out if out or (exact and not items) else _MISSING
