"""The complaint state machine: who may take each step, where each kind of complaint can end, what holds up a
contract, and that complaint texts never go into events (only their digests)."""

from __future__ import annotations

import hashlib

import pytest

from quartermaster.actors import Actor, Role
from quartermaster.complaints.models import (
    AGAINSTS,
    CLAIM_COMMANDS,
    COMPLAINT_COMMANDS,
    COMPLAINT_MACHINE,
    CORRECTIONS,
    UNRESOLVED,
)
from quartermaster.complaints.service import digest
from quartermaster.errors import InvalidTransition, PermissionDenied


def actor(role: Role) -> Actor:
    """A person of ``role``."""
    return Actor(user_id="u", name="U", role=role, organization_id="o")


def test_terminal_states_are_the_outcomes_and_unresolved_ones_are_not_terminal() -> None:
    assert COMPLAINT_MACHINE.terminal() == {"rejected", "declined", "stopped", "resolved"}
    assert not set(UNRESOLVED) & COMPLAINT_MACHINE.terminal()
    assert set(UNRESOLVED) == {"pending", "accepted", "satisfied"}


def test_claims_are_answered_by_the_buyer_and_complaints_by_the_review_body() -> None:
    assert "answer_claim" in CLAIM_COMMANDS
    assert "answer_claim" not in COMPLAINT_COMMANDS
    assert not {"accept_complaint", "reject_complaint", "decide_complaint", "resolve_complaint"} & CLAIM_COMMANDS
    assert COMPLAINT_MACHINE.transitions["answer_claim"].roles == {Role.BUYER, Role.APPROVER}
    for command in ("accept_complaint", "reject_complaint", "decide_complaint"):
        assert COMPLAINT_MACHINE.transitions[command].roles == {Role.REVIEWER}


@pytest.mark.parametrize("role", [Role.BUYER, Role.APPROVER, Role.SUPPLIER, Role.AUDITOR, Role.ADMIN])
def test_only_reviewers_decide(role: Role) -> None:
    with pytest.raises(PermissionDenied):
        COMPLAINT_MACHINE.check(obj_id="c", state="accepted", command="decide_complaint", actor=actor(role))


@pytest.mark.parametrize("state", ["satisfied", "declined", "rejected", "resolved", "stopped"])
def test_no_withdrawal_after_a_decision(state: str) -> None:
    with pytest.raises(InvalidTransition):
        COMPLAINT_MACHINE.check(obj_id="c", state=state, command="withdraw_complaint", actor=actor(Role.SUPPLIER))


def test_every_target_has_a_correction() -> None:
    assert set(CORRECTIONS) == set(AGAINSTS)


def test_digest_is_sha256_of_the_utf8_text() -> None:
    assert digest("скарга") == hashlib.sha256("скарга".encode()).hexdigest()
    assert digest(None) is None
