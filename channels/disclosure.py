"""A message's secrets are decided once, on its raw text, then masked.

Every way a message reaches the assistant (the REST, website, Teams and Slack
channels, `make shell`, which talks to the REST channel, and any channel added
later) ends in Rasa's ``MessageProcessor._handle_message_with_tracker``, inside
the conversation's lock, with the conversation just read and before the
message is parsed. That is where this module looks at the message:

1. it reads the context from the conversation: was the previous user message
   about passwords, or has the assistant just warned about one?
   (``nlp.privacy.follows_password_context``: from the stored conversation,
   so it holds across servers and restarts and costs no extra read);
2. it decides on the raw text whether a secret is disclosed
   (``nlp.secrets.find_secrets``), and records the verdict, never the secret,
   in the message's metadata under ``privacy``: SecretGuard (the NLU
   component that turns a disclosure into ``share_password``) reads it there,
   so the warning never depends on what the mask looks like;
3. it masks the text (``nlp.privacy.mask``), so the classifier, the action
   server, the tracker store, the event broker and the logs see only
   ``[password removed]`` and the other markers.

A button's payload ("/prepare_call") is a choice, never a secret, and is left
as it is. The tracker store masks again before it writes (stores/tracker.py),
for what reaches it by other paths (the HTTP API's event endpoints).

Rasa has no hook before parsing, so patches/disclosure.py wraps Rasa's
message handling with ``guard``.
"""

from typing import Any, Dict

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.trackers import DialogueStateTracker

from nlp.privacy import (
    PRIVACY_KEY,
    decide_and_mask,
    follows_password_context,
    is_payload,
    latest_exchange,
    mask,
    warning_text,
)


def guard(message: UserMessage, tracker: DialogueStateTracker) -> Dict[str, Any]:
    """Decides on ``message``'s raw text, records the verdict, masks the text."""
    text = message.text or ""
    if is_payload(text):
        verdict = {"disclosed": False, "context": ""}
    else:
        after = follows_password_context(latest_exchange(tracker.events), warning_text())
        verdict, message.text = decide_and_mask(text, after)
    message.metadata = dict(message.metadata or {}, **{PRIVACY_KEY: verdict})
    return verdict


def warm_up() -> None:
    """Loads what the check needs, so that the first message of the day does
    not wait for the tables."""
    mask("warm up: my password is Warm1up", "password")
