"""End to end in a real browser: the widget at /chat/ on a phone-sized screen.

Debian's Chromium, started by tests/support/chromium.py.
"""

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import feedback
from tests.support.chromium import chromium
from tests.support.servers import ROOT
from tests.support.widget import stored_user_texts

# Chromium drives the widget on the end-to-end servers.
pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
SCREENSHOT = ROOT / "var" / "test-artifacts" / "widget-phone.png"
REPLY_SECONDS = 30


@pytest.fixture
def browser():
    with chromium() as driver:
        # A phone's viewport (overlay scrollbars, touch), kept across reloads.
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {**PHONE, "deviceScaleFactor": 1, "mobile": True},
        )
        yield driver


class Widget:
    """What a user sees and does on the page, in the widget's own terms."""

    def __init__(self, driver, url):
        self.driver = driver
        self.url = url

    def open(self):
        self.driver.get(self.url)
        self.wait_ready()

    def wait(self, condition, seconds=REPLY_SECONDS, message=""):
        return WebDriverWait(self.driver, seconds).until(lambda _: condition(), message)

    def wait_ready(self):
        self.wait(
            lambda: (
                self.js(
                    "return document.querySelector('.nhsw')"
                    " && document.querySelector('.nhsw').dataset.connection"
                )
                == "ready"
            ),
            15,
            "the widget never confirmed its session",
        )

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def messages(self):
        """(who, text) of every message in the log: the text as shown, line
        breaks included, without the "You:" said only to screen readers."""
        return [
            tuple(m)
            for m in self.js("""
            return [...document.querySelectorAll('.nhsw-log .nhsw-bubble')].map(bubble => [
              bubble.parentNode.classList.contains('nhsw-msg-user') ? 'user' : 'bot',
              [...bubble.childNodes].map(node =>
                node.nodeName === 'BR' ? '\\n' :
                node.classList && node.classList.contains('nhsw-sr') ? '' : node.textContent
              ).join('')]);""")
        ]

    def bot_text(self):
        return "\n".join(text for who, text in self.messages() if who == "bot")

    def type(self, text):
        box = self.driver.find_element(By.CSS_SELECTOR, ".nhsw-input")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def wait_for_bot(self, fragment):
        self.wait(lambda: fragment in self.bot_text(), message=f"no reply with {fragment!r}")

    def choice(self, title):
        return self.driver.find_element(
            By.XPATH, f"//button[contains(@class,'nhsw-choice')][normalize-space()={title!r}]"
        )

    def session_id(self):
        return self.js(
            "return JSON.parse(sessionStorage.getItem('nhsmail-chat:' + location.origin)).sessionId"
        )


def test_on_a_phone_ask_click_a_button_reload_and_carry_on(servers, browser, content):
    widget = Widget(browser, f"{servers['url']}/chat/")
    widget.open()
    assert widget.js("return [innerWidth, innerHeight]") == [360, 740]
    phone = content.facts["helpdesk_phone"]

    widget.type("how do I reset my password?")
    widget.wait_for_bot(f"Phone: {phone}")
    # The number is a link that dials it; web links open apart from the chat.
    assert browser.find_element(By.LINK_TEXT, phone).get_attribute(
        "href"
    ) == "tel:" + phone.replace(" ", "")
    web_links = browser.find_elements(By.CSS_SELECTOR, ".nhsw-log a[href^='https:']")
    assert web_links and all(
        a.get_attribute("target") == "_blank" and a.get_attribute("rel") == "noopener noreferrer"
        for a in web_links
    )

    # Keyboard: the offered replies are reachable with Tab from the text box.
    browser.find_element(By.CSS_SELECTOR, ".nhsw-input").send_keys(Keys.SHIFT, Keys.TAB)
    assert "nhsw-choice" in browser.switch_to.active_element.get_attribute("class")

    widget.choice("What will they ask me?").click()
    widget.wait_for_bot("Have these ready")
    assert ("user", "What will they ask me?") in widget.messages()
    before_reload = widget.messages()
    session_id = widget.session_id()

    browser.refresh()
    widget.wait_ready()
    assert widget.messages() == before_reload
    assert widget.session_id() == session_id
    widget.type("I work in a pharmacy and forgot my password")
    widget.wait_for_bot(f"organisation type: {content.org_types['pharmacy']['label']}")
    # One conversation in the tracker store, before and after the reload.
    assert stored_user_texts(servers, session_id, 3) == [
        "how do I reset my password?",
        "/prepare_call",
        "I work in a pharmacy and forgot my password",
    ]

    widget.wait(
        lambda: (
            widget.js("return document.querySelector('.nhsw').dataset.transport") == "websocket"
        ),
        10,
        "socket.io never upgraded to websocket",
    )
    assert widget.js("return document.documentElement.scrollWidth") <= PHONE["width"]
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    time.sleep(0.3)  # let the last bubble's scroll settle before the picture
    browser.save_screenshot(str(SCREENSHOT))
    print(f"\nwidget screenshot: {SCREENSHOT}")


def test_did_this_help_buttons_in_the_widget_and_a_no_gets_the_helpdesk(servers, browser, content):
    widget = Widget(browser, f"{servers['url']}/chat/")
    widget.open()
    widget.type("how do I reset my password?")
    widget.wait_for_bot(feedback.question(content))
    titles = [b["title"] for b in feedback.buttons(content)]
    assert all(widget.choice(title).is_displayed() for title in titles)
    # The answer's own buttons stay beside the vote until the user replies.
    assert widget.choice("What will they ask me?").is_displayed()
    widget.choice(content.messages["feedback_no_button"]).click()
    widget.wait_for_bot(feedback.sorry(content))
    assert ("user", content.messages["feedback_no_button"]) in widget.messages()
    assert browser.find_elements(By.CSS_SELECTOR, ".nhsw-choice") == []
    assert stored_user_texts(servers, widget.session_id(), 2) == [
        "how do I reset my password?",
        feedback.NO,
    ]


def test_html_stays_text_and_start_again_clears_the_conversation(servers, browser, content):
    widget = Widget(browser, f"{servers['url']}/chat/")
    widget.open()
    attack = '<img src=x onerror="window.injected=1"><b>bold</b>'
    widget.type(attack)
    widget.wait(
        lambda: any(who == "bot" for who, _ in widget.messages()),
        message="no answer to a message with HTML in it",
    )
    assert ("user", attack) in widget.messages()
    assert browser.find_elements(By.CSS_SELECTOR, ".nhsw-log img, .nhsw-log b") == []
    assert widget.js("return window.injected") is None
    old_session = widget.session_id()

    browser.find_element(By.XPATH, "//button[normalize-space()='Start again']").click()
    widget.wait_ready()
    assert widget.messages() == []
    assert widget.session_id() != old_session
    widget.type("how do I reset my password?")
    widget.wait_for_bot(content.facts["helpdesk_phone"])
    browser.refresh()
    widget.wait_ready()
    assert attack not in "\n".join(text for _, text in widget.messages())
