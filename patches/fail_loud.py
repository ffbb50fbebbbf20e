"""Rasa's Agent, made to refuse a turn when the tracker store fails.

Rasa wraps every tracker store in a FailSafeTrackerStore whose default, on an
error, starts a fresh conversation in memory: the reply is out of context and
the turn is lost to every other server. The wrapper takes an error callback
that Rasa's Agent never passes; the replacement passes one that re-raises
(``stores.tracker.refuse_turn``), so the channel answers "unavailable" and
the conversation stays whole in the database.
"""

from typing import Any, Optional

from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain

from stores.tracker import refuse_turn


def wrap(_rasa_creates: Any) -> staticmethod:
    def create_tracker_store(store: Optional[TrackerStore], domain: Domain) -> TrackerStore:
        if store is not None:
            store.domain = domain
        else:
            store = InMemoryTrackerStore(domain)
        return FailSafeTrackerStore(store, on_tracker_store_error=refuse_turn)

    # What patches.installed() follows to find Rasa's original.
    create_tracker_store.__wrapped__ = getattr(  # type: ignore[attr-defined]
        _rasa_creates, "__func__", _rasa_creates
    )
    return staticmethod(create_tracker_store)
