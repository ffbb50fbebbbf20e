"""Rasa NLU component: a message about another system is out of scope.

Care staff ask about every password they have: the home's tablets, the guest
wifi, the eMAR, a bank app. The classifier, trained on NHSmail questions, reads
"reset the password on the care home tablet" as an NHSmail reset and would
send the caller to the wrong helpdesk. The EntityRuler (nlp/patterns.py) marks
other systems (`other_system`) and devices (`device`); this component decides,
deterministically, that a message naming one of them and not NHSmail is
`out_of_scope`, whatever the classifier said. The classifier's ranking stays
behind it, and the dialogue's answer says where such questions go instead.

A device counts only when the message is about unlocking the device itself
(a lock word, no mail word): "NHSmail on my tablet" is an NHSmail question.
The reverse holds for one cue: an MFA problem ("not getting the mfa code
text") with no other system named is NHSmail's, whatever the classifier
learned about codes from door keypads; it becomes `helpdesk_contact`, whose
answer the dialogue turns into the MFA answer.

It runs after the FallbackClassifier and before SecretGuard, so a password
typed alongside still gets the warning.
"""

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlp.intents import HELPDESK_CONTACT, OUT_OF_SCOPE
from nlp.secret_guard import put_first
from nlp.systems import MFA, other_system_named

# The topic whose answer the dialogue turns into the MFA answer.
MFA_INTENT = HELPDESK_CONTACT


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class OtherSystemGuard(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "OtherSystemGuard":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            types = [entity.get("entity") for entity in message.get(ENTITIES) or []]
            intent = (message.get(INTENT) or {}).get("name")
            if other_system_named(message.get(TEXT) or "", types):
                put_first(message, OUT_OF_SCOPE)
            elif intent == OUT_OF_SCOPE and MFA in types:
                put_first(message, MFA_INTENT)
        return messages
