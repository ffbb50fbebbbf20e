"""Every change this project makes to Rasa's own code, in one place.

Rasa 3.6 has no hook for five things the assistant needs, so five of its
methods are wrapped or replaced. ``install()`` puts them in force; it is
called from one place, the server's launcher (``python -m rasa_server``, used
by `make run`, `make shell`, `make run-cluster`, `make bench` and the tests'
servers). The project's channels and tracker store refuse to start without
them (``require_installed``), so a server started some other way fails at
start-up with a clear message instead of storing unmasked text.

Each patch names the upstream issue it works around and when to remove it;
``install()`` refuses any Rasa version but the one the patches were written
against, so upgrading Rasa means checking each removal condition first.
tests/patches/test_patches.py shows each patch's effect and that the effect
is gone without it. docs/decisions/rasa-patches.md explains the choice.
"""

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.processor import MessageProcessor

from patches import action_check, action_errors, disclosure, fail_loud, idempotency

RASA_VERSION = "3.6.21"

# (class, attribute, wrap): ``wrap`` gets what the attribute holds now and
# returns its replacement, so that patches on one method stack in order.
Target = Tuple[type, str, Callable[[Any], Any]]


@dataclass(frozen=True)
class Patch:
    name: str
    what: str
    upstream: str
    remove_when: str
    targets: Tuple[Target, ...]


PATCHES: Tuple[Patch, ...] = (
    Patch(
        name="idempotency",
        what="A message resent with the id of a stored turn gets that turn's replies "
        "and is neither parsed nor stored again (channels/idempotency.py).",
        upstream="https://github.com/RasaHQ/rasa/issues/3882",
        remove_when="Rasa de-duplicates user messages by message id inside the conversation lock.",
        targets=(
            (MessageProcessor, "handle_message", idempotency.wrap_handle_message),
            (MessageProcessor, "_handle_message_with_tracker", idempotency.wrap_with_tracker),
        ),
    ),
    Patch(
        name="disclosure",
        what="A message's secrets are decided on its raw text and masked before Rasa "
        "parses, stores, publishes or logs it (channels/disclosure.py).",
        upstream="https://github.com/RasaHQ/rasa/pull/12505",
        remove_when="Rasa Open Source offers a hook that runs on the raw message, inside the "
        "conversation lock, before parsing (3.6 anonymises only logs and Kafka, in Pro).",
        # Applied after idempotency's wrapper of the same method, so it runs first.
        targets=((MessageProcessor, "_handle_message_with_tracker", disclosure.wrap_with_tracker),),
    ),
    Patch(
        name="action_check",
        what="The action server's reply is validated against Rasa's schema by a validator "
        "built once, instead of re-checking the schema itself on every reply.",
        upstream="https://github.com/python-jsonschema/jsonschema/issues/277",
        remove_when="RemoteAction._validate_action_result builds its validator once "
        "(no Rasa issue covers it; jsonschema.validate re-checks the schema by design).",
        targets=((RemoteAction, "_validate_action_result", action_check.wrap),),
    ),
    Patch(
        name="fail_loud",
        what="A tracker-store error refuses the turn (the channel answers 'unavailable') "
        "instead of keeping the conversation in memory (stores/tracker.py).",
        upstream="https://github.com/RasaHQ/rasa/issues/3243",
        remove_when="Rasa's Agent lets the endpoint configuration turn off "
        "FailSafeTrackerStore's in-memory fallback.",
        targets=((Agent, "_create_tracker_store", fail_loud.wrap),),
    ),
    Patch(
        name="action_errors",
        what="A custom action that Rasa fails to run on the action server is counted by "
        "action name (metrics.py); Rasa only logs the failure and goes on without it.",
        upstream="https://github.com/RasaHQ/rasa/issues/6319",
        remove_when="Rasa Open Source exports metrics of its own that count failed "
        "custom-action calls.",
        targets=((RemoteAction, "run", action_errors.wrap),),
    ),
)

MARK = "__nhsmail_patch__"
_originals: Dict[Tuple[type, str], Any] = {}


class PatchError(RuntimeError):
    """The patches cannot be put in force, or are not in force when needed."""


def _check_version() -> None:
    if rasa.__version__ != RASA_VERSION:
        raise PatchError(
            f"The project's Rasa patches are written for Rasa {RASA_VERSION}, and this is "
            f"Rasa {rasa.__version__}. Check each patch's removal condition in patches/__init__.py "
            f"and its test in tests/patches/ before changing the pin."
        )


def _marked(value: Any, name: str) -> Any:
    function = value.__func__ if isinstance(value, staticmethod) else value
    setattr(function, MARK, name)
    return value


def _apply(names: Iterable[str]) -> None:
    """Restores Rasa's originals, then applies the named patches in PATCHES order."""
    for (owner, attribute), original in _originals.items():
        setattr(owner, attribute, original)
    chosen = set(names)
    for patch in PATCHES:
        if patch.name not in chosen:
            continue
        for owner, attribute, wrap in patch.targets:
            _originals.setdefault((owner, attribute), inspect.getattr_static(owner, attribute))
            current = inspect.getattr_static(owner, attribute)
            setattr(owner, attribute, _marked(wrap(current), patch.name))


def install(without: Iterable[str] = ()) -> List[str]:
    """Puts every patch but ``without`` in force; returns the names in force.

    Safe to call again: it starts from Rasa's originals each time.
    """
    _check_version()
    unknown = set(without) - {patch.name for patch in PATCHES}
    if unknown:
        raise PatchError(f"No such patch: {', '.join(sorted(unknown))}")
    names = [patch.name for patch in PATCHES if patch.name not in set(without)]
    _apply(names)
    return names


def uninstall() -> None:
    """Puts Rasa's own methods back (for the tests that show each patch's effect)."""
    _apply(())


def installed() -> List[str]:
    """The names of the patches in force now."""
    found = []
    for patch in PATCHES:
        in_force = True
        for owner, attribute, _ in patch.targets:
            value = inspect.getattr_static(owner, attribute)
            function = value.__func__ if isinstance(value, staticmethod) else value
            # A stacked wrapper keeps the name of what it wraps in its closure,
            # so walk the chain of wrapped functions.
            names = set()
            while function is not None:
                if getattr(function, MARK, None):
                    names.add(getattr(function, MARK))
                function = getattr(function, "__wrapped__", None)
            in_force = in_force and patch.name in names
        if in_force:
            found.append(patch.name)
    return found


def require_installed(needed: Optional[Iterable[str]] = None, by: str = "This server") -> None:
    """Raises PatchError unless the ``needed`` patches (default: the ones that
    protect privacy and conversations) are in force."""
    needed = list(needed or ("idempotency", "disclosure", "fail_loud"))
    missing = [name for name in needed if name not in installed()]
    if missing:
        raise PatchError(
            f"{by} needs the project's Rasa patches ({', '.join(missing)} not in force). "
            f"Start Rasa with `python -m rasa_server run ...` (as `make run` does), "
            f"not with `rasa run`."
        )
