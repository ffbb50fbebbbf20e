"""Rasa's message handling, made to handle a resent message once.

``MessageProcessor.handle_message`` reads the conversation and hands it to
``_handle_message_with_tracker``, which parses the message and logs it; both
run inside Rasa's conversation lock (``Agent.handle_message``). The second is
wrapped to stop a message whose id is already stored, before it is parsed;
the first to answer that message from the stored turn instead. What counts as
the same message, and its replies, is channels/idempotency.py's.
"""

import functools
import logging
from typing import Any, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

from channels.idempotency import RetryableMessage, replies_to

logger = logging.getLogger(__name__)


class _AlreadyStored(Exception):
    def __init__(self, replies: List[Dict[Text, Any]]) -> None:
        super().__init__("a message sent again")
        self.replies = replies


def wrap_with_tracker(rasa_handles: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(rasa_handles)
    async def handle_message_with_tracker(
        self: MessageProcessor, message: UserMessage, tracker: DialogueStateTracker
    ) -> None:
        if isinstance(message, RetryableMessage):
            replies = replies_to(tracker, message.message_id)
            if replies is not None:
                raise _AlreadyStored(replies)
        await rasa_handles(self, message, tracker)

    return handle_message_with_tracker


def wrap_handle_message(rasa_handles: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(rasa_handles)
    async def handle_message(
        self: MessageProcessor, message: UserMessage
    ) -> Optional[List[Dict[Text, Any]]]:
        try:
            return await rasa_handles(self, message)
        except _AlreadyStored as stored:
            replay = getattr(message, "replay", True)
            logger.info(
                "A message sent again was not handled twice (%s).",
                "answered from the stored turn" if replay else "dropped",
            )
            if not replay:
                return []
            for reply in stored.replies:
                await message.output_channel.send_response(message.sender_id, reply)
            if isinstance(message.output_channel, CollectingOutputChannel):
                return message.output_channel.messages
            return None

    return handle_message
