"""Rasa's check of each action-server reply, without re-checking its schema.

Rasa 3.6 validates every reply of the action server with
``jsonschema.validate(reply, schema)``, which first checks the schema itself
against the JSON Schema meta-schema; with jsonschema 4.17 that was about two
thirds of a turn's time (py-spy, `make bench`). The reply is validated exactly
as before, against the same schema, by a validator built once.
"""

import functools
from typing import Any, Callable, Dict, Text

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@functools.lru_cache(maxsize=1)
def validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, not on every reply
    return cls(schema)


def wrap(rasa_validates: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(rasa_validates)
    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        try:
            validator().validate(result)
            return True
        except ValidationError as e:
            # Rasa's own wording, so that logs read the same with or without the patch.
            e.message += (
                ". Failed to validate Action server response from API, make sure your response "
                f"from the Action endpoint is valid. For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    return validate_action_result
