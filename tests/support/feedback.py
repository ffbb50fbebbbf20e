"""What the "Did this help?" flow looks like to a user, from the content file:
the tests of every channel check the same question, buttons and replies."""

from typing import Dict, List

from actions.content import Content

YES, NO = "/feedback_yes", "/feedback_no"


def question(content: Content) -> str:
    return content.messages["feedback_question"]


def buttons(content: Content) -> List[Dict[str, str]]:
    """The two buttons, as Rasa sends them: title and payload."""
    return [
        {"title": content.messages["feedback_yes_button"], "payload": YES},
        {"title": content.messages["feedback_no_button"], "payload": NO},
    ]


def thanks(content: Content) -> str:
    return content.fill(content.messages["feedback_thanks"])


def sorry(content: Content) -> str:
    """The whole reply to a "No": apology, the helpdesk, what were they doing."""
    return content.fill(content.messages["feedback_sorry"])


def sorry_has_the_helpdesk(content: Content, text: str) -> bool:
    facts = content.facts
    return (
        facts["helpdesk_phone"] in text
        and facts["helpdesk_email"] in text
        and "What were you trying to do?" in text
    )
