"""End to end: the accessibility statement at /chat/accessibility on the real
Rasa server, and the link to it in the widget's panel (in Chromium)."""

import json
from html.parser import HTMLParser
from typing import Dict, List, Optional, Tuple

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from channels.accessibility import tested
from tests.support.chromium import chromium
from tests.support.servers import ROOT

# The GOV.UK model statement's sections, as the page's h2 headings.
SECTIONS = [
    "How accessible this chat is",
    "Feedback and contact information",
    "Reporting accessibility problems with this chat",
    "Enforcement procedure",
    "What we tested and how",
    "Known limitations",
    "Preparation of this accessibility statement",
]


class Page(HTMLParser):
    """What a reader of the page meets: headings, links, list terms, text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: List[Tuple[str, Dict[str, Optional[str]]]] = []
        self.texts: Dict[str, List[str]] = {"h1": [], "h2": [], "dt": [], "a": []}
        self.links: List[Tuple[str, str]] = []  # (href, text)
        self.text = ""
        self._open: List[Tuple[str, Dict[str, Optional[str]], str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in self.texts:
            self._open.append((tag, dict(attrs), ""))

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            _, attrs, text = self._open.pop()
            text = " ".join(text.split())
            self.texts[tag].append(text)
            if tag == "a":
                self.links.append((attrs.get("href") or "", text))

    def handle_data(self, data):
        self.text += data
        self._open = [(tag, attrs, text + data) for tag, attrs, text in self._open]


@pytest.fixture(scope="module")
def statement(servers):
    return requests.get(f"{servers['url']}/chat/accessibility", timeout=10)


def test_the_statement_is_served_with_the_demo_pages_strict_csp(servers, statement):
    assert statement.status_code == 200
    assert statement.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = statement.headers["Content-Security-Policy"]
    demo = requests.get(f"{servers['url']}/chat/", timeout=10)
    assert csp == demo.headers["Content-Security-Policy"]
    directives = [d.strip() for d in csp.split(";")]
    assert "default-src 'none'" in directives and "script-src 'self'" in directives
    assert "style-src 'self'" in directives and "frame-ancestors 'none'" in directives
    assert "unsafe" not in csp
    assert statement.headers["X-Content-Type-Options"] == "nosniff"
    page = Page(statement.text)
    # Nothing for the CSP to block: no script at all, no inline style, one
    # stylesheet from this server.
    assert [tag for tag, _ in page.tags if tag in ("script", "style")] == []
    assert all("style" not in attrs for _, attrs in page.tags)
    assert [a["href"] for tag, a in page.tags if tag == "link"] == ["/chat/demo.css"]
    assert requests.get(f"{servers['url']}/chat/demo.css", timeout=10).status_code == 200


def test_the_statement_has_the_model_sections_and_the_content_files_contact(statement, content):
    page = Page(statement.text)
    assert page.texts["h1"] == ["Accessibility statement for the NHSmail help chat"]
    assert page.texts["h2"] == SECTIONS
    about = content.accessibility
    assert f"The chat is run by {about.organisation}." in " ".join(page.text.split())
    tel = "tel:" + about.contact_phone.replace(" ", "")
    assert ("mailto:" + about.contact_email, about.contact_email) in page.links
    assert (tel, about.contact_phone) in page.links
    # The helpdesk, for anyone who cannot use the chat.
    phone = content.facts["helpdesk_phone"]
    assert ("tel:" + phone.replace(" ", ""), phone) in page.links
    # The enforcement sentence links the advisory service named in the content file.
    assert (about.advisory_service.url, about.advisory_service.title) in page.links
    assert (about.standard.url, about.standard.title) in page.links
    assert "The Equality and Human Rights Commission (EHRC) is responsible for enforcing" in (
        " ".join(page.text.split())
    )
    reviewed = f"{about.reviewed.day} {about.reviewed:%B %Y}"
    assert f"This statement was last reviewed on {reviewed}." in page.text


def test_what_was_tested_is_the_one_list_with_the_axe_core_the_tests_pin(statement):
    page = Page(statement.text)
    assert page.texts["dt"] == [check.name for check in tested()]
    assert page.texts["dt"] == [
        "Automated checks",
        "Keyboard only",
        "Screen-reader announcements",
        "Reflow",
        "Text spacing",
        "Target size",
        "Focus not obscured",
        "Reduced motion",
        "Colour contrast",
    ]
    axe = json.loads((ROOT / "package.json").read_text())["dependencies"]["axe-core"]
    text = " ".join(page.text.split())
    assert f"axe-core {axe} in Chromium, against WCAG 2.2 levels A and AA" in text
    assert "At 320 CSS pixels wide and at 400% zoom" in text


@pytest.mark.browser
def test_the_panels_accessibility_link_opens_the_statement_in_a_new_tab(servers, content):
    with chromium(360, 740) as driver:
        driver.get(f"{servers['url']}/chat/")  # the demo page opens the panel
        wait = WebDriverWait(driver, 15)
        link = wait.until(
            lambda d: next(
                (a for a in d.find_elements(By.CSS_SELECTOR, ".nhsw-footer a") if a.is_displayed()),
                None,
            ),
            "no Accessibility link in the open panel",
        )
        # Seen: "Accessibility"; heard: that it opens a new tab.
        assert driver.execute_script(
            "const [word, hint] = arguments[0].childNodes;"
            "return [word.textContent, hint.textContent, hint.getBoundingClientRect().width]",
            link,
        ) == ["Accessibility", " (opens in a new tab)", 1]
        assert link.get_attribute("href") == f"{servers['url']}/chat/accessibility"
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("rel") == "noopener"
        size = link.size
        assert size["height"] >= 24 and size["width"] >= 24  # WCAG 2.5.8

        chat_tab = driver.current_window_handle
        link.click()
        wait.until(lambda d: len(d.window_handles) == 2, "no new tab")
        driver.switch_to.window(next(h for h in driver.window_handles if h != chat_tab))
        wait.until(lambda d: d.find_elements(By.TAG_NAME, "h1"), "the statement did not load")
        assert driver.find_element(By.TAG_NAME, "h1").text == (
            "Accessibility statement for the NHSmail help chat"
        )
        assert content.accessibility.contact_email in driver.find_element(By.TAG_NAME, "main").text
        # demo.css applied under the strict CSP: the header is NHS blue.
        header = driver.find_element(By.CSS_SELECTOR, ".demo-header")
        assert header.value_of_css_property("background-color") == "rgba(0, 94, 184, 1)"
        # rel=noopener: the statement cannot reach back into the chat's page.
        assert driver.execute_script("return window.opener") is None
