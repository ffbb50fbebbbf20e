"""The local Slack Web API the end-to-end Rasa server posts its Slack replies to,
and the environment variables that switch the Slack channel on against it."""
import functools
import secrets

import pytest

from tests.fakes.slack_api import FakeSlackApi


@functools.lru_cache(maxsize=None)
def fake_slack_api() -> FakeSlackApi:
    """One fake per test run, shared by the two fixtures below."""
    return FakeSlackApi(token=f"xoxb-test-{secrets.token_hex(8)}",
                        signing_secret=secrets.token_hex(16))


@pytest.fixture(scope="session")
def slack_env():
    api = fake_slack_api()
    yield {"SLACK_BOT_TOKEN": api.token, "SLACK_SIGNING_SECRET": api.signing_secret,
           "SLACK_API_URL": api.url}
    api.close()


@pytest.fixture(scope="session")
def slack_api(slack_env):
    """The fake the Rasa server posts to: read what it captured."""
    return fake_slack_api()
