"""A message sent twice is handled once: the client's message id.

A client that got no answer (a server killed mid-turn, a timeout, a dropped
connection) cannot tell whether its message was stored, and Rasa has no way to
say. So a channel may give a message the client's own id
(``RetryableMessage``); the id is stored with the user's turn, as Rasa stores
any message id. When a message with an id already in the conversation arrives
again, it is not handled a second time: REST gets the replies the first one
got, read back from the stored conversation (``replay=True``); Teams and
Slack, to which they were already posted (Rasa sends before it saves), get
nothing more (``replay=False``).

The check runs inside Rasa's conversation lock (``Agent.handle_message`` holds
it around ``MessageProcessor.handle_message``), so a retry that reaches another
server while the first is still being answered waits for it and then finds it.
It looks at the tracker Rasa has just read for the turn, before the message is
parsed, so it costs no extra read (docs/decisions/rasa-patches.md has the
figures) and a resent message is not even parsed; nothing is saved for it.
Rasa has no hook for this, so patches/idempotency.py wraps Rasa's message
handling with what this module decides.
"""

from typing import Any, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

MAX_ID_CHARS = 128


class RetryableMessage(UserMessage):
    """A user message with the client's own id, handled at most once."""

    def __init__(self, *args: Any, message_id: Text, replay: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, message_id=message_id, **kwargs)
        self.replay = replay


def user_message(
    text: Text,
    output: Any,
    sender: Text,
    input_channel: Text,
    message_id: Optional[Text] = None,
    replay: bool = True,
) -> UserMessage:
    """The message for Rasa: retryable when the client or platform gave an id
    that fits (at most MAX_ID_CHARS), else Rasa's own."""
    if isinstance(message_id, str) and 0 < len(message_id) <= MAX_ID_CHARS:
        return RetryableMessage(
            text, output, sender, input_channel=input_channel, message_id=message_id, replay=replay
        )
    return UserMessage(text, output, sender, input_channel=input_channel)


def replies_to(tracker: DialogueStateTracker, message_id: Text) -> Optional[List[Dict[Text, Any]]]:
    """The bot's messages after the stored user turn with this id, as they
    were sent; None when no stored turn has the id."""
    events = list(tracker.events)
    for start in range(len(events) - 1, -1, -1):
        event = events[start]
        if isinstance(event, UserUttered) and event.message_id == message_id:
            break
    else:
        return None
    replies = []
    for event in events[start + 1 :]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            replies.append(event.message())
    return replies
