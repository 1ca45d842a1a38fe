"""Rasa's Redis lock store, made to serialise a conversation across Rasa servers for real.

endpoints.production.yml: `lock_store: {type: connectors.lock_store.SerialisingRedisLockStore,
url: ..., port: ..., db: ..., key_prefix: ...}`, the options of Rasa's `redis` lock store.

Rasa 3.6's RedisLockStore (rasa/core/lock_store.py) keeps each conversation's ticket queue as one
JSON value and changes it by GET, change in Python, SET. Two servers taking a ticket for the same
person at the same moment both read the same queue and both write theirs: one ticket is lost,
both are "now serving", and both turns run on the same old tracker, so one of them vanishes
from the conversation (tests/integration/test_scale_out.py saw exactly that). Its tickets also
expire counting from when they were issued, so a message waiting behind slower turns expires in
the queue and then waits for ever (its own ticket gone, the queue never empty).

This subclass keeps Rasa's data format, key names and ticket queue, and changes three things:

- every change to a queue is one Redis transaction (WATCH/MULTI/EXEC, retried on conflict);
  ticket numbers come from a per-conversation counter (INCR), so none is ever issued twice;
- a ticket is kept alive while its server is alive: renewed on every poll while it waits and
  every third of the lifetime while its turn runs. TICKET_LOCK_LIFETIME is then only how long
  a conversation waits for a server that died holding it (docs/deploy.md);
- waiting polls every 0.1 s instead of every second, so queued messages follow each other
  closely.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Optional, Tuple

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.1
COUNTER_TTL_SECONDS = 86_400  # ticket numbers stay unique for a day after a conversation's last message


class SerialisingRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        if not kwargs.get("password"):
            kwargs["password"] = None  # an empty REDIS_PASSWORD means none
        super().__init__(**kwargs)

    # -- one transaction per change ----------------------------------------------------------------
    def _change(self, conversation_id: str, change: Callable[[TicketLock], Any]) -> Any:
        """Applies `change` to the conversation's lock atomically; an empty lock is deleted."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else TicketLock(conversation_id)
                    result = change(lock)
                    lock.remove_expired_tickets()
                    pipe.multi()
                    if lock.tickets:
                        pipe.set(key, lock.dumps())
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def _next_number(self, conversation_id: str) -> int:
        counter = f"{self.key_prefix}{conversation_id}:tickets"
        with self.red.pipeline() as pipe:
            number, _ = pipe.incr(counter).expire(counter, COUNTER_TTL_SECONDS).execute()
        return int(number)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        number = self._next_number(conversation_id)

        def add(lock: TicketLock) -> int:
            lock.remove_expired_tickets()
            lock.tickets.append(Ticket(number, time.time() + lock_lifetime))
            return number

        return self._change(conversation_id, add)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self.finish_serving(conversation_id, ticket_number)  # an emptied lock is deleted with it

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def _renew(self, conversation_id: str, number: int, lifetime: float) -> Tuple[int, bool]:
        """Renews our ticket (or takes a new one if it lapsed); returns it and whether it is served."""

        def renew(lock: TicketLock) -> Tuple[int, bool]:
            lock.remove_expired_tickets()
            mine = next((t for t in lock.tickets if t.number == number), None)
            if mine is None:  # this process stalled longer than the lifetime: back of the queue
                logger.warning("A lock ticket lapsed while its server was stalled; queueing the message again.")
                mine = Ticket(self._next_number(conversation_id), 0)
                lock.tickets.append(mine)
            mine.expires = time.time() + lifetime
            return mine.number, lock.tickets[0].number == mine.number

        return self._change(conversation_id, renew)

    # -- Rasa's entry point ----------------------------------------------------------------------
    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = POLL_SECONDS
    ) -> AsyncGenerator[TicketLock, None]:
        number = self.issue_ticket(conversation_id, lock_lifetime)
        keeper: Optional[asyncio.Task] = None
        try:
            while True:
                number, served = self._renew(conversation_id, number, lock_lifetime)
                if served:
                    break
                await asyncio.sleep(min(wait_time_in_seconds, POLL_SECONDS))
            keeper = asyncio.ensure_future(self._keep_alive(conversation_id, number, lock_lifetime))
            yield self.get_lock(conversation_id) or TicketLock(conversation_id)
        finally:
            if keeper is not None:
                keeper.cancel()
            self.cleanup(conversation_id, number)

    async def _keep_alive(self, conversation_id: str, number: int, lifetime: float) -> None:
        while True:
            await asyncio.sleep(max(lifetime / 3, 0.05))

            def extend(lock: TicketLock) -> None:
                for ticket in lock.tickets:
                    if ticket.number == number:
                        ticket.expires = time.time() + lifetime

            self._change(conversation_id, extend)
