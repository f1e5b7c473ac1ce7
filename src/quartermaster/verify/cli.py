"""``quartermaster verify URL_OR_DIR``: run the checks, print one line, return the exit code.

0  the log is consistent (a summary line; a note when the key was trusted on first use)
1  the log is inconsistent (one line naming the first inconsistency)
2  the source, the key or the state file could not be read (one line saying which)

The Typer command is a thin wrapper that calls ``run`` and exits with its result.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from quartermaster.verify.check import ProgressCallback, Report, verify
from quartermaster.verify.errors import VerifyError
from quartermaster.verify.sources import open_source
from quartermaster.verify.state import default_state_path

OK, INCONSISTENT, UNREADABLE = 0, 1, 2


def run(target: str, *, key: str | None, state: Path | None, console: Console) -> int:
    """Verify the log at ``target`` (an http(s) URL or an export directory) and return the exit code."""
    state_path = state if state is not None else default_state_path()
    try:
        source = open_source(target)
        try:
            with _progress(console) as progress:
                report = verify(source, key=key, state_path=state_path, progress=progress)
        finally:
            source.close()
    except VerifyError as exc:
        label = "error" if exc.exit_code == UNREADABLE else "inconsistent"
        console.print(f"[bold red]{label}:[/] {escape(exc.message)}", soft_wrap=True, highlight=False)
        return exc.exit_code
    _print_report(report, console)
    return OK


def _print_report(report: Report, console: Console) -> None:
    console.print(f"[green]ok:[/] {escape(report.summary())}", soft_wrap=True, highlight=False)
    if report.trust == "first use":
        console.print(
            f"note: trusted the key the log serves, on first use: {escape(report.verifier_key)} "
            "(it is now recorded for this origin; pass --key to pin a key obtained another way)",
            soft_wrap=True,
            highlight=False,
        )


@contextmanager
def _progress(console: Console) -> Iterator[ProgressCallback | None]:
    """A progress callback drawing a transient rich bar on a terminal; None elsewhere (logs, pipes, tests)."""
    if not console.is_terminal:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(f"checking {stage}", total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield update
