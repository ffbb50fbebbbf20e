"""The website chat against the WCAG 2.2 AA criteria axe-core cannot judge,
measured in Debian's Chromium on the demo page /chat/ with the real servers:
keyboard use (2.1.1, 2.4.3), what a screen reader is told when a reply
arrives (4.1.3), reflow (1.4.10), text spacing (1.4.12), target size (2.5.8),
focus not obscured and visible (2.4.11, 2.4.7), and reduced motion.

The demo page opens the chat when it loads (data-open="true"); the widget
remembers in the tab whether its user closed it.
"""

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import feedback
from tests.support.chromium import chromium

# Chromium drives the widget on the end-to-end servers.
pytestmark = pytest.mark.browser

REPLY_SECONDS = 30
PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True}
NARROW = {"width": 320, "height": 640, "deviceScaleFactor": 1, "mobile": True}
# 400% zoom of a 1280 x 1024 desktop window, emulated with CDP's device metrics
# (Emulation.setDeviceMetricsOverride): a 320 x 256 CSS px viewport drawn at
# 4 device pixels per CSS pixel, with desktop scrollbars. It is what Chromium's
# own page zoom gives, which WebDriver cannot set.
ZOOM_400 = {"width": 320, "height": 256, "deviceScaleFactor": 4, "mobile": False}

# The WCAG "text spacing bookmarklet"'s stylesheet (1.4.12's four properties).
TEXT_SPACING = (
    "* { line-height: 1.5 !important; letter-spacing: 0.12em !important;"
    " word-spacing: 0.16em !important; }"
    " p { margin-bottom: 2em !important; }"
)


class Page:
    """The demo page in one Chromium, read and driven the way a test needs."""

    def __init__(self, driver, servers, metrics=None):
        self.driver = driver
        self.url = f"{servers['url']}/chat/"
        if metrics:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, condition, message, seconds=REPLY_SECONDS):
        return WebDriverWait(self.driver, seconds).until(lambda _: condition(), message)

    def open(self):
        self.driver.get(self.url)
        self.wait_ready()

    def wait_ready(self):
        self.wait(
            lambda: (
                self.js("return document.querySelector('.nhsw')?.dataset.connection") == "ready"
            ),
            "the widget never confirmed its session",
            15,
        )

    def keys(self, *keys):
        """Key presses to whatever has the focus, as a keyboard user makes them."""
        ActionChains(self.driver).send_keys(*keys).perform()

    def shift_tab(self):
        ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(
            Keys.SHIFT
        ).perform()

    def focused(self):
        """The focused element as a user knows it: its tag and name."""
        return tuple(
            self.js("""
            const a = document.activeElement;
            return [a.tagName.toLowerCase(),
                    a.getAttribute('aria-label') || a.textContent.trim() || a.id];""")
        )

    def bot_text(self):
        return self.js(
            "return [...document.querySelectorAll('.nhsw-msg-bot')].map(m => m.textContent)"
            ".join('\\n')"
        )

    def wait_for_bot(self, fragment):
        self.wait(lambda: fragment in self.bot_text(), f"no reply with {fragment!r}")

    def ask(self, text, until):
        """Types into the text box and sends with Enter; waits for `until` in a reply."""
        box = self.driver.find_element(By.CSS_SELECTOR, ".nhsw-input")
        box.send_keys(text, Keys.ENTER)
        self.wait_for_bot(until)

    def choice_titles(self):
        return self.js(
            "return [...document.querySelectorAll('.nhsw-choice')].map(b => b.textContent)"
        )


def password_reply_buttons(content):
    """The buttons under the password answer, in order: its follow-ups, then the vote."""
    return [b.title for b in content.topics["reset_password"].followups] + [
        b["title"] for b in feedback.buttons(content)
    ]


def ask_password(page, content):
    page.ask("how do I reset my password?", feedback.question(content))
    assert page.choice_titles() == password_reply_buttons(content)


# --- keyboard only (2.1.1, 2.4.3) -----------------------------------------------------


