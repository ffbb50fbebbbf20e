"""The same disclosures through every entry point: REST, the website chat
(socket.io), Teams, Slack, `make shell` driven through a pseudo-terminal, and
the HTTP API with its token. Each disclosure is warned about exactly once (the
API, which sends no replies, says `share_password`), and afterwards none of
the secrets is in the tracker database, the logs or any file of the project.
PostgreSQL and RabbitMQ: tests/cluster/test_privacy_cluster.py.
"""

import os
import pty
import random
import re
import secrets
import select
import string
import subprocess
import time
from typing import Callable, Dict, List

import pytest
import requests

from channels.slack import to_mrkdwn
from channels.teams import markdown, sender_id
from nlp.privacy import warning_text
from tests.support.disclosures import conversation, warnings_in
from tests.support.fakes.slack_api import message_event, signed_headers
from tests.support.servers import (
    MODEL,
    ROOT,
    free_port,
    rasa_run_command,
    say,
    stored_events,
    wait_for,
    write_endpoints,
)
from tests.support.widget import Chat

SECRETS: Dict[str, str] = {}  # every secret typed in this module, for the final search


def answered_turns(events) -> int:
    """User turns that the bot has answered and listens after. A turn can hold
    two user events: the two-stage fallback reverts the message and logs it
    again."""
    turns, heard = 0, False
    for event in events:
        if event.get("event") == "user":
            heard = True
        elif heard and event.get("event") == "action" and event.get("name") == "action_listen":
            turns, heard = turns + 1, False
    return turns


def user_turns_stored(servers, sender: str, count: int, seconds: float = 30) -> None:
    """Waits until Rasa has stored ``count`` answered user turns (it sends,
    then stores)."""
    deadline = time.monotonic() + seconds
    while answered_turns(stored_events(servers, sender)) < count:
        assert time.monotonic() < deadline, f"{sender}: turn {count} never stored"
        time.sleep(0.05)


def talk(send: Callable[[str, int], List[str]], name: str) -> List[List[str]]:
    """Holds the module's conversation with ``send(message, turn) -> reply texts``
    and checks the warnings: one for each disclosure, none otherwise."""
    turns, values = conversation()
    SECRETS.update({f"{name}-{k}": v for k, v in values.items()})
    replies = []
    for number, (message, discloses) in enumerate(turns, 1):
        texts = send(message, number)
        assert warnings_in(texts) == (1 if discloses else 0), (name, message, texts)
        if discloses and number == 1:  # the question that came with it is answered too
            assert any("On the phone menu" in t for t in texts), texts
        for value in values.values():
            assert all(value not in t for t in texts)
        replies.append(texts)
    return replies


def assert_nothing_stored(servers, sender: str, name: str) -> None:
    stored = str(stored_events(servers, sender))
    assert stored.count("[password removed]") >= 4, stored
    assert "removed] removed]" not in stored  # masked before parsing, and again in the store
    for key, value in SECRETS.items():
        if key.startswith(name + "-"):
            assert value not in stored, (key, value)


def test_rest(servers):
    sender = "disclose-rest-" + secrets.token_hex(3)
    talk(lambda message, _: [r.get("text", "") for r in say(servers, sender, message)], "rest")
    assert_nothing_stored(servers, sender, "rest")


def test_website_chat(servers):
    chat = Chat(servers)
    try:
        session = chat.start()

        def send(message: str, turn: int) -> List[str]:
            chat.send({"message": message, "session_id": session})
            user_turns_stored(servers, session, turn)
            time.sleep(0.5)  # the last bubbles are on their way when the turn is stored
            texts = []  # Rasa's socket.io output sends each paragraph as its own bubble
            while not chat.replies.empty():
                texts.append(chat.replies.get().get("text", ""))
            return texts

        talk(send, "socketio")
    finally:
        chat.close()
    assert_nothing_stored(servers, session, "socketio")


