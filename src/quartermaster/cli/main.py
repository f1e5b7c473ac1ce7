"""Entry point: `quartermaster <command>`."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quartermaster.cli.common import DatabaseUrl, DataDir, fail, readable_errors, settings_for

if TYPE_CHECKING:
    from quartermaster.config import Settings
    from quartermaster.db.tx import Database

app = typer.Typer(
    help="Quartermaster: defence procurement platform.", no_args_is_help=True, pretty_exceptions_enable=False
)
users = typer.Typer(help="Manage users and their API tokens.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(users, name="users")
app.add_typer(db_app, name="db")


def _database(data_dir: Path | None, database_url: str | None, *, migrate: bool = True):  # type: ignore[no-untyped-def]
    from quartermaster.codelists import load_codelists
    from quartermaster.db.engine import make_engine
    from quartermaster.db.migrate import upgrade
    from quartermaster.db.tx import Database
    from quartermaster.publication.context import build_publication

    settings = settings_for(data_dir, database_url)
    engine = make_engine(settings.resolved_database_url())
    if migrate:
        upgrade(engine)
    publication = build_publication(settings, load_codelists(settings.codelists_dir))
    return settings, Database(engine, before_commit=publication.publisher)


def sign_checkpoint(settings: Settings, db: Database) -> int | None:
    """Sign a checkpoint over everything published so far (None when the last one is current)."""
    from quartermaster.publication.keys import load_signer
    from quartermaster.publication.log import TransparencyLog
    from quartermaster.scheduler import integrate_log
    from quartermaster.types import SystemClock

    return integrate_log(db, SystemClock(), TransparencyLog.with_signer(load_signer(settings)))


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Create or migrate the schema to the latest version."""
    with readable_errors():
        settings, _ = _database(data_dir, database_url)
    typer.echo(f"schema is up to date at {settings.resolved_database_url()}")


