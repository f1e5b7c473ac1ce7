"""Annotated dependencies: app state, the caller, read sessions, and the command runner (one commit point)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.codelists import CodeLists
from quartermaster.committees.vault import OpeningKeyVault
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.errors import PreconditionRequired, StaleVersion, Unauthenticated, ValidationFailed
from quartermaster.idempotency import service as idem
from quartermaster.identity import service as identity
from quartermaster.publication.context import Publication
from quartermaster.types import Clock


@dataclass
class AppState:
    """Everything a request needs, built once by create_app."""

    settings: Settings
    db: Database
    clock: Clock
    lists: CodeLists
    publication: Publication
    vault: OpeningKeyVault


async def get_state(request: Request) -> AppState:
    """The app's state (async: a sync dependency would cost a threadpool hop on every request)."""
    state: AppState = request.app.state.qm
    return state


State = Annotated[AppState, Depends(get_state)]


def _bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header (None when absent); Unauthenticated when malformed."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("use 'Authorization: Bearer <token>'")
    return token.strip()


def _actor(state: State, authorization: Annotated[str | None, Header()] = None) -> Actor | None:
    token = _bearer(authorization)
    if token is None:
        return None
    with state.db.unit_of_work(write=False) as session:
        return identity.authenticate(session, token)


async def _required_actor(actor: Annotated[Actor | None, Depends(_actor)]) -> Actor:
    if actor is None:
        raise Unauthenticated("this operation needs a bearer token")
    return actor


MaybeActor = Annotated[Actor | None, Depends(_actor)]
CurrentActor = Annotated[Actor, Depends(_required_actor)]


def _read_session(state: State) -> Iterator[Session]:
    with state.db.unit_of_work(write=False) as session:
        yield session


ReadSession = Annotated[Session, Depends(_read_session)]


def etag_for(version: int) -> str:
    """The ETag of a record version."""
    return f'"v{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The version named by an If-Match header, or None when absent."""
    if value is None:
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.startswith("v") or not raw[1:].isdigit():
        raise ValidationFailed('If-Match must be an ETag this API returned, e.g. "v3"', code="precondition.bad_etag")
    return int(raw[1:])


IfMatch = Annotated[str | None, Header(alias="If-Match")]


def check_version(kind: str, current: int, expected: int | None) -> None:
    """Refuse (412) when If-Match named a version that is no longer current; call it under the row lock."""
    if expected is not None and expected != current:
        raise StaleVersion(f"the {kind} is at version {current}, not {expected}", current_etag=etag_for(current))


def require_if_match(value: str | None) -> int:
    """Updates must say which version they change."""
    version = parse_if_match(value)
    if version is None:
        raise PreconditionRequired("send If-Match with the ETag you read", code="precondition.required")
    return version


class Command:
    """Runs one state-changing request in one transaction, honouring Idempotency-Key.

    The caller is either given (``actor``) or named by a bearer ``token`` that is resolved on first use: inside
    the command's own transaction when ``run`` needs it, so a write request costs one transaction, one connection
    and one threadpool hop (the route's) rather than an extra read transaction in a hop of its own.
    """

    def __init__(
        self,
        state: AppState,
        actor: Actor | None,
        key: str | None,
        request_hash: str,
        path: str,
        *,
        token: str | None = None,
    ) -> None:
        if actor is None and token is None:
            raise Unauthenticated("this operation needs a bearer token")
        self.state, self._actor, self._token = state, actor, token
        self.key, self.request_hash, self.path = key, request_hash, path

    @property
    def actor(self) -> Actor:
        """The caller; a route that asks before ``run`` pays for a read transaction of its own."""
        if self._actor is None:
            with self.state.db.unit_of_work(write=False) as session:
                self._resolve(session)
        assert self._actor is not None
        return self._actor

    def _resolve(self, session: Session) -> Actor:
        if self._actor is None:
            assert self._token is not None
            self._actor = identity.authenticate(session, self._token)
        return self._actor

    def run(
        self,
        fn: Callable[[Session, datetime], BaseModel],
        *,
        status_code: int = 200,
        location: Callable[[Any], str] | None = None,
        etag: Callable[[Any], int] | None = None,
    ) -> Response:
        """Execute ``fn`` with a write session and the server's time; replay a stored response for a retried key."""
        try:
            return self._run_once(fn, status_code, location, etag)
        except IntegrityError:
            if self.key is None:
                raise
            # A concurrent twin with the same key committed first: replay what it stored.
            with self.state.db.unit_of_work(write=False) as session:
                rec = idem.lookup(session, actor_id=self.actor.user_id, key=self.key, request_hash=self.request_hash)
                if rec is None:
                    raise
                return _replay(rec.status_code, rec.body, rec.location, rec.etag)

    def _run_once(
        self,
        fn: Callable[[Session, datetime], BaseModel],
        status_code: int,
        location: Callable[[Any], str] | None,
        etag: Callable[[Any], int] | None,
    ) -> Response:
        now = self.state.clock.now()
        with self.state.db.unit_of_work() as session:
            actor = self._resolve(session)
            if self.key is not None:
                rec = idem.lookup(session, actor_id=actor.user_id, key=self.key, request_hash=self.request_hash)
                if rec is not None:
                    return _replay(rec.status_code, rec.body, rec.location, rec.etag)
            result = fn(session, now)
            body = result.model_dump_json()
            loc = location(result) if location else None
            tag = etag_for(etag(result)) if etag else None
            if self.key is not None:
                idem.store(
                    session,
                    actor_id=actor.user_id,
                    key=self.key,
                    request_hash=self.request_hash,
                    status_code=status_code,
                    body=body,
                    location=loc,
                    etag=tag,
                    now=now,
                )
        return _response(status_code, body, loc, tag, replayed=False)


def _response(status: int, body: str, location: str | None, etag: str | None, *, replayed: bool) -> Response:
    headers = {}
    if location:
        headers["Location"] = location
    if etag:
        headers["ETag"] = etag
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(content=body, status_code=status, media_type="application/json", headers=headers)


def _replay(status: int, body: str, location: str | None, etag: str | None) -> Response:
    return _response(status, body, location, etag, replayed=True)


async def _command(
    request: Request,
    state: State,
    authorization: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> Command:
    # A missing or malformed header is refused here, before the body is looked at; the token itself is checked
    # against the database by Command, in the route's thread and transaction.
    token = _bearer(authorization)
    if token is None:
        raise Unauthenticated("this operation needs a bearer token")
    raw = await request.body()
    digest = hashlib.sha256(request.method.encode() + b" " + request.url.path.encode() + b"\n" + raw).hexdigest()
    if idempotency_key is not None and not idempotency_key.strip():
        raise ValidationFailed("Idempotency-Key must not be empty", code="idempotency.bad_key")
    return Command(state, None, idempotency_key, digest, request.url.path, token=token)


Cmd = Annotated[Command, Depends(_command)]


def json_response(model: BaseModel, *, etag: int | None = None) -> Response:
    """A JSON response with an optional ETag."""
    headers = {"ETag": etag_for(etag)} if etag is not None else None
    return Response(content=model.model_dump_json(), media_type="application/json", headers=headers)


Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
After = Annotated[str | None, Query(max_length=64, description="Cursor: the `next` value of the previous page")]


def next_cursor(rows: list[Any] | tuple[Any, ...], limit: int) -> str | None:
    """Keyset cursor: the last row's id when the page is full, else None (the end)."""
    return str(rows[-1].id) if len(rows) == limit and rows else None
