"""Rasa's custom-action call, counted when it fails (metrics.py).

``RemoteAction.run`` is where Rasa calls the action server; when the server
cannot be reached, answers with an error status or sends a reply Rasa
refuses, it raises, and Rasa's processor logs the error and carries on
without the action's events: nothing else sees the failure. The wrapper
counts it by action name (an action of the domain, else "other") and raises
it unchanged. A form's rejection (``ActionExecutionRejection``, the action
server's 400) is a validation outcome, not an error, and is not counted.
"""

import functools
from typing import Any, Callable, List

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event

import metrics


def wrap(rasa_runs: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(rasa_runs)
    async def run(
        self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Domain
    ) -> List[Event]:
        try:
            return await rasa_runs(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except Exception:
            metrics.count_action_error(self.name(), domain.action_names_or_texts)
            raise

    return run
