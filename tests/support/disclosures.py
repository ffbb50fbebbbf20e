"""The same disclosures for every entry point (tests/e2e/test_disclosures.py,
tests/cluster/test_privacy_cluster.py).

Each run makes its own secrets, so no file of the project can contain them
before the run: finding one afterwards means it was kept.
"""

import random
import secrets
import string
from typing import Dict, List, Tuple

from nlp.privacy import warning_text


def _name() -> str:
    """A surname-like word that no dictionary has: a security answer."""
    return "Zq" + "".join(random.choices(string.ascii_lowercase, k=7))


def conversation() -> Tuple[List[Tuple[str, bool]], Dict[str, str]]:
    """(message, discloses?) for one conversation, and the secrets in it."""
    values = {
        "before": "Tr1" + secrets.token_hex(4),  # keyword before, with a question
        "lone": "Gr3" + secrets.token_hex(3),  # alone, right after a login message
        "after": "Bl" + secrets.token_hex(3) + "7x",  # the value first, the keyword after
        "answer": _name(),  # a security answer
    }
    turns = [
        (f"my password is {values['before']} and it says locked, what do i do", True),
        ("i cant log in to nhsmail on the tablet", False),
        (values["lone"], True),
        (f"{values['after']} is what i keep typing in", True),
        (f"my mums maiden name is {values['answer'].capitalize()}", True),
        ("my password isn't working anymore", False),
    ]
    values["answer"] = values["answer"].capitalize()
    return turns, values


def warnings_in(texts: List[str]) -> int:
    """How many times the password warning was sent."""
    warning = warning_text()
    return sum(1 for text in texts if text == warning)
