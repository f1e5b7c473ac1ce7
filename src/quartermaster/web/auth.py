"""Logging people in to the web interface: session cookies, CSRF tokens, and the login, logout and account pages.

How a page uses it:

* ``person: MaybePerson`` (or ``current_person(request)``) is the ``Actor`` of the session, the same the API
  resolves from a bearer token (role, organization, clearance), or None; ``person: Person`` (``require_person``)
  sends whoever is not logged in to ``/login?next=<this page>``.
* Every POST form carries ``<input type="hidden" name="csrf" value="{{ csrf_token }}">``; ``render`` puts
  ``csrf_token`` into every template once the person was resolved. HTMX requests send the same value in the
  ``X-CSRF-Token`` header. A POST route declares ``dependencies=[CsrfChecked]``; a missing or wrong token is
  refused with 403 and a page that says so in the person's language.
* The routers of pages use ``APIRouter(route_class=PageRoute)``, which turns ``LoginRequired`` into the redirect
  and ``CsrfRefused`` into that page.

The session cookie ``qm_session`` is HttpOnly, SameSite=Lax, Path=/ and Secure as ``QM_COOKIE_SECURE`` says (by
default when ``QM_PUBLIC_URL`` is https or the request came over https; see ``cookie_secure``). The login form itself
is protected by a double-submit cookie (``qm_csrf``, HttpOnly too: the form carries the value, no script reads it):
there is no session yet to hold a synchronizer token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Protocol
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from quartermaster.actors import Actor
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.identity import service as identity
from quartermaster.identity.models import User
from quartermaster.types import Clock
from quartermaster.web import sessions
from quartermaster.web.templating import render

SESSION_COOKIE = "qm_session"
CSRF_COOKIE = "qm_csrf"  # the pre-session double-submit token of the login form
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
_UNRESOLVED = object()


class _State(Protocol):
    """What this module needs of the app's state (``api.deps.AppState``; web sits below api, so no import)."""

    db: Database
    clock: Clock
    settings: Settings


def _state(request: Request) -> _State:
    state: _State = request.app.state.qm
    return state


class LoginRequired(Exception):
    """The page needs a logged-in person; ``next`` is where to return after login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token (or with a wrong one)."""


class PageRoute(APIRoute):
    """A page route: a missing login becomes a redirect to the login page, a CSRF refusal a 403 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler to turn the two exceptions into pages."""
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                target = "/login?next=" + quote(exc.next_url, safe="/")
                if request.headers.get("HX-Request"):  # HTMX swaps fragments: make it load the whole login page
                    return Response(status_code=401, headers={"HX-Redirect": target})
                return RedirectResponse(target, status_code=303)
            except CsrfRefused:
                return render(request, "refused.html", status_code=403, reason="csrf")

        return page


# --- who is asking ------------------------------------------------------------------------------------------------


def current_person(request: Request) -> Actor | None:
    """The person logged in with this request's session cookie, or None (resolved once per request).

    Sets ``request.state.csrf_token`` to the session's CSRF secret (None without a session), which ``render``
    passes to every template.
    """
    cached = getattr(request.state, "person", _UNRESOLVED)
    if cached is not _UNRESOLVED:
        return cached  # type: ignore[return-value]
    person, csrf = None, None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        state = _state(request)
        now = state.clock.now()
        with state.db.unit_of_work(write=False) as session:
            found = sessions.resolve(session, token, now)
        if found is not None:
            if found.stale:
                with state.db.unit_of_work() as session:
                    sessions.touch(session, session_id=found.session_id, now=now)
            person, csrf = found.actor, found.csrf_secret
    request.state.person = person
    request.state.csrf_token = csrf
    return person


def require_person(request: Request) -> Actor:
    """The logged-in person; anyone else is sent to the login page (``LoginRequired``, see ``PageRoute``)."""
    person = current_person(request)
    if person is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return person


MaybePerson = Annotated[Actor | None, Depends(current_person)]
Person = Annotated[Actor, Depends(require_person)]


def _same(expected: str | None, supplied: str | None) -> bool:
    return bool(expected) and bool(supplied) and hmac.compare_digest(str(expected).encode(), str(supplied).encode())


