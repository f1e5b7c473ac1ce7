"""The Jinja2 environment: autoescaped HTML, gettext per request, locale formats, the CSRF token in forms."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from quartermaster import __version__
from quartermaster.web.i18n import LANGUAGES, NAMES, Formats, negotiate, translations

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@cache
def environment() -> Environment:
    """One environment for the process (templates are cached; translations are bound per render)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html", "xml")),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["version"] = __version__
    return env


def language(request: Request) -> str:
    """The request's language (see ``i18n.negotiate``)."""
    return negotiate(request.cookies.get("lang"), request.headers.get("accept-language"))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page in the request's language."""
    lang = language(request)
    env = environment()
    catalogue = translations(lang)
    template_obj = env.get_template(template)

    def gettext(message: str, **values: Any) -> str:
        text = catalogue.gettext(message)
        return text % values if values else text

    def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
        return catalogue.ngettext(singular, plural, n) % {"num": n, **values}

    from quartermaster.web.auth import current_person  # auth renders pages too: imported here, not at the top

    context.setdefault("person", current_person(request))  # every page shows who is logged in
    context.setdefault("csrf_token", getattr(request.state, "csrf_token", None))  # set by current_person
    body = template_obj.render(
        request=request,
        lang=lang,
        languages=[(code, NAMES[code]) for code in LANGUAGES],
        fmt=Formats(lang),
        _=gettext,
        gettext=gettext,
        ngettext=ngettext,
        **context,
    )
    response = HTMLResponse(body, status_code=status_code)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response