def test_keyboard_only_open_ask_press_a_button_and_close(servers, content):
    with chromium() as driver:
        page = Page(driver, servers)
        page.open()
        launcher = ("button", "NHSmail help")
        # The page opens the chat on arrival: Tab from the page start reaches its
        # header, and Enter on Close closes it and gives the launcher the focus.
        page.keys(Keys.TAB)
        assert page.focused() == ("button", "Start again")
        page.keys(Keys.TAB)
        assert page.focused() == ("button", "Close chat")
        page.keys(Keys.ENTER)
        assert page.js("return document.querySelector('.nhsw-panel').hidden") is True
        assert page.focused() == launcher

        # Back on the page with the chat closed, the launcher is the first Tab stop
        # (the demo page has no control before it).
        driver.refresh()
        page.wait_ready()
        assert page.js("return document.activeElement === document.body") is True
        page.keys(Keys.TAB)
        assert page.focused() == launcher
        assert page.js("return document.activeElement.getAttribute('aria-expanded')") == "false"
        page.keys(Keys.ENTER)
        assert page.js("return document.querySelector('.nhsw-panel').hidden") is False
        assert page.focused() == ("input", "nhsw-input")

        page.keys("how do I reset my password?", Keys.ENTER)
        page.wait_for_bot(feedback.question(content))
        assert page.js("return document.querySelector('.nhsw-msg-user').textContent") == (
            "You: how do I reset my password?"
        )
        # The text box keeps the focus, emptied, ready for the next question.
        assert page.focused() == ("input", "nhsw-input")
        assert page.js("return document.activeElement.value") == ""

        # The reply's buttons sit just above the text box: Shift+Tab walks them
        # from the last to the first.
        titles = password_reply_buttons(content)
        for title in reversed(titles):
            page.shift_tab()
            assert page.focused() == ("button", title)
        page.keys(Keys.ENTER)
        page.wait_for_bot(content.fill(content.checklist_items[0]))
        users = page.js(
            "return [...document.querySelectorAll('.nhsw-msg-user')].map(m => m.textContent)"
        )
        assert users == ["You: how do I reset my password?", f"You: {titles[0]}"]
        assert page.focused() == ("input", "nhsw-input")

        # Escape closes the chat and the focus goes back to the launcher; Space opens it.
        page.keys(Keys.ESCAPE)
        assert page.js("return document.querySelector('.nhsw-panel').hidden") is True
        assert page.focused() == launcher
        assert page.js("return document.activeElement.getAttribute('aria-expanded')") == "false"
        page.keys(Keys.SPACE)
        assert page.js("return document.querySelector('.nhsw-panel').hidden") is False
        assert page.focused() == ("input", "nhsw-input")


# --- what a screen reader is told (4.1.3) -----------------------------------------------

# Records every change inside the log from now on; marks what is already there.
WATCH_LOG = """
if (window.logObserver) logObserver.disconnect();
const log = document.querySelector('.nhsw-log');
for (const node of log.querySelectorAll('*')) node.nhswBefore = true;
window.logChanges = {added: [], removed: [], text: 0, attributes: 0};
window.recordLog = records => {
  for (const r of records) {
    if (r.type === 'characterData') logChanges.text++;
    if (r.type === 'attributes') logChanges.attributes++;
    logChanges.added.push(...[...r.addedNodes].map(n => ({node: n, parent: r.target})));
    logChanges.removed.push(...[...r.removedNodes].map(n => ({node: n, parent: r.target})));
  }
};
window.logObserver = new MutationObserver(recordLog);
logObserver.observe(log, {childList: true, subtree: true, characterData: true, attributes: true});
"""

# What changed in the log since WATCH_LOG, and what it holds now.
LOG_CHANGES = """
const log = document.querySelector('.nhsw-log');
recordLog(logObserver.takeRecords());
const name = n => n.nodeType === 1 ? n.className : '#' + n.nodeName;
return {
  added: logChanges.added.map(c => [name(c.node), c.parent === log, !!c.node.nhswBefore]),
  removed: logChanges.removed.map(c => [name(c.node), c.parent === log]),
  text: logChanges.text,
  attributes: logChanges.attributes,
  children: [...log.children].map(n => [n.className, !!n.nhswBefore]),
  added_are_children: logChanges.added.every(c => c.node.parentNode === log),
  bots: log.querySelectorAll('.nhsw-msg-bot').length,
  groups: log.querySelectorAll('.nhsw-choices').length,
};
"""


