"""The lock store that serialises one person's messages across Rasa servers
(connectors/lock_store.py), on the local Redis (database 14, flushed). Skipped loudly without it."""

from __future__ import annotations

import asyncio
import threading

import pytest
import redis

from connectors.lock_store import SerialisingRedisLockStore

REDIS_DB = 14


@pytest.fixture()
def stores():
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        client.flushdb()
    except redis.ConnectionError as err:
        pytest.skip(f"LOCK STORE NOT CHECKED: no Redis at 127.0.0.1:6379 ({err})")
    yield [SerialisingRedisLockStore(host="127.0.0.1", port=6379, db=REDIS_DB, key_prefix="psoastest") for _ in "ab"]
    client.flushdb()


class Section:
    """A critical section that notices when two holders are inside at once."""

    def __init__(self):
        self.inside = 0
        self.overlaps = 0
        self.entries = []
        self.guard = threading.Lock()

    async def run(self, store, name: str, seconds: float, lifetime: float = 5):
        async with store.lock("ana", lock_lifetime=lifetime):
            with self.guard:
                self.inside += 1
                self.overlaps += self.inside > 1
                self.entries.append(name)
            await asyncio.sleep(seconds)
            with self.guard:
                self.inside -= 1


def in_threads(*jobs):
    threads = [threading.Thread(target=lambda job=job: asyncio.run(job())) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_two_servers_taking_tickets_at_the_same_moment_take_turns(stores):
    section = Section()
    jobs = [lambda i=i: section.run(stores[i % 2], f"m{i}", 0.05) for i in range(12)]
    in_threads(*jobs)
    assert sorted(section.entries) == sorted(f"m{i}" for i in range(12)), "every message had its turn"
    assert section.overlaps == 0, "never two turns of one conversation at once"


def test_a_dead_servers_ticket_holds_the_conversation_only_for_its_lifetime(stores):
    dead = stores[0].issue_ticket("ana", lock_lifetime=1)  # never released: its server died
    assert dead > 0
    section = Section()
    in_threads(lambda: section.run(stores[1], "after", 0, lifetime=1))
    assert section.entries == ["after"]


def test_a_long_turn_keeps_its_lock_and_the_message_behind_it_waits_its_turn(stores):
    """Lifetime 1 s, a turn of 2.5 s: Rasa's own store would let the second message in after 1 s
    and then lose its expired ticket; here the live turn keeps the lock and the waiter stays queued."""
    section = Section()

    async def second():
        await asyncio.sleep(0.3)
        await section.run(stores[1], "second", 0, lifetime=1)

    in_threads(lambda: section.run(stores[0], "first", 2.5, lifetime=1), second)
    assert section.entries == ["first", "second"]
    assert section.overlaps == 0


def test_an_emptied_queue_leaves_no_lock_behind(stores):
    section = Section()
    in_threads(lambda: section.run(stores[0], "only", 0))
    assert stores[0].get_lock("ana") is None


def test_settings_come_from_the_endpoint_configuration(stores):
    from rasa.utils.endpoints import EndpointConfig

    config = EndpointConfig(url="127.0.0.1", port=6379, db=REDIS_DB, password="", key_prefix="psoastest")
    store = SerialisingRedisLockStore(endpoint_config=config)
    assert store.key_prefix == "psoastest:lock:"
    number = store.issue_ticket("bo")
    assert stores[0].get_lock("bo").now_serving == number, "the same keys Rasa's own store uses"
