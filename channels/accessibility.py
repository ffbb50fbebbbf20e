"""The chat's accessibility statement, served at /chat/accessibility.

After the GOV.UK model statement for public sector websites: how accessible
the chat is, feedback and how to report a problem, the enforcement procedure,
what was tested and how, known limitations, and when it was last reviewed.
The wording is the template's (widget/accessibility.html); who runs the chat,
the contact and the review date are the content file's (its `accessibility`
section, checked by actions/content_check.py); what was tested is TESTED
below, the one list of it (docs link to the page).
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Tuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from actions.content import Content

WIDGET_DIR = Path(__file__).with_name("widget")
TEMPLATE = "accessibility.html"
# The browser tests' axe-core, pinned in package.json (installed by make npm).
PACKAGE_JSON = Path(__file__).resolve().parents[1] / "package.json"


@dataclass(frozen=True)
class Check:
    """One kind of test the chat passes: its name, and what is done and seen."""

    name: str
    how: str


def axe_version() -> str:
    return str(json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))["dependencies"]["axe-core"])


def tested() -> Tuple[Check, ...]:
    """What the chat's tests check, as the statement lists it."""
    return (
        Check(
            "Automated checks",
            f"axe-core {axe_version()} in Chromium, against WCAG 2.2 levels A and AA, on "
            "the demo page and on a plain page that embeds the chat: with the chat closed, "
            "open, after a reply with buttons and after an error.",
        ),
        Check(
            "Keyboard only",
            "Opening the chat, asking a question, choosing a reply button, starting again "
            "and closing it with the keyboard alone (Tab, Shift+Tab, Enter and Escape), "
            "with the focus always visible.",
        ),
        Check(
            "Screen-reader announcements",
            "Replies, the typing indicator and the connection status are announced through "
            "live regions, and every control has a name.",
        ),
        Check(
            "Reflow",
            "At 320 CSS pixels wide and at 400% zoom the chat fits the screen, with no "
            "scrolling in two directions and nothing cut off.",
        ),
        Check(
            "Text spacing",
            "With WCAG's text spacing (line height 1.5, paragraphs 2, letters 0.12 and "
            "words 0.16 times the font size) no text is cut off or overlaps.",
        ),
        Check(
            "Target size",
            "Every button and link is at least 24 by 24 CSS pixels, or has that much space "
            "around it.",
        ),
        Check(
            "Focus not obscured",
            "A control that has the keyboard focus is never hidden behind the chat panel "
            "or the page.",
        ),
        Check(
            "Reduced motion",
            "When the device asks for reduced motion, the chat does not animate.",
        ),
        Check(
            "Colour contrast",
            "Text, controls and the focus indicator reach WCAG's contrast ratios (4.5:1 for "
            "text, 3:1 for controls), in NHS blue and in a care provider's own colour.",
        ),
    )


def render_statement(content: Content) -> bytes:
    """The statement page for ``content``; every value is HTML-escaped."""
    environment = Environment(
        loader=FileSystemLoader(WIDGET_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    statement = content.accessibility
    page = environment.get_template(TEMPLATE).render(
        statement=statement,
        reviewed=f"{statement.reviewed.day} {statement.reviewed:%B %Y}",
        tel=statement.contact_phone.replace(" ", ""),
        tested=tested(),
        helpdesk={
            "name": content.facts["helpdesk_name"],
            "phone": content.facts["helpdesk_phone"],
            "tel": content.facts["helpdesk_phone"].replace(" ", ""),
            "email": content.facts["helpdesk_email"],
            "hours": content.facts["helpdesk_hours"],
        },
    )
    return page.encode("utf-8")