async def _supplied_token(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    form = await request.form()  # cached on the request: the route's own Form fields read the same parse
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def check_csrf(request: Request) -> None:
    """Refuse (CsrfRefused) a request whose ``csrf`` field or ``X-CSRF-Token`` header is not the session's token."""
    await run_in_threadpool(current_person, request)
    if not _same(request.state.csrf_token, await _supplied_token(request)):
        raise CsrfRefused


async def check_login_csrf(request: Request) -> None:
    """Refuse a login form whose ``csrf`` field does not match the ``qm_csrf`` cookie (double submit)."""
    if not _same(request.cookies.get(CSRF_COOKIE), await _supplied_token(request)):
        raise CsrfRefused


CsrfChecked = Depends(check_csrf)
LoginCsrfChecked = Depends(check_login_csrf)


# --- cookies ------------------------------------------------------------------------------------------------------


def cookie_secure(request: Request) -> bool:
    """Whether this site's cookies get the Secure flag (``QM_COOKIE_SECURE``; see ``Settings.secure_cookies``)."""
    return _state(request).settings.secure_cookies(request.url.scheme)


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(sessions.ABSOLUTE_TIMEOUT.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
    )


def _login_csrf(request: Request) -> str:
    """The double-submit token of the login form: the cookie's, or a new one (``_keep_login_csrf`` sets it)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing
    fresh: str = getattr(request.state, "new_login_csrf", None) or secrets.token_urlsafe(32)
    request.state.new_login_csrf = fresh
    return fresh


def _keep_login_csrf(request: Request, response: Response) -> Response:
    fresh = getattr(request.state, "new_login_csrf", None)
    if fresh:
        response.set_cookie(CSRF_COOKIE, fresh, path="/", httponly=True, samesite="lax", secure=cookie_secure(request))
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no ``//host`` or ``/\\host``, which browsers treat as another site)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target:
        return "/account"
    return target


# --- pages --------------------------------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False, route_class=PageRoute)

Username = Annotated[str, Form(max_length=200)]
Secret = Annotated[str, Form(max_length=2000)]
Next = Annotated[str, Form(max_length=2000)]


def _login_page(
    request: Request, *, status_code: int = 200, step: str = "password", **context: Any
) -> HTMLResponse | Response:
    page = render(
        request,
        "login.html",
        status_code=status_code,
        step=step,
        login_csrf=_login_csrf(request),
        **{"username": "", "next_url": "/account", "error": None, **context},
    )
    return _keep_login_csrf(request, page)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return _login_page(request, next_url=_safe_next(next), person=current_person(request))


_STATUS = {"auth.bad_credentials": 401, "auth.bad_second_factor": 401, "auth.inactive": 403, "auth.rate_limited": 429}


def _refused(request: Request, check: identity.LoginCheck, **context: Any) -> Response:
    assert check.refusal is not None
    page = _login_page(
        request,
        status_code=_STATUS[check.refusal],
        error=check.refusal,
        minutes=max(1, (check.retry_after + 59) // 60),
        **context,
    )
    if check.retry_after:
        page.headers["Retry-After"] = str(check.retry_after)
    return page


@router.post("/login", dependencies=[LoginCsrfChecked])
def login(request: Request, username: Username, password: Secret, next: Next = "/account") -> Response:
    """Check the password; then either log in, or ask for the one-time code when the person has a second factor."""
    state = _state(request)
    target = _safe_next(next)
    now = state.clock.now()
    with state.db.unit_of_work() as session:
        check = identity.check_password(session, username=username, password=password, now=now)
        token, pending = None, False
        if check.user is not None:
            previous = request.cookies.get(SESSION_COOKIE)
            if previous:  # logging in again (or as someone else) ends the session this browser had
                sessions.revoke(session, token=previous, now=now)
            pending = check.user.totp_secret is not None
            token, _ = sessions.start(session, user=check.user, now=now, second_factor_pending=pending)
    if check.user is None or token is None:
        return _refused(request, check, username=username, next_url=target)
    if pending:
        page = _login_page(request, step="code", username=check.user.username, next_url=target)
        _set_session_cookie(request, page, token)
        return page
    return _logged_in(request, token, target)


@router.post("/login/code", dependencies=[LoginCsrfChecked])
def login_code(request: Request, code: Annotated[str, Form(max_length=20)], next: Next = "/account") -> Response:
    """Check the one-time code of a person whose password was right; log them in with a fresh session."""
    state = _state(request)
    target = _safe_next(next)
    now = state.clock.now()
    pending_token = request.cookies.get(SESSION_COOKIE, "")
    with state.db.unit_of_work() as session:
        pending = sessions.pending_user(session, pending_token, now)
        if pending is None:
            return _login_page(request, status_code=401, error="auth.login_expired", next_url=target)
        user: User = pending[0]
        username = user.username
        check = identity.check_second_factor(session, user=user, code=code, now=now)
        token = None
        if check.user is not None:
            # A new session id after the second factor: whatever knew the pending cookie learns nothing useful.
            sessions.revoke(session, token=pending_token, now=now)
            token, _ = sessions.start(session, user=check.user, now=now)
    if token is None:
        return _refused(request, check, step="code", username=username, next_url=target)
    return _logged_in(request, token, target)


def _logged_in(request: Request, token: str, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    _set_session_cookie(request, response, token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> Response:
    """End the session (server-side, so a copied cookie stops working too) and go to the front page."""
    state = _state(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with state.db.unit_of_work() as session:
            sessions.revoke(session, token=token, now=state.clock.now())
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(request))
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, person: Person) -> Response:
    """Who am I: name, username, role, organization and clearance."""
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        user = session.get(User, person.user_id)
        assert user is not None  # the session resolved to this user a moment ago
        organization = user.organization
        details: dict[str, Any] = {
            "username": user.username,
            "organization": (organization.name_uk or organization.name) if organization else None,
            "organization_en": organization.name if organization else None,
            "second_factor": user.totp_secret is not None,
        }
    page = render(request, "account.html", person=person, **details)
    page.headers["Cache-Control"] = "no-store"
    return page
