"""RFC 9457 problem+json: the only table from error classes to HTTP statuses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from quartermaster import errors as e
from quartermaster.events.service import jsonable

log = logging.getLogger("quartermaster.api")

PROBLEM_JSON = "application/problem+json"

STATUS: list[tuple[type[e.QMError], int]] = [
    (e.NotFound, 404),
    (e.Unauthenticated, 401),
    (e.PermissionDenied, 403),
    (e.ValidationFailed, 422),
    (e.StaleVersion, 412),
    (e.IdempotencyMismatch, 422),
    (e.Conflict, 409),
    (e.RuleViolation, 422),
    (e.PreconditionRequired, 428),
    (e.LogDamaged, 503),  # not the caller's fault, and not an unhandled crash: an operator must restore the log
    (e.ServiceUnavailable, 503),
]


def status_of(exc: e.QMError) -> int:
    """HTTP status for a domain error (first matching class, most specific first)."""
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """Build a problem+json response."""
    body = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        **jsonable(extra),
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into problem+json."""

    @app.exception_handler(e.QMError)
    async def _domain(request: Request, exc: e.QMError) -> JSONResponse:
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return problem(
            request, status=status, code=exc.code, title=exc.title, detail=exc.message, headers=headers, **exc.fields
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = [
            {"field": _field(tuple(err.get("loc", ()))), "message": str(err.get("msg", "")), "type": err.get("type")}
            for err in exc.errors()
        ]
        return problem(
            request,
            status=422,
            code="validation.failed",
            title="Invalid input",
            detail=f"{len(errs)} field(s) are invalid",
            errors=errs,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "request.too_large"}.get(
            exc.status_code, f"http.{exc.status_code}"
        )
        return problem(
            request,
            status=exc.status_code,
            code=code,
            title=str(exc.detail),
            detail=str(exc.detail),
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return problem(
            request,
            status=409,
            code="conflict.concurrent_update",
            title="Concurrent update",
            detail="the record was changed by another request at the same time; read it again and retry",
        )

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the schemas let through (PostgreSQL stores no NUL character in text):
        # the input is at fault. A path with such a character names nothing.
        if "\x00" in request.url.path:
            return problem(request, status=404, code="not_found", title="Not found", detail="no such resource")
        return problem(
            request,
            status=422,
            code="validation.unstorable",
            title="Invalid input",
            detail="a value in the request cannot be stored (for example a NUL character in text)",
        )

    @app.exception_handler(OperationalError)
    async def _db_busy(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.orig)
        return problem(
            request,
            status=503,
            code="service.unavailable",
            title="Service unavailable",
            detail="the database is busy or unreachable; retry shortly",
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            request,
            status=500,
            code="server.error",
            title="Internal error",
            detail="the server failed to handle the request; it has been logged",
        )
