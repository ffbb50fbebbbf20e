"""What the sealing tests share (tests/stores/, tests/cluster/): a conversation
holding text the masking lets through, and this process's settings with a
key of the test's choosing."""

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import settings

# What the masking lets through (no password word, no secret's shape, no
# name's): it stands for any secret the detector misses.
MISSED = "heron mulberry tinsel quay"
DOMAIN = Domain.from_dict({"slots": {"org_type": {"type": "text", "mappings": []}}})


def use_key(monkeypatch, key, previous=None):
    """This process's settings with AT_REST_KEY (and its previous keys) as given."""
    environ = {"AT_REST_KEY": key or "", "AT_REST_PREVIOUS_KEYS": previous or ""}
    monkeypatch.setattr(settings, "get_settings", lambda: settings.load(environ))


def conversation(sender="staff-1"):
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered(
                f"our lounge is {MISSED} now",
                {"name": "reset_password", "confidence": 0.9},
                metadata={"channel_user": MISSED},
            ),
            SlotSet("org_type", MISSED),
            BotUttered(f"You said {MISSED}."),
        ],
        DOMAIN.slots,
    )
