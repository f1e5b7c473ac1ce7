"""Explicit state machines: each command names the states it may start from, the states it may lead to, the
event it records and the roles that may issue it. One table per aggregate; services consult it before acting."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from quartermaster.actors import Actor, Role
from quartermaster.errors import InvalidTransition, PermissionDenied


@dataclass(frozen=True, slots=True)
class Transition:
    """A named command: from ``sources`` to one of ``targets``, recorded as ``event``, issued by ``roles``."""

    command: str
    sources: frozenset[str]
    targets: frozenset[str]
    event: str
    roles: frozenset[Role]


def t(command: str, sources: Iterable[str], targets: Iterable[str], event: str, *roles: Role) -> Transition:
    """Shorthand for a transition table row."""
    return Transition(command, frozenset(sources), frozenset(targets), event, frozenset(roles))


class StateMachine:
    """The transitions of one aggregate type."""

    def __init__(
        self,
        name: str,
        states: Iterable[str],
        transitions: Iterable[Transition],
        derived: Iterable[str] = (),
    ) -> None:
        self.name = name
        # Derived commands happen as consequences of other commands; they are never offered to callers.
        self.derived = frozenset(derived)
        self.states = frozenset(states)
        self.transitions = {tr.command: tr for tr in transitions}
        for tr in self.transitions.values():
            unknown = (tr.sources | tr.targets) - self.states
            if unknown:
                raise ValueError(f"{name}.{tr.command} names unknown states {sorted(unknown)}")

    def allowed(self, state: str) -> list[str]:
        """Commands that may start from ``state``."""
        return sorted(c for c, tr in self.transitions.items() if state in tr.sources and c not in self.derived)

    def check(self, *, obj_id: str, state: str, command: str, actor: Actor, reason: str = "") -> Transition:
        """Return the transition, or raise PermissionDenied / InvalidTransition."""
        tr = self.transitions[command]
        if actor.role not in tr.roles:
            raise PermissionDenied(
                f"role '{actor.role}' may not {command}",
                code="auth.role_forbidden",
                command=command,
                allowed_roles=sorted(r.value for r in tr.roles),
            )
        if state not in tr.sources:
            raise InvalidTransition(
                obj=self.name, obj_id=obj_id, state=state, command=command, allowed=self.allowed(state)
            )
        return tr

    def check_state(self, *, obj_id: str, state: str, command: str) -> Transition:
        """For derived transitions (consequences of another command): check the state only."""
        tr = self.transitions[command]
        if state not in tr.sources:
            raise InvalidTransition(
                obj=self.name, obj_id=obj_id, state=state, command=command, allowed=self.allowed(state)
            )
        return tr

    def refuse(self, *, obj_id: str, state: str, command: str, reason: str) -> InvalidTransition:
        """An InvalidTransition for a guard that failed although the state would allow the command."""
        return InvalidTransition(
            obj=self.name, obj_id=obj_id, state=state, command=command, allowed=self.allowed(state), reason=reason
        )

    def terminal(self) -> frozenset[str]:
        """States no command (offered or derived) leaves."""
        return frozenset(s for s in self.states if not any(s in tr.sources for tr in self.transitions.values()))
