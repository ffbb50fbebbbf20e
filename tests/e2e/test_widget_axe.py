"""WCAG 2.2 AA, measured in a real browser: axe-core on the demo page /chat/
and on a care provider's own page (tests/support/host_site.py: another
origin, a strict CSP, the widget embedded with the documented tag), closed,
open, after a reply with buttons and after a connection error; a provider's
colour made readable; links in replies and none in what the user typed;
screenshots at phone and desktop widths.

Debian's Chromium, started by tests/support/chromium.py; axe-core from
node_modules (tests/support/axe.py).
"""

import colorsys
import re
from typing import Dict

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.axe import BEST_PRACTICE, WCAG_AA, contrast, describe, run_axe
from tests.support.chromium import chromium
from tests.support.measured import MEASURED
from tests.support.servers import ROOT, free_port

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "results" / "screenshots"
VIEWPORTS = {
    375: {"width": 375, "height": 740, "deviceScaleFactor": 1, "mobile": True},
    1280: {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
}
REPLY_SECONDS = 30
# The two backgrounds the widget draws its colour on or under: white (text on
# the colour, the colour as text on buttons) and the bot's bubble (links).
WHITE, BOT_BUBBLE = "#ffffff", "#f0f4f5"
NHS_BLUE = "#005eb8"
# Reconnecting, as the widget says it when its server cannot be reached.
CANT_REACH = "Can't reach NHSmail help. Reconnecting\u2026"


def sized(width):
    """Chromium with a `width` px viewport (at 375 a phone's: touch, overlay scrollbars)."""
    with chromium() as driver:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", VIEWPORTS[width])
        driver.width = width
        yield driver


@pytest.fixture(params=[375, 1280], ids=lambda w: f"{w}px")
def browser(request):
    yield from sized(request.param)


@pytest.fixture
def phone():
    yield from sized(375)


class ChatPage:
    """The widget on a page, in what a user sees and does."""

    def __init__(self, driver, url):
        self.driver = driver
        driver.get(url)
        assert self.js("return innerWidth") == driver.width

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, condition, message, seconds=REPLY_SECONDS):
        return WebDriverWait(self.driver, seconds).until(lambda _: condition(), message)

    def connection(self):
        return self.js(
            "const w = document.querySelector('.nhsw'); return w && w.dataset.connection"
        )

    def wait_connection(self, name):
        self.wait(lambda: self.connection() == name, f"the widget never got to {name!r}", 15)

    def find(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def is_open(self):
        return self.find(".nhsw-panel").is_displayed()

    def close(self):
        self.find(".nhsw-close").click()
        assert not self.is_open() and self.find(".nhsw-launcher").is_displayed()

    def open(self):
        self.find(".nhsw-launcher").click()
        assert self.is_open() and not self.find(".nhsw-launcher").is_displayed()

    def ask(self, text):
        box = self.find(".nhsw-input")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def choices(self):
        return [b.text for b in self.driver.find_elements(By.CSS_SELECTOR, ".nhsw-choice")]

    def ask_and_wait_for_buttons(self, text, titles):
        self.ask(text)
        self.wait(
            lambda: set(titles) <= set(self.choices()),
            f"no buttons {titles} after {text!r}; got {self.choices()}",
        )

    def bubbles(self, who):
        return self.driver.find_elements(By.CSS_SELECTOR, f".nhsw-msg-{who} .nhsw-bubble")

    def status(self):
        status = self.find(".nhsw-status")
        return status.text if status.is_displayed() else None

    def drawn_colour(self, selector, prop):
        """A CSS colour property of an element as #rrggbb."""
        value = self.js(f"return getComputedStyle(document.querySelector({selector!r})).{prop}")
        r, g, b = (int(n) for n in re.findall(r"\d+", value)[:3])
        return f"#{r:02x}{g:02x}{b:02x}"

    def widget_warnings(self):
        """What the widget said on the console (each entry read once)."""
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if "NHSmail chat:" in entry["message"]
        ]


def note(line: str) -> None:
    """A line for the end of the run, once however many states show it."""
    if line not in MEASURED:
        MEASURED.append(line)


def check(driver, where: str, state: str) -> Dict:
    """No WCAG 2.2 A or AA violation now. Best-practice findings, and what axe
    could not decide, are listed at the end of the run, not failed. Returns
    the WCAG run's results, with `best_practice`: the best-practice findings."""
    results = run_axe(driver, WCAG_AA)
    assert results["violations"] == [], (
        f"axe-core {results['version']}, {where}, {state}:\n" + describe(results["violations"])
    )
    # axe did measure the widget's text (a rule that errors is "incomplete",
    # not a violation, and would pass unseen).
    measured = results["passes"].get("color-contrast", [])
    assert any("nhsw" in target for target in measured), results["incomplete"]
    results["best_practice"] = run_axe(driver, BEST_PRACTICE)["violations"]
    for finding in results["best_practice"]:
        note(
            f"axe best-practice, {where}: {finding['id']} ({finding['impact']}): "
            f"{' | '.join(finding['targets'])}"
        )
    for rule, nodes in results["incomplete"].items():
        for target, why in nodes:
            note(f"axe needs review (WCAG, not failed): {rule}: {target}: {why}")
    return results


