"""Compile OCDS 1.1 records from releases by the standard's merge routine.

The routine (OCDS 1.1 "Merging", https://standard.open-contracting.org/1.1/en/schema/merging/): sort the releases
by `date`; drop the fields that set `omitWhenMerged` (`id`, `date`, `tag`); for every other field take the most
recent value. Objects merge field by field. An array of objects merges by the objects' `id` ("identifier
merge": same id -> same object, new id -> appended), unless the schema sets `wholeListMerge`, in which case --
and for any array holding non-objects -- the whole array is the value. A `null` value removes the field. Empty
objects and arrays carry no values, so they change nothing.

It is implemented as flatten -> update -> unflatten over JSON paths in which each member of an identifier-merged
array is named by its `id`, the same shape as the reference implementation (open-contracting/ocds-merge, which
ocdskit uses), so both give the same compiled release: tests compare them. Like the reference, a `null` removes
a leaf; a `null` in place of a whole object or array removes nothing already set beneath it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import count
from operator import itemgetter
from typing import Any

Json = dict[str, Any]

# Fields that set "omitWhenMerged": true in the 1.1.5 release schema.
OMIT_WHEN_MERGED: frozenset[tuple[str, ...]] = frozenset({("id",), ("date",), ("tag",)})

_ORGANIZATION_REFERENCES = (
    ("buyer",),
    ("parties",),
    ("tender", "procuringEntity"),
    ("tender", "tenderers"),
    ("awards", "suppliers"),
    ("contracts", "implementation", "transactions", "payer"),
    ("contracts", "implementation", "transactions", "payee"),
    ("bids", "details", "tenderers"),  # bids extension
    ("tender", "enquiries", "author"),  # enquiries extension
)
_ITEM_ARRAYS = (("tender", "items"), ("awards", "items"), ("contracts", "items"))
_AMENDED = ("tender", "awards", "contracts")

# Arrays merged as a whole, as field paths without array positions: those that set "wholeListMerge": true, those
# whose objects have no `id` in the schema (the deprecated Amendment.changes) and those of non-objects. Any array
# holding a non-object is a literal anyway; listing an array matters for an empty one, which then replaces the
# earlier value instead of being ignored. Derived from the 1.1.5 release schema patched with the extensions we
# declare; a test recomputes the core part from the schema.
WHOLE_LIST_MERGE: frozenset[tuple[str, ...]] = frozenset(
    {(*ref, "additionalIdentifiers") for ref in _ORGANIZATION_REFERENCES}
    | {(*items, "additionalClassifications") for items in _ITEM_ARRAYS}
    | {(section, field, "changes") for section in _AMENDED for field in ("amendment", "amendments")}
    | {
        ("parties", "roles"),
        ("relatedProcesses", "relationship"),
        ("contracts", "relatedProcesses", "relationship"),
        ("tender", "additionalProcurementCategories"),
        ("tender", "submissionMethod"),
        ("awards", "relatedLots"),  # lots extension
        ("bids", "details", "relatedLots"),  # lots extension
    }
)


@dataclass(frozen=True)
class _Member:
    """A path step naming one object of an identifier-merged array by its `id` (or by a unique token)."""

    key: str
    has_id: bool
    original: Any = None


Path = tuple["str | _Member", ...]
_tokens = count()


def _member(obj: Json) -> _Member:
    if "id" in obj:
        # The reference implementation keys on str(id), so 1 and "1" name the same object; keep the first id.
        return _Member(str(obj["id"]), True, obj["id"])
    return _Member(f"\x00{next(_tokens)}", False)  # no id: always a new object


def _is_literal(rule_path: tuple[str, ...], value: Any) -> bool:
    if rule_path in WHOLE_LIST_MERGE or not isinstance(value, dict | list):
        return True
    return isinstance(value, list) and any(not isinstance(v, dict) for v in value)


def flatten(
    obj: Json, rule_path: tuple[str, ...] = (), path: Path = (), out: dict[Path, Any] | None = None
) -> dict[Path, Any]:
    """The object's values keyed by JSON path, array members named by `id`; omitted fields dropped."""
    out = {} if out is None else out
    for key, val in obj.items():
        field_rule = (*rule_path, key)
        if field_rule in OMIT_WHEN_MERGED:
            continue
        if _is_literal(field_rule, val):
            out[(*path, key)] = val
        elif isinstance(val, dict):
            if val:
                flatten(val, field_rule, (*path, key), out)
        else:
            for member in val:
                flatten(member, field_rule, (*path, key, _member(member)), out)
    return out


def unflatten(flat: dict[Path, Any]) -> Json:
    """Rebuild the JSON object from flattened paths, leaving out null values."""
    root: Json = {}
    members: dict[Path, Json] = {}
    for path, leaf in flat.items():
        node: Any = root
        for depth, step in enumerate(path, 1):
            if isinstance(step, _Member):
                where = path[:depth]
                if where not in members:
                    members[where] = {"id": step.original} if step.has_id else {}
                    if not isinstance(node, list):
                        raise ValueError(f"/{'/'.join(map(str, path[: depth - 1]))} is an array in one release only")
                    node.append(members[where])
                node = members[where]
            elif not isinstance(node, dict):
                raise ValueError(f"/{'/'.join(map(str, path[: depth - 1]))} is an object in one release only")
            elif step in node:
                node = node[step]
            elif depth < len(path):
                node[step] = [] if isinstance(path[depth], _Member) else {}
                node = node[step]
            elif leaf is not None:
                node[step] = leaf
    return root


def sorted_releases(releases: Iterable[Json]) -> list[Json]:
    """Releases in merge order: by `date` (the strings, as the reference does), ties kept in the given order."""
    return sorted(releases, key=itemgetter("date"))


def compiled_release(releases: Sequence[Json]) -> Json:
    """The compiled release: the latest value of every field, tagged "compiled", dated like the latest release."""
    if not releases:
        raise ValueError("a compiled release needs at least one release")
    ordered = sorted_releases(releases)
    ocids = {r["ocid"] for r in ordered}
    if len(ocids) != 1:
        raise ValueError(f"releases of several processes cannot be merged: {sorted(ocids)}")
    flat: dict[Path, Any] = {}
    for r in ordered:
        flatten(r, out=flat)
    latest = ordered[-1]
    compiled = {"tag": ["compiled"], "id": f"{latest['ocid']}-{latest['date']}", "date": latest["date"]}
    return {**compiled, **unflatten(flat)}


def record(releases: Sequence[Json], *, package_uri: str | None = None) -> Json:
    """An OCDS record: the releases (embedded, or linked into ``package_uri`` when given) and the compiled release."""
    ordered = sorted_releases(releases)
    compiled = compiled_release(ordered)
    if package_uri is None:
        listed: list[Json] = list(ordered)
    else:
        listed = [{"url": f"{package_uri}#{r['id']}", "date": r["date"], "tag": r["tag"]} for r in ordered]
    return {"ocid": compiled["ocid"], "releases": listed, "compiledRelease": compiled}
