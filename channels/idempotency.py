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
parsed, so it costs no extra read (a separate read was measured at 1.4 ms for
a 5-turn and 5 ms for a 20-turn conversation on SQLite) and a resent message
is not even parsed; nothing is saved for it. Rasa has no hook for this, hence
the two wrappers (Rasa 3.6.21 is pinned; tests/channels/test_idempotency.py
and the end-to-end tests hold them to it); imported by channels/__init__.py
like channels/speedups.py.
"""
import logging
from typing import Any, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

MAX_ID_CHARS = 128


class RetryableMessage(UserMessage):
    """A user message with the client's own id, handled at most once."""

    def __init__(self, *args: Any, message_id: Text, replay: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, message_id=message_id, **kwargs)
        self.replay = replay


def user_message(text: Text, output: Any, sender: Text, input_channel: Text,
                 message_id: Optional[Text] = None, replay: bool = True) -> UserMessage:
    """The message for Rasa: retryable when the client or platform gave an id
    that fits (at most MAX_ID_CHARS), else Rasa's own."""
    if isinstance(message_id, str) and 0 < len(message_id) <= MAX_ID_CHARS:
        return RetryableMessage(text, output, sender, input_channel=input_channel,
                                message_id=message_id, replay=replay)
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
    for event in events[start + 1:]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            replies.append(event.message())
    return replies


class _AlreadyStored(Exception):
    def __init__(self, replies: List[Dict[Text, Any]]) -> None:
        super().__init__("a message sent again")
        self.replies = replies


_handle_message = MessageProcessor.handle_message
_handle_message_with_tracker = MessageProcessor._handle_message_with_tracker


async def handle_message_with_tracker(self: MessageProcessor, message: UserMessage,
                                      tracker: DialogueStateTracker) -> None:
    """Rasa's, called with the conversation just read, before it parses the
    message; stops the turn when the message's id is already stored."""
    if isinstance(message, RetryableMessage):
        replies = replies_to(tracker, message.message_id)
        if replies is not None:
            raise _AlreadyStored(replies)
    await _handle_message_with_tracker(self, message, tracker)


async def handle_message(self: MessageProcessor,
                         message: UserMessage) -> Optional[List[Dict[Text, Any]]]:
    try:
        return await _handle_message(self, message)
    except _AlreadyStored as stored:
        logger.info("A message sent again was not handled twice (%s).",
                    "answered from the stored turn" if message.replay else "dropped")
        if not message.replay:
            return []
        for reply in stored.replies:
            await message.output_channel.send_response(message.sender_id, reply)
        if isinstance(message.output_channel, CollectingOutputChannel):
            return message.output_channel.messages
        return None


MessageProcessor.handle_message = handle_message
MessageProcessor._handle_message_with_tracker = handle_message_with_tracker