def buttons_in_view(chat):
    """Scrolls the conversation to the offered replies, below a long answer."""
    chat.js("document.querySelector('.nhsw-choices').scrollIntoView({block: 'end'})")


def provider_page(host_site, servers, name, **data):
    return host_site.provider_page(f"/{name}.html", servers["url"], title="NHSmail help", **data)


def reply_buttons(content):
    return [b.title for b in content.topics["reset_password"].followups]


# --- WCAG 2.2 AA: zero violations, four states, two pages, two widths ---------------------


@pytest.mark.parametrize("page", ["demo", "provider"])
def test_no_wcag_aa_violation_closed_open_and_after_a_reply_with_buttons(
    servers, host_site, browser, page, content
):
    url = f"{servers['url']}/chat/" if page == "demo" else provider_page(host_site, servers, page)
    where = f"{page} page at {browser.width} px"
    chat = ChatPage(browser, url)
    chat.wait_connection("ready")
    best_practice = {}  # state -> its best-practice findings

    def check_now(state):
        results = check(browser, where, state)
        best_practice[state] = results["best_practice"]
        return results

    # The demo page opens the chat on load (data-open="true"); a provider's stays closed.
    assert chat.is_open() == (page == "demo")
    if page == "demo":
        check_now("open on load")
        chat.close()
    check_now("closed")
    chat.open()
    check_now("open")

    chat.ask_and_wait_for_buttons("how do I reset my password?", reply_buttons(content))
    check_now("after a reply with buttons")
    # The default colour, NHS blue, is used and needs no warning.
    assert chat.drawn_colour(".nhsw-choice", "color") == NHS_BLUE
    assert chat.widget_warnings() == []

    if page == "demo":
        # The picture: the answer from the user's question down, as the widget scrolls it.
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"widget-{browser.width}.png"
        assert browser.save_screenshot(str(shot))
        print(f"\nwidget screenshot: {shot}")
        MEASURED.append(f"widget screenshot, open with a reply, {browser.width} px: {shot}")

    # Below a long answer, the buttons scrolled into view are measured too.
    buttons_in_view(chat)
    results = check_now("after a reply, its buttons in view")
    assert any("nhsw-choice" in target for target in results["passes"]["color-contrast"])
    count = sum(len(found) for found in best_practice.values())
    note(f"axe best-practice, {where}: {count} findings in {len(best_practice)} states")


@pytest.mark.parametrize("page", ["demo", "provider"])
def test_no_wcag_aa_violation_with_the_connection_error_shown(servers, host_site, browser, page):
    if page == "demo":
        # The demo page's server stops answering socket.io: every request to it fails.
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/socket.io/?*"]})
        url = f"{servers['url']}/chat/"
    else:
        # The provider's tag points at a port where nothing listens.
        nowhere = f"http://127.0.0.1:{free_port()}"
        url = provider_page(host_site, servers, "down", server_url=nowhere, open="true")
    chat = ChatPage(browser, url)
    chat.wait_connection("reconnecting")
    assert chat.is_open()
    assert chat.status() == CANT_REACH
    check(browser, f"{page} page at {browser.width} px", "after a connection error")


# --- the provider's colour ----------------------------------------------------------


def test_a_provider_colour_with_enough_contrast_is_used_as_given(
    servers, host_site, phone, content
):
    purple = "#330072"  # NHS purple: 15:1 under white text
    chat = ChatPage(phone, provider_page(host_site, servers, "purple", colour=purple))
    chat.wait_connection("ready")
    assert chat.drawn_colour(".nhsw-launcher", "backgroundColor") == purple
    chat.open()
    chat.ask_and_wait_for_buttons("how do I reset my password?", reply_buttons(content))
    assert chat.drawn_colour(".nhsw-header", "backgroundColor") == purple
    assert chat.drawn_colour(".nhsw-choice", "color") == purple
    assert chat.drawn_colour(".nhsw-msg-bot .nhsw-link", "color") == purple
    assert chat.widget_warnings() == []
    check(phone, "provider page, data-colour #330072", "after a reply with buttons")


