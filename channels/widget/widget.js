/*
 * NHSmail help: the website chat widget.
 *
 * Embed with one tag (README, "Website chat"):
 *   <script src="https://HOST/chat/widget.js" data-title="NHSmail help"
 *           data-colour="#005eb8" defer></script>
 * Optional: data-server-url (default: where this script came from),
 * data-open="true" (open the panel when the page loads).
 *
 * Talks Rasa's socket.io protocol (session_request/session_confirm,
 * user_uttered/bot_uttered) with the vendored socket.io client, served next
 * to this file. Why it is written as it is:
 * - every message is put on the page with textContent and createElement,
 *   never innerHTML, so no HTML in a message (the user's or the bot's) runs;
 * - the conversation (session id and transcript) is kept in sessionStorage,
 *   not localStorage: it survives a reload in the same tab but not the
 *   browser, because care-home computers are shared;
 * - links are made only for http(s), mailto and tel addresses, and only in
 *   the assistant's replies: what the user typed stays text, so a pasted
 *   address never looks like one the chat offers.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__nhsmailChatLoaded) return;
  window.__nhsmailChatLoaded = true;

  var NHS_BLUE = "#005eb8";
  var base = new URL(".", script.src);
  var settings = {
    serverUrl: script.dataset.serverUrl || new URL(script.src).origin,
    title: script.dataset.title || "NHSmail help",
    colour: readableColour(script.dataset.colour),
    open: script.dataset.open === "true",
  };
  var STORAGE_KEY = "nhsmail-chat:" + settings.serverUrl;
  var MAX_KEPT = 200; // transcript entries kept in sessionStorage
  var REPLY_TIMEOUT_MS = 30000;

  var state = loadState();
  var socket = null;
  var ready = false; // connected and the session confirmed
  var replyTimer = null;
  var ui = null;

  loadStylesheet(function () {
    whenBodyReady(function () {
      ui = buildUi();
      renderTranscript();
      document.body.appendChild(ui.root);
      setOpen(state.open === undefined ? settings.open : state.open, false);
      loadSocketIo(connect);
    });
  });

  // --- settings ------------------------------------------------------------

  /* The brand colour, darkened until it passes WCAG AA (4.5:1) wherever the
   * widget draws with it: white text on it, and it as text on the bot's bubble
   * (#f0f4f5, the lighter of the two backgrounds it is drawn on). The hue is
   * kept, so the provider's brand still shows. */
  function readableColour(value) {
    if (value === undefined) return NHS_BLUE;
    if (!/^#[0-9a-f]{6}$/i.test(value)) {
      console.warn("NHSmail chat: data-colour " + value + " is not a #rrggbb colour; using " +
        NHS_BLUE + ".");
      return NHS_BLUE;
    }
    var rgb = [1, 3, 5].map(function (i) { return parseInt(value.substr(i, 2), 16); });
    var given = value.toLowerCase();
    var used = given;
    for (var factor = 0.97; !readable(used); factor *= 0.97) {
      used = "#" + rgb.map(function (c) {
        return ("0" + Math.floor(c * factor).toString(16)).slice(-2);
      }).join("");
    }
    if (used !== given) {
      console.warn("NHSmail chat: data-colour " + value + " is too light for WCAG AA contrast " +
        "(4.5:1 under white text and as text on light grey); using " + used + ".");
    }
    return used;
  }

  function readable(colour) {
    return contrast(colour, "#ffffff") >= 4.5 && contrast(colour, "#f0f4f5") >= 4.5;
  }

  /* WCAG 2 contrast ratio of two #rrggbb colours. */
  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function luminance(colour) {
    var channels = [1, 3, 5].map(function (i) {
      var c = parseInt(colour.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  }

  // --- storage (this tab only) ---------------------------------------------

  function loadState() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "{}");
      if (saved && typeof saved === "object" && Array.isArray(saved.transcript)) return saved;
    } catch (e) { /* unreadable or blocked storage: start afresh */ }
    return { transcript: [] };
  }

  function saveState() {
    state.transcript = state.transcript.slice(-MAX_KEPT);
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (e) { /* storage full or blocked: the chat still works, unsaved */ }
  }

  // --- loading -------------------------------------------------------------

  /* The tag may sit in <head> without defer: wait for the body. */
  function whenBodyReady(done) {
    if (document.body) return done();
    document.addEventListener("DOMContentLoaded", done);
  }

  function loadStylesheet(done) {
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = new URL("widget.css", base).href;
    link.onload = link.onerror = done;
    document.head.appendChild(link);
  }

  /* Loads the vendored client without replacing a window.io the page already has. */
  function loadSocketIo(done) {
    var pagesIo = window.io;
    var tag = document.createElement("script");
    tag.src = new URL("vendor/socket.io.min.js", base).href;
    tag.onload = function () {
      var ours = window.io;
      if (pagesIo !== undefined) window.io = pagesIo;
      done(ours);
    };
    tag.onerror = function () { setStatus("The chat could not load. Please refresh the page."); };
    document.head.appendChild(tag);
  }

  // --- the page ------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function buildUi() {
    var root = el("div", "nhsw");
    root.style.setProperty("--nhsw-colour", settings.colour);

    var launcher = el("button", "nhsw-launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-controls", "nhsw-panel");
    launcher.appendChild(el("span", "nhsw-launcher-icon")).setAttribute("aria-hidden", "true");
    launcher.appendChild(el("span", "", settings.title));

    var panel = el("section", "nhsw-panel");
    panel.id = "nhsw-panel";
    panel.setAttribute("aria-labelledby", "nhsw-title");

    var header = el("header", "nhsw-header");
    var title = el("h2", "nhsw-title", settings.title);
    title.id = "nhsw-title";
    var restart = el("button", "nhsw-restart", "Start again");
    restart.type = "button";
    var close = el("button", "nhsw-close");
    close.type = "button";
    close.setAttribute("aria-label", "Close chat");
    close.appendChild(el("span", "", "\u00d7")).setAttribute("aria-hidden", "true");
    header.append(title, restart, close);

    var status = el("p", "nhsw-status");
    status.setAttribute("role", "status");
    status.hidden = true;

    // The scrolling area is a tab stop with a name, so a keyboard can scroll a
    // long answer that has no link or button in it.
    var body = el("div", "nhsw-body");
    body.tabIndex = 0;
    body.setAttribute("role", "region");
    body.setAttribute("aria-label", "Conversation");
    var intro = el("div", "nhsw-intro");
    intro.append(
      el("p", "", "Hello. Ask me about your NHSmail account: passwords, new starters, " +
        "leavers, deleted accounts or the shared mailbox."),
      el("p", "nhsw-warning", "Never type a password or personal details here.")
    );
    var log = el("div", "nhsw-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", "Messages");
    var typing = el("div", "nhsw-typing");
    typing.hidden = true;
    for (var i = 0; i < 3; i++) typing.appendChild(el("span", "nhsw-dot")).setAttribute("aria-hidden", "true");
    typing.appendChild(el("span", "nhsw-sr", settings.title + " is typing"));
    body.append(intro, log, typing);

    var form = el("form", "nhsw-form");
    form.setAttribute("novalidate", "");
    var label = el("label", "nhsw-sr", "Your question");
    label.htmlFor = "nhsw-input";
    var input = el("input", "nhsw-input");
    input.id = "nhsw-input";
    input.type = "text";
    input.autocomplete = "off";
    input.setAttribute("enterkeyhint", "send");
    // Short enough to be read whole in a 320 px wide panel with the user's own
    // text spacing (WCAG 1.4.12); the same words as the label.
    input.placeholder = "Your question";
    // The server politely refuses long messages (CHAT_MAX_MESSAGE_CHARS). This cap
    // keeps a pasted essay under the server's 16 KB packet limit, past which the
    // connection would be dropped instead.
    input.maxLength = 2000;
    input.value = state.draft || "";
    var send = el("button", "nhsw-send", "Send");
    send.type = "submit";
    form.append(label, input, send);

    // The accessibility statement, next to this script, in a new tab: the
    // conversation stays as it is here.
    var footer = el("p", "nhsw-footer");
    var statement = footer.appendChild(el("a", "", "Accessibility"));
    statement.href = new URL("accessibility", base).href;
    statement.target = "_blank";
    statement.rel = "noopener";
    statement.appendChild(el("span", "nhsw-sr", " (opens in a new tab)"));

    panel.append(header, status, body, form, footer);
    root.append(launcher, panel);

    launcher.addEventListener("click", function () { setOpen(true, true); });
    close.addEventListener("click", function () { setOpen(false, true); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") setOpen(false, true);
      else if (event.key === "Tab" && coversPage(panel)) keepFocusIn(panel, event);
    });
    restart.addEventListener("click", startAgain);
    input.addEventListener("input", function () {
      state.draft = input.value;
      saveState();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      if (!text.trim()) return input.focus();
      if (sendMessage(text, text)) {
        input.value = "";
        state.draft = "";
        saveState();
      }
      input.focus();
    });

    return { root: root, launcher: launcher, panel: panel, status: status, body: body,
             log: log, typing: typing, input: input };
  }

  function setOpen(open, moveFocus) {
    state.open = open;
    saveState();
    ui.root.dataset.state = open ? "open" : "closed";
    // On a phone the open panel fills the screen; the page behind stops scrolling.
    document.documentElement.classList.toggle("nhsw-open", open);
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) scrollToLatest();
    if (moveFocus) (open ? ui.input : ui.launcher).focus();
  }

  /* True when the panel fills the viewport (a phone, or a zoomed-in page):
   * the page behind is then hidden, so Tab must not take focus there (WCAG 2.4.11). */
  function coversPage(panel) {
    var r = panel.getBoundingClientRect();
    var root = document.documentElement;
    return r.left <= 0 && r.top <= 0 && r.right >= root.clientWidth && r.bottom >= root.clientHeight;
  }

  /* Tab from the panel's last control goes to its first, Shift+Tab the other way round. */
  function keepFocusIn(panel, event) {
    var controls = Array.prototype.filter.call(
      panel.querySelectorAll("button, input, a[href]"),
      function (node) { return !node.disabled && node.getClientRects().length > 0; }
    );
    if (!controls.length) return;
    var first = controls[0];
    var last = controls[controls.length - 1];
    var edge = event.shiftKey ? first : last;
    if (document.activeElement !== edge) return;
    event.preventDefault();
    (event.shiftKey ? last : first).focus();
  }

  function setStatus(text) {
    if (!ui) return;
    ui.status.textContent = text || "";
    ui.status.hidden = !text;
  }

  /* Scrolls down, but no further than the user's last message: a long answer
   * is then read from its start, not its end. */
  function scrollToLatest() {
    var asked = ui.log.querySelectorAll(".nhsw-msg-user");
    var end = ui.body.scrollHeight - ui.body.clientHeight;
    var last = asked[asked.length - 1];
    ui.body.scrollTop = last ? Math.min(end, last.offsetTop - 12) : end;
  }

  // --- messages --------------------------------------------------------------

  // A web address, an email address or a UK phone number, to make into a link.
  var LINKABLE = /\bhttps?:\/\/[^\s<>"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b0\d{2,4} ?\d{3,4} ?\d{3,4}\b/gi;
  var TRAILING = /[.,;:!?)\]'"]+$/;

  function safeLink(href, label) {
    var url;
    try { url = new URL(href); } catch (e) { return document.createTextNode(label); }
    if (["http:", "https:", "mailto:", "tel:"].indexOf(url.protocol) < 0) {
      return document.createTextNode(label);
    }
    var link = el("a", "nhsw-link", label);
    link.href = url.href;
    link.rel = "noopener noreferrer";
    if (url.protocol === "http:" || url.protocol === "https:") link.target = "_blank";
    return link;
  }

  function linkFor(match) {
    if (/^https?:/i.test(match)) return safeLink(match, match);
    if (match.indexOf("@") > 0) return safeLink("mailto:" + match, match);
    return safeLink("tel:" + match.replace(/ /g, ""), match);
  }

  /* Text with line breaks, and links if `linked`; every piece goes in as a text node. */
  function appendText(parent, text, linked) {
    text.split("\n").forEach(function (line, index) {
      if (index) parent.appendChild(document.createElement("br"));
      if (!linked) return parent.appendChild(document.createTextNode(line));
      var last = 0;
      line.replace(LINKABLE, function (match, offset) {
        var trailing = (match.match(TRAILING) || [""])[0];
        match = match.slice(0, match.length - trailing.length);
        parent.appendChild(document.createTextNode(line.slice(last, offset)));
        parent.appendChild(linkFor(match));
        last = offset + match.length;
        return match;
      });
      parent.appendChild(document.createTextNode(line.slice(last)));
    });
  }

  function renderEntry(entry) {
    var fromUser = entry.from === "user";
    var item = el("div", "nhsw-msg " + (fromUser ? "nhsw-msg-user" : "nhsw-msg-bot"));
    var bubble = el("p", "nhsw-bubble");
    bubble.appendChild(el("span", "nhsw-sr", fromUser ? "You: " : settings.title + ": "));
    appendText(bubble, entry.text || "", !fromUser);
    if (entry.text) item.appendChild(bubble);
    if (entry.choices && entry.choices.length) {
      var group = el("div", "nhsw-choices");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Suggested replies");
      entry.choices.forEach(function (choice) {
        var button = el("button", "nhsw-choice", choice.title);
        button.type = "button";
        button.addEventListener("click", function () {
          if (sendMessage(choice.payload, choice.title)) ui.input.focus();
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    ui.log.appendChild(item);
  }

  function renderTranscript() {
    ui.log.textContent = "";
    state.transcript.forEach(renderEntry);
  }

  function addEntry(entry) {
    state.transcript.push(entry);
    saveState();
    renderEntry(entry);
    scrollToLatest();
  }

  /* Sends a message (or a button's payload, shown as its title). False if not sent. */
  function sendMessage(message, shown) {
    if (!ready) {
      setStatus("Not connected yet. Your message is kept: send it again once connected.");
      return false;
    }
    socket.emit("user_uttered", { message: message, session_id: state.sessionId });
    // Offered replies are for the question just answered: clear them once answered.
    state.transcript.forEach(function (entry) { delete entry.choices; });
    Array.prototype.forEach.call(ui.log.querySelectorAll(".nhsw-choices"), function (group) {
      group.remove();
    });
    addEntry({ from: "user", text: shown });
    showTyping(true);
    return true;
  }

  function showTyping(on) {
    clearTimeout(replyTimer);
    ui.typing.hidden = !on;
    if (on) {
      scrollToLatest();
      replyTimer = setTimeout(function () {
        ui.typing.hidden = true;
        setStatus("No answer yet. Please check your connection and try again.");
      }, REPLY_TIMEOUT_MS);
    }
  }

  function receive(message) {
    if (!message || typeof message !== "object") return;
    var text = typeof message.text === "string" ? message.text : "";
    var choices = (message.quick_replies || message.buttons || []).filter(function (b) {
      return b && typeof b.title === "string" && typeof b.payload === "string";
    }).map(function (b) { return { title: b.title, payload: b.payload }; });
    if (!text && !choices.length) return;
    showTyping(false);
    setStatus("");
    addEntry({ from: "bot", text: text, choices: choices });
  }

  function startAgain() {
    showTyping(false);
    state = { transcript: [], open: true };
    saveState();
    renderTranscript();
    ui.input.value = "";
    if (socket && socket.connected) {
      ready = false;
      setConnection("connecting", "");
      socket.emit("session_request", { session_id: null });
    }
    ui.input.focus();
  }

  // --- the connection ------------------------------------------------------

  /* Shown to the user, and on the root element for styling and tests. */
  function setConnection(name, message) {
    ui.root.dataset.connection = name;
    setStatus(message);
  }

  function connect(io) {
    if (typeof io !== "function") {
      // e.g. a page with an AMD loader, which takes the client's export instead.
      return setConnection("failed", "The chat could not start on this page.");
    }
    setConnection("connecting", "Connecting\u2026");
    // socket.io's default: long-polling first, then an upgrade to websocket.
    socket = io(settings.serverUrl, { path: "/socket.io", transports: ["polling", "websocket"] });
    socket.io.on("open", function () {
      var engine = socket.io.engine;
      ui.root.dataset.transport = engine.transport.name;
      engine.on("upgrade", function (transport) { ui.root.dataset.transport = transport.name; });
    });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: state.sessionId || null });
    });
    socket.on("session_confirm", function (confirmed) {
      var id = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
      if (!id) return;
      state.sessionId = id;
      saveState();
      ready = true;
      setConnection("ready", "");
    });
    socket.on("bot_uttered", receive);
    socket.on("disconnect", function (reason) {
      ready = false;
      showTyping(false);
      setConnection("reconnecting", "Connection lost. Reconnecting\u2026");
      // The server closed the connection: socket.io leaves reconnecting to us.
      if (reason === "io server disconnect") socket.connect();
    });
    socket.on("connect_error", function () {
      setConnection("reconnecting", "Can't reach " + settings.title + ". Reconnecting\u2026");
    });
  }
})();