def test_teams(servers, microsoft):
    channel = f"{servers['url']}/webhooks/teams"
    deadline = time.monotonic() + 15
    while requests.get(f"{channel}/", timeout=5).json()["status"] != "ok":
        assert time.monotonic() < deadline, "the Teams channel never loaded its keys"
        time.sleep(0.2)
    user = "disclose-teams-" + secrets.token_hex(3)
    state = {}

    def send(message: str, turn: int) -> List[str]:
        activity = microsoft.message(message, state.get("conversation"), user=user)
        state["conversation"] = activity["conversation"]["id"]
        state["sender"] = sender_id(activity)
        before = len(microsoft.replies(state["conversation"]))
        assert microsoft.post(f"{channel}/webhook", activity).status_code == 200
        user_turns_stored(servers, state["sender"], turn)
        return [r["text"] for r in microsoft.replies(state["conversation"])[before:]]

    replies = talk(send, "teams")
    assert markdown(warning_text()) in replies[0]
    assert_nothing_stored(servers, state["sender"], "teams")


def test_slack(servers, slack_api):
    user, channel = "UDISC" + secrets.token_hex(3).upper(), "DDISC" + secrets.token_hex(3).upper()
    sender = f"{user}_{channel}"

    def send(message: str, turn: int) -> List[str]:
        before = len(slack_api.posts_to(channel))
        body = message_event(message, user=user, channel=channel, event_id=f"Ev{turn}{user}")
        answer = requests.post(
            f"{servers['url']}/webhooks/slack/webhook",
            data=body,
            timeout=10,
            headers=signed_headers(slack_api.signing_secret, body),
        )
        assert answer.status_code == 200
        user_turns_stored(servers, sender, turn)
        texts = [p["text"] for p in slack_api.posts_to(channel)[before:]]
        # Posts are Slack mrkdwn: the warning as Slack shows it counts as one.
        return [warning_text() if t == to_mrkdwn(warning_text()) else t for t in texts]

    talk(send, "slack")
    assert_nothing_stored(servers, sender, "slack")


class Terminal:
    """`make shell` in a pseudo-terminal, as a person would use it."""

    PROMPT = "\nYou: "

    def __init__(self, env: Dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "shell"],
            cwd=ROOT,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.screen = ""

    def read_until(self, marker: str, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while marker not in self.screen:
            assert time.monotonic() < deadline, f"no {marker!r} on screen:\n{self.screen[-3000:]}"
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.screen += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:  # the shell has ended
                    break
        head, _, self.screen = self.screen.partition(marker)
        return head

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def close(self) -> None:
        try:
            self.type("/stop")
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, 15)
            self.process.wait(timeout=30)
        os.close(self.master)


def test_make_shell_through_a_pseudo_terminal(servers, tmp_path):
    db = servers["tmp"] / "shell-tracker.db"
    env = dict(
        os.environ,
        RASA_PORT=str(free_port()),
        ACTIONS_PORT=str(free_port()),
        TRACKER_DB=str(db),
        CHAT_RATE_PER_SENDER="1000",
    )
    terminal = Terminal(env)
    try:
        banner = terminal.read_until(Terminal.PROMPT, seconds=240)
        sender = re.search(r" as (shell-\w+)\.", banner).group(1)

        def send(message: str, turn: int) -> List[str]:
            terminal.type(message)
            shown = terminal.read_until(Terminal.PROMPT, seconds=60)
            # The terminal echoes what was typed; the rest is the assistant's,
            # one line each (the warning is one line).
            lines = [line for line in shown.replace("\r", "").split("\n") if line.strip()]
            assert lines and lines[0].strip() == message
            return lines[1:]

        talk(send, "shell")
    finally:
        terminal.close()
    stored = str(stored_events(dict(servers, db=db), sender))
    assert stored.count("[password removed]") >= 4, stored
    for key, value in SECRETS.items():
        if key.startswith("shell-"):
            assert value not in stored


