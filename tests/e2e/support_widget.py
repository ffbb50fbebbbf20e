"""Settings the end-to-end servers need for the website chat (socket.io), and
what its tests share."""
import time

import pytest

# The one site allowed to embed the chat in these tests; any other is refused.
LISTED_ORIGIN = "https://care-home.example"


@pytest.fixture(scope="session")
def widget_env():
    """Environment variables for the Rasa server: the widget channel is on by
    default, so only CORS_ORIGINS is set."""
    return {"CORS_ORIGINS": LISTED_ORIGIN}


def stored_user_texts(servers, session_id, count, seconds=10):
    """The user's messages in the tracker store, once Rasa has saved the turn
    (it saves after the replies have gone out, so a test can get there first)."""
    from tests.e2e.conftest import stored_events  # conftest imports this module
    deadline = time.monotonic() + seconds
    while True:
        said = [e["text"] for e in stored_events(servers, session_id) if e["event"] == "user"]
        if len(said) >= count or time.monotonic() > deadline:
            return said
        time.sleep(0.2)
