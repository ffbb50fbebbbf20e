"""patches/: each patch does what it says, and its effect is gone without it.

Each ``effect_*`` check drives Rasa's own method (MessageProcessor,
RemoteAction, Agent) and asserts what a user or operator would notice. The
parametrised test runs every check with all patches in force, then with only
that one patch left out, and requires the check to fail then: a check that
passes without its patch would prove nothing.
"""

import asyncio
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import rasa
from jsonschema.validators import validator_for
from prometheus_client import REGISTRY
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.data import TrainingType
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

import patches
from channels.idempotency import RetryableMessage
from stores.tracker import TrackerStoreUnavailable
from tests.support.servers import free_port

BUTTONS = [{"title": "Prepare for the call", "payload": "/prepare_call"}]


@contextmanager
def patches_in_force(names):
    before = patches.installed()
    patches.install(without=[p.name for p in patches.PATCHES if p.name not in names])
    try:
        yield
    finally:
        patches.install(without=[p.name for p in patches.PATCHES if p.name not in before])


class Processor(MessageProcessor):
    """Rasa's MessageProcessor with its model, stores and policies stood in for:
    ``handle_message``, ``log_message`` and ``_handle_message_with_tracker`` are Rasa's."""

    def __init__(self, events):
        self.tracker = DialogueStateTracker.from_events("s1", events)
        self.domain = Domain.empty()
        self.model_metadata = SimpleNamespace(training_type=TrainingType.BOTH)
        self.parsed, self.answered = [], []

    async def fetch_tracker_and_update_session(self, sender_id, output_channel=None, metadata=None):
        return self.tracker

    async def parse_message(self, message, tracker=None, only_output_properties=True):
        self.parsed.append(message.text)
        return {
            "text": message.text,
            "intent": {"name": "greet", "confidence": 1.0},
            "entities": [],
        }

    async def run_action_extract_slots(self, output_channel, tracker):
        return tracker

    async def _run_prediction_loop(self, output_channel, tracker):
        self.answered.append(tracker.latest_message.text)
        await output_channel.send_response(tracker.sender_id, {"text": "a new answer"})

    async def run_anonymization_pipeline(self, tracker):
        pass

    async def save_tracker(self, tracker):
        pass


def stored_conversation():
    return [
        UserUttered("my account was deleted", message_id="m1"),
        ActionExecuted("reinstate_form"),
        BotUttered("Has every NHSmail account linked to your organisation been deleted?"),
        ActionExecuted("action_listen"),
        UserUttered("yes", message_id="m2"),
        BotUttered("Your current manager should call the helpdesk.", data={"buttons": BUTTONS}),
        ActionExecuted("action_listen"),
    ]


def effect_idempotency():
    """A resent message gets the stored turn's replies and is not parsed again."""
    processor = Processor(stored_conversation())
    sent = asyncio.run(
        processor.handle_message(
            RetryableMessage("yes", CollectingOutputChannel(), "s1", message_id="m2")
        )
    )
    assert [(m["text"], m.get("buttons")) for m in sent] == [
        ("Your current manager should call the helpdesk.", BUTTONS)
    ]
    assert processor.parsed == [] and processor.answered == []


def effect_disclosure():
    """A typed password is masked before Rasa parses or stores the message."""
    processor = Processor([])
    asyncio.run(
        processor.handle_message(
            UserMessage("my password is Tr0ub4dor&3", CollectingOutputChannel(), "s1")
        )
    )
    assert processor.parsed == ["my password is [password removed]"]
    assert processor.tracker.latest_message.text == "my password is [password removed]"
    assert processor.tracker.latest_message.metadata["privacy"]["disclosed"] is True