@pytest.fixture(scope="module")
def api_server(servers):
    """A second Rasa server with the HTTP API on behind a token (the shared one
    keeps it off, as `make run` does), on its own tracker database."""
    port, db = free_port(), servers["tmp"] / "api-tracker.db"
    api_token = secrets.token_hex(16)  # a token_urlsafe may start with "-", which argparse misreads
    endpoints = write_endpoints(servers["tmp"] / "api-endpoints.yml", servers["actions_url"], db)
    log = servers["tmp"] / "api-rasa.log"
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", ACTION_SERVER_TOKEN=servers["token"])
    process = subprocess.Popen(
        rasa_run_command(
            MODEL, port, endpoints, "--enable-api", "--auth-token", api_token, "--debug"
        ),
        cwd=ROOT,
        env=env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/", process, log)
        yield {"url": f"http://127.0.0.1:{port}", "token": api_token, "db": db, "log": log}
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_http_api_with_its_token(servers, api_server):
    api = api_server["url"]
    token = {"token": api_server["token"]}
    turns, values = conversation()
    SECRETS.update({f"api-{k}": v for k, v in values.items()})
    sender = "disclose-api-" + secrets.token_hex(3)
    for message, discloses in turns:
        parsed = requests.post(
            f"{api}/model/parse", params=token, json={"text": message}, timeout=30
        ).json()
        if message != values["lone"]:  # alone, only the conversation gives it away
            assert (parsed["intent"]["name"] == "share_password") is discloses, (message, parsed)
        added = requests.post(
            f"{api}/conversations/{sender}/messages",
            params=token,
            json={"text": message, "sender": "user"},
            timeout=30,
        )
        assert added.status_code == 200, added.text
    # Events posted straight into the conversation are masked on the way in too.
    text = f"pw: {values['before']}"
    event = {
        "event": "user",
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": "reset_password", "confidence": 1.0},
            "entities": [],
        },
    }
    posted = requests.post(
        f"{api}/conversations/{sender}/tracker/events", params=token, json=[event], timeout=30
    )
    assert posted.status_code == 200, posted.text
    tracker = requests.get(f"{api}/conversations/{sender}/tracker", params=token, timeout=30).json()
    for value in values.values():
        assert value not in str(tracker)
    assert_nothing_stored(dict(servers, db=api_server["db"]), sender, "api")
    # Even at debug level, the log shows only masked text.
    log = api_server["log"].read_text()
    assert "[password removed]" in log
    for value in values.values():
        assert value not in log


def test_what_the_detector_misses_is_not_readable_in_the_database_or_the_debug_log(
    servers, api_server
):
    """The backstop (stores/sealing.py): a message the masking lets through is
    kept sealed, and no log line quotes it, even at debug level."""
    missed = "".join(random.choice(string.ascii_lowercase) for _ in range(12))
    SECRETS["missed"] = missed
    sender = "missed-" + secrets.token_hex(3)
    message = f"our new lounge is called {missed} now"
    say(dict(servers, url=api_server["url"]), sender, message)
    opened = [e.get("text") for e in stored_events(dict(servers, db=api_server["db"]), sender)]
    assert message in opened  # masking let it through: the backstop is what is tested
    resting = b"".join(p.read_bytes() for p in api_server["db"].parent.glob("api-tracker.db*"))
    assert missed.encode() not in resting
    log = api_server["log"].read_text()
    assert missed not in log
    assert "[message withheld]" in log


def test_no_secret_is_in_any_file_database_or_log(servers):
    """Last: every secret typed above, searched for everywhere."""
    assert len(SECRETS) >= 20, "the entry-point tests did not all run"
    needles = sum((["-e", value] for value in SECRETS.values()), [])
    found = subprocess.run(
        ["grep", "-r", "-l", "-a", "-F", *needles, str(ROOT), str(servers["tmp"])],
        capture_output=True,
        text=True,
    )
    assert found.returncode == 1, f"found in: {found.stdout}"  # grep: 1 = no match
    assert servers["logs"]["rasa"].stat().st_size > 0
