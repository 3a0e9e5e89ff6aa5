"""Every life of the service as a whole table: each allowed move and each refused one."""

import pytest

from events.services import ATTENDANCE_LIFE, PLACE_LIFE
from novosphere.api.errors import Conflict
from novosphere.lifecycle import ABSENT, Lifecycle, transition
from profiles.services import CITY_LINK_LIFE
from projects.services import RESPONSE_LIFE, TRANSITIONS

EXPECTED = {
    TRANSITIONS: {
        "accept": ({"open"}, "accepted"), "decline": ({"open"}, "declined"),
        "withdraw": ({"open"}, "withdrawn"), "close": ({"open"}, "closed"), "expire": ({"open"}, "closed"),
    },
    RESPONSE_LIFE: {
        "respond": ({ABSENT}, "open"), "choose": ({"open"}, "accepted"), "pass_over": ({"open"}, "not_chosen"),
    },
    CITY_LINK_LIFE: {
        "propose": ({ABSENT}, "pending"), "accept": ({"pending"}, "accepted"),
        "end": ({"pending", "accepted"}, ABSENT),
    },
    PLACE_LIFE: {
        "invite": ({ABSENT}, "pending"), "join": ({ABSENT, "pending"}, "accepted"),
        "accept": ({"pending"}, "accepted"),
    },
    ATTENDANCE_LIFE: {
        "attend": ({ABSENT}, "going"), "queue": ({ABSENT}, "waiting"), "move_up": ({"waiting"}, "going"),
        "leave": ({"going", "waiting"}, ABSENT),
    },
}


@pytest.mark.parametrize("life", list(EXPECTED), ids=lambda life: life.name)
def test_each_table_allows_exactly_its_moves_and_refuses_every_other(life):
    assert {action: (set(rule.sources), rule.result) for action, rule in life.items()} == EXPECTED[life]
    for action, (sources, result) in EXPECTED[life].items():
        for state in life.states:
            if state in sources:
                assert life.check(action, state, refused="no") == result
            else:
                with pytest.raises(Conflict):
                    life.check(action, state, refused="no")


def test_a_table_naming_an_unknown_state_is_refused_when_declared():
    with pytest.raises(ValueError):
        Lifecycle("broken", ["open"], {"close": transition({"open"}, "closd")})
