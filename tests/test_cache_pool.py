"""The Redis cache shares one client per process, whatever the number of threads and contexts."""

import asyncio
import threading

from novosphere.cache import FailOpenRedisCache


def test_every_instance_of_the_redis_cache_shares_one_client_and_pool():
    def make():
        return FailOpenRedisCache("redis://127.0.0.1:6379/8", {"OPTIONS": {"socket_timeout": 2}})

    clients = [make()._cache]
    thread = threading.Thread(target=lambda: clients.append(make()._cache))
    thread.start()
    thread.join()

    async def in_a_task():
        return make()._cache

    clients.append(asyncio.run(in_a_task()))
    assert len({id(client) for client in clients}) == 1
    pools = {id(client._get_connection_pool(write=True)) for client in clients}
    assert len(pools) == 1
    other = FailOpenRedisCache("redis://127.0.0.1:6379/9", {})._cache
    assert other is not clients[0]  # another server or database, another client
