"""Other systems are out of scope by rule: the EntityRuler's entities, the
decision, and the NLU component that applies it."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from nlp.build_model import build
from nlp.scope_guard import OtherSystemGuard
from nlp.systems import names_nhsmail, other_system_named


@pytest.fixture(scope="module")
def nlp():
    return build()


def entity_types(nlp, text):
    return [ent.label_ for ent in nlp(text).ents]


@pytest.mark.parametrize(
    "text",
    [
        "how do I reset the password on the care home tablet",
        "whats the password for the guest wifi",
        "my bank app locked me out",
        "forgot my gmail password",
        "the emar won't take my login",
        "locked out of the rota app",
        "smartcard locked",
        "my phone pin isn't working",
        "the pin on the med room tablet is wrong, not nhsmail",
        "what's the keypad code for the back door",
    ],
)
def test_another_system_and_not_nhsmail_is_out_of_scope(nlp, text):
    assert other_system_named(text, entity_types(nlp, text))


@pytest.mark.parametrize(
    "text",
    [
        "how do I get nhsmail on my tablet",
        "keep getting locked out even though I changed my password on the office pc",
        "we have a new bank carer starting monday",
        "our deputy manager left, remove her access",
        "why should we use nhsmail instead of gmail",
        "forgot my password",
        "how do I get my emails on the ipad",
        "can I open the shared mailbox on the work laptop",
    ],
)
def test_an_nhsmail_question_that_names_a_device_or_another_system_is_not(nlp, text):
    assert not other_system_named(text, entity_types(nlp, text))


@pytest.mark.parametrize(
    "text, named",
    [
        ("my NHS mail", True),
        ("nhsmail", True),
        ("nhs.net address", True),
        ("the shared mailbox", True),
        ("NHS email", True),
        ("it's not my nhs email, it's the tablet", False),
        ("the NHS App", False),
        ("the IT helpdesk for the tablets", False),
    ],
)
def test_what_names_nhsmail(text, named):
    assert names_nhsmail(text) is named


def _message(text, intent, entities):
    message = Message.build(text=text)
    message.set("intent", {"name": intent, "confidence": 0.9})
    message.set(
        "intent_ranking",
        [{"name": intent, "confidence": 0.9}, {"name": "out_of_scope", "confidence": 0.05}],
    )
    message.set("entities", [{"entity": e} for e in entities])
    return message


def test_the_guard_overrides_the_classifier_and_keeps_its_ranking_behind():
    [message] = OtherSystemGuard().process(
        [_message("my bank app locked me out", "reset_password", ["other_system"])]
    )
    assert message.get("intent") == {"name": "out_of_scope", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")] == ["out_of_scope", "reset_password"]


def test_the_guard_leaves_an_nhsmail_question_alone():
    [message] = OtherSystemGuard().process(
        [_message("nhsmail on the tablet", "outlook_setup", ["device"])]
    )
    assert message.get("intent")["name"] == "outlook_setup"


def test_an_mfa_problem_read_as_out_of_scope_is_the_helpdesks():
    message = _message("not getting the code text", "out_of_scope", ["mfa"])
    message.set(
        "intent_ranking",
        [
            {"name": "out_of_scope", "confidence": 0.8},
            {"name": "helpdesk_contact", "confidence": 0.2},
        ],
    )
    [message] = OtherSystemGuard().process([message])
    assert message.get("intent") == {"name": "helpdesk_contact", "confidence": 1.0}


def test_an_mfa_code_for_another_system_stays_out_of_scope():
    [message] = OtherSystemGuard().process(
        [_message("bank app wants a verification code", "reset_password", ["other_system", "mfa"])]
    )
    assert message.get("intent")["name"] == "out_of_scope"