def test_a_reply_is_added_to_the_live_log_message_by_message(servers, content):
    with chromium() as driver:
        page = Page(driver, servers)
        page.open()
        regions = page.js("""
        const log = document.querySelector('.nhsw-log');
        const live = n => n.getAttribute('aria-live') ||
          ['log', 'status', 'alert', 'marquee', 'timer'].includes(n.getAttribute('role'));
        const ancestors = [];
        for (let n = log.parentElement; n; n = n.parentElement) if (live(n)) ancestors.push(n.tagName);
        const status = document.querySelector('.nhsw-status');
        const typing = document.querySelector('.nhsw-typing');
        return {role: log.getAttribute('role'), live: log.getAttribute('aria-live'),
                atomic: log.getAttribute('aria-atomic'), relevant: log.getAttribute('aria-relevant'),
                ancestors: ancestors,
                status_role: status.getAttribute('role'),
                status_in_log: log.contains(status), log_in_status: status.contains(log),
                typing_in_log: log.contains(typing), typing_live: [...typing.querySelectorAll('*'),
                  typing].some(live)};""")
        # A log read politely, one addition at a time, with no live region around
        # it that would read the whole conversation again.
        assert regions == {
            "role": "log",
            "live": "polite",
            "atomic": None,
            "relevant": None,
            "ancestors": [],
            # Connection messages have their own status region, apart from the log;
            # the typing dots are not announced at all.
            "status_role": "status",
            "status_in_log": False,
            "log_in_status": False,
            "typing_in_log": False,
            "typing_live": False,
        }

        page.js(WATCH_LOG)
        ask_password(page, content)
        changes = page.js(LOG_CHANGES)
        bots = changes["bots"]
        assert bots >= 2  # the answer comes as several messages
        # One node for the question, then one per message of the reply, each
        # added whole, to the log itself; nothing removed, re-added or rewritten.
        assert (
            changes["added"]
            == [["nhsw-msg nhsw-msg-user", True, False]]
            + [["nhsw-msg nhsw-msg-bot", True, False]] * bots
        )
        assert changes["removed"] == []
        assert (changes["text"], changes["attributes"]) == (0, 0)
        assert changes["added_are_children"] is True
        first_turn = changes["children"]
        assert len(first_turn) == 1 + bots

        # The next turn adds its messages after these; of what was there, only the
        # answered reply's buttons go (a removal, which a log does not announce).
        assert changes["groups"] == 2  # the follow-ups and the vote
        page.js(WATCH_LOG)
        driver.find_element(By.XPATH, f"//button[.={password_reply_buttons(content)[0]!r}]").click()
        page.wait_for_bot(content.fill(content.checklist_items[-1]))
        page.wait(
            lambda: page.choice_titles()[-2:] == [b["title"] for b in feedback.buttons(content)],
            "the second answer never offered its vote",
        )
        changes = page.js(LOG_CHANGES)
        new_bots = changes["bots"] - bots
        assert new_bots >= 1
        assert (
            changes["added"]
            == [["nhsw-msg nhsw-msg-user", True, False]]
            + [["nhsw-msg nhsw-msg-bot", True, False]] * new_bots
        )
        assert changes["removed"] == [["nhsw-choices", False]] * 2
        assert (changes["text"], changes["attributes"]) == (0, 0)
        assert (
            changes["children"]
            == [[name, True] for name, _ in first_turn]
            + [["nhsw-msg nhsw-msg-user", False]]
            + [["nhsw-msg nhsw-msg-bot", False]] * new_bots
        )


# --- reflow (1.4.10) and text spacing (1.4.12) ------------------------------------------

# What sticks out sideways: the page's own width, widget elements past either edge
# of the viewport, and scroll containers of the widget wider inside than out.
SIDEWAYS = """
const shown = [...document.querySelectorAll('.nhsw *')].filter(e =>
  !e.closest('.nhsw-sr') && e.getClientRects().length);
const name = e => e.className || e.tagName.toLowerCase();
return {
  page: [document.documentElement.scrollWidth, innerWidth],
  past_edges: shown.filter(e => { const r = e.getBoundingClientRect();
    return r.left < -0.5 || r.right > innerWidth + 0.5; }).map(name),
  cut_sideways: shown.filter(e => getComputedStyle(e).overflowX !== 'visible' &&
    e.scrollWidth > e.clientWidth + 1).map(name),
};
"""

# Each selector's element is in the viewport, and is what a tap on its centre reaches.
IN_VIEW = """
return arguments[0].map(selector => {
  const e = document.querySelector(selector), r = e.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return [selector, r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight &&
    r.right <= innerWidth && (hit === e || e.contains(hit))];
});
"""


