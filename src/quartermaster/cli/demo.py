"""`quartermaster seed` and `quartermaster demo`: deterministic demo data, demo users with tokens, and a server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quartermaster.cli.common import DatabaseUrl, DataDir, fail, readable_errors

if TYPE_CHECKING:
    from quartermaster.config import Settings
    from quartermaster.db.tx import Database
    from quartermaster.seed import SeedResult, SeedSpec

Scale = Annotated[str, typer.Option(help="demo (6 buyers, 40 suppliers, 150 tenders) or full (40, 300, 2000)")]
Buyers = Annotated[int | None, typer.Option(help="Procuring entities (overrides the scale)")]
Suppliers = Annotated[int | None, typer.Option(help="Suppliers (overrides the scale)")]
Tenders = Annotated[int | None, typer.Option(help="Tenders (overrides the scale)")]
Seed = Annotated[int, typer.Option(help="Random seed: the same seed gives the same data")]


def _spec(scale: str, buyers: int | None, suppliers: int | None, tenders: int | None, seed: int) -> SeedSpec:
    from dataclasses import replace

    from quartermaster.seed import SCALES

    if scale not in SCALES:
        fail(f"unknown scale '{scale}'; use one of {', '.join(SCALES)}")
    base = SCALES[scale]
    custom = any(v is not None for v in (buyers, suppliers, tenders))
    spec = replace(
        base,
        buyers=buyers or base.buyers,
        suppliers=suppliers or base.suppliers,
        tenders=tenders or base.tenders,
        seed=seed,
        scale="custom" if custom else scale,
    )
    if spec.buyers < 2 or spec.suppliers < 4 or spec.tenders < 1:
        fail("seed needs at least 2 buyers, 4 suppliers and 1 tender")
    return spec


def _run_seed(db: Database, spec: SeedSpec, settings: Settings) -> SeedResult:
    """Seed with a progress bar (simulated time from a year ago to now).

    The platform's opening-key vault is the deployment's own, and buyer staff key files go to <data_dir>/keys, so
    openings still to come in the served demo can happen (committee members release shares with their key files).
    """
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from quartermaster.committees.vault import OpeningKeyVault
    from quartermaster.documents.blobstore import make_blobstore
    from quartermaster.seed import seed
    from quartermaster.types import SystemClock

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(f"seeding {spec.tenders} tenders", total=1.0)
        return seed(
            db,
            spec=spec,
            clock=SystemClock(),
            progress=lambda done: bar.update(task, completed=done),
            vault=OpeningKeyVault.from_file(settings.resolved_vault_file()),
            keys_dir=settings.data_dir / "keys",
            blobs=make_blobstore(settings),
        )


def _report(result: SeedResult) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    spec = result.spec
    if not result.created:
        console.print(
            f"already seeded (scale {spec['scale']}, seed {spec['seed']}): "
            f"{sum(result.statuses.values())} tenders; nothing to do"
        )
        return
    table = Table(title=f"{sum(result.statuses.values())} tenders by status")
    table.add_column("status")
    table.add_column("tenders", justify="right")
    for status, count in result.statuses.items():
        table.add_row(status, str(count))
    console.print(table)
    console.print(
        f"{result.commands} commands through the services in {result.seconds:.1f} s "
        f"(scale {spec['scale']}, seed {spec['seed']})"
    )
    for failure in result.failures:
        console.print(f"[yellow]flow {failure.flow} stopped at {failure.at.isoformat()}: {failure.error}[/yellow]")


def seed_command(
    scale: Scale = "full",
    buyers: Buyers = None,
    suppliers: Suppliers = None,
    tenders: Tenders = None,
    seed: Seed = 42,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Generate deterministic demo data through the services; an already seeded database is left as it is."""
    from quartermaster.cli.main import _database, sign_checkpoint

    spec = _spec(scale, buyers, suppliers, tenders, seed)
    with readable_errors():
        settings, db = _database(data_dir, database_url)
        result = _run_seed(db, spec, settings)
        sign_checkpoint(settings, db)
        db.dispose()
    _report(result)


def demo_command(
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    serve: Annotated[bool, typer.Option(help="Serve after preparing (--no-serve only prepares)")] = True,
    scale: Scale = "demo",
    buyers: Buyers = None,
    suppliers: Suppliers = None,
    tenders: Tenders = None,
    seed: Seed = 42,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Migrate, seed demo data if needed, give the demo users fresh tokens and passwords, print them, and serve."""
    from quartermaster.cli.main import _database, _serve, sign_checkpoint
    from quartermaster.seed.demo import demo_users
    from quartermaster.types import SystemClock

    spec = _spec(scale, buyers, suppliers, tenders, seed)
    with readable_errors():
        settings, db = _database(data_dir, database_url)
        result = _run_seed(db, spec, settings)
        sign_checkpoint(settings, db)
        users = demo_users(db, now=SystemClock().now())
        db.dispose()
    for user in users:  # committee members open their shares of a tender's opening key with their own key file
        key_file = settings.data_dir / "keys" / f"{user['username']}.json"
        user["key_file"] = str(key_file) if key_file.exists() else None
    _report(result)
    path = settings.data_dir / "demo-users.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(users, indent=2, ensure_ascii=False) + "\n")
    path.chmod(0o600)  # bearer tokens and passwords: readable by the owner only
    _print_users(users, path, host, port)
    if serve:
        _serve(settings.data_dir, settings.database_url, host, port, True)


def _print_users(users: list[dict[str, Any]], path: Path, host: str, port: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 180))  # a token must print on one line to be copied
    table = Table(title=f"Demo users (also in {path})")
    for column in ("username", "role", "organization"):
        table.add_column(column)
    table.add_column("password", no_wrap=True)
    table.add_column("token", no_wrap=True, min_width=46)
    for u in users:
        table.add_row(u["username"], u["role"], u["organization"] or "", u["password"], u["token"])
    console.print(table)
    base = f"http://{host}:{port}"
    console.print(f"Quartermaster: {base}   log in: {base}/login   API: {base}/api/v1   interactive docs: {base}/docs")
    console.print(f'Try: curl -H "Authorization: Bearer <token>" {base}/api/v1/me')
    keyed = [u for u in users if u.get("key_file")]
    if keyed:
        folder = Path(str(keyed[0]["key_file"])).parent
        console.print(
            f"Buyer staff key files (committee members open their shares with them): {folder}/<username>.json"
        )


def register(app: typer.Typer) -> None:
    """Add `seed` and `demo` to the CLI."""
    app.command("seed")(seed_command)
    app.command("demo")(demo_command)
