"""The policy file: the shipped one is complete and sound; a malformed one is refused, naming the entry and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from disclosure_samples import full_release

from quartermaster.disclosure import GENERALISERS, Marking, ancestor_paths, load_policy, parse_policy
from quartermaster.disclosure.policy import SHIPPED_VERSION
from support.ocds_schema import SCHEMA_DIR, needs_schema

POLICY = load_policy()

HEAD = 'version = "t"\neffective_from = 2026-01-01\n'
NAMES = """
[markings.restricted]
nato = "R"
national = "r"
[markings.confidential]
nato = "C"
national = "c"
[markings.secret]
nato = "S"
national = "s"
"""


def _rule(**fields: Any) -> str:
    body = "\n".join(f"{k} = {json.dumps(v)}" for k, v in fields.items())
    return f"\n[[restricted]]\n{body}\n"


GOOD = _rule(path="tender.id", treatment="exact", reason="r")


def test_the_shipped_policy_loads_with_its_version_and_marking_names() -> None:
    assert POLICY.version == SHIPPED_VERSION
    assert POLICY.source == f"policy-{SHIPPED_VERSION}.toml"
    assert POLICY.names[Marking.SECRET].nato == "NATO SECRET"
    assert POLICY.names[Marking.RESTRICTED].national == "Для службового користування"
    assert load_policy() is POLICY  # cached


@pytest.mark.parametrize(
    ("name", "marking"),
    [
        ("NATO CONFIDENTIAL", Marking.CONFIDENTIAL),
        ("nato restricted", Marking.RESTRICTED),
        ("Цілком таємно", Marking.SECRET),
        ("Таємно", Marking.CONFIDENTIAL),
        (" secret ", Marking.SECRET),
        ("public", Marking.PUBLIC),
    ],
)
def test_national_and_nato_names_map_to_our_markings(name: str, marking: Marking) -> None:
    assert POLICY.marking_named(name) is marking


def test_an_unknown_marking_name_is_refused() -> None:
    with pytest.raises(ValueError, match="COSMIC TOP SECRET"):
        POLICY.marking_named("COSMIC TOP SECRET")


def test_every_shipped_rule_says_why() -> None:
    rules = [r for m in Marking for r in POLICY.rules_for(m)]
    assert len(rules) > 100
    assert all(len(r.reason) > 10 for r in rules)
    assert POLICY.rules_for(Marking.PUBLIC) == ()


@pytest.mark.parametrize("marking", [Marking.RESTRICTED])
def test_unit_price_and_item_code_of_non_secret_contracts_are_due_ten_working_days_after_signature(
    marking: Marking,
) -> None:
    due = {
        r.path
        for r in POLICY.rules_for(marking)
        if r.treatment == "exact" and r.timing.kind == "after_signature" and r.timing.working_days == 10
    }
    assert {"contracts[].items[].unit.value.amount", "contracts[].items[].classification.id"} <= due


def test_every_classified_marking_is_published_in_full_at_declassification() -> None:
    for marking in (Marking.RESTRICTED, Marking.CONFIDENTIAL, Marking.SECRET):
        rules = POLICY.index(marking).rules("$")
        assert [(r.treatment, r.timing.kind) for r in rules] == [("exact", "declassification")]


def _leaf_kinds(node: Any, path: str = "$") -> dict[str, set[str]]:
    """Path -> kinds of value found there ("object", "array of objects", "scalar", "array of scalars")."""
    found: dict[str, set[str]] = {}

    def walk(value: Any, at: str) -> None:
        if isinstance(value, dict):
            found.setdefault(at, set()).add("object")
            for key, inner in value.items():
                walk(inner, key if at == "$" else f"{at}.{key}")
        elif isinstance(value, list):
            scalars = all(not isinstance(v, dict | list) for v in value)
            found.setdefault(at, set()).add("array of scalars" if scalars else "array")
            for inner in value:
                walk(inner, f"{at}[]")
        else:
            found.setdefault(at, set()).add("scalar")

    walk(node, path)
    return found


def test_exact_rules_in_force_now_name_single_values_so_unexpected_members_stay_withheld() -> None:
    kinds = _leaf_kinds(full_release())
    exact_now = {
        r.path for m in Marking for r in POLICY.rules_for(m) if r.treatment == "exact" and r.timing.kind == "now"
    }
    assert {p: kinds[p] for p in exact_now if p in kinds and not kinds[p] <= {"scalar", "array of scalars"}} == {}


# Fields of the OCDS extensions our releases declare (lots, bids, enquiries) and the organization classification
# extension for the buyer's type: not in the core schema.
EXTENSION_PATHS = {
    "tender.lots", "tender.lots[]", "tender.lots[].id", "tender.lots[].title", "tender.lots[].description",
    "tender.lots[].status", "tender.lots[].value", "tender.items[].relatedLot", "tender.enquiries",
    "tender.enquiries[]", "tender.enquiries[].id", "tender.enquiries[].date", "tender.enquiries[].title",
    "tender.enquiries[].description", "tender.enquiries[].answer", "tender.enquiries[].dateAnswered",
    "tender.enquiries[].relatedLot", "bids", "bids.details", "bids.details[]", "bids.details[].id",
    "bids.details[].date", "bids.details[].status", "bids.details[].tenderers", "bids.details[].tenderers[]",
    "bids.details[].tenderers[].id", "bids.details[].value", "bids.details[].relatedLots", "awards[].relatedLots",
    "awards[].relatedBid", "parties[].details.classifications", "parties[].details.classifications[]",
    "parties[].details.classifications[].scheme", "parties[].details.classifications[].id",
    "parties[].details.classifications[].description",
}  # fmt: skip


def _schema_paths() -> set[str]:
    schema = json.loads((SCHEMA_DIR / "release-schema.json").read_text(encoding="utf-8"))
    paths: set[str] = {"$"}

    def walk(node: dict[str, Any], at: str, depth: int) -> None:
        if "$ref" in node:
            node = schema["definitions"][node["$ref"].rsplit("/", 1)[1]]
        if depth > 8:
            return
        if "items" in node:
            paths.add(f"{at}[]")
            walk(node["items"], f"{at}[]", depth + 1)
        for key, inner in node.get("properties", {}).items():
            child = key if at == "$" else f"{at}.{key}"
            paths.add(child)
            walk(inner, child, depth + 1)

    walk(schema, "$", 0)
    return paths


@needs_schema
def test_every_policy_path_names_a_field_of_ocds_or_of_an_extension_we_use() -> None:
    known = _schema_paths() | EXTENSION_PATHS
    paths = {r.path for m in Marking for r in POLICY.rules_for(m)}
    assert sorted(paths - known) == []


@pytest.mark.parametrize(
    ("path", "above"),
    [
        ("$", []),
        ("ocid", ["$"]),
        ("tender.items[].classification.id",
         ["$", "tender", "tender.items", "tender.items[]", "tender.items[].classification"]),
        ("tag[]", ["$", "tag"]),
        ("a[][].b", ["$", "a", "a[]", "a[][]"]),
    ],
)  # fmt: skip
def test_ancestor_paths_are_every_enclosing_member_and_element(path: str, above: list[str]) -> None:
    assert ancestor_paths(path) == above


def test_a_policy_file_is_loaded_from_a_path(tmp_path: Path) -> None:
    file = tmp_path / "policy-x.toml"
    file.write_text(HEAD + NAMES + GOOD, encoding="utf-8")

    policy = load_policy(file)

    assert policy.source == str(file)
    assert [r.path for r in policy.rules_for(Marking.RESTRICTED)] == ["tender.id"]
    assert policy.rules_for(Marking.SECRET) == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version = 1 2", r"not valid TOML: .*line 1"),
        (HEAD + "colour = 1\n" + NAMES, "unknown top-level key.*colour"),
        ('effective_from = 2026-01-01\n' + NAMES, "version: must be a non-empty string"),
        ('version = "t"\neffective_from = "2026"\n' + NAMES, "effective_from: must be a TOML date"),
        (HEAD, "markings: missing"),
        (HEAD + NAMES + '[markings.public]\nnato = "N"\nnational = "n"\n', "markings.public: not a classified"),
        (HEAD + '[markings.secret]\nnato = "S"\n', "markings.secret: needs exactly the keys"),
        (HEAD + '[markings.secret]\nnato = "S"\nnational = ""\n', "markings.secret: nato and national must be"),
        (HEAD + '[markings.secret]\nnato = "S"\nnational = "s"\n', "markings.restricted: missing"),
        (HEAD + 'restricted = "everything"\n' + NAMES,
         r"restricted: must be an array of tables \(\[\[restricted\]\]\)"),
        (HEAD + NAMES + GOOD + _rule(path="tender.id", treatment="exact", reason="r", colour="red"),
         r"p.toml:\d+: restricted\[1\]: unknown key\(s\) colour"),
        (HEAD + NAMES + _rule(path="tender..id", treatment="exact", reason="r"), "restricted.0.*path: 'tender..id'"),
        (HEAD + NAMES + _rule(path="tender.id[", treatment="exact", reason="r"), "is not a path"),
        (HEAD + NAMES + _rule(path=3, treatment="exact", reason="r"), "path: 3 is not a path"),
        (HEAD + NAMES + _rule(path="tender.id", treatment="exact"), r"\(tender.id\): reason: every rule must say why"),
        (HEAD + NAMES + _rule(path="tender.id", treatment="exact", reason="  "), "every rule must say why"),
        (HEAD + NAMES + _rule(path="tender.id", treatment="hide", reason="r"), "treatment: 'hide'; expected one of"),
        (HEAD + NAMES + _rule(path="tender.id", treatment="exact", reason="r", timing="soon"), "timing: 'soon'"),
        (HEAD + NAMES + _rule(path="tender.id", treatment="exact", reason="r", working_days=3),
         "only an after_signature timing counts working days"),
        (HEAD + NAMES + _rule(path="contracts[].value", treatment="exact", reason="r", timing="after_signature"),
         "working_days: after_signature needs a whole number of days >= 0, got None"),
        (HEAD + NAMES + _rule(path="contracts[].value", treatment="exact", reason="r", timing="after_signature",
                              working_days=-1), "got -1"),
        (HEAD + NAMES + _rule(path="contracts[].value", treatment="exact", reason="r", timing="after_signature",
                              working_days=True), "got True"),
        (HEAD + NAMES + _rule(path="tender.value", treatment="exact", reason="r", timing="after_signature",
                              working_days=1), "after_signature applies only under contracts\\[\\] or awards\\[\\]"),
        (HEAD + NAMES + _rule(path="contracts", treatment="exact", reason="r", timing="after_signature",
                              working_days=1), "applies only under"),
        (HEAD + NAMES + _rule(path="tender.id", treatment="exact", reason="r", generaliser="month"),
         "only a generalise treatment names a generaliser"),
        (HEAD + NAMES + _rule(path="tender.id", treatment="generalise", reason="r", generaliser="blur"),
         "generaliser: 'blur'; known: cpv_division"),
        (HEAD + NAMES + _rule(path="tender.id", treatment="generalise", reason="r"), "generaliser: None"),
        (HEAD + NAMES + _rule(path="tag[]", treatment="generalise", reason="r", generaliser="month"),
         "replaces a member of an object; tag\\[\\] is not one"),
        (HEAD + NAMES + _rule(path="$", treatment="generalise", reason="r", generaliser="month"), "\\$ is not one"),
        (HEAD + NAMES + '\n[[always_public]]\npath = "ocid"\nreason = "r"\ntreatment = "exact"\n',
         r"always_public\[0\]: unknown key\(s\) treatment"),
        (HEAD + NAMES + GOOD + GOOD, "restricted: two rules for tender.id with timing now"),
        (HEAD + NAMES + '\n[[always_public]]\npath = "tender.id"\nreason = "r"\n' + GOOD,
         "restricted: two rules for tender.id with timing now"),
        (HEAD + NAMES + _rule(path="tender.date", treatment="generalise", generaliser="month", reason="r")
         + _rule(path="tender.date", treatment="generalise", generaliser="month", reason="r",
                 timing="declassification"), "two generalise rules for tender.date"),
        (HEAD + NAMES + _rule(path="tender", treatment="exact", reason="r") + GOOD,
         "rule for tender.id can never apply: tender is already exact now"),
        (HEAD + NAMES + _rule(path="tender.value", treatment="generalise", generaliser="month", reason="r")
         + _rule(path="tender.value.amount", treatment="withhold", reason="r"), "tender.value is already generalise"),
    ],
)  # fmt: skip
def test_a_malformed_policy_is_refused_naming_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_policy(text, origin="p.toml")


def test_an_error_names_the_file_and_the_line_of_the_entry() -> None:
    text = HEAD + NAMES + GOOD + _rule(path="tender.id", treatment="hide", reason="r")

    with pytest.raises(ValueError) as caught:
        parse_policy(text, origin="p.toml")

    headers = [n for n, line in enumerate(text.splitlines(), start=1) if line == "[[restricted]]"]
    line = headers[1]
    assert str(caught.value).startswith(f"p.toml:{line}: restricted[1] (tender.id): treatment")


def test_a_rule_after_the_last_header_reports_an_unknown_line() -> None:
    # Entries written inline (restricted = [{...}]) have no [[header]] to point at.
    text = HEAD + 'restricted = [{path = "tender.id", treatment = "hide", reason = "r"}]\n' + NAMES

    with pytest.raises(ValueError, match=r"p.toml:\?: restricted\[0\]"):
        parse_policy(text, origin="p.toml")


def test_rules_with_later_timings_may_sit_beneath_a_rule_that_is_not_yet_in_force() -> None:
    text = (
        HEAD
        + NAMES
        + _rule(path="contracts[].items", treatment="exact", reason="r", timing="after_signature", working_days=5)
        + _rule(path="contracts[].items[].id", treatment="exact", reason="r")
    )

    policy = parse_policy(text)

    assert policy.index(Marking.RESTRICTED).below >= {"$", "contracts", "contracts[]", "contracts[].items"}


def test_every_generaliser_is_known_by_its_name() -> None:
    assert {name: g.name for name, g in GENERALISERS.items()} == {name: name for name in GENERALISERS}
    assert GENERALISERS["address_region"].passes == ("region", "countryName")
