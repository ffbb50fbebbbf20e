"""rasa-webchat 1.0.1, the third-party widget many providers already embed, on
the provider's own origin (another loopback port, listed in CORS_ORIGINS),
talking to the real Rasa server in Debian's Chromium. A site whose origin is
not listed gets no connection and no reply.
"""

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import feedback
from tests.support.chromium import chromium
from tests.support.host_site import HostSite
from tests.support.widget import REPLY_SECONDS, stored_user_texts

pytestmark = pytest.mark.browser

QUESTION = "how do I reset my password?"


@pytest.fixture
def listed_site(servers, host_site):
    """The provider's page on the site whose origin CORS_ORIGINS lists."""
    return host_site.rasa_webchat_page("/rasa-webchat.html", servers["url"])


@pytest.fixture
def unlisted_site(servers):
    """The same page on another site, whose origin nobody listed."""
    site = HostSite().start()
    yield site.rasa_webchat_page("/rasa-webchat.html", servers["url"])
    site.stop()


class RasaWebchat:
    """rasa-webchat as a user meets it: the launcher, the text box, the replies."""

    def __init__(self, driver):
        self.driver = driver

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, condition, seconds, message):
        return WebDriverWait(self.driver, seconds).until(lambda _: condition(), message)

    def visit(self, url):
        self.driver.get(url)

    def launcher_shown(self):
        return any(
            e.is_displayed() for e in self.driver.find_elements(By.CSS_SELECTOR, ".rw-launcher")
        )

    def open(self):
        # rasa-webchat shows its launcher once the server has confirmed a session.
        self.wait(self.launcher_shown, 15, "rasa-webchat never showed its launcher")
        # It remembers an open panel across a reload; the launcher would close it.
        if not self.driver.find_elements(By.CSS_SELECTOR, ".rw-new-message"):
            self.driver.find_element(By.CSS_SELECTOR, ".rw-launcher").click()

    def events(self):
        return self.js("return window.socketEvents")

    def send(self, text):
        box = self.driver.find_element(By.CSS_SELECTOR, ".rw-new-message")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def texts(self, who):
        """The text of each message shown, "client" (the user) or "response" (the bot)."""
        return self.shown(f".rw-{who}")

    def shown(self, selector):
        # Read in one go: React re-renders the list while replies arrive.
        return self.js(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText.trim())",
            selector,
        )

    def quick_replies(self):
        return self.shown(".rw-reply")

    def quick_reply(self, title):
        self.driver.find_element(
            By.XPATH, f"//*[contains(@class,'rw-reply')][normalize-space()={title!r}]"
        ).click()

    def session_id(self):
        """Where rasa-webchat keeps the session_confirm'ed id (its default storage)."""
        stored = self.js("return localStorage.getItem('chat_session')")
        return json.loads(stored)["session_id"] if stored else None


def test_rasa_webchat_on_a_listed_origin_gets_the_helpdesk_number(servers, listed_site, content):
    phone = content.facts["helpdesk_phone"]
    with chromium() as driver:
        chat = RasaWebchat(driver)
        chat.visit(listed_site)
        chat.open()
        session_id = chat.session_id()
        assert session_id and len(session_id) == 32  # made by the server: a uuid4

        chat.send(QUESTION)
        chat.wait(
            lambda: any(phone in t for t in chat.texts("response")),
            REPLY_SECONDS,
            f"no reply in rasa-webchat with {phone}",
        )
        assert chat.texts("client") == [QUESTION]
        assert any(f"Phone: {phone}" in t for t in chat.texts("response"))
        # Opening the panel sent rasa-webchat's initPayload, with no message as
        # none is set: it got no "type your question" reply.
        assert content.fill(content.messages["input_empty"]) not in chat.texts("response")
        # The last message's buttons are rasa-webchat's quick replies, and a
        # click sends the button's payload.
        chat.wait(
            lambda: feedback.question(content) in chat.texts("response"),
            REPLY_SECONDS,
            "no Did this help? question",
        )
        titles = [b["title"] for b in feedback.buttons(content)]
        chat.wait(lambda: chat.quick_replies() == titles, 10, "no quick replies")
        chat.quick_reply(content.messages["feedback_no_button"])
        chat.wait(
            lambda: any(
                feedback.sorry_has_the_helpdesk(content, t) for t in chat.texts("response")
            ),
            REPLY_SECONDS,
            "no answer to the No button",
        )
        assert "connect_error" not in chat.events()
        # One conversation, stored under the id rasa-webchat keeps.
        assert stored_user_texts(servers, session_id, 2) == [QUESTION, feedback.NO]

        # A reload reconnects with that id, and the conversation carries on.
        driver.refresh()
        chat.open()
        assert chat.session_id() == session_id
        label = content.org_types["pharmacy"]["label"]
        chat.send("I work in a pharmacy and forgot my password")
        chat.wait(
            lambda: any(f"organisation type: {label}" in t for t in chat.texts("response")),
            REPLY_SECONDS,
            "no answer for a pharmacy after the reload",
        )
        assert stored_user_texts(servers, session_id, 3) == [
            QUESTION,
            feedback.NO,
            "I work in a pharmacy and forgot my password",
        ]


def test_rasa_webchat_on_an_origin_not_listed_is_refused_and_gets_no_reply(servers, unlisted_site):
    with chromium() as driver:
        chat = RasaWebchat(driver)
        chat.visit(unlisted_site)
        # socket.io's client reports each refused attempt, and retries (1 s, 2 s, ...).
        chat.wait(
            lambda: chat.events().count("connect_error") >= 3,
            20,
            "rasa-webchat was not refused",
        )
        assert set(chat.events()) == {"connect_error"}  # no connect, no session, no reply
        assert chat.session_id() is None
        # Without a confirmed session rasa-webchat stays hidden: nothing to type in.
        assert not chat.launcher_shown()