@pytest.mark.parametrize(
    "metrics", [NARROW, ZOOM_400], ids=["320px-wide-phone", "400%-zoom-of-1280x1024"]
)
def test_reflow_at_320_css_px_no_sideways_scrolling(servers, content, metrics):
    with chromium(1280, 1024) as driver:
        page = Page(driver, servers, metrics)
        page.open()
        assert page.js("return [innerWidth, innerHeight]") == [metrics["width"], metrics["height"]]
        ask_password(page, content)
        # The reply cites its sources by web address: the longest has no space to
        # wrap at and is wider than the viewport, so it is broken over lines.
        urls = [content.sources[name]["url"] for name in content.topics["reset_password"].cite]
        longest = max(urls, key=len)
        assert (
            page.js(
                "return [...document.querySelectorAll('.nhsw-log a')]"
                ".find(a => a.href === arguments[0]).getClientRects().length",
                longest,
            )
            >= 2
        )
        assert page.js(SIDEWAYS) == {
            "page": [metrics["width"], metrics["width"]],
            "past_edges": [],
            "cut_sideways": [],
        }
        assert page.js(IN_VIEW, [".nhsw-input", ".nhsw-send", ".nhsw-close"]) == [
            [".nhsw-input", True],
            [".nhsw-send", True],
            [".nhsw-close", True],
        ]


# Elements whose text is cut off or spills out of their box, and text boxes that
# overlap others in the same part of the panel.
CLIPPED = """
const name = e => e.className || e.tagName.toLowerCase();
const shown = e => e.getClientRects().length > 0;
const texts = [...document.querySelectorAll(
  '.nhsw-title, .nhsw-restart, .nhsw-close, .nhsw-status, .nhsw-intro p, .nhsw-bubble,' +
  ' .nhsw-choice, .nhsw-input, .nhsw-send')].filter(shown);
const cut = [], spills = [];
for (const e of texts) {
  const s = getComputedStyle(e);
  const hides = s.overflowX !== 'visible' || s.overflowY !== 'visible' || e.tagName === 'INPUT';
  if (hides && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1))
    cut.push(name(e));
  // The text's own boxes, outside what is said only to screen readers.
  const box = e.getBoundingClientRect();
  const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    if (t.parentElement.closest('.nhsw-sr') || !t.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(t);
    for (const r of range.getClientRects())
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 ||
          r.bottom > box.bottom + 1) { spills.push(name(e)); break; }
  }
}
// The placeholder is the text box's visible label: it must fit in the box.
const input = document.querySelector('.nhsw-input'), s = getComputedStyle(input);
const probe = document.createElement('span');
probe.textContent = input.placeholder;
for (const p of ['font', 'letterSpacing', 'wordSpacing']) probe.style[p] = s[p];
probe.style.position = 'absolute';
probe.style.whiteSpace = 'pre';
document.body.appendChild(probe);
const placeholder = [probe.getBoundingClientRect().width,
  input.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)];
probe.remove();
const overlaps = [];
for (const part of ['.nhsw-header', '.nhsw-log', '.nhsw-form']) {
  const boxes = texts.filter(e => e.closest(part)).map(e => [name(e), e.getBoundingClientRect()]);
  boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
    if (Math.min(p.right, q.right) - Math.max(p.left, q.left) > 1 &&
        Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > 1) overlaps.push(a + ' / ' + b);
  }));
}
return {cut, spills, overlaps, placeholder_fits: placeholder[0] <= placeholder[1],
        checked: texts.map(name)};
"""


@pytest.mark.parametrize("metrics", [None, NARROW], ids=["desktop-1280x900", "320px-wide-phone"])
def test_text_spacing_override_hides_no_text(servers, content, metrics):
    with chromium() as driver:
        page = Page(driver, servers, metrics)
        page.open()
        # A constructed stylesheet: the page's Content-Security-Policy refuses an
        # inline <style>, as it would a bookmarklet's.
        page.js(
            "const sheet = new CSSStyleSheet(); sheet.replaceSync(arguments[0]);"
            " document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];",
            TEXT_SPACING,
        )
        assert page.js(
            "const s = getComputedStyle(document.querySelector('.nhsw-intro p'));"
            " return [s.letterSpacing, s.wordSpacing, s.lineHeight, s.marginBottom]"
        ) == ["1.92px", "2.56px", "24px", "32px"]
        ask_password(page, content)
        found = page.js(CLIPPED)
        checked = found.pop("checked")
        # Every kind of text in the open chat was looked at.
        for kind in ("nhsw-title", "nhsw-restart", "nhsw-close", "nhsw-bubble", "nhsw-choice"):
            assert kind in checked
        assert checked.count("nhsw-choice") == len(password_reply_buttons(content))
        assert found == {"cut": [], "spills": [], "overlaps": [], "placeholder_fits": True}
        width = (metrics or {}).get("width", 1280)
        assert page.js(SIDEWAYS) == {"page": [width, width], "past_edges": [], "cut_sideways": []}


