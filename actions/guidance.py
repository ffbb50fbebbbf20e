"""Assembles the assistant's replies from the content file.

Pure functions: content and slot values in, text and buttons out. No Rasa, no
I/O, so each can be tested on its own. Replies are short paragraphs with steps
as lists, to read on a phone.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from actions.content import (
    ALL_DELETED_TOPIC,
    MFA_TOPIC,
    PREPARE_NEW_STARTER_TOPIC,
    TOPIC_INTENTS,
    Content,
    Topic,
)
from nlp import intents, kinds


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)
    # The topics answered and the one offered next: the dialogue keeps them
    # so that "yes" or "I'm in a pharmacy" can follow this reply.
    topics: Tuple[str, ...] = ()
    offered: Optional[str] = None
    # Not for this assistant: who was asking (nlp/kinds.py), so that a
    # follow-up to this reply ("who do I ask then?") gets the same answer.
    scope_kind: Optional[str] = None


def org_type_key(content: Content, org_type: Optional[str]) -> str:
    """The phone-menu branch for a slot value: the default when none was said."""
    if not org_type:
        return content.default_org_type
    key = str(org_type).strip().lower().replace(" ", "_")
    return key if key in content.org_types else "other"


def helpdesk_contact_lines(content: Content) -> List[str]:
    return [
        content.fill("Phone: {helpdesk_phone}"),
        content.fill("Email: {helpdesk_email}"),
        content.fill("Open {helpdesk_hours}."),
    ]


def menu_path_lines(content: Content, org_type: Optional[str] = None) -> List[str]:
    org = content.org_types[org_type_key(content, org_type)]
    first, agent = content.menu_first, content.menu_agent
    return [
        "On the phone menu:",
        f'1. Press {first.option}: "{first.label}".',
        f"2. Choose your organisation type: {org['label']}.",
        f"3. Press {agent.option} {agent.label}.",
    ]


def identity_checklist_lines(content: Content, for_site: bool = False) -> List[str]:
    items = list(content.checklist_items) + (list(content.site_items) if for_site else [])
    return ["Have these ready:"] + [f"- {content.fill(item)}" for item in items]


def manager_route_lines(content: Content) -> List[str]:
    return [f"{i}. {content.fill(step)}" for i, step in enumerate(content.manager_steps, 1)]


def _block(content: Content, name: str, org_type: Optional[str], for_site: bool) -> List[str]:
    if name == "helpdesk_contact":
        return helpdesk_contact_lines(content)
    if name == "menu_path":
        return menu_path_lines(content, org_type)
    if name == "identity_checklist":
        return identity_checklist_lines(content, for_site)
    if name == "manager_route":
        return manager_route_lines(content)
    raise KeyError(f"unknown block {name!r}")


def source_lines(content: Content, topic: Topic) -> List[str]:
    urls = [content.sources[name]["url"] for name in topic.cite]
    return [f"{content.messages['sources_heading']} {url}" for url in urls]


def buttons_for(content: Content, topic: Topic) -> List[Dict[str, str]]:
    return [{"title": b.title, "payload": b.payload} for b in topic.followups]


def render_topic(
    content: Content,
    topic_name: str,
    org_type: Optional[str] = None,
    for_site: bool = False,
    with_offer: bool = True,
) -> Reply:
    """The whole answer to one topic, for the caller's organisation type.

    ``for_site``: the caller speaks for the whole care home (every linked
    account is gone), so the checklist adds the site's ODS code and landline.
    ``with_offer``: end with the topic's offer (a compound reply makes one
    offer, for all its parts).
    """
    topic = content.topics[topic_name]
    org_label = content.org_types[org_type_key(content, org_type)]["label"]
    paragraphs = []
    for part in topic.answer:
        if isinstance(part, str):
            paragraphs.append(content.fill(part, org_label=org_label))
        else:
            paragraphs.append("\n".join(_block(content, part["block"], org_type, for_site)))
    sources = source_lines(content, topic)
    if sources:
        paragraphs.append("\n".join(sources))
    buttons = buttons_for(content, topic)
    if org_type:  # already said: don't offer to choose it again
        buttons = [b for b in buttons if '"org_type"' not in b["payload"]]
    offered = topic.offer.topic if topic.offer and with_offer else None
    if topic.offer and offered:
        paragraphs.append(content.fill(topic.offer.question))
    return Reply("\n\n".join(paragraphs), buttons, (topic_name,), offered)


def compound_parts(intent: Optional[str]) -> List[str]:
    """The intents of a compound question ("a+b"); [] for a single intent."""
    return list(intents.compound_parts(intent))


def render_topics(
    content: Content,
    topic_names: Sequence[str],
    org_type: Optional[str] = None,
    for_site: bool = False,
) -> Reply:
    """One reply that answers several topics in turn: a compound question.

    Each part keeps its own answer; the offer is the last part's, unless it
    offers a topic this reply already answers, and no button repeats a part.
    """
    if len(topic_names) == 1:
        return render_topic(content, topic_names[0], org_type, for_site)
    parts = [
        render_topic(content, name, org_type, for_site, with_offer=False) for name in topic_names
    ]
    paragraphs = [
        f"{content.topics[name].title}:\n\n{reply.text}" for name, reply in zip(topic_names, parts)
    ]
    offer = content.topics[topic_names[-1]].offer
    offered = offer.topic if offer and offer.topic not in topic_names else None
    if offer and offered:
        paragraphs.append(content.fill(offer.question))
    answered = {intents.payload(name) for name in topic_names}
    buttons, seen = [], set()
    for reply in parts:
        for button in reply.buttons:
            if button["payload"] not in answered and button["payload"] not in seen:
                seen.add(button["payload"])
                buttons.append(button)
    return Reply("\n\n".join(paragraphs), buttons[:4], tuple(topic_names), offered)


def choose_topic(
    intent: Optional[str],
    entities: Sequence[str] = (),
    all_accounts_deleted: Optional[bool] = None,
    after: Optional[str] = None,
) -> Optional[str]:
    """Which topic answers ``intent``, given the entity types in the same message
    and the topic answered straight before (``after``).

    "What do I need to have ready?" after the new-starter answer is about
    adding a user, not the account holder's own checklist.
    None when the intent is not a guidance topic.
    """
    if intent == intents.PREPARE_CALL and after == intents.ADD_USER:
        return PREPARE_NEW_STARTER_TOPIC
    if intent == intents.REINSTATE_ACCOUNT and (
        all_accounts_deleted or "account_scope" in entities
    ):
        return ALL_DELETED_TOPIC
    if intent in intents.MFA_QUESTIONS and "mfa" in entities:
        return MFA_TOPIC
    return intent if intent in TOPIC_INTENTS else None


def _has_block(content: Content, topic_name: str, blocks: Sequence[str]) -> bool:
    return any(
        isinstance(part, dict) and part.get("block") in blocks
        for part in content.topics[topic_name].answer
    )


def has_menu(content: Content, topic_name: str) -> bool:
    """The topic's answer gives the phone menu, which depends on the organisation type."""
    return _has_block(content, topic_name, ("menu_path", "identity_checklist"))


