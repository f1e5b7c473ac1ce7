"""The seeded people sign their decisions with their key files, as a real approver's client would.

Each helper asks the platform for the decision's document exactly as ``POST /api/v1/decisions/draft`` does and signs
its bytes with the person's key file (``SeedContext.keys``); a person without a key file signs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.awards import decisions as award_decisions
from quartermaster.awards.schemas import AwardIn
from quartermaster.client.keyfile import PersonKeys
from quartermaster.contracts import service as contracts
from quartermaster.decisions import ED25519
from quartermaster.decisions.schemas import SignatureIn, SignedReason
from quartermaster.sealing.encoding import b64url_encode
from quartermaster.seed.sim import Simulation

Draft = tuple[Any, tuple[dict[str, Any], bytes, str | None]]


def _sign(
    sim: Simulation, keys: dict[str, PersonKeys], actor: Actor, draft: Callable[[Session], Draft]
) -> SignatureIn | None:
    person = keys.get(actor.user_id)
    if person is None:
        return None
    _, (_, data, key_id) = sim.read(draft)
    if key_id is None:
        return None
    return SignatureIn(scheme=ED25519, signature=b64url_encode(person.sign(data)))


def signed_award(sim: Simulation, keys: dict[str, PersonKeys], actor: Actor, lot_id: str, spec: AwardIn) -> AwardIn:
    """``spec`` with the approver's signature."""
    signature = _sign(sim, keys, actor, lambda s: award_decisions.draft_award(s, actor=actor, lot_id=lot_id, spec=spec))
    return spec.model_copy(update={"signature": signature})


def disqualification(
    sim: Simulation, keys: dict[str, PersonKeys], actor: Actor, bid_id: str, reason: str
) -> SignatureIn | None:
    """The approver's signature of disqualifying ``bid_id`` for ``reason``."""
    spec = SignedReason(reason=reason)
    return _sign(sim, keys, actor, lambda s: award_decisions.draft_disqualify(s, actor=actor, bid_id=bid_id, spec=spec))


def contract_signature(
    sim: Simulation, keys: dict[str, PersonKeys], actor: Actor, contract_id: str
) -> SignatureIn | None:
    """The party's signature of the contract as it now stands."""
    return _sign(sim, keys, actor, lambda s: contracts.draft_signature(s, actor=actor, contract_id=contract_id))
