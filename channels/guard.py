"""The checks every channel runs before Rasa sees a message, in one place.

- clean the text (control and direction characters out);
- refuse politely what is empty, too long or too frequent.

The limits are kept where the settings say (channels/state.py): in this
process, or in Redis so that every server of a cluster counts one limit.

Secrets and personal data are not the guard's business: they are decided and
masked inside Rasa, on the raw text, for every channel at once
(channels/disclosure.py). channels/turn.py runs these checks for every channel.
"""

import unicodedata
from typing import Optional

from actions.content import get_content
from channels.state import ChannelState, get_state
from settings import get_settings

REFUSALS = ("input_empty", "input_too_long", "rate_limited", "unavailable")


def clean_text(text: str) -> str:
    """Drops control and formatting characters (keeps line breaks and tabs)."""
    return "".join(
        c
        for c in unicodedata.normalize("NFC", text)
        if c in "\n\t" or unicodedata.category(c)[0] != "C"
    )


class MessageGuard:
    """``scope``: whose limits these are, the channel's name. Each channel has
    limits of its own, shared by every server when the state is (``state``:
    the process's own, channels/state.py, unless given)."""

    def __init__(self, scope: str = "chat", state: Optional[ChannelState] = None) -> None:
        settings = get_settings()
        state = state or get_state()
        self.max_message_chars = settings.chat_max_message_chars
        self.per_sender = state.rate_limit(f"{scope}:sender", settings.chat_rate_per_sender)
        self.per_address = state.rate_limit(f"{scope}:address", settings.chat_rate_per_address)
        content = get_content()
        self.replies = {key: content.fill(content.messages[key]) for key in REFUSALS}

    def refusal(self, sender: str, text: str, address: Optional[str] = None) -> Optional[str]:
        """The key of the polite reply owed instead of an answer, or None.

        ``text`` must already be cleaned. ``address`` is the client's IP where
        the channel sees the end user's (REST, socket.io); Teams and Slack
        requests all come from the platform, so they pass None.
        """
        if address is not None and not self.per_address.allow(address):
            return "rate_limited"
        if not self.per_sender.allow(sender):
            return "rate_limited"
        if not text.strip():
            return "input_empty"
        if len(text) > self.max_message_chars:
            return "input_too_long"
        return None

    def reply(self, key: str) -> str:
        return self.replies[key]
