"""The disclosure policy: per marking, which fields of an OCDS release are published, how, and from when.

A policy is a versioned TOML file (``policy-<version>.toml`` in this package is the shipped one). Each rule names a
path over a release, a treatment and a timing:

* path: dotted member names, ``[]`` for "every element of this array" (``tender.items[].classification.id``);
  ``$`` is the whole release.
* treatment: ``exact`` (the value and everything inside it), ``generalise`` (a named generaliser's coarser value)
  or ``withhold`` (recorded for the reader: withholding is also what happens to any field no rule names).
* timing: ``now``; ``after_signature`` with ``working_days`` (counted from the signature of the contract the field
  belongs to, so only paths under ``contracts[]`` or ``awards[]``); ``declassification`` (the process's
  declassification date).

``always_public`` rules apply at every marking (exact, now). Where several rules name one path, the most revealing
one in force wins (exact > generalise > withhold). A rule beneath an ``exact`` or ``generalise`` rule that is in
force ``now`` could never apply, so the loader refuses it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal, get_args

from quartermaster.disclosure.generalise import GENERALISERS, Generaliser
from quartermaster.disclosure.markings import Marking

Treatment = Literal["exact", "generalise", "withhold"]
TimingKind = Literal["now", "after_signature", "declassification"]
TREATMENTS: Final[tuple[Treatment, ...]] = get_args(Treatment)
TIMINGS: Final[tuple[TimingKind, ...]] = get_args(TimingKind)
# How much a treatment reveals: the most revealing rule in force wins.
REVEALS: Final[Mapping[str, int]] = MappingProxyType({"withhold": 0, "generalise": 1, "exact": 2})

ROOT: Final = "$"
CLASSIFIED: Final[tuple[Marking, ...]] = (Marking.RESTRICTED, Marking.CONFIDENTIAL, Marking.SECRET)
SHIPPED_VERSION: Final = "2026.1"

_PATH: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[\])*(\.[A-Za-z_][A-Za-z0-9_]*(\[\])*)*")
_SIGNED_SCOPES: Final = ("contracts[]", "awards[]")
_TOP_KEYS: Final = frozenset({"version", "effective_from", "markings", "always_public", *(m.value for m in CLASSIFIED)})
_RULE_KEYS: Final = frozenset({"path", "treatment", "generaliser", "timing", "working_days", "reason"})
_ALWAYS_KEYS: Final = frozenset({"path", "reason"})


def ancestor_paths(path: str) -> list[str]:
    """Every path strictly above ``path``, outermost first: ``a.b[].c`` -> ``$``, ``a``, ``a.b``, ``a.b[]``."""
    if path == ROOT:
        return []
    out = [ROOT]
    prefix = ""
    for segment in path.split("."):
        name = segment.rstrip("[]")
        prefix = f"{prefix}.{name}" if prefix else name
        out.append(prefix)
        for _ in range((len(segment) - len(name)) // 2):
            prefix += "[]"
            out.append(prefix)
    out.pop()  # the path itself
    return out


@dataclass(frozen=True)
class Timing:
    """When a rule takes effect: ``now``, ``after_signature`` plus ``working_days``, or ``declassification``."""

    kind: TimingKind = "now"
    working_days: int = 0

    def __str__(self) -> str:
        return f"after_signature+{self.working_days}wd" if self.kind == "after_signature" else self.kind


NOW: Final = Timing()


@dataclass(frozen=True)
class Rule:
    """One line of the policy: at ``path``, apply ``treatment`` from ``timing`` on, for ``reason``."""

    path: str
    treatment: Treatment
    reason: str
    timing: Timing = NOW
    generaliser: Generaliser | None = None

    @property
    def reveals(self) -> int:
        """How much this rule reveals (exact 2 > generalise 1 > withhold 0)."""
        return REVEALS[self.treatment]


@dataclass(frozen=True)
class RuleIndex:
    """The rules that apply at one marking, by path; ``below`` holds every path some rule lies strictly under."""

    at_path: Mapping[str, tuple[Rule, ...]]
    below: frozenset[str]

    @classmethod
    def build(cls, rules: tuple[Rule, ...]) -> RuleIndex:
        """Index rules by path."""
        at_path: dict[str, tuple[Rule, ...]] = {}
        below: set[str] = set()
        for rule in rules:
            at_path[rule.path] = (*at_path.get(rule.path, ()), rule)
            below.update(ancestor_paths(rule.path))
        return cls(MappingProxyType(at_path), frozenset(below))

    def rules(self, path: str) -> tuple[Rule, ...]:
        """The rules naming exactly ``path``."""
        return self.at_path.get(path, ())


@dataclass(frozen=True)
class MarkingNames:
    """The NATO and national names of one of our markings."""

    nato: str
    national: str


@dataclass(frozen=True, eq=False)
class Policy:
    """A versioned disclosure policy. Construct with ``load_policy``; the constructor checks rule consistency."""

    version: str
    effective_from: date
    names: Mapping[Marking, MarkingNames]
    always_public: tuple[Rule, ...]
    rules: Mapping[Marking, tuple[Rule, ...]]
    source: str = "<policy>"
    _index: Mapping[Marking, RuleIndex] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for marking in CLASSIFIED:
            if marking not in self.names:
                raise ValueError(f"{self.source}: markings.{marking}: missing (needs nato and national names)")
        index = {}
        for marking in CLASSIFIED:
            rules = self.rules_for(marking)
            _check_consistent(rules, f"{self.source}: {marking}")
            index[marking] = RuleIndex.build(rules)
        object.__setattr__(self, "_index", MappingProxyType(index))

    def rules_for(self, marking: Marking) -> tuple[Rule, ...]:
        """Every rule that applies at ``marking`` (the always-public ones first); none at public (all is exact)."""
        if marking is Marking.PUBLIC:
            return ()
        return (*self.always_public, *self.rules.get(marking, ()))

    def index(self, marking: Marking) -> RuleIndex:
        """The rules of a classified marking, indexed by path."""
        return self._index[marking]

    def marking_named(self, name: str) -> Marking:
        """Our marking for one of our names, a NATO name or a national name (exact spelling, case-insensitive)."""
        wanted = name.strip().casefold()
        for marking in Marking:
            if wanted == marking.value:
                return marking
        for marking, names in self.names.items():
            if wanted in (names.nato.casefold(), names.national.casefold()):
                return marking
        raise ValueError(f"{name!r} is not a marking known to disclosure policy {self.version}")


def _check_consistent(rules: tuple[Rule, ...], where: str) -> None:
    seen: dict[tuple[str, Timing], Rule] = {}
    generalised: dict[str, Rule] = {}
    final = {r.path: r for r in rules if r.timing == NOW and r.treatment != "withhold"}
    for rule in rules:
        if (rule.path, rule.timing) in seen:
            raise ValueError(f"{where}: two rules for {rule.path} with timing {rule.timing}")
        seen[(rule.path, rule.timing)] = rule
        if rule.treatment == "generalise":
            if rule.path in generalised:
                raise ValueError(f"{where}: two generalise rules for {rule.path}; keep one")
            generalised[rule.path] = rule
        for above in ancestor_paths(rule.path):
            if above in final:
                raise ValueError(
                    f"{where}: rule for {rule.path} can never apply: {above} is already {final[above].treatment} now"
                )


# --- loading -------------------------------------------------------------------------------------------------------


def load_policy(path: Path | None = None) -> Policy:
    """The policy in the TOML file at ``path``; ``None`` loads the shipped ``policy-2026.1.toml`` (cached).

    A malformed file raises ``ValueError`` naming the file, the table entry and its line.
    """
    if path is None:
        return _shipped()
    return parse_policy(path.read_text(encoding="utf-8"), origin=str(path))


@cache
def _shipped() -> Policy:
    name = f"policy-{SHIPPED_VERSION}.toml"
    text = resources.files("quartermaster.disclosure").joinpath(name).read_text(encoding="utf-8")
    return parse_policy(text, origin=name)


def parse_policy(text: str, *, origin: str = "<policy>") -> Policy:
    """Parse and check the text of a policy file; ``origin`` names it in error messages."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{origin}: not valid TOML: {exc}") from exc
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise ValueError(f"{origin}: unknown top-level key(s) {', '.join(unknown)}; expected {sorted(_TOP_KEYS)}")
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        raise ValueError(f"{origin}: version: must be a non-empty string")
    effective_from = raw.get("effective_from")
    if not isinstance(effective_from, date):
        raise ValueError(f"{origin}: effective_from: must be a TOML date (2026-03-01)")
    lines = _entry_lines(text)
    names = _names(raw.get("markings"), origin)
    always = tuple(
        _rule(entry, f"{origin}:{lines('always_public', n)}: always_public[{n}]", always=True)
        for n, entry in enumerate(_entries(raw, "always_public", origin))
    )
    rules = {
        marking: tuple(
            _rule(entry, f"{origin}:{lines(marking.value, n)}: {marking}[{n}]", always=False)
            for n, entry in enumerate(_entries(raw, marking.value, origin))
        )
        for marking in CLASSIFIED
    }
    return Policy(version, effective_from, names, always, MappingProxyType(rules), origin)


