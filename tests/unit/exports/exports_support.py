"""What the export tests share: the releases they write, a byte sink, and flatten-tool's unflatten as the judge."""

from __future__ import annotations

import copy
import io
import json
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import flattentool
from flattentool.exceptions import DataErrorWarning

from quartermaster.ocds import release
from support.ocds_objects import NAMING, before_opening, change, process
from support.ocds_schema import SCHEMA_DIR, load

Json = dict[str, Any]
UKRAINE = SCHEMA_DIR.parent / "sample-data-2018" / "ukraine" / "releases"


def process_releases() -> list[Json]:
    """Several releases of the sample process: tender published, question answered, award, contract, payment..."""
    sealed, full = before_opening(), process()
    return [
        release(sealed, change(5, 1, "TenderPublished"), NAMING),
        release(sealed, change(7, 3, "QuestionAnswered"), NAMING),
        release(full, change(20, 50, "AwardMade", "LotAwarded"), NAMING),
        release(full, change(30, 60, "ContractSigned"), NAMING),
        release(full, change(40, 85, "PaymentRecorded"), NAMING),
        release(full, change(42, 100, "ContractCompleted"), NAMING),
    ]


def ukraine_releases() -> list[Json]:
    """The 11 real Prozorro releases of the shared sample data (one release per file)."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(UKRAINE.glob("*.json"))]


class Sink(io.RawIOBase):
    """A non-seekable output that keeps only the number of bytes written (and, on request, the bytes)."""

    def __init__(self, keep: bool = False) -> None:
        self.size = 0
        self.kept: bytearray | None = bytearray() if keep else None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.size += len(data)
        if self.kept is not None:
            self.kept += data
        return len(data)


def small_releases(n: int) -> Iterator[Json]:
    """``n`` small distinct releases, made one at a time."""
    for i in range(n):
        yield {
            "ocid": f"ocds-test01-p{i // 10}",
            "id": f"ocds-test01-p{i // 10}-{i}",
            "date": "2026-03-02T09:00:00Z",
            "tag": ["tender"],
            "initiationType": "tender",
            "tender": {
                "id": f"p{i // 10}",
                "title": f"Tender number {i}",
                "value": {"amount": i + 0.5, "currency": "UAH"},
            },
        }


# --- the schema flatten-tool types cells with -------------------------------------------------------------------


def _resolve(schema: Json, node: Json) -> Json:
    while "$ref" in node:
        node = schema["definitions"][node["$ref"].removeprefix("#/definitions/")]
    return node


def _shape(value: Any) -> Json:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int | float):
        return {"type": "number"}
    if isinstance(value, dict):
        return {"type": "object", "properties": {}}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return {"type": "array", "items": {"type": "object", "properties": {}}}
    if isinstance(value, list):
        return {"type": "array", "items": {"type": "string"}}
    return {"type": "string"}


def _extend(schema: Json, node: Json, value: Any) -> None:
    node = _resolve(schema, node)
    if isinstance(value, dict):
        properties = node.setdefault("properties", {})
        for key, member in value.items():
            properties.setdefault(key, _shape(member))
            _extend(schema, properties[key], member)
    elif isinstance(value, list):
        for member in value:
            if isinstance(member, dict):
                _extend(schema, node["items"], member)


def extended_schema(releases: list[Json], directory: Path) -> Path:
    """The official 1.1.5 release schema plus the fields the releases use that it lacks, written to ``directory``.

    Those fields come from extensions (lots, bids, enquiries; Prozorro's own) whose schemas are not available
    offline. Without them flatten-tool cannot type a cell (it reads `true` back as "True" and a `;`-joined array as
    one string), so each missing field is declared with the JSON type its values have. Every core field keeps the
    official type.
    """
    schema = copy.deepcopy(load("release-schema.json"))
    for r in releases:
        _extend(schema, schema, r)
    path = directory / "release-schema-extended.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    return path


# --- unflatten and compare ---------------------------------------------------------------------------------------


def unflatten(source: Path, input_format: str, schema: Path, directory: Path) -> list[Json]:
    """flatten-tool's unflatten (Python API, OCDS settings); fails on any data warning it raises."""
    output = directory / f"unflattened-{input_format}.json"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flattentool.unflatten(
            str(source),
            input_format=input_format,
            output_name=str(output),
            root_list_path="releases",
            root_id="ocid",
            id_name="id",
            schema=str(schema),
        )
    data_warnings = [str(w.message) for w in caught if issubclass(w.category, DataErrorWarning)]
    assert data_warnings == []
    unflattened: list[Json] = json.loads(output.read_text(encoding="utf-8"), parse_float=Decimal)["releases"]
    return unflattened


def normalised(value: Any, *, csv: bool = False) -> Any:
    """A value as flatten-tool gives it back: numbers as Decimals; from CSV, line ends as "\\n".

    flatten-tool reads CSV files without ``newline=""``, so a "\\r\\n" inside a cell comes back as "\\n" (the file
    itself holds the exact text: a test reads it with the csv module).
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).normalize()
    if isinstance(value, str):
        return value.replace("\r\n", "\n") if csv else value
    if isinstance(value, dict):
        return {k: normalised(v, csv=csv) for k, v in value.items()}
    assert isinstance(value, list)
    return [normalised(v, csv=csv) for v in value]
