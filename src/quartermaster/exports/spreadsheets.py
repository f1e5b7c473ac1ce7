"""Spreadsheet exports by flatten-tool's conventions (see ``flatten``): a ZIP of CSV files, or one XLSX workbook.

Both read the releases twice. A header row must precede the rows, so a first pass collects every sheet's columns
(a set bounded by the schema, not by the number of releases); the second pass writes the rows. Nothing is kept
beyond one release's rows: CSV sheets are spooled to anonymous temporary files and then zipped one after another;
openpyxl's write-only workbook streams each sheet to its own temporary file and zips them on save.
"""

from __future__ import annotations

import csv
import io
import math
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell

from quartermaster.errors import Conflict
from quartermaster.exports.flatten import Layout, Scalar, flatten
from quartermaster.exports.packages import Json, Progress

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

ReleasesFactory = Callable[[], Iterable[Json]]
SheetWriter = Callable[[list[Scalar]], None]

XLSX_SHEET_TITLE_LENGTH = 31  # Excel's limit; flatten-tool cuts titles the same way


class _Sheet:
    """One output sheet of the second pass: its columns and where its rows go."""

    def __init__(self, name: str, columns: list[str], write: SheetWriter) -> None:
        self.name = name
        self.columns = columns
        self.known = frozenset(columns)
        self.write = write

    def append(self, row: dict[str, Scalar]) -> None:
        if not row.keys() <= self.known:
            new = sorted(row.keys() - self.known)
            raise Conflict(
                f"the releases changed between the two passes: sheet {self.name} gained columns {new}",
                code="export.releases_changed",
                sheet=self.name,
                columns=new,
            )
        self.write([row.get(column) for column in self.columns])


class _Counter:
    """Counts the releases read over both passes and reports each to ``progress``."""

    def __init__(self, progress: Progress | None) -> None:
        self.read = 0
        self.progress = progress

    def tick(self) -> None:
        self.read += 1
        if self.progress is not None:
            self.progress(self.read)


def _scan(releases_factory: ReleasesFactory, counter: _Counter) -> Layout:
    """First pass: every sheet's columns."""
    layout = Layout()
    for release in releases_factory():
        for sheet, row in flatten(release):
            layout.add(sheet, row)
        counter.tick()
    return layout


def _write(
    releases_factory: ReleasesFactory,
    layout: Layout,
    open_sheet: Callable[[str, list[str]], SheetWriter],
    counter: _Counter,
) -> int:
    """Second pass: open every sheet with its header, then write each release's rows. Returns the releases written."""
    sheets = {name: _Sheet(name, columns, open_sheet(name, columns)) for name, columns in layout.sheets()}
    written = 0
    for release in releases_factory():
        for name, row in flatten(release):
            if name not in sheets:
                raise Conflict(
                    f"the releases changed between the two passes: new sheet {name}",
                    code="export.releases_changed",
                    sheet=name,
                    columns=sorted(row),
                )
            sheets[name].append(row)
        written += 1
        counter.tick()
    return written


class _CsvSpool:
    """A sheet's CSV text in an anonymous temporary file, until it is copied into the ZIP."""

    def __init__(self) -> None:
        self.raw = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by close(), through the caller's ExitStack
        self.text = io.TextIOWrapper(self.raw, encoding="utf-8", newline="")
        # flatten-tool writes UTF-8 without a BOM and CRLF line ends (csv.DictWriter's defaults).
        self.writer = csv.writer(self.text)

    def copy_into(self, archive: zipfile.ZipFile, name: str) -> None:
        self.text.flush()
        entry = zipfile.ZipInfo(name)  # a fixed date: the same releases give the same bytes
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.file_size = self.raw.tell()  # lets zipfile choose ZIP64 only when a sheet needs it
        self.raw.seek(0)
        with archive.open(entry, "w") as target:
            shutil.copyfileobj(self.raw, target)

    def close(self) -> None:
        self.text.close()


def write_csv(releases_factory: ReleasesFactory, out: BinaryIO, *, progress: Progress | None = None) -> int:
    """Write a ZIP of one CSV file per sheet (``releases.csv``, ``parties.csv``, ``ten_items.csv``...).

    ``releases_factory`` is called twice and must give the same releases both times (read them from one snapshot);
    if the second pass meets a column the first did not, Conflict (``export.releases_changed``) is raised before
    anything is written to ``out``. ``progress`` gets the number of releases read so far over both passes, so it ends
    at twice the returned count of releases written.
    """
    with ExitStack() as stack:
        spools: list[tuple[str, _CsvSpool]] = []

        def open_sheet(name: str, columns: list[str]) -> SheetWriter:
            spool = _CsvSpool()
            stack.callback(spool.close)
            spool.writer.writerow(columns)  # with no releases, an empty header line, as flatten-tool writes
            spools.append((name, spool))
            return spool.writer.writerow

        counter = _Counter(progress)
        count = _write(releases_factory, _scan(releases_factory, counter), open_sheet, counter)
        with zipfile.ZipFile(out, "w") as archive:
            for name, spool in spools:
                spool.copy_into(archive, f"{name}.csv")
    return count


def _text_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    # Control characters cannot be stored in XLSX (flatten-tool strips them too). Forcing the string type keeps
    # published text as text: openpyxl would otherwise store "=..." as a formula and "#N/A" as an error.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    cell.data_type = "s"
    return cell


def _xlsx_value(sheet: WriteOnlyWorksheet, value: Scalar) -> Any:
    if value is None or isinstance(value, str):
        return _text_cell(sheet, value) if value else None
    if isinstance(value, Decimal):
        as_float = float(value)
        if Decimal(repr(as_float)) != value:
            return _text_cell(sheet, str(value))  # no double holds it: keep every digit, as text
        value = as_float
    # openpyxl stores a number as "%.16g": one that needs more digits (a 17-digit double, an int past 10**16) or
    # that is not finite (stored as an empty cell) keeps its exact digits as text.
    if not math.isfinite(value) or float(f"{value:.16g}") != value:
        return _text_cell(sheet, repr(value))
    return value


def write_xlsx(releases_factory: ReleasesFactory, out: BinaryIO | Path, *, progress: Progress | None = None) -> int:
    """Write one XLSX workbook: the ``releases`` sheet, then one sheet per array of objects (titles cut to 31).

    Same two passes, factory contract and ``progress`` counting as ``write_csv``. Text cells are always text.
    """
    workbook = Workbook(write_only=True)

    def open_sheet(name: str, columns: list[str]) -> SheetWriter:
        sheet: WriteOnlyWorksheet = workbook.create_sheet(title=name[:XLSX_SHEET_TITLE_LENGTH])
        sheet.append([_xlsx_value(sheet, column) for column in columns])
        return lambda cells: sheet.append([_xlsx_value(sheet, cell) for cell in cells])

    counter = _Counter(progress)
    layout = _scan(releases_factory, counter)
    try:
        count = _write(releases_factory, layout, open_sheet, counter)
    except BaseException:
        with open(os.devnull, "wb") as discard:
            workbook.save(discard)  # saving is what deletes the sheets' temporary files
        raise
    workbook.save(out)
    return count