def _entry_lines(text: str) -> Callable[[str, int], str]:
    """A function (table name, n) -> the line number of the n-th ``[[table]]`` header, for error messages."""
    headers: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if match := re.match(r"\s*\[\[\s*([A-Za-z_]+)\s*\]\]", line):
            headers.setdefault(match.group(1), []).append(number)

    def line_of(table: str, n: int) -> str:
        found = headers.get(table, [])
        return str(found[n]) if n < len(found) else "?"

    return line_of


def _entries(raw: Mapping[str, Any], key: str, origin: str) -> list[dict[str, Any]]:
    entries = raw.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"{origin}: {key}: must be an array of tables ([[{key}]])")
    return entries


def _names(raw: Any, origin: str) -> Mapping[Marking, MarkingNames]:
    if not isinstance(raw, dict):
        raise ValueError(f"{origin}: markings: missing table [markings.<marking>] with nato and national names")
    out: dict[Marking, MarkingNames] = {}
    for key, body in raw.items():
        where = f"{origin}: markings.{key}"
        if key not in CLASSIFIED:
            raise ValueError(f"{where}: not a classified marking; expected one of {', '.join(CLASSIFIED)}")
        if not isinstance(body, dict) or set(body) != {"nato", "national"}:
            raise ValueError(f"{where}: needs exactly the keys nato and national")
        if not all(isinstance(v, str) and v for v in body.values()):
            raise ValueError(f"{where}: nato and national must be non-empty strings")
        out[Marking(key)] = MarkingNames(nato=body["nato"], national=body["national"])
    return MappingProxyType(out)


