"""My keys: a person enrols their Ed25519 signing key and X25519 custody key (committee members hold shares with it).

The keys are made in the person's browser (``static/seal.js``, WebCrypto) or read there from an existing key file;
the page posts only the two public keys and the proof of possession (an Ed25519 signature over the enrolment
document, ``identity.keys.enrolment_document``). The private halves stay in the key file the person downloads, in
exactly the format of ``quartermaster.client.keyfile`` so the command line can use it too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from quartermaster.actors import Actor
from quartermaster.api.deps import AppState
from quartermaster.errors import QMError
from quartermaster.identity import keys as person_keys
from quartermaster.identity.models import User
from quartermaster.web.auth import CsrfChecked, PageRoute, Person
from quartermaster.web.refusals import Refusal
from quartermaster.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PublicKey = Annotated[str, Form(max_length=100)]
FIELD_LABELS = {
    "signing_public_key": "Signing key",
    "custody_public_key": "Custody key",
    "proof": "Proof of possession",
}


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


def _page(request: Request, person: Actor, *, refusal: Refusal | None = None, enrolled: bool = False) -> Response:
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        current = [k for k in person_keys.keys_of(session, person.user_id) if k.retired_at is None]
        page = render(
            request,
            "keys.html",
            status_code=refusal.status if refusal else 200,
            keys=current,
            refusal=refusal,
            enrolled=enrolled,
            field_labels=FIELD_LABELS,
        )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/me/keys", response_class=HTMLResponse)
def keys_page(request: Request, person: Person, enrolled: str = "") -> Response:
    """My enrolled public keys, and making or loading a key file to enrol (new keys retire the old ones)."""
    return _page(request, person, enrolled=enrolled == "1")


@router.post("/me/keys", dependencies=[CsrfChecked])
def enrol(
    request: Request,
    person: Person,
    signing_public_key: PublicKey = "",
    custody_public_key: PublicKey = "",
    proof: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Enrol the public keys the page derived from the person's key file, with the proof of possession."""
    state = _state(request)
    try:
        with state.db.unit_of_work() as session:
            user = session.get(User, person.user_id)
            assert user is not None  # the session resolved to this user a moment ago
            person_keys.enrol_keys(
                session,
                actor=person,
                now=state.clock.now(),
                user=user,
                signing_public_key=signing_public_key,
                custody_public_key=custody_public_key,
                proof=proof,
            )
    except QMError as exc:
        return _page(request, person, refusal=Refusal.of(exc, page="keys"))
    return RedirectResponse("/me/keys?enrolled=1", status_code=303)
