"""Listening on a channel layer, for tests of what the live push sends (the `layer` fixture is in conftest)."""

import asyncio
import json

from asgiref.sync import async_to_sync


def listen(layer, group: str) -> str:
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def received(layer, channel: str) -> list[dict]:
    async def drain():
        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(layer.receive(channel), 0.05))
            except TimeoutError:
                return messages

    events = async_to_sync(drain)()
    # Whatever goes through a layer must survive serialization (channels_redis uses msgpack).
    assert json.loads(json.dumps(events)) == events
    return events
