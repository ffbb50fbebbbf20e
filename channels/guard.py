"""What every channel does to a message before Rasa sees it, in one place.

- clean the text (control and direction characters out);
- refuse politely what is empty, too long or too frequent;
- mask passwords and personal data (nlp/privacy.py), including a lone
  password-like word typed right after the password warning;
- remember which senders were just warned.

The REST, socket.io, Teams and Slack channels each hold one MessageGuard, so
their answers to bad input, and what reaches the tracker store, are the same.
"""
import re
import unicodedata
from collections import OrderedDict
from typing import Any, Dict, Iterable, Optional

from actions.content import get_content
from channels import limits
from nlp.privacy import MASKS, looks_like_lone_secret, mask

REFUSALS = ("input_empty", "input_too_long", "rate_limited", "unavailable")
# A button's Rasa payload ("/prepare_call", '/helpdesk_contact{"org_type": ...}'):
# a click right after the password warning is a choice, not the password.
PAYLOAD = re.compile(r"/[a-z_]+(\{.*\})?", re.S)


def clean_text(text: str) -> str:
    """Drops control and formatting characters (keeps line breaks and tabs)."""
    return "".join(
        c for c in unicodedata.normalize("NFC", text)
        if c in "\n\t" or unicodedata.category(c)[0] != "C"
    )


class MessageGuard:
    def __init__(self, max_warned: int = 10_000) -> None:
        self.per_sender = limits.RateLimiter(limits.SENDER_PER_MINUTE)
        self.per_address = limits.RateLimiter(limits.ADDRESS_PER_MINUTE)
        # Senders just warned about a password: their next lone word is masked.
        self.warned: "OrderedDict[str, bool]" = OrderedDict()
        self.max_warned = max_warned
        content = get_content()
        self.warning_text = content.fill(content.messages["secret_shared"])
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
        if len(text) > limits.MAX_MESSAGE_CHARS:
            return "input_too_long"
        return None

    def reply(self, key: str) -> str:
        return self.replies[key]

    def mask(self, sender: str, text: str) -> str:
        if (self.warned.pop(sender, False) and looks_like_lone_secret(text)
                and not PAYLOAD.fullmatch(text.strip())):
            return MASKS["SECRET"]
        return mask(text)

    def remember(self, sender: str, sent_texts: Iterable[Optional[str]]) -> None:
        """Call with the texts the bot sent back: notes a password warning."""
        if any(text == self.warning_text for text in sent_texts):
            self.warned[sender] = True
            while len(self.warned) > self.max_warned:
                self.warned.popitem(last=False)

    def remember_messages(self, sender: str, messages: Iterable[Dict[str, Any]]) -> None:
        self.remember(sender, (m.get("text") for m in messages))
