"""settings.py: the environment is read once and a bad value is refused by name."""

import subprocess
import sys
from pathlib import Path

import pytest

import settings
from settings import SettingsError, load

ROOT = Path(__file__).resolve().parent.parent


def test_unset_and_empty_variables_give_the_documented_defaults():
    assert load({}) == load({"CHAT_RATE_PER_SENDER": "", "CORS_ORIGINS": "  "})
    defaults = load({})
    assert (
        defaults.chat_rate_per_sender,
        defaults.chat_max_message_chars,
        defaults.retention_days,
        defaults.cors_origins,
        defaults.metrics_port,
    ) == (20, 1000, 30, [], 0)


@pytest.mark.parametrize(
    "environ, message",
    [
        (
            {"CHAT_RATE_PER_SENDER": "twenty"},
            "CHAT_RATE_PER_SENDER='twenty': value is not a valid integer",
        ),
        (
            {"CHAT_RATE_PER_SENDER": "0"},
            "CHAT_RATE_PER_SENDER='0': ensure this value is greater than or equal to 1",
        ),
        ({"CHAT_MAX_BODY_BYTES": "10"}, "CHAT_MAX_BODY_BYTES='10': ensure this value is greater"),
        ({"RETENTION_DAYS": "-1"}, "RETENTION_DAYS='-1': ensure this value is greater than 0"),
        (
            {"CORS_ORIGINS": "*"},
            "CORS_ORIGINS='*': origins must be listed explicitly; '*' is refused",
        ),
        ({"CORS_ORIGINS": "https://care.example.org/chat"}, "is not an origin such as"),
        (
            {"RASA_STOCK_ACTION_CHECK": "maybe"},
            "RASA_STOCK_ACTION_CHECK='maybe': value could not be parsed",
        ),
        ({"RASA_ENABLE_API": "1"}, "RASA_ENABLE_API=1 needs RASA_AUTH_TOKEN or RASA_JWT_SECRET"),
        ({"METRICS_PORT": "70000"}, "METRICS_PORT='70000': ensure this value is less than"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_the_variable(environ, message):
    with pytest.raises(SettingsError, match="Refused setting") as refused:
        load(environ)
    assert message in str(refused.value)


def test_every_bad_value_is_named_at_once_and_a_secret_is_never_shown():
    with pytest.raises(SettingsError) as refused:
        load({"CHAT_RATE_PER_SENDER": "x", "REDIS_DB": "99", "PGPASSWORD": "hunter2" * 9})
    text = str(refused.value)
    assert "CHAT_RATE_PER_SENDER='x'" in text and "REDIS_DB='99'" in text
    assert "hunter2" not in text and "hunter2" not in repr(load({"PGPASSWORD": "hunter2"}))


def test_origins_are_read_comma_or_space_separated_and_normalised():
    assert load(
        {"CORS_ORIGINS": "https://Care.example.org/, http://localhost:8080  https://other.example"}
    ).cors_origins == ["https://care.example.org", "http://localhost:8080", "https://other.example"]


def test_the_environment_is_read_once_per_process(monkeypatch):
    monkeypatch.setenv("CHAT_RATE_PER_SENDER", "7")
    assert settings.get_settings().chat_rate_per_sender == 7
    monkeypatch.setenv("CHAT_RATE_PER_SENDER", "8")
    assert settings.get_settings().chat_rate_per_sender == 7


def test_the_check_command_stops_with_the_message_and_exit_code_2():
    env = {"PATH": "/usr/bin:/bin", "CHAT_RATE_PER_ADDRESS": "lots"}
    result = subprocess.run(
        [sys.executable, "-m", "settings", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "CHAT_RATE_PER_ADDRESS='lots': value is not a valid integer" in result.stderr


def test_docs_settings_md_is_the_generated_table():
    """`make docs` rewrites it; every variable is documented."""
    committed = (ROOT / "docs" / "settings.md").read_text()
    assert committed == settings.table()
    for name, _ in settings.variables():
        assert f"| `{name}` |" in committed
