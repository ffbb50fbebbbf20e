"""Rasa's message handling, made to decide and mask secrets before parsing.

Every channel's message reaches ``MessageProcessor._handle_message_with_tracker``
inside the conversation's lock, with the conversation just read and before
the message is parsed, logged or stored: the one place that sees the raw text
and its context. What is decided and masked there is channels/disclosure.py's.
"""

import functools
from typing import Any, Callable

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

from channels.disclosure import guard
from nlp.privacy import withheld_from_logs


def wrap_with_tracker(rasa_handles: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(rasa_handles)
    async def handle_message_with_tracker(
        self: MessageProcessor, message: UserMessage, tracker: DialogueStateTracker
    ) -> None:
        # Always decided here, whatever metadata a client sent along.
        typed = message.text or ""
        guard(message, tracker)
        # No log line of this turn quotes the message, masked or not.
        with withheld_from_logs(typed, message.text or ""):
            await rasa_handles(self, message, tracker)

    return handle_message_with_tracker
