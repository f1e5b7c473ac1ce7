"""Pages: the public portal (no login). Each page reads through the services in one read transaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from quartermaster.web.i18n import LANGUAGES
from quartermaster.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The public front page."""
    return render(request, "home.html")


@router.get("/language")
def switch_language(
    lang: Annotated[str, Query(max_length=8)], next: Annotated[str, Query(max_length=2000)] = "/"
) -> RedirectResponse:
    """Remember the chosen language in a cookie and go back (only to a page of this site)."""
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
