"""The hub hands a frame over at once only when that overtakes no handler of the socket."""

import asyncio

from feeds.hub import Turn


def test_the_turn_is_free_only_when_nobody_holds_it_or_waits_for_it():
    order = []

    async def handler(turn, name):
        async with turn:
            order.append(name)

    async def scenario():
        turn = Turn()
        assert turn.free()
        async with turn:
            assert not turn.free()
            waiter = asyncio.ensure_future(handler(turn, "waiter"))
            await asyncio.sleep(0)
        # Released, but the waiter has not run yet: cutting in now would overtake it.
        assert not turn.free()
        await waiter
        assert turn.free() and order == ["waiter"]

    asyncio.run(scenario())
