"""Rasa's Redis lock store, with atomic ticket updates.

The lock store makes the servers take one conversation's messages one at a
time, in the order they arrived. Rasa's RedisLockStore reads a conversation's
ticket list, changes it and writes it back in three separate calls; two servers
doing that at once overwrite each other's tickets, and then two messages of one
conversation run together (or one fails with LockError). Here each change is one
Redis transaction (WATCH/MULTI, retried on conflict), and the key expires with
its last ticket, so a server killed mid-turn leaves nothing behind for longer
than TICKET_LOCK_LIFETIME.

endpoints.cluster.yml: ``lock_store: type: stores.lock.AtomicRedisLockStore``.
"""
import json
import time
from typing import Any, Callable, Optional, Text, TypeVar

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
            lock = (TicketLock.from_dict(json.loads(raw)) if raw
                    else TicketLock(conversation_id))
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

    def update_lock(self, conversation_id: Text) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # finish_serving deletes the key once no ticket is left.
        self.finish_serving(conversation_id, ticket_number)

    def ping(self) -> None:
        self.red.ping()