@users.command("create")
def users_create(
    username: str,
    role: Annotated[str, typer.Option(help="buyer | approver | evaluator | supplier | auditor | admin")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the username)")] = None,
    organization: Annotated[
        str | None, typer.Option(help="Organization id, or SCHEME:ID (e.g. UA-EDR:00034022)")
    ] = None,
    clearance: Annotated[
        str,
        typer.Option(help="Highest security marking the user may read: public | restricted | confidential | secret"),
    ] = "public",
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a user and print its first API token (shown once)."""
    from sqlalchemy import select

    from quartermaster.actors import SCHEDULER, Role
    from quartermaster.identity import service
    from quartermaster.identity.models import Organization
    from quartermaster.types import MARKINGS, SystemClock

    try:
        role_ = Role(role)
    except ValueError:
        fail(f"unknown role '{role}'; use one of buyer, approver, evaluator, supplier, auditor, admin")
        return
    if clearance not in MARKINGS:
        fail(f"unknown clearance '{clearance}'; use one of {', '.join(MARKINGS)}")
        return
    with readable_errors():
        _, db = _database(data_dir, database_url)
        now = SystemClock().now()
        with db.unit_of_work() as session:
            org_id = None
            if organization:
                if ":" in organization:
                    scheme, _, ident = organization.partition(":")
                    org = session.scalar(
                        select(Organization).where(
                            Organization.identifier_scheme == scheme, Organization.identifier_id == ident
                        )
                    )
                else:
                    org = session.get(Organization, organization)
                if org is None:
                    fail(f"no organization '{organization}'")
                    return
                org_id = org.id
            user = service.create_user(
                session,
                actor=SCHEDULER,
                now=now,
                username=username,
                name=name or username,
                role=role_,
                organization_id=org_id,
                clearance=clearance,
            )
            token = service.issue_token(session, user=user, now=now, label="cli")
    typer.echo(json.dumps({"username": username, "role": role, "organization_id": org_id, "token": token}))


@users.command("token")
def users_token(
    username: str,
    revoke_others: Annotated[bool, typer.Option("--revoke-others", help="Revoke the user's other tokens")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Issue a new API token for an existing user (shown once)."""
    from quartermaster.identity import service
    from quartermaster.types import SystemClock

    with readable_errors():
        _, db = _database(data_dir, database_url)
        now = SystemClock().now()
        with db.unit_of_work() as session:
            user = service.find_user(session, username)
            revoked = service.revoke_tokens(session, user=user, now=now) if revoke_others else 0
            token = service.issue_token(session, user=user, now=now, label="cli")
    typer.echo(json.dumps({"username": username, "token": token, "revoked": revoked}))


@users.command("password")
def users_password(
    username: str,
    generate: Annotated[bool, typer.Option("--generate", help="Set a random password and print it")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Set a user's web login password (asked twice, not echoed) and end their web sessions."""
    from quartermaster.actors import SCHEDULER
    from quartermaster.identity import service
    from quartermaster.identity.passwords import new_password
    from quartermaster.types import SystemClock
    from quartermaster.web import sessions

    password = new_password() if generate else typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with readable_errors():
        _, db = _database(data_dir, database_url)
        now = SystemClock().now()
        with db.unit_of_work() as session:
            user = service.find_user(session, username)
            service.set_password(session, actor=SCHEDULER, user=user, password=password, now=now)
            ended = sessions.revoke_all(session, user=user, now=now)
    out: dict[str, object] = {"username": username, "sessions_ended": ended}
    if generate:
        out["password"] = password
    typer.echo(json.dumps(out))


@users.command("totp")
def users_totp(username: str, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Turn on (or renew) a user's second factor and print the key for their authenticator app (shown once)."""
    from urllib.parse import quote

    from quartermaster.actors import SCHEDULER
    from quartermaster.identity import service
    from quartermaster.types import SystemClock

    with readable_errors():
        _, db = _database(data_dir, database_url)
        with db.unit_of_work() as session:
            user = service.find_user(session, username)
            secret = service.enable_second_factor(session, actor=SCHEDULER, user=user, now=SystemClock().now())
    uri = f"otpauth://totp/Quartermaster:{quote(username)}?secret={secret}&issuer=Quartermaster&digits=6&period=30"
    typer.echo(json.dumps({"username": username, "secret": secret, "uri": uri}))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
    scheduler: Annotated[bool, typer.Option(help="Run the deadline scheduler in-process")] = True,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the API (and the in-process scheduler unless --no-scheduler)."""
    with readable_errors():
        settings, db = _database(data_dir, database_url)
    db.dispose()
    _serve(settings.data_dir, settings.database_url, host, port, scheduler, workers)


def _serve(data_dir: Path, database_url: str | None, host: str, port: int, scheduler: bool, workers: int = 1) -> None:
    import os

    import uvicorn

    os.environ["QM_DATA_DIR"] = str(data_dir)
    if database_url:
        os.environ["QM_DATABASE_URL"] = database_url
    os.environ["QM_RUN_SCHEDULER"] = "true" if scheduler else "false"
    os.environ.setdefault("QM_PUBLIC_URL", f"http://{host}:{port}")  # links in packages and bulk listings
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        "quartermaster.api.main:app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=5,  # open feed streams (SSE) never end by themselves
    )


@app.command()
def worker(
    interval: Annotated[float, typer.Option(help="Seconds between scheduler passes")] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="Apply what is due, then exit")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The production scheduler: applies period ends (catching up after downtime) and signs log checkpoints."""
    import time

    from quartermaster.publication.keys import load_signer
    from quartermaster.publication.log import TransparencyLog
    from quartermaster.scheduler import tick
    from quartermaster.types import SystemClock

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with readable_errors():
        settings, db = _database(data_dir, database_url)
        transparency = TransparencyLog.with_signer(load_signer(settings))
        clock = SystemClock()
        while True:
            for item in tick(db, clock, transparency):
                typer.echo(f"{item.due_at.isoformat()} {item.command} {item.object_id}")
            if once:
                return
            time.sleep(interval)


def _register_commands() -> None:
    from quartermaster.cli import demo, open_data, remote

    demo.register(app)
    open_data.register(app)
    remote.register(app)


# `seed` and `demo` live in cli/demo.py, `export` and `verify` in cli/open_data.py, `keys`, `bid` and `committee`
# (a person's side, against a server's API) in cli/remote.py
_register_commands()


def run() -> None:
    """Console-script entry point."""
    app()
