"""Rasa's Redis lock store, with atomic ticket updates.

The lock store makes the servers take one conversation's messages one at a
time, in the order they arrived. Rasa's RedisLockStore reads a conversation's
ticket list, changes it and writes it back in three separate calls; two servers
doing that at once overwrite each other's tickets, and then two messages of one
conversation run together (or one fails with LockError). Here each change is one
Redis transaction (WATCH/MULTI, retried on conflict), and the key expires with
its last ticket, so a server killed mid-turn leaves nothing behind for longer
than TICKET_LOCK_LIFETIME.

A waiting ticket is kept alive while it waits. In Rasa's lock store a ticket's
lifetime runs from when it is issued, so a message that waits about a lifetime
behind a killed server's ticket sees its own ticket expire with the dead one
and fails with LockError ("Could not acquire lock"): here each poll renews the
waiter's ticket, and the lifetime bounds how long a ticket is held or left by a
dead server, not how long a live one waits.

endpoints.cluster.yml: ``lock_store: type: stores.lock.AtomicRedisLockStore``.
"""

import asyncio
import json
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Optional, Text, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        # Rasa builds a lock store named by module path from its endpoint config.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: Text, change: Callable[[TicketLock], T]) -> T:
        """Applies ``change`` to the conversation's lock in one transaction."""
        key = self.key_prefix + conversation_id

        def transaction(pipe: Any) -> T:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else TicketLock(conversation_id)
            result = change(lock)
            lock.remove_expired_tickets()
            pipe.multi()
            if lock.tickets:
                expires_in = max(t.expires for t in lock.tickets) - time.time()
                pipe.set(key, lock.dumps(), px=max(1, int(expires_in * 1000)))
            else:
                pipe.delete(key)
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime))
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._wait_for_turn(
                conversation_id, ticket, lock_lifetime, wait_time_in_seconds
            )
        finally:
            self.cleanup(conversation_id, ticket)

    async def _wait_for_turn(
        self, conversation_id: Text, ticket: int, lifetime: float, wait_time_in_seconds: float
    ) -> TicketLock:
        def renew(lock: TicketLock) -> Optional[bool]:
            """Drops expired tickets and renews ours: None if ours is gone,
            else whether it is being served."""
            lock.remove_expired_tickets()
            mine = next((t for t in lock.tickets if t.number == ticket), None)
            if mine is None:
                return None
            mine.expires = time.time() + lifetime
            return lock.now_serving == ticket

        while True:
            served = self._change(conversation_id, renew)
            if served is None:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            if served:
                return self.get_lock(conversation_id)
            await asyncio.sleep(wait_time_in_seconds)

    def update_lock(self, conversation_id: Text) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # finish_serving deletes the key once no ticket is left.
        self.finish_serving(conversation_id, ticket_number)

    def ping(self) -> None:
        self.red.ping()