# --- target size (2.5.8) ----------------------------------------------------------------

TARGETS = """
const name = e => e.getAttribute('aria-label') || e.textContent.trim() || e.className;
return [...document.querySelectorAll('.nhsw button, .nhsw input, .nhsw a[href]')]
  .filter(e => e.getClientRects().length)
  .map(e => { const r = e.getBoundingClientRect();
    return [e.tagName.toLowerCase(), name(e), r.width, r.height,
            e.tagName === 'A' && !!e.closest('.nhsw-log')]; });
"""
# The panel's last control: its link to the accessibility statement.
STATEMENT_LINK = "Accessibility (opens in a new tab)"

# Each link in a reply with the words around it on its own line of text (between
# line breaks), and how it is laid out.
LINKS = """
return [...document.querySelectorAll('.nhsw-log a')].map(a => {
  let around = '';
  for (let n = a.previousSibling; n && n.nodeName !== 'BR'; n = n.previousSibling)
    around = n.textContent + around;
  for (let n = a.nextSibling; n && n.nodeName !== 'BR'; n = n.nextSibling) around += n.textContent;
  return [getComputedStyle(a).display, a.parentElement.classList.contains('nhsw-bubble'),
          /[A-Za-z]{2,}/.test(around)];
});
"""


@pytest.mark.parametrize("metrics", [None, PHONE], ids=["desktop-1280x900", "phone-360x740"])
def test_every_target_is_at_least_24_css_px(servers, content, metrics):
    with chromium() as driver:
        page = Page(driver, servers, metrics)
        page.open()
        ask_password(page, content)
        targets = page.js(TARGETS)
        names = [name for _, name, _, _, reply_link in targets if not reply_link]
        assert names == ["Start again", "Close chat"] + password_reply_buttons(content) + [
            "nhsw-input",
            "Send",
            STATEMENT_LINK,
        ]
        small = [t for t in targets if not t[4] and (t[2] < 24 or t[3] < 24)]
        assert small == []
        # Links in a reply are exempt as inline targets (2.5.8's "Inline"): each
        # is laid out inline in a bubble's text, on a line with words of its own
        # ("Phone:", "Source:", a sentence).
        links = page.js(LINKS)
        assert len(links) == len([t for t in targets if t[4]]) >= 3
        assert links == [["inline", True, True]] * len(links)

        driver.find_element(By.CSS_SELECTOR, ".nhsw-close").click()
        launcher = page.js(TARGETS)
        assert [t[1] for t in launcher] == ["NHSmail help"]
        assert launcher[0][2] >= 24 and launcher[0][3] >= 24


# --- focus not obscured, and visible (2.4.11, 2.4.7) -----------------------------------

# The focused element: who it is, whether the centre of each of its boxes (a
# link wrapped over lines has one per line) reaches it, and its focus styles.
FOCUS = """
const a = document.activeElement;
const reached = [...a.getClientRects()].every(r => {
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit === a || a.contains(hit);
});
const s = getComputedStyle(a);
return {index: [...document.querySelectorAll('*')].indexOf(a),
        name: a.getAttribute('aria-label') || a.textContent.trim() || a.className,
        in_widget: !!a.closest('.nhsw'), reached,
        style: [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow]};
"""

FOCUSABLE = """
return [...document.querySelectorAll(
    '.nhsw button, .nhsw input, .nhsw a[href], .nhsw [tabindex="0"]')]
  .filter(e => e.getClientRects().length)
  .map(e => [...document.querySelectorAll('*')].indexOf(e));
"""

UNFOCUSED = """
document.activeElement.blur();
const all = [...document.querySelectorAll('*')];
return arguments[0].map(i => { const s = getComputedStyle(all[i]);
  return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow]; });
"""


def visible_indicator(focused, unfocused):
    """A box shadow that is not there unfocused, or an outline one can see."""
    outline_style, outline_width, outline_colour, shadow = focused
    outline_seen = (
        outline_style != "none"
        and float(outline_width.removesuffix("px")) > 0
        and not outline_colour.endswith(", 0)")
        and outline_colour != "transparent"
    )
    return shadow != unfocused[3] or (outline_seen and focused[:3] != unfocused[:3])


