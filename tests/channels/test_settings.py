"""channels/settings.py: a channel without its secrets is off, with one log line."""

import logging

from channels.settings import from_env


def test_a_channel_without_its_secrets_is_off_with_one_log_line_naming_them(monkeypatch, caplog):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    with caplog.at_level(logging.WARNING):
        assert from_env("Slack", ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]) is None
    assert [r.getMessage() for r in caplog.records if r.name == "channels.settings"] == [
        "Slack channel is off: set SLACK_BOT_TOKEN to switch it on (docs/channels.md)."
    ]


def test_settings_are_read_with_defaults_for_optional_ones(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", " xoxb-1 ")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_API_URL", "")
    assert from_env("Slack", ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"], ["SLACK_API_URL"]) == {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": "https://slack.com/api/",
    }
