"""Rasa NLU component: a message that discloses a password becomes `share_password`.

The decision is made once, on the raw text, before the text is masked
(channels/disclosure.py), and travels in the message's metadata under
``privacy``; this component reads it there, so the warning never depends on
what the masked text looks like. A message without that verdict (the HTTP
API's parse endpoints) is judged here on its own text.

It runs last in the pipeline, after the intent classifier and the
FallbackClassifier, and overrides whatever they chose with the intent
`share_password` at confidence 1.0, so that the dialogue always warns the user
(rule in data/rules.yml). The classifier's own ranking is kept behind it, so the
warning action can still answer the question the user asked alongside.
It never stores or returns the secret itself.

The reverse holds too: `share_password` is only ever the detector's decision.
If the classifier guesses it for a message with no secret in it ("my password
is wrong"), the guard takes the classifier's next choice instead, or
`nlu_fallback` when that is below `fallback_threshold` (the FallbackClassifier's
threshold), so nobody is told off for a question.
"""

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlp.intents import NLU_FALLBACK, SHARE_PASSWORD
from nlp.privacy import PRIVACY_KEY
from nlp.secrets import contains_secret


def put_first(message: Message, name: str) -> None:
    """A guard's decision: ``name`` first at 1.0, the classifier's ranking
    (without ``name``) kept behind it for the actions to read."""
    ranking = [
        entry for entry in message.get(INTENT_RANKING_KEY) or [] if entry.get("name") != name
    ]
    chosen = {"name": name, "confidence": 1.0}
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SecretGuard(GraphComponent):
    def __init__(self, config: Dict[str, Any]) -> None:
        self.fallback_threshold = float(config.get("fallback_threshold", 0.6))

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"fallback_threshold": 0.6}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SecretGuard":
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            ranking = [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get("name") != SHARE_PASSWORD
            ]
            if self.disclosed(message):
                put_first(message, SHARE_PASSWORD)
            elif (message.get(INTENT) or {}).get("name") == SHARE_PASSWORD:
                message.set(INTENT, self._next_choice(ranking), add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    @staticmethod
    def disclosed(message: Message) -> bool:
        verdict = (message.get("metadata") or {}).get(PRIVACY_KEY)
        if isinstance(verdict, dict) and "disclosed" in verdict:
            return bool(verdict["disclosed"])
        return contains_secret(message.get(TEXT) or "")

    def _next_choice(self, ranking: List[Dict[str, Any]]) -> Dict[str, Any]:
        candidates = [entry for entry in ranking if entry.get("name") != NLU_FALLBACK]
        if candidates and candidates[0].get("confidence", 0.0) >= self.fallback_threshold:
            return candidates[0]
        return {"name": NLU_FALLBACK, "confidence": self.fallback_threshold}
