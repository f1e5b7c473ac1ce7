"""`quartermaster export ocds|log` and `quartermaster verify`: open data out, and the auditor's independent check."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from quartermaster.cli.common import DatabaseUrl, DataDir, fail, readable_errors

FORMATS = ("jsonl", "release-package", "record-package", "csv", "xlsx")
export_app = typer.Typer(help="Export open data and the transparency log.", no_args_is_help=True)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


@contextmanager
def _output(path: Path) -> Iterator[BinaryIO]:
    """The export's destination: a file written beside its final name and renamed when complete, or stdout."""
    if str(path) == "-":
        yield sys.stdout.buffer
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            yield out
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


@export_app.command("ocds")
def export_ocds(
    out: Annotated[Path, typer.Option("--out", help="Output file ('-' for standard output)")],
    format: Annotated[str, typer.Option("--format", help="jsonl | release-package | record-package | csv | xlsx")] = (
        "release-package"
    ),
    month: Annotated[str | None, typer.Option(help="Only releases dated in this month (YYYY-MM)")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Stream the published open data (exactly what the public API serves) in constant memory."""
    from quartermaster.cli.main import _database
    from quartermaster.publication.bulk import month_range, write_export

    if format not in FORMATS:
        fail(f"unknown format '{format}'; use one of {', '.join(FORMATS)}")
    console = Console(stderr=True)
    with readable_errors():
        since, until = month_range(month) if month is not None else (None, None)
        settings, db = _database(data_dir, database_url)
        with _progress(console) as bar, _output(out) as sink:
            task = bar.add_task(f"export {format}", total=None)

            def tick(done: int, total: int | None = None) -> None:
                bar.update(task, completed=done, total=total)

            written = write_export(db, settings, format, sink, since=since, until=until, progress=tick)
        db.dispose()
    console.print(f"wrote {written} {'records' if format == 'record-package' else 'releases'} to {out}")


@export_app.command("log")
def export_log(
    out: Annotated[Path, typer.Option("--out", help="Directory to write (created; existing files are replaced)")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write the log's entries, checkpoints and releases for `quartermaster verify DIR` (offline audit)."""
    from quartermaster.cli.main import _database, sign_checkpoint
    from quartermaster.publication.bulk import export_log as write_log

    console = Console(stderr=True)
    with readable_errors():
        settings, db = _database(data_dir, database_url)
        sign_checkpoint(settings, db)
        with _progress(console) as bar:
            task = bar.add_task("export log", total=None)

            def tick(done: int, total: int | None = None) -> None:
                bar.update(task, completed=done, total=total)

            size = write_log(db, settings, out, progress=tick)
        db.dispose()
    console.print(f"wrote {size} log entries and their checkpoints to {out}")


def verify_command(
    target: Annotated[str, typer.Argument(help="A Quartermaster server URL (http://...) or an exported log directory")],
    key: Annotated[
        str | None, typer.Option(help="The log's verifier key (vkey string or a file holding it); else the state's")
    ] = None,
    state: Annotated[Path | None, typer.Option(help="State file of checkpoints seen before")] = None,
    events: Annotated[
        Path | None,
        typer.Option(help="The event log saved from GET /api/v1/events: check every signed decision in it too"),
    ] = None,
    opening: Annotated[
        list[str] | None,
        typer.Option(help="Also check this tender's opening record against the log's sealed-bid entries (repeatable)"),
    ] = None,
) -> None:
    """Check a log independently: signatures, consistency with what you saw before, every leaf and release."""
    from quartermaster.verify.cli import run

    raise typer.Exit(run(target, key=key, state=state, console=Console(), events=events, openings=opening or ()))


def register(app: typer.Typer) -> None:
    """Add `export` and `verify` to the CLI."""
    app.add_typer(export_app, name="export")
    app.command("verify")(verify_command)