@pytest.mark.parametrize("given", ["#ffcc00", "#7fbfff"])
def test_a_provider_colour_too_light_is_darkened_until_it_passes_and_the_console_says_so(
    servers, host_site, phone, given, content
):
    assert contrast(given, WHITE) < 4.5  # it does fail, as given
    chat = ChatPage(phone, provider_page(host_site, servers, "light", colour=given))
    chat.wait_connection("ready")
    used = chat.drawn_colour(".nhsw-launcher", "backgroundColor")
    # Darker in every channel, the same hue, and only as dark as it must be.
    assert all(int(used[i : i + 2], 16) <= int(given[i : i + 2], 16) for i in (1, 3, 5))
    hue = [
        colorsys.rgb_to_hsv(*(int(c[i : i + 2], 16) for i in (1, 3, 5)))[0] for c in (given, used)
    ]
    assert abs(hue[0] - hue[1]) < 0.02, (given, used)
    assert contrast(used, WHITE) >= 4.5
    assert 4.5 <= contrast(used, BOT_BUBBLE) < 5.0, used
    warnings = chat.widget_warnings()
    assert len(warnings) == 1, warnings
    assert f"data-colour {given} is too light for WCAG AA contrast" in warnings[0], warnings
    assert f"using {used}." in warnings[0], warnings

    chat.open()
    chat.ask_and_wait_for_buttons("how do I reset my password?", reply_buttons(content))
    assert chat.drawn_colour(".nhsw-choice", "color") == used
    assert chat.drawn_colour(".nhsw-msg-bot .nhsw-link", "color") == used
    where = f"provider page, data-colour {given}"
    # axe measured the darkened colour as link text and as button text.
    links = check(phone, where, "after a reply with buttons")["passes"]["color-contrast"]
    assert any(target.startswith("a[href") for target in links), links
    buttons_in_view(chat)
    buttons = check(phone, where, "after a reply, its buttons in view")["passes"]["color-contrast"]
    assert any("nhsw-choice" in target for target in buttons), buttons


# --- links ----------------------------------------------------------------------------


def test_links_in_replies_open_safely_and_dial_or_email_and_the_users_text_stays_text(
    servers, phone, content
):
    facts = content.facts
    chat = ChatPage(phone, f"{servers['url']}/chat/")
    chat.wait_connection("ready")
    chat.ask_and_wait_for_buttons("how do I reset my password?", reply_buttons(content))
    reply = phone.find_elements(By.CSS_SELECTOR, ".nhsw-msg-bot .nhsw-bubble a")
    links = {
        a.text: (a.get_attribute("href"), a.get_attribute("rel"), a.get_attribute("target"))
        for a in reply
    }
    assert links[facts["helpdesk_phone"]][0] == "tel:" + facts["helpdesk_phone"].replace(" ", "")
    assert links[facts["helpdesk_email"]][0] == "mailto:" + facts["helpdesk_email"]
    assert links[facts["portal_url"]][0].rstrip("/") == facts["portal_url"]
    # Web links open in a new tab, and every link without a handle on the chat's page.
    assert links[facts["portal_url"]][2] == "_blank"
    assert all("noopener" in rel.split() for _, rel, _ in links.values()), links

    typed = (
        f"call {facts['helpdesk_phone']} or email {facts['helpdesk_email']}"
        f" or see {facts['portal_url']}"
    )
    before = len(chat.bubbles("bot"))
    chat.ask(typed)
    chat.wait(lambda: len(chat.bubbles("bot")) > before, f"no reply to {typed!r}")
    for reloaded in (False, True):
        if reloaded:  # the transcript is drawn again from the tab's storage
            phone.refresh()
            chat.wait_connection("ready")
        mine = chat.bubbles("user")[-1]
        # As shown: without the "You: " said only to screen readers.
        assert chat.js("return arguments[0].lastChild.textContent", mine) == typed
        assert mine.find_elements(By.CSS_SELECTOR, "a") == []


def test_a_long_answer_scrolls_from_the_keyboard(servers, phone, content):
    chat = ChatPage(phone, f"{servers['url']}/chat/")
    chat.wait_connection("ready")
    chat.ask_and_wait_for_buttons("how do I reset my password?", reply_buttons(content))
    conversation = chat.find(".nhsw-body")
    # Back from the text box, past the buttons and links, to the conversation itself.
    for _ in range(30):
        if phone.switch_to.active_element == conversation:
            break
        ActionChains(phone).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert phone.switch_to.active_element == conversation
    assert conversation.get_attribute("role") == "region"
    assert conversation.get_attribute("aria-label") == "Conversation"
    top, end = chat.js(
        "return [arguments[0].scrollTop, arguments[0].scrollHeight - arguments[0].clientHeight]",
        conversation,
    )
    assert top < end  # the answer is taller than the screen, and not at its end
    ActionChains(phone).send_keys(Keys.END).perform()
    chat.wait(
        lambda: chat.js("return arguments[0].scrollTop", conversation) >= end - 1,
        "End did not scroll the conversation to its end",
        5,
    )
