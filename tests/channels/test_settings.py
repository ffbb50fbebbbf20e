import logging

from channels.settings import from_env


def test_a_channel_without_its_secrets_is_off_with_one_log_line_naming_them(monkeypatch, caplog):
    monkeypatch.delenv("X_APP_ID", raising=False)
    monkeypatch.setenv("X_SECRET", "s")
    with caplog.at_level(logging.WARNING):
        assert from_env("Example", ["X_APP_ID", "X_SECRET"]) is None
    assert [r.getMessage() for r in caplog.records] == [
        "Example channel is off: set X_APP_ID to switch it on (see README)."]


def test_settings_are_read_with_defaults_for_optional_ones(monkeypatch):
    monkeypatch.setenv("X_APP_ID", " id ")
    monkeypatch.setenv("X_URL", "")
    assert from_env("Example", ["X_APP_ID"], {"X_URL": "https://default"}) == {
        "X_APP_ID": "id", "X_URL": "https://default"}
