"""After a conversation that types a password, an email address, a phone number
and an NHS number, none of them is in the database, the logs or the project."""

import random
import secrets
import subprocess

import pytest

from tests.support.servers import ROOT, say, stored_events


def nhs_number() -> str:
    while True:
        digits = [random.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1))) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits + [check]))


@pytest.fixture(scope="module")
def typed(servers):
    """Values unique to this run, so that no source file can contain them."""
    values = {
        "password": "Tr1cky" + secrets.token_hex(4),
        "pw": "Zebra" + secrets.token_hex(3) + "!",
        "lone": "Gr33n" + secrets.token_hex(3),
        "email": f"carer.{secrets.token_hex(4)}@nhs.net",
        "phone": "07700 9" + "".join(random.choices("0123456789", k=5)),
        "nhs": nhs_number(),
    }
    sender = "privacy-" + secrets.token_hex(4)
    replies = [
        say(servers, sender, f"my password is {values['password']} and it stopped working"),
        say(servers, sender, f"pw: {values['pw']}"),
        say(servers, sender, values["lone"]),  # right after the warning
        say(servers, sender, f"my email is {values['email']}, ring me on {values['phone']}"),
        say(servers, sender, f"resident NHS number {values['nhs']} needs a referral email"),
    ]
    # An ordinary message: the default log level must not carry its text either.
    values["ordinary"] = "zq" + secrets.token_hex(5)
    replies.append(say(servers, sender, f"how do I reset my password {values['ordinary']}"))
    return {"values": values, "sender": sender, "replies": replies}


def test_the_user_is_warned_and_nothing_is_echoed(typed):
    texts = [r.get("text", "") for reply in typed["replies"] for r in reply]
    assert any("don't type passwords" in t for t in texts)
    for value in typed["values"].values():
        assert all(value not in t for t in texts)


def test_the_stored_conversation_holds_only_masks(servers, typed):
    stored = " ".join(str(e) for e in stored_events(servers, typed["sender"]))
    for value in typed["values"].values():
        assert value not in stored
    for marker in (
        "[password removed]",
        "[email removed]",
        "[phone number removed]",
        "[NHS number removed]",
    ):
        assert marker in stored


def test_no_store_log_or_project_file_contains_them(servers, typed):
    places = [str(ROOT), str(servers["tmp"])]
    needles = sum((["-e", v] for v in typed["values"].values()), [])
    found = subprocess.run(
        ["grep", "-r", "-l", "-a", "-F", *needles, *places], capture_output=True, text=True
    )
    assert found.returncode == 1, f"found in: {found.stdout}"  # grep: 1 = no match
    assert servers["logs"]["rasa"].stat().st_size > 0  # the logs were searched, not empty
