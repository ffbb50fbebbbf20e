"""Who is asking, when a message is not for this assistant: the kinds of
out-of-scope message and the words that decide them without a model.

Pure functions, no Rasa: the NLU component (nlp/open_world.py), the actions
and the content owner's report all use them.
"""

import re
from typing import Iterable, Optional

from nlp.systems import names_nhsmail, other_system_named

# The kinds, as data/nlu_open_world.yml labels its out-of-scope examples.
VISITOR = "visitor"  # families, residents, applicants, visitors, suppliers
SAFEGUARDING = "safeguarding"  # a worry of abuse or neglect
EMERGENCY = "emergency"  # someone may be in danger now
OTHER = "other"  # anything else
# Set by the dialogue, not learned: a staff member's other system
# (nlp/systems.py decides it).
OTHER_SYSTEM = "other_system"
# Not a kind of asker: an out-of-scope message that names NHSmail, offered
# NHSmail topics as buttons.
CLARIFY = "clarify"

KINDS = (VISITOR, SAFEGUARDING, EMERGENCY, OTHER)
# Kinds whose text carries residents' names and health: the content owner's
# report counts them and never shows their words.
SENSITIVE = (VISITOR, SAFEGUARDING, EMERGENCY)

# Someone may be in danger now. The learned kind (nearest examples) decides
# first; this is the safety net behind it, so a danger the examples did not
# foresee still gets 999. Each phrase names a danger, not a topic: "fall" is
# here, "fell behind" is not.
_DANGER = re.compile(
    r"\bnot breathing\b|\bisn'?t breathing\b|\bstopped breathing\b|\bcan'?t breathe\b"
    r"|\btrouble breathing\b|\bunconscious\b|\bunresponsive\b|\bnot responding\b"
    r"|\bcollapsed?\b|\bchoking\b|\bchest pains?\b|\bhaving a stroke\b|\bseizure\b|\bfitting\b"
    r"|\bnot moving\b|\bwon'?t wake\b|\bcan'?t wake\b|\bbarely responding\b|\ballergic reaction\b"
    r"|\bsmell of gas\b|\bgas (?:smell|leak)\b|\bbroken in\b"
    r"|\bbleeding\b|\boverdose\b|\bturned blue\b|\bhas fallen\b|\bhad a fall\b"
    r"|\b(?:fell|fallen) (?:over|down|out|on|and)\b|\bon the floor\b"
    r"|\bfire\b|\bsmoke\b|\bknife\b|\bweapon\b|\battack(?:ing|ed)?\b|\bviolent\b"
    r"|\bhitting (?:him|her|them|me|my|a|the)\b|\bthreaten(?:ing|ed)?\b"
    r"|\bkill (?:myself|himself|herself)\b|\bend (?:my|his|her) life\b|\bsuicid"
    r"|\bharm (?:myself|himself|herself)\b|\b(?:he|she|they)(?: has|'s| have|'ve)? gone missing\b"
    r"|\bcan'?t find (?:him|her)\b"
    r"|\bambulance\b|\b999\b|\bemergency\b|\bin danger\b",
    re.IGNORECASE,
)
# Negated or hypothetical dangers stay with the learned kind: "the fire
# alarm test", "what is the fire procedure" are not emergencies.
_NOT_DANGER = re.compile(
    r"fire (?:alarm test|drill|procedure|safety|door|exit|training)|smoke (?:alarm test|break)",
    re.IGNORECASE,
)
# A death, said plainly or gently: the reply opens with kind words.
_DEATH = re.compile(
    r"\bpassed (?:away|on)\b|\bdied\b|\bdeath\b|\bdeceased\b|\bbereave|\bfuneral\b"
    r"|\blate (?:mother|father|mum|dad|husband|wife|aunt|uncle|gran|nan|grandad|grandma|"
    r"grandmother|grandfather|sister|brother|colleague)\b|\bwe lost (?:him|her|my|our)\b",
    re.IGNORECASE,
)


def in_danger(text: str) -> bool:
    """The message says someone may be in danger now."""
    return bool(_DANGER.search(_NOT_DANGER.sub(" ", text)))


def mentions_death(text: str) -> bool:
    return bool(_DEATH.search(text))


def decide(learned: Optional[str], text: str) -> str:
    """The kind of an out-of-scope message: the learned kind, raised to
    ``emergency`` when the words say someone may be in danger (abuse
    happening now is an emergency first)."""
    if in_danger(text):
        return EMERGENCY
    return learned if learned in KINDS else OTHER


def reply_kind(learned: Optional[str], text: str, entity_types: Iterable[str] = ()) -> str:
    """Which reply an out-of-scope message gets, in this order: someone in
    danger or a worry of abuse first; then another system of the care home's;
    then NHSmail topics for one that names NHSmail; then who is asking.

    The dialogue (actions/actions.py) answers by it and `make eval` scores
    by it, so the two cannot drift. ``learned`` is nlp/open_world.py's kind,
    None when the message reached the dialogue without one (a payload)."""
    kind = decide(learned if learned in KINDS else None, text)
    if kind in (EMERGENCY, SAFEGUARDING):
        return kind
    if other_system_named(text, entity_types):
        return OTHER_SYSTEM
    if names_nhsmail(text):
        return CLARIFY
    return kind