def test_on_a_phone_tab_stays_in_the_open_chat_and_focus_is_never_hidden(servers, content):
    with chromium() as driver:
        page = Page(driver, servers, PHONE)
        page.open()
        ask_password(page, content)
        widget = page.js(FOCUSABLE)
        assert page.focused() == ("input", "nhsw-input")
        start = page.js(FOCUS)
        stops = []
        for _ in range(3 * len(widget)):
            page.keys(Keys.TAB)
            stops.append(page.js(FOCUS))
            if stops[-1]["index"] == start["index"]:
                break
        # The panel covers the page, so Tab goes round the chat's own controls, in
        # the order they are shown, and never to the hidden page behind.
        assert [s["in_widget"] for s in stops] == [True] * len(stops)
        order = [s["index"] for s in stops]
        at = widget.index(start["index"])
        assert order == widget[at + 1 :] + widget[: at + 1]
        hidden = [s["name"] for s in stops if not s["reached"]]
        assert hidden == []
        unfocused = page.js(UNFOCUSED, order)
        unseen = [
            s["name"] for s, u in zip(stops, unfocused) if not visible_indicator(s["style"], u)
        ]
        assert unseen == []
        # Shift+Tab from the first control goes round to the last: still the chat.
        first = driver.find_element(By.CSS_SELECTOR, ".nhsw-restart")
        page.js("arguments[0].focus()", first)
        page.shift_tab()
        assert page.focused() == ("a", STATEMENT_LINK)


# --- motion ----------------------------------------------------------------------------

# Every transition and animation in the widget that would move, and how the
# typing dots move while they are shown; the messages area's scroll-behavior.
MOTION = """
const moving = e => { const s = getComputedStyle(e);
  const long = v => v.split(',').some(d => parseFloat(d) > 0);
  return long(s.transitionDuration) ||
         (s.animationName !== 'none' && long(s.animationDuration)); };
const all = [...document.querySelectorAll('.nhsw, .nhsw *')];
return {moving: all.filter(moving).map(e => e.className),
        reduce: matchMedia('(prefers-reduced-motion: reduce)').matches,
        scroll_behavior: [getComputedStyle(document.querySelector('.nhsw-body')).scrollBehavior,
                          getComputedStyle(document.documentElement).scrollBehavior]};
"""

# While the typing dots are shown (just after the question goes into the log),
# how they are animated; the messages area's scroll position just after each
# message is added, before any smooth scroll could have moved it.
WATCH_MOTION = """
const body = document.querySelector('.nhsw-body');
window.motion = {dots: null, scrolls: []};
new MutationObserver(() => {
  const typing = document.querySelector('.nhsw-typing');
  if (motion.dots === null && !typing.hidden) {
    const dot = typing.querySelector('.nhsw-dot'), s = getComputedStyle(dot);
    motion.dots = [s.animationName, s.animationDuration, dot.getAnimations().length];
  }
  motion.scrolls.push(body.scrollTop);
}).observe(document.querySelector('.nhsw-log'), {childList: true});
"""


@pytest.mark.parametrize("reduce", [True, False], ids=["reduced-motion", "no-preference"])
def test_reduced_motion_stops_the_widget_moving(servers, content, reduce):
    with chromium() as driver:
        page = Page(driver, servers)
        preference = "reduce" if reduce else "no-preference"
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-reduced-motion", "value": preference}]},
        )
        page.open()
        page.js(WATCH_MOTION)
        ask_password(page, content)
        motion = page.js(MOTION)
        watched = page.js("return motion")
        final_scroll = page.js("return document.querySelector('.nhsw-body').scrollTop")
        assert motion["reduce"] is reduce
        # The answer scrolls the messages to the question (a long reply is read from
        # its start) at once, with no smooth scrolling, either way.
        assert motion["scroll_behavior"] == ["auto", "auto"]
        assert final_scroll > 0
        assert watched["scrolls"][-1] == final_scroll
        if reduce:
            # Nothing in the widget moves: the panel, the launcher, the typing dots.
            assert motion["moving"] == []
            assert watched["dots"] == ["none", "0s", 0]
        else:
            # The typing dots pulse, as they do by default; nothing else moves.
            assert set(motion["moving"]) == {"nhsw-dot"}
            assert watched["dots"] == ["nhsw-blink", "1.2s", 1]