def has_menu_path(content: Content, topic_name: str) -> bool:
    """The topic's answer gives the phone-menu path itself."""
    return _has_block(content, topic_name, ("menu_path",))


def org_noted(content: Content, org_type: Optional[str]) -> Reply:
    """The organisation type, said before any question."""
    label = content.org_types[org_type_key(content, org_type)]["label"]
    return Reply(
        content.fill(content.messages["org_noted"], org_label=label), scope_buttons(content)
    )


def acknowledge(content: Content, said_yes: bool) -> Reply:
    """A yes or a no with nothing offered to say it to."""
    return Reply(content.fill(content.messages["ok" if said_yes else "no_problem"]))


def secret_warning(content: Content) -> Reply:
    return Reply(content.fill(content.messages["secret_shared"]))


def ask_all_accounts_deleted(content: Content) -> Reply:
    return Reply(
        content.fill(content.messages["ask_all_accounts_deleted"]),
        [
            {
                "title": content.messages["affirm_question"],
                "payload": intents.payload(intents.AFFIRM),
            },
            {"title": content.messages["deny_question"], "payload": intents.payload(intents.DENY)},
        ],
    )


def feedback_question(content: Content) -> Reply:
    """ "Did this help?" under a topic answer: two buttons, never a question
    that must be answered (a typed yes or no still answers the offer)."""
    return Reply(
        content.fill(content.messages["feedback_question"]),
        [
            {
                "title": content.messages["feedback_yes_button"],
                "payload": intents.payload(intents.FEEDBACK_YES),
            },
            {
                "title": content.messages["feedback_no_button"],
                "payload": intents.payload(intents.FEEDBACK_NO),
            },
        ],
    )


def feedback_answer(content: Content, helpful: bool) -> Reply:
    """Thanks for a "Yes"; for a "No", an apology, the helpdesk and what they
    were trying to do (make report lists the next message as unanswered)."""
    return Reply(content.fill(content.messages["feedback_thanks" if helpful else "feedback_sorry"]))


def not_all_deleted(content: Content) -> Reply:
    topic = content.topics[intents.REINSTATE_ACCOUNT]
    return Reply(content.fill(content.messages["reinstate_not_all"]), buttons_for(content, topic))


# Offered when a message names NHSmail but no topic is likely enough: its
# first choice is always an NHSmail topic, never only "Something else".
DEFAULT_CLARIFY_TOPICS = (intents.RESET_PASSWORD, intents.HELPDESK_CONTACT)


