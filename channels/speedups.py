"""Rasa's check of each action-server reply, without re-checking its schema.

Rasa 3.6 validates every reply of the action server with
``jsonschema.validate(reply, schema)``, which first checks the schema itself
against the JSON Schema meta-schema: with jsonschema 4.17 that took about two
thirds of a turn's time here (py-spy, `make bench`). The reply is validated
exactly as before, against the same schema, by a validator built once.
Imported by channels/__init__.py, so it is in force wherever the Rasa server
loads the project's channels; RASA_STOCK_ACTION_CHECK=1 leaves Rasa's own check
(for `make bench`, which measures the difference).
"""
import os
from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def _validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, not on every reply
    return cls(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


if os.environ.get("RASA_STOCK_ACTION_CHECK") != "1":
    RemoteAction._validate_action_result = validate_action_result
