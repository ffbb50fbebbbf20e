"""Who is asking, when a message is not for this assistant: the kinds of
out-of-scope message and the words that decide them without a model.

Pure functions, no Rasa: the NLU component (nlp/open_world.py), the actions
and the content owner's report all use them.
"""

import re
from typing import Optional

# The kinds, as data/nlu_open_world.yml labels its out-of-scope examples.
VISITOR = "visitor"  # families, residents, applicants, visitors, suppliers
SAFEGUARDING = "safeguarding"  # a worry of abuse or neglect
EMERGENCY = "emergency"  # someone may be in danger now
OTHER = "other"  # anything else
# Set by the dialogue, not learned: a staff member's other system
# (nlp/systems.py decides it).
OTHER_SYSTEM = "other_system"

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
