"""Shared CLI plumbing: finding the data, one readable error line, the database handle."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from quartermaster.config import Settings, get_settings

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Directory of the embedded database and blobs (default: var/ or QM_DATA_DIR)."),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL (default: QM_DATABASE_URL); wins over --data-dir."),
]

T = TypeVar("T")


def settings_for(data_dir: Path | None, database_url: str | None = None) -> Settings:
    """Settings from the environment with the CLI's options on top."""
    return get_settings(data_dir=data_dir, database_url=database_url)


def fail(message: str, code: int = 1) -> None:
    """Print one readable error line and exit."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@contextmanager
def readable_errors() -> Iterator[None]:
    """Turn domain and database errors into one line on stderr."""
    from sqlalchemy.exc import OperationalError

    from quartermaster.errors import QMError

    try:
        yield
    except QMError as exc:
        extra = ""
        errs = exc.fields.get("errors")
        if errs:
            extra = " (" + "; ".join(f"{e['field']}: {e['message']}" for e in errs) + ")"
        fail(f"{exc.message} [{exc.code}]{extra}")
    except OperationalError as exc:
        fail(f"database unavailable: {str(exc.orig).strip().splitlines()[0]}")


def guarded(fn: Callable[[], T]) -> T:
    """Run ``fn`` with readable errors."""
    with readable_errors():
        return fn()
    sys.exit(1)  # pragma: no cover - fail() exits