def _rule(entry: dict[str, Any], where: str, *, always: bool) -> Rule:
    allowed = _ALWAYS_KEYS if always else _RULE_KEYS
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    path = entry.get("path")
    if not isinstance(path, str) or not (path == ROOT or _PATH.fullmatch(path)):
        raise ValueError(f"{where}: path: {path!r} is not a path like tender.items[].classification.id (or $)")
    where = f"{where} ({path})"
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"{where}: reason: every rule must say why, in a non-empty string")
    if always:
        return Rule(path, "exact", reason.strip())
    treatment = entry.get("treatment")
    if treatment not in TREATMENTS:
        raise ValueError(f"{where}: treatment: {treatment!r}; expected one of {', '.join(TREATMENTS)}")
    return Rule(path, treatment, reason.strip(), _timing(entry, path, where), _generaliser(entry, path, where))


def _timing(entry: dict[str, Any], path: str, where: str) -> Timing:
    kind = entry.get("timing", "now")
    if kind not in TIMINGS:
        raise ValueError(f"{where}: timing: {kind!r}; expected one of {', '.join(TIMINGS)}")
    days = entry.get("working_days")
    if kind != "after_signature":
        if days is not None:
            raise ValueError(f"{where}: working_days: only an after_signature timing counts working days")
        return Timing(kind)
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"{where}: working_days: after_signature needs a whole number of days >= 0, got {days!r}")
    if not any(path == scope or path.startswith(f"{scope}.") for scope in _SIGNED_SCOPES):
        raise ValueError(f"{where}: timing: after_signature applies only under {' or '.join(_SIGNED_SCOPES)}")
    return Timing("after_signature", days)


def _generaliser(entry: dict[str, Any], path: str, where: str) -> Generaliser | None:
    name = entry.get("generaliser")
    if entry.get("treatment") != "generalise":
        if name is not None:
            raise ValueError(f"{where}: generaliser: only a generalise treatment names a generaliser")
        return None
    if not isinstance(name, str) or name not in GENERALISERS:
        raise ValueError(f"{where}: generaliser: {name!r}; known: {', '.join(GENERALISERS)}")
    if path == ROOT or path.endswith("[]"):
        raise ValueError(f"{where}: a generaliser replaces a member of an object; {path} is not one")
    return GENERALISERS[name]