def clarify(content: Content, likely_intents: Sequence[str], names_nhsmail: bool = False) -> Reply:
    """Two-stage fallback: the two likeliest topics as buttons, and a way out.

    The way out sends `out_of_scope`, which Rasa's two-stage fallback reads as
    "none of these" and answers by asking the user to rephrase.
    """
    topics = [name for name in likely_intents if name in content.topics][:2]
    if names_nhsmail:
        topics += [name for name in DEFAULT_CLARIFY_TOPICS if name not in topics]
        topics = topics[:2]
    buttons = [{"title": content.topics[t].title, "payload": intents.payload(t)} for t in topics]
    buttons.append(
        {
            "title": content.messages["clarify_other"],
            "payload": intents.payload(intents.OUT_OF_SCOPE),
        }
    )
    return Reply(content.fill(content.messages["clarify"]), buttons)


def rephrase(content: Content) -> Reply:
    return Reply(content.fill(content.messages["rephrase"]))


def scope(content: Content, other_system: bool = False) -> Reply:
    """What the assistant can help with, and the helpdesk for everything else.

    ``other_system``: the message was about another system, app, device or
    account; the reply says so first and where such questions go, and gives
    no NHSmail phone-menu path.
    """
    lines = [content.fill(content.messages["other_system"]), ""] if other_system else []
    lines += [content.fill(content.messages["scope"])]
    lines += [f"- {content.topics[name].title}" for name in content.scope_topics]
    text = "\n".join(lines) + "\n\n" + content.fill(content.messages["scope_other"])
    return Reply(
        text, scope_buttons(content), scope_kind=kinds.OTHER_SYSTEM if other_system else None
    )


def scope_buttons(content: Content) -> List[Dict[str, str]]:
    return [
        {"title": content.topics[name].title, "payload": intents.payload(name)}
        for name in content.scope_buttons
    ]


# The provider's contacts a visitor's reply lists, in this order, with their labels.
VISITOR_LINES = (
    ("phone", "Phone"),
    ("email", "Email"),
    ("enquiries_url", "Enquiries and visiting"),
    ("jobs_url", "Jobs"),
    ("complaints_url", "Complaints"),
    ("find_home_url", "Find your home"),
)


def provider_contact_lines(content: Content) -> List[str]:
    contacts = content.provider_contact
    return [f"- {label}: {contacts[key]}" for key, label in VISITOR_LINES if key in contacts]


def not_for_me(content: Content, kind: Optional[str], bereaved: bool = False) -> Reply:
    """A message that is not for this assistant, answered by who is asking:
    no NHSmail helpdesk, no phone menu, no "Did this help?".

    - ``emergency``: 999 first, and that this chat can't send help;
    - ``safeguarding``: 999 if anyone is in danger, then the home, the
      council's adult safeguarding team and the Care Quality Commission;
    - ``visitor``: the care provider's own contacts (kind words first when
      ``bereaved``);
    - anything else: one short line and the topic buttons.
    Each says 999, so that a danger read as another kind still meets it.
    """
    messages = content.messages
    if kind == kinds.EMERGENCY:
        return Reply(content.fill(messages["urgent_emergency"]), scope_kind=kind)
    if kind == kinds.SAFEGUARDING:
        return Reply(content.fill(messages["urgent_safeguarding"]), scope_kind=kind)
    if kind == kinds.VISITOR:
        paragraphs = [content.fill(messages["bereaved"])] if bereaved else []
        paragraphs += [
            content.fill(messages["not_for_me"]),
            "\n".join([content.fill(messages["visitor_lead"])] + provider_contact_lines(content)),
            content.fill(messages["danger_line"]),
        ]
        return Reply("\n\n".join(paragraphs), scope_kind=kind)
    return Reply(
        content.fill(messages["other_short"]), scope_buttons(content), scope_kind=kinds.OTHER
    )


def again_not_for_me(content: Content, kind: str, bereaved: bool = False) -> Reply:
    """A follow-up to a not-for-me reply ("who do I ask then?"): the same
    places again, never the NHSmail helpdesk."""
    reply = (
        scope(content, other_system=True)
        if kind == kinds.OTHER_SYSTEM
        else not_for_me(content, kind, bereaved)
    )
    if kind in (kinds.EMERGENCY, kinds.SAFEGUARDING):
        return reply
    lead = content.fill(content.messages["scope_follow_up"])
    return Reply(f"{lead} {reply.text}", reply.buttons, scope_kind=kind)


def colleague_died(content: Content, reply: Reply) -> Reply:
    """A leaver who died: the same answer, opened with kind words."""
    text = content.fill(content.messages["colleague_died"]) + "\n\n" + reply.text
    return Reply(text, reply.buttons, reply.topics, reply.offered)
