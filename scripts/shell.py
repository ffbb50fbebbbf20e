"""`make shell`: talk to the running assistant in this terminal.

It talks to the assistant's own REST channel (channels/rest.py), so a message
typed here takes exactly the path a website or Teams message takes: the same
limits, the same password check on the raw text, the same masking before
anything is parsed, stored or logged. Rasa's own `rasa shell` runs a channel
of Rasa's that has none of that, and its console client stops with a
traceback on the 429 and 503 answers this channel gives.

Buttons are numbered; type the number to press one. Ctrl-D or /stop ends.
"""

import argparse
import sys
import uuid
from typing import Any, Dict, List, Optional

import requests

STOP = "/stop"


def show(replies: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Prints the assistant's replies; returns the buttons offered last."""
    buttons: List[Dict[str, Any]] = []
    for reply in replies:
        if reply.get("text"):
            print("\n" + reply["text"])
        if reply.get("buttons"):
            buttons = reply["buttons"]
            for number, button in enumerate(buttons, 1):
                print(f"  [{number}] {button.get('title')}")
    return buttons


def chosen(text: str, buttons: List[Dict[str, Any]]) -> Optional[str]:
    """The payload of the button whose number was typed, if any."""
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        return buttons[int(text) - 1].get("payload")
    return None


def send(url: str, sender: str, message: str) -> List[Dict[str, Any]]:
    try:
        answer = requests.post(
            f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
        )
    except requests.RequestException as problem:
        return [{"text": f"(The assistant cannot be reached: {problem.__class__.__name__}.)"}]
    try:
        body = answer.json()
    except ValueError:
        return [{"text": f"(The assistant answered {answer.status_code} without a reply.)"}]
    if isinstance(body, dict):  # a 4xx error: {"error": ...}
        return [{"text": f"({body.get('error', 'error')})"}]
    return body


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--sender", default="shell-" + uuid.uuid4().hex[:8])
    args = parser.parse_args(argv)
    print(
        f"Talking to {args.url} as {args.sender}. Type a message, a button's "
        f"number to press it, or {STOP} (or Ctrl-D) to end."
    )
    buttons: List[Dict[str, Any]] = []
    while True:
        try:
            text = input("\nYou: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text == STOP:
            return 0
        if not text:
            continue
        buttons = show(send(args.url, args.sender, chosen(text, buttons) or text)) or buttons


if __name__ == "__main__":
    sys.exit(main())
