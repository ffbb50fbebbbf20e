"""One guarded turn, for every channel: each channel keeps only its wire format.

A channel parses its request, then calls ``Turns.run`` with the user's text
and the output channel that carries the replies back in its own format. The
turn:

1. cleans the text (control and direction characters out);
2. refuses politely what is empty, too long or too frequent: ``Refused``
   carries the content file's key for the reply and the HTTP status;
3. hands the message to Rasa. Inside Rasa, before the message is parsed or
   stored, channels/disclosure.py decides on the raw text whether a secret is
   disclosed and masks it; the channel never needs to remember a warning;
4. when Rasa fails (the tracker store is down, the action server errs),
   raises ``TurnFailed``: the turn may not have been stored, so every channel
   answers with the "unavailable" text (and REST with 503), even when some
   replies had already gone out.

Each turn handed to Rasa is counted with its time, and each refusal with its
reason ("unavailable" for ``TurnFailed``), by channel (metrics.py).

``BadRequest`` and ``TooLarge`` are the typed errors of a malformed or
oversized body, so that a channel picks 400 or 413 by type, not by message.
"""

import logging
import time
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage

import metrics
from channels.guard import MessageGuard, clean_text
from channels.idempotency import user_message
from channels.state import ChannelState
from nlp.privacy import withheld_from_logs
from patches import require_installed

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class BadRequest(ValueError):
    """The request body is malformed; the message says what is wrong (400)."""

    status = 400


class TooLarge(BadRequest):
    """The request body is over the channel's size limit (413)."""

    status = 413


class Refused(Exception):
    """The message is not handled; the user gets a polite reply instead."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    @property
    def status(self) -> int:
        return 429 if self.key == "rate_limited" else 200


class TurnFailed(Exception):
    """Rasa could not handle the message; the turn may not have been stored."""


class Turns:
    """The checks and the hand-over to Rasa that every channel shares."""

    def __init__(self, scope: str = "chat", state: Optional[ChannelState] = None) -> None:
        """``scope``: the channel's name, whose limits these are; ``state``:
        where they are kept (channels/state.py; the process's own by default)."""
        require_installed(by="A project channel")
        self.guard = MessageGuard(scope, state)

    def reply(self, key: str) -> str:
        """The content file's text for a refusal or for "unavailable"."""
        return self.guard.reply(key)

    async def run(
        self,
        on_new_message: OnNewMessage,
        output: OutputChannel,
        *,
        sender: str,
        text: str,
        channel: str,
        address: Optional[str] = None,
        limit_key: Optional[str] = None,
        message_id: Optional[str] = None,
        replay: bool = True,
    ) -> None:
        """One message through the checks and Rasa.

        ``address``: the client's IP where the channel sees the end user's
        (REST, socket.io). ``limit_key``: whom the per-sender limit counts
        (Teams and Slack count the person, not the conversation).
        ``message_id``/``replay``: a message sent again is handled once
        (channels/idempotency.py).
        """
        text = clean_text(text)
        refusal = self.guard.refusal(limit_key or sender, text, address)
        if refusal:
            metrics.count_refused(refusal, channel)
            raise Refused(refusal)
        started = time.perf_counter()
        try:
            # No log line of the turn quotes the message (nlp/privacy.py).
            with withheld_from_logs(text):
                await on_new_message(
                    user_message(text, output, sender, channel, message_id, replay)
                )
        except Exception as error:  # the log has no message text
            logger.exception("The %s channel could not handle a message.", channel)
            metrics.count_refused("unavailable", channel)
            raise TurnFailed(str(error)) from error
        finally:
            metrics.count_turn(channel, time.perf_counter() - started)
