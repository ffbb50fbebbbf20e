"""Rasa NLU component: a message that discloses a password becomes `share_password`.

It runs last in the pipeline, after the intent classifier and the
FallbackClassifier, and overrides whatever they chose with the intent
`share_password` at confidence 1.0, so that the dialogue always warns the user
(rule in data/rules.yml). The classifier's own ranking is kept behind it, so the
warning action can still answer the question the user asked alongside.
It never stores or returns the secret itself.
"""
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlp.secrets import contains_secret

SHARE_PASSWORD_INTENT = "share_password"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class SecretGuard(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SecretGuard":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if not contains_secret(message.get(TEXT) or ""):
                continue
            guarded = {"name": SHARE_PASSWORD_INTENT, "confidence": 1.0}
            ranking = [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get("name") != SHARE_PASSWORD_INTENT
            ]
            message.set(INTENT, guarded, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [guarded] + ranking, add_to_output=True)
        return messages
