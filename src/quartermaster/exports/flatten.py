"""OCDS releases -> spreadsheet rows, by flatten-tool's conventions (OpenDataServices/flatten-tool 0.28).

This is what ``flatten-tool flatten --root-list-path releases --main-sheet-name releases --root-id ocid`` does
without a schema (flattentool.json_input.JSONParser.parse_json_dict), one release at a time so that nothing is
held for the whole export:

- a main sheet ``releases``, one row per release; columns are JSON paths joined by ``/`` (``tender/value/amount``);
- an array of objects becomes a sheet named by its path, each enclosing segment cut to 3 characters and joined by
  ``_`` (``tender/items`` -> ``ten_items``, ``awards/suppliers`` -> ``awa_suppliers``); its columns keep the
  array position as ``0`` (``tender/items/0/description``), one row per object;
- each such row starts with the identifying columns of everything that encloses it, so flatten-tool's unflatten
  joins it back: ``ocid``, the release ``id``, and the ``id`` of every enclosing object that has one (also plain
  objects: ``tender/id``, ``awards/0/id``);
- an array of scalars is one cell joined by ``;`` (``tag`` -> ``tender;award``), an array of arrays of scalars
  joins the inner ones by ``,``;
- columns come in the order flatten-tool first meets them; sheets are the main one, then the others sorted.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeGuard

MAIN_SHEET = "releases"
ROOT_ID = "ocid"
ID_NAME = "id"
TRUNCATION_LENGTH = 3

Scalar = str | int | float | Decimal | None
Row = dict[str, Scalar]

# An id column is registered when flatten-tool enters the object, before the loop reads its value; holding its
# place keeps the column order identical.
_PENDING: Any = object()


def is_scalar(value: object) -> TypeGuard[Scalar]:
    """Whether a JSON value fills one cell (flatten-tool's BASIC_TYPES, plus float: we do not parse with ijson)."""
    return value is None or isinstance(value, str | int | float | Decimal)


def sub_sheet_name(parent: str, key: str) -> str:
    """The sheet of the array ``key`` under ``parent`` (e.g. "awards/0/"), as flattentool.schema names it."""
    prefix = "_".join(part[:TRUNCATION_LENGTH] for part in parent.split("/") if part != "0")
    return (prefix + key).replace(":", "-")


def flatten(release: Mapping[str, Any]) -> list[tuple[str, Row]]:
    """The rows of one release as (sheet, row) pairs, in the order flatten-tool appends them."""
    rows: list[tuple[str, Row]] = []
    _object(release, MAIN_SHEET, "", None, {}, rows, top_of_sheet=False)
    return rows


def _object(
    obj: Mapping[str, Any],
    sheet: str,
    parent: str,
    row: dict[str, Any] | None,
    ids: Mapping[str, Scalar],
    rows: list[tuple[str, Row]],
    *,
    top_of_sheet: bool,
) -> None:
    own_row = row is None
    row = {} if row is None else row
    ids = dict(ids)  # what this object adds is seen by the arrays beneath it, not by its siblings
    if top_of_sheet:
        row.update(ids)
    if ROOT_ID in obj:
        row.setdefault(ROOT_ID, _PENDING)
        ids[ROOT_ID] = _identifier(obj[ROOT_ID], parent + ROOT_ID)
    if ID_NAME in obj:
        row.setdefault(parent + ID_NAME, _PENDING)
        ids[parent + ID_NAME] = _identifier(obj[ID_NAME], parent + ID_NAME)
    for key, value in obj.items():
        path = parent + key
        if is_scalar(value):
            row[path] = value
        elif isinstance(value, Mapping):
            _object(value, sheet, path + "/", row, ids, rows, top_of_sheet=False)
        elif isinstance(value, list):
            _array(value, parent, key, row, ids, rows)
        else:
            raise ValueError(f"/{path}: a {type(value).__name__} is not a JSON value")
    if own_row:
        rows.append((sheet, {k: v for k, v in row.items() if v is not _PENDING}))


def _array(
    value: list[Any], parent: str, key: str, row: dict[str, Any], ids: Mapping[str, Scalar], rows: list[tuple[str, Row]]
) -> None:
    path = parent + key
    if all(is_scalar(v) for v in value):
        row[path] = ";".join(map(str, value))
    elif all(isinstance(v, list) and all(is_scalar(x) for x in v) for v in value):
        row[path] = ";".join(",".join(map(str, v)) for v in value)
    else:
        sheet = sub_sheet_name(parent, key)
        for member in value:
            if member is None:  # flatten-tool skips nulls in an array of objects
                continue
            if not isinstance(member, Mapping):
                raise ValueError(f"/{path}: an array mixing objects with other values cannot be flattened")
            _object(member, sheet, path + "/0/", None, ids, rows, top_of_sheet=True)


def _identifier(value: object, path: str) -> Scalar:
    if not is_scalar(value):
        raise ValueError(f"/{path}: an identifier must be a string or a number")
    return value


class Layout:
    """The sheets and their columns, in flatten-tool's order; bounded by the schema, not by the number of rows."""

    def __init__(self) -> None:
        self._sheets: dict[str, dict[str, None]] = {MAIN_SHEET: {}}

    def add(self, sheet: str, row: Row) -> None:
        """Take in the columns of one row."""
        columns = self._sheets.setdefault(sheet, {})
        for column in row:
            columns.setdefault(column, None)

    def sheets(self) -> list[tuple[str, list[str]]]:
        """(name, columns) of every sheet: the main sheet first, then the others by name, as flatten-tool writes."""
        others = sorted(name for name in self._sheets if name != MAIN_SHEET)
        return [(name, list(self._sheets[name])) for name in (MAIN_SHEET, *others)]
