"""Explicit lives: the states a thing goes through, and the only moves between them.

Each thing with a life (a collaboration request, a response, a city link, a
city's place in a territory, an attendance) declares one `Lifecycle` beside
its services: a table of named transitions, each with the states it may
start from and the state it leads to. Services ask the table before they
change a status (`check`, a 409 with the reason when refused), so the rules
live in one place and a test can walk the whole table.

`ABSENT` stands for "no row": where a thing begins (a link proposed, an
RSVP made) and where a deleted one ends (a link ended, an RSVP cancelled).
"""

from __future__ import annotations

from dataclasses import dataclass

from novosphere.errors import Conflict

ABSENT = ""


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]  # the states it may start from
    result: str  # the state it leads to (ABSENT: the row goes)
    party: str = ""  # who may do it, where the lifecycle says (a request's "author", "target", "deadline")


class Lifecycle:
    def __init__(self, name: str, states: list[str], transitions: dict[str, Transition]):
        self.name = name
        self.states = [ABSENT, *states]
        self.transitions = transitions
        for action, rule in transitions.items():
            unknown = (set(rule.sources) | {rule.result}) - set(self.states)
            if unknown:
                raise ValueError(f"{name}.{action} names unknown states {sorted(unknown)}")

    def __getitem__(self, action: str) -> Transition:
        return self.transitions[action]

    def items(self):
        return self.transitions.items()

    def allows(self, action: str, state: str) -> bool:
        return state in self.transitions[action].sources

    def check(self, action: str, state: str, *, refused: str) -> str:
        """The state `action` leads to from `state`; a 409 saying `refused` if the table forbids it."""
        if not self.allows(action, state):
            raise Conflict(refused)
        return self.transitions[action].result

    def sources(self, action: str) -> list[str]:
        return sorted(self.transitions[action].sources)


def transition(sources, result: str, party: str = "") -> Transition:
    return Transition(frozenset(sources), result, party)
