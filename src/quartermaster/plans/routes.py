"""Plans endpoints: HTTP <-> schemas only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from quartermaster.api.deps import (
    After,
    Cmd,
    IfMatch,
    Limit,
    MaybeActor,
    ReadSession,
    State,
    check_version,
    json_response,
    next_cursor,
    parse_if_match,
    require_if_match,
)
from quartermaster.plans import service
from quartermaster.plans.models import Plan
from quartermaster.plans.schemas import CancelPlan, PlanCreate, PlanRead, PlanUpdate, plan_read
from quartermaster.schema_base import Page

router = APIRouter(prefix="/api/v1", tags=["plans"])


def _read(plan: Plan) -> PlanRead:
    return plan_read(plan, service.allowed_commands(plan))


@router.get("/plans", response_model=Page[PlanRead], summary="List plans")
def list_plans(
    session: ReadSession,
    actor: MaybeActor,
    limit: Limit = 50,
    after: After = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    buyer_id: Annotated[str | None, Query(max_length=32)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    cpv: Annotated[str | None, Query(max_length=10, pattern=r"^[0-9-]+$", description="CPV code prefix")] = None,
) -> Page[PlanRead]:
    """Published plans (and the caller's own drafts), filtered, in keyset pages."""
    flt = service.PlanFilter(status=status, buyer_id=buyer_id, year=year, cpv_prefix=cpv)
    rows = list(service.list_plans(session, actor=actor, flt=flt, after=after, limit=limit))
    return Page[PlanRead](data=[_read(p) for p in rows], next=next_cursor(rows, limit))


@router.post("/plans", status_code=201, response_model=PlanRead, summary="Prepare a draft plan")
def create_plan(body: PlanCreate, cmd: Cmd, state: State) -> Response:
    """A buyer prepares a draft plan; an approver of the same organization publishes it."""
    return cmd.run(
        lambda s, now: _read(service.create_plan(s, actor=cmd.actor, now=now, spec=body, lists=state.lists)),
        status_code=201,
        location=lambda r: f"/api/v1/plans/{r.id}",
        etag=lambda r: r.version,
    )


@router.get("/plans/{plan_id}", response_model=PlanRead, summary="Read a plan")
def get_plan(plan_id: str, session: ReadSession, actor: MaybeActor) -> Response:
    """One plan, with its ETag."""
    plan = service.get_plan(session, plan_id, actor=actor)
    return json_response(_read(plan), etag=plan.version)


@router.patch("/plans/{plan_id}", response_model=PlanRead, summary="Change a draft plan")
def update_plan(plan_id: str, body: PlanUpdate, cmd: Cmd, state: State, if_match: IfMatch = None) -> Response:
    """Change a draft; requires If-Match with the ETag last read."""
    expected = require_if_match(if_match)

    def go(s: Session, now: datetime) -> PlanRead:
        check_version("plan", service.get_plan(s, plan_id, actor=cmd.actor, for_update=True).version, expected)
        return _read(service.update_plan(s, actor=cmd.actor, now=now, plan_id=plan_id, spec=body, lists=state.lists))

    return cmd.run(go, etag=lambda r: r.version)


def _plan_command(
    cmd: Cmd, plan_id: str, if_match: str | None, action: Callable[[Session, datetime], Plan]
) -> Response:
    """Run a plan command, checking If-Match (when sent) under the row lock."""
    expected = parse_if_match(if_match)

    def go(s: Session, now: datetime) -> PlanRead:
        if expected is not None:
            check_version("plan", service.get_plan(s, plan_id, actor=cmd.actor, for_update=True).version, expected)
        return _read(action(s, now))

    return cmd.run(go, etag=lambda r: r.version)


@router.post("/plans/{plan_id}/publish", response_model=PlanRead, summary="Publish a plan")
def publish_plan(plan_id: str, cmd: Cmd, if_match: IfMatch = None) -> Response:
    """An approver of the buyer (not the preparer) publishes the plan."""
    return _plan_command(
        cmd, plan_id, if_match, lambda s, now: service.publish_plan(s, actor=cmd.actor, now=now, plan_id=plan_id)
    )


@router.post("/plans/{plan_id}/cancel", response_model=PlanRead, summary="Cancel a plan")
def cancel_plan(plan_id: str, body: CancelPlan, cmd: Cmd, if_match: IfMatch = None) -> Response:
    """Cancel a draft or published plan with a reason."""
    return _plan_command(
        cmd,
        plan_id,
        if_match,
        lambda s, now: service.cancel_plan(s, actor=cmd.actor, now=now, plan_id=plan_id, reason=body.reason),
    )


@router.post("/plans/{plan_id}/complete", response_model=PlanRead, summary="Mark a plan as carried out")
def complete_plan(plan_id: str, cmd: Cmd, if_match: IfMatch = None) -> Response:
    """An approver marks a published plan as complete."""
    return _plan_command(
        cmd, plan_id, if_match, lambda s, now: service.complete_plan(s, actor=cmd.actor, now=now, plan_id=plan_id)
    )
