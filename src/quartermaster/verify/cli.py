"""``quartermaster verify URL_OR_DIR``: run the checks, print one line, return the exit code.

0  the log is consistent (a summary line; a note when the key was trusted on first use)
1  the log is inconsistent (one line naming the first inconsistency), or a decision signature fails (one line each)
2  the source, the key, the state file or the events file could not be read (one line saying which)

With ``events`` (the event log saved from ``GET /api/v1/events``) it also checks every signed decision against the
keys the same events enrolled (``decisions``).

The Typer command is a thin wrapper that calls ``run`` and exits with its result.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from quartermaster.verify.check import ProgressCallback, Report, verify
from quartermaster.verify.decisions import DecisionReport, check_decisions, load_events
from quartermaster.verify.errors import VerifyError
from quartermaster.verify.leaves import SEALED_BID, SEALED_DOCUMENT
from quartermaster.verify.openings import check_opening, logged_commitments, opening_record
from quartermaster.verify.sources import open_source
from quartermaster.verify.state import default_state_path

OK, INCONSISTENT, UNREADABLE = 0, 1, 2


def run(
    target: str,
    *,
    key: str | None,
    state: Path | None,
    console: Console,
    events: Path | None = None,
    openings: Sequence[str] = (),
) -> int:
    """Verify the log at ``target`` (an http(s) URL or an export directory) and return the exit code.

    ``openings``: tender ids whose opening record is then checked against the verified log's sealed-bid entries;
    ``events``: an event log whose signed decisions are checked, and found in the verified log with every key
    enrolment.
    """
    state_path = state if state is not None else default_state_path()
    try:
        event_log = load_events(events) if events is not None else None
        source = open_source(target)
        try:
            with _progress(console) as progress:
                report = verify(source, key=key, state_path=state_path, progress=progress)
            logged = logged_commitments(source, report.checkpoint) if openings or event_log is not None else {}
            fetch = getattr(source, "sealed_document", None)
            opened = [
                check_opening(
                    opening_record(source, t), logged[SEALED_BID], logged_documents=logged[SEALED_DOCUMENT], fetch=fetch
                )
                for t in openings
            ]
        finally:
            source.close()
        decisions = check_decisions(event_log, logged) if event_log is not None else None
    except VerifyError as exc:
        label = "error" if exc.exit_code == UNREADABLE else "inconsistent"
        console.print(f"[bold red]{label}:[/] {escape(exc.message)}", soft_wrap=True, highlight=False)
        return exc.exit_code
    _print_report(report, console)
    for opening in opened:
        console.print(f"[green]ok:[/] {escape(opening.summary())}", soft_wrap=True, highlight=False)
    if decisions is not None:
        return _print_decisions(decisions, console)
    return OK


def _print_decisions(report: DecisionReport, console: Console) -> int:
    if not report.failures:
        console.print(f"[green]ok:[/] {escape(report.summary())}", soft_wrap=True, highlight=False)
        return OK
    for failure in report.failures:
        console.print(f"[bold red]bad signature:[/] {escape(failure)}", soft_wrap=True, highlight=False)
    console.print(
        f"[bold red]inconsistent:[/] {len(report.failures)} decision signature failure(s); {escape(report.summary())}",
        soft_wrap=True,
        highlight=False,
    )
    return INCONSISTENT


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