def effect_action_check(monkeypatch):
    """Replies are validated without checking the schema itself each time."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    action = RemoteAction("action_answer_topic", action_endpoint=None)
    action._validate_action_result({"events": [], "responses": []})  # builds what it keeps
    checks = []
    monkeypatch.setattr(cls, "check_schema", classmethod(lambda c, s, *a, **k: checks.append(s)))
    for _ in range(3):
        assert action._validate_action_result({"events": [], "responses": [{"text": "hi"}]})
    assert checks == []


class BrokenStore(InMemoryTrackerStore):
    async def save(self, tracker):
        raise ConnectionError("the database is down")


def effect_fail_loud():
    """A store that fails refuses the turn instead of keeping it in memory."""
    domain = Domain.empty()
    store = Agent._create_tracker_store(BrokenStore(domain), domain)
    try:
        asyncio.run(store.save(DialogueStateTracker.from_events("s1", [])))
    except TrackerStoreUnavailable as refused:
        assert "the database is down" in str(refused)
    else:
        raise AssertionError("the turn was kept in memory, not refused")


def effect_action_errors():
    """A custom action Rasa cannot run on the action server is counted by name."""
    domain = Domain.from_dict({"actions": ["action_answer_topic"]})
    endpoint = EndpointConfig(url=f"http://127.0.0.1:{free_port()}/webhook")  # nothing listens
    action = RemoteAction("action_answer_topic", endpoint)
    labels = {"action": "action_answer_topic"}
    before = REGISTRY.get_sample_value("nhsmail_action_server_errors_total", labels) or 0
    try:
        asyncio.run(
            action.run(CollectingOutputChannel(), None, DialogueStateTracker("s1", []), domain)
        )
    except RasaException as failed:
        assert "Couldn't connect" in str(failed)  # Rasa's own error, raised unchanged
    else:
        raise AssertionError("an action server that is not there ran the action")
    after = REGISTRY.get_sample_value("nhsmail_action_server_errors_total", labels) or 0
    assert after == before + 1


EFFECTS = {
    "idempotency": effect_idempotency,
    "disclosure": effect_disclosure,
    "action_check": effect_action_check,
    "fail_loud": effect_fail_loud,
    "action_errors": effect_action_errors,
}


def run_effect(name, monkeypatch):
    effect = EFFECTS[name]
    with monkeypatch.context() as m:
        effect(m) if name == "action_check" else effect()


def test_every_patch_has_its_effect_check_and_says_why_and_when_to_go():
    assert set(EFFECTS) == {p.name for p in patches.PATCHES}
    for patch in patches.PATCHES:
        assert patch.upstream.startswith("https://github.com/"), patch.name
        assert patch.what and patch.remove_when, patch.name


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_each_patch_has_its_effect_and_the_effect_is_gone_without_it(name, monkeypatch):
    everything = [p.name for p in patches.PATCHES]
    with patches_in_force(everything):
        assert patches.installed() == everything
        run_effect(name, monkeypatch)
    with patches_in_force([n for n in everything if n != name]):
        assert name not in patches.installed()
        with pytest.raises(AssertionError):
            run_effect(name, monkeypatch)


def test_install_refuses_another_rasa_version(monkeypatch):
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    with pytest.raises(patches.PatchError, match="written for Rasa 3.6.21, and this is Rasa 3.7.0"):
        patches.install()


def test_the_channels_and_the_store_refuse_to_start_without_the_patches():
    from channels.turn import Turns
    from stores.tracker import StrictSQLTrackerStore

    with patches_in_force([]):
        with pytest.raises(patches.PatchError, match="python -m rasa_server"):
            Turns()
        with pytest.raises(patches.PatchError, match="fail_loud not in force"):
            StrictSQLTrackerStore(Domain.empty(), dialect="sqlite", db=":memory:")


def test_installing_twice_stacks_nothing():
    with patches_in_force([p.name for p in patches.PATCHES]):
        first = MessageProcessor._handle_message_with_tracker
        patches.install()
        assert (
            MessageProcessor._handle_message_with_tracker.__wrapped__.__wrapped__
            is first.__wrapped__.__wrapped__
        )
        assert patches.installed() == [p.name for p in patches.PATCHES]


def test_the_secrets_check_runs_before_the_retry_check_before_rasa():
    with patches_in_force([p.name for p in patches.PATCHES]):
        first = MessageProcessor._handle_message_with_tracker
        chain = [first, first.__wrapped__, first.__wrapped__.__wrapped__]
        assert [f.__code__.co_filename.rsplit("/", 2)[-2:] for f in chain] == [
            ["patches", "disclosure.py"],
            ["patches", "idempotency.py"],
            ["core", "processor.py"],
        ]
