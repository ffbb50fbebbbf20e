"""Rasa NLU component: the intents that only a button sends are kept out of
the classifier's training.

The "Did this help?" buttons send `/feedback_yes` and `/feedback_no`, which
Rasa reads as those intents without running the pipeline. A vote must be a
click: if the classifier learnt the intents, a typed "no, it didn't" could
be counted as a vote on the content owner's report, and every such intent
added would change what the classifier learns for all the others. So this
component runs first and drops their examples (and the stories' messages
that carry them) from the training data; the examples stay in data/ because
`rasa data validate` wants every domain intent to have some, and they show
what the buttons say. At run time it does nothing.
"""

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlp.intents import BUTTON_ONLY


# A featurizer to the recipe, only so that it gets a training-data step
# (Rasa adds one for tokenizers and featurizers); it adds no features.
@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class ButtonOnlyIntents(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ButtonOnlyIntents":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data.filter_training_examples(
            lambda message: message.get(INTENT) not in BUTTON_ONLY
        )

    def process(self, messages: List[Message]) -> List[Message]:
        return messages
