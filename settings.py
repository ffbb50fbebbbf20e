"""Every setting the assistant takes from the environment, read once, checked.

One pydantic model (pydantic 1.10, which Rasa 3.6 and spaCy 3.4 pin; its
validation is what pydantic-settings builds on) names each environment
variable, its type, its limits and its meaning. ``get_settings()`` reads the
environment once per process; a bad value stops the process with a message
that names the variable, instead of quietly becoming the default. An empty
variable counts as unset.

Secrets are ``SecretStr``: they never appear in a repr, a log line or an error.

``python -m settings check`` validates the environment (scripts/run.sh and
scripts/cluster.sh call it first); ``python -m settings table`` prints the
table in docs/settings.md, which tests/test_settings.py keeps in step.
"""

import functools
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Literal, Mapping, Optional, Tuple, get_args, get_origin

from pydantic import BaseModel, Field, SecretStr, ValidationError, validator

ROOT = Path(__file__).resolve().parent

OPENID_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
ISSUER = "https://api.botframework.com"
SLACK_API_URL = "https://slack.com/api/"
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def _setting(default: Any, variable: str, group: str, meaning: str, **limits: Any) -> Any:
    return Field(default, alias=variable, group=group, meaning=meaning, **limits)


class SettingsError(ValueError):
    """A variable's value is refused; the message names it."""


class Settings(BaseModel):
    # Channels (the Rasa server)
    chat_max_body_bytes: int = _setting(
        16_384,
        "CHAT_MAX_BODY_BYTES",
        "channels",
        "Largest REST or socket.io request body, in bytes; a larger one gets 413.",
        ge=1_024,
        le=1_048_576,
    )
    chat_max_message_chars: int = _setting(
        1_000,
        "CHAT_MAX_MESSAGE_CHARS",
        "channels",
        "Longest message, in characters; a longer one gets the polite 'too long' reply.",
        ge=1,
        le=100_000,
    )
    chat_rate_per_sender: int = _setting(
        20,
        "CHAT_RATE_PER_SENDER",
        "channels",
        "Messages a sender may send per minute (per server, or in all with "
        "CHANNEL_STATE=redis); a load test lifts it.",
        ge=1,
    )
    chat_rate_per_address: int = _setting(
        120,
        "CHAT_RATE_PER_ADDRESS",
        "channels",
        "Messages per minute from one client address (REST and socket.io), per server or in "
        "all with CHANNEL_STATE=redis.",
        ge=1,
    )
    cors_origins: List[str] = _setting(
        [],
        "CORS_ORIGINS",
        "channels",
        "Sites allowed to embed the widget or call the REST "
        "channel from a browser, separated by commas or spaces (https://care.example.org); "
        "'*' is refused. Empty: only the server's own /chat/ page.",
    )
    rasa_stock_action_check: bool = _setting(
        False,
        "RASA_STOCK_ACTION_CHECK",
        "channels",
        "1 leaves Rasa's own check of action-server "
        "replies in place of the project's (patches/action_check.py), for `make bench`.",
    )
    minilm_cache_size: Optional[int] = _setting(
        None,
        "MINILM_CACHE_SIZE",
        "channels",
        "Texts whose MiniLM features are kept (LRU); 0 "
        "turns the cache off (the bench's worst case). Empty: config.yml's cache_size.",
        ge=0,
    )
    # Teams
    teams_app_id: Optional[str] = _setting(
        None,
        "TEAMS_APP_ID",
        "teams",
        "The Azure Bot's app id. Teams is on when the app id, password and tenant id are all set.",
    )
    teams_client_secret: Optional[SecretStr] = _setting(
        None, "TEAMS_APP_PASSWORD", "teams", "The Azure Bot's client secret (secret)."
    )
    teams_tenant_id: Optional[str] = _setting(
        None, "TEAMS_TENANT_ID", "teams", "The Azure tenant the bot's app is registered in."
    )
    teams_openid_url: str = _setting(
        OPENID_URL,
        "TEAMS_OPENID_URL",
        "teams",
        "Where Bot Framework's signing keys are published (a test points it at a fake).",
    )
    teams_token_url: str = _setting(
        TOKEN_URL,
        "TEAMS_TOKEN_URL",
        "teams",
        "Where the bot gets its token to reply; {tenant} is replaced by TEAMS_TENANT_ID.",
    )
    teams_issuer: str = _setting(
        ISSUER, "TEAMS_ISSUER", "teams", "The issuer Teams' tokens must name."
    )
    # Slack
    slack_bot_token: Optional[SecretStr] = _setting(
        None,
        "SLACK_BOT_TOKEN",
        "slack",
        "The Slack app's bot token, xoxb-... (secret). Slack "
        "is on when it and the signing secret are set.",
    )
    slack_signing_secret: Optional[SecretStr] = _setting(
        None, "SLACK_SIGNING_SECRET", "slack", "The Slack app's signing secret (secret)."
    )
    slack_api_url: str = _setting(
        SLACK_API_URL, "SLACK_API_URL", "slack", "Slack's Web API (a test points it at a fake)."
    )
    # Action server
    action_server_token: Optional[SecretStr] = _setting(
        None,
        "ACTION_SERVER_TOKEN",
        "action server",
        "Shared token between Rasa and the action "
        "server (secret); the action server refuses to start without it. `make run` makes one "
        "per run when it is unset.",
    )
    nhsmail_content: Path = _setting(
        ROOT / "content" / "nhsmail.yml",
        "NHSMAIL_CONTENT",
        "action server",
        "The content file the replies are built from.",
    )
    # Privacy at rest
    at_rest_key: Optional[SecretStr] = _setting(
        None,
        "AT_REST_KEY",
        "privacy at rest",
        "Fernet key (secret) that seals every stored and published event, user text "
        "included (stores/sealing.py). Every Rasa server refuses to start without it; "
        "`make run` makes a development key in var/at-rest.key when it is unset; "
        "`python -m stores.sealing new-key` prints a new one.",
    )
    at_rest_previous_keys: Optional[SecretStr] = _setting(
        None,
        "AT_REST_PREVIOUS_KEYS",
        "privacy at rest",
        "Earlier keys (secret, separated by commas) that still open what they sealed, "
        "while `python -m stores.sealing rotate` re-seals it with AT_REST_KEY.",
    )
    # Retention
    retention_days: float = _setting(
        30,
        "RETENTION_DAYS",
        "retention",
        "`make purge` deletes conversations idle for longer than this many days.",
        gt=0,
    )
    # Cluster profile (`make run-cluster`)
    cluster_port: int = _setting(
        8080,
        "CLUSTER_PORT",
        "cluster",
        "nginx's port in front of the Rasa servers.",
        ge=1,
        le=65_535,
    )
    cluster_actions_port: int = _setting(
        8055,
        "CLUSTER_ACTIONS_PORT",
        "cluster",
        "nginx's port in front of the action servers.",
        ge=1,
        le=65_535,
    )
    rasa_servers: int = _setting(
        2, "RASA_SERVERS", "cluster", "Rasa servers behind nginx.", ge=1, le=16
    )
    action_servers: int = _setting(
        2, "ACTION_SERVERS", "cluster", "Action servers behind nginx.", ge=1, le=16
    )
    pgdatabase: str = _setting(
        "nhsmail",
        "PGDATABASE",
        "cluster",
        "PostgreSQL database of the conversations (created if missing).",
    )
    pguser: str = _setting("postgres", "PGUSER", "cluster", "PostgreSQL user of the Rasa servers.")
    pgpassword: Optional[SecretStr] = _setting(
        None, "PGPASSWORD", "cluster", "That user's password (secret)."
    )
    pgadmin: str = _setting(
        "postgres", "PGADMIN", "cluster", "PostgreSQL superuser that creates the database and user."
    )
    pgadmin_password: Optional[SecretStr] = _setting(
        None, "PGADMIN_PASSWORD", "cluster", "The superuser's password (secret)."
    )
    redis_db: int = _setting(
        1,
        "REDIS_DB",
        "cluster",
        "Redis database of the lock store and the shared channel state.",
        ge=0,
        le=15,
    )
    rabbitmq_user: str = _setting(
        "guest", "RABBITMQ_USER", "cluster", "RabbitMQ user of the event broker."
    )
    rabbitmq_password: SecretStr = _setting(
        SecretStr("guest"), "RABBITMQ_PASSWORD", "cluster", "That user's password (secret)."
    )
    ticket_lock_lifetime: int = _setting(
        20,
        "TICKET_LOCK_LIFETIME",
        "cluster",
        "Seconds a conversation's lock outlives a killed server.",
        ge=1,
        le=600,
    )
    # What each cluster server reads from endpoints.cluster.yml. The launcher
    # sets them for `make run-cluster`; a deployment of its own sets them.
    action_server_url: str = _setting(
        "http://127.0.0.1:8055/webhook",
        "ACTION_SERVER_URL",
        "cluster endpoints",
        "Where a Rasa server calls the action servers (nginx in front of them).",
    )
    pghost: str = _setting("127.0.0.1", "PGHOST", "cluster endpoints", "PostgreSQL's host.")
    pgport: int = _setting(
        5432, "PGPORT", "cluster endpoints", "PostgreSQL's port.", ge=1, le=65_535
    )
    tracker_retry_seconds: float = _setting(
        5,
        "TRACKER_RETRY_SECONDS",
        "cluster endpoints",
        "Database downtime a turn waits out before it is refused with 503.",
        ge=0,
        le=60,
    )
    redis_host: str = _setting(
        "127.0.0.1",
        "REDIS_HOST",
        "cluster endpoints",
        "Redis's host (the lock store; the channel state with CHANNEL_STATE=redis).",
    )
    redis_port: int = _setting(
        6379, "REDIS_PORT", "cluster endpoints", "Redis's port.", ge=1, le=65_535
    )
    redis_key_prefix: str = _setting(
        "nhsmail", "REDIS_KEY_PREFIX", "cluster endpoints", "Prefix of the lock store's keys."
    )
    rabbitmq_host: str = _setting(
        "127.0.0.1", "RABBITMQ_HOST", "cluster endpoints", "RabbitMQ's host (the event broker)."
    )
    rabbitmq_port: int = _setting(
        5672, "RABBITMQ_PORT", "cluster endpoints", "RabbitMQ's port.", ge=1, le=65_535
    )
    rabbitmq_queue: str = _setting(
        "nhsmail_events",
        "RABBITMQ_QUEUE",
        "cluster endpoints",
        "Queue the masked events are published to.",
    )
    rabbitmq_exchange: str = _setting(
        "nhsmail_exchange",
        "RABBITMQ_EXCHANGE",
        "cluster endpoints",
        "Exchange the events go through.",
    )
    sanic_workers: int = _setting(
        1,
        "SANIC_WORKERS",
        "cluster endpoints",
        "Sanic worker processes per Rasa server (Sanic reads it; the cluster's servers too). "
        "More than 1 needs a Redis lock store, and is refused beside the website chat "
        "(socket.io): run more servers instead.",
        ge=1,
        le=16,
    )
    sanic_proxies_count: Optional[int] = _setting(
        None,
        "SANIC_PROXIES_COUNT",
        "cluster endpoints",
        "Proxies in front of a Rasa server, "
        "so Sanic takes the client's address from X-Forwarded-For (1 behind nginx).",
        ge=0,
    )
    # The channels' rate limits, Slack's seen event ids and Teams' offered
    # buttons (channels/state.py); the cluster's launcher sets redis.
    channel_state: Literal["memory", "redis"] = _setting(
        "memory",
        "CHANNEL_STATE",
        "channel state",
        "Where the channels keep their rate limits, Slack's seen event ids and Teams' offered "
        "buttons: memory (each server its own; one server) or redis (shared by every server "
        "through REDIS_HOST, REDIS_PORT and REDIS_DB; the cluster).",
    )
    channel_state_prefix: str = _setting(
        "nhsmail:channels",
        "CHANNEL_STATE_PREFIX",
        "channel state",
        "Prefix of the shared channel state's Redis keys; the cluster uses "
        "REDIS_KEY_PREFIX:channels.",
        min_length=1,
    )
    channel_state_timeout: float = _setting(
        0.2,
        "CHANNEL_STATE_TIMEOUT",
        "channel state",
        "Seconds a message waits for Redis before the server goes on with its own state "
        "(docs/operations.md, 'Shared channel state').",
        gt=0,
        le=5,
    )
    # Ports and the Rasa HTTP API (scripts/run.sh)
    rasa_port: int = _setting(
        5005,
        "RASA_PORT",
        "server",
        "The Rasa server's port (the first of the cluster's).",
        ge=1,
        le=65_535,
    )
    actions_port: int = _setting(
        5055,
        "ACTIONS_PORT",
        "server",
        "The action server's port (the first of the cluster's).",
        ge=1,
        le=65_535,
    )
    rasa_interface: str = _setting(
        "127.0.0.1",
        "RASA_INTERFACE",
        "server",
        "Address the Rasa server listens on; loopback unless a proxy needs more.",
    )
    tracker_db: Path = _setting(
        Path("var/tracker.db"),
        "TRACKER_DB",
        "server",
        "The SQLite file of the conversations (single machine).",
    )
    rasa_enable_api: bool = _setting(
        False,
        "RASA_ENABLE_API",
        "server",
        "1 turns on Rasa's HTTP API; it then needs RASA_AUTH_TOKEN or RASA_JWT_SECRET.",
    )
    rasa_auth_token: Optional[SecretStr] = _setting(
        None, "RASA_AUTH_TOKEN", "server", "Token for Rasa's HTTP API (secret)."
    )
    rasa_jwt_secret: Optional[SecretStr] = _setting(
        None, "RASA_JWT_SECRET", "server", "JWT secret for Rasa's HTTP API (secret)."
    )
    rasa_jwt_method: str = _setting("HS256", "RASA_JWT_METHOD", "server", "The JWT's algorithm.")
    # Operations
    metrics_port: int = _setting(
        0,
        "METRICS_PORT",
        "operations",
        "Port of the Rasa server's Prometheus metrics (/metrics), on 127.0.0.1 only and never "
        "behind nginx; the cluster's server i uses METRICS_PORT + i. 0: no metrics.",
        ge=0,
        le=65_535,
    )

    class Config:
        allow_mutation = False
        extra = "ignore"
        validate_all = True

    @validator("cors_origins", pre=True)
    def _origins(cls, value: Any) -> List[str]:
        listed = re.split(r"[,\s]+", value) if isinstance(value, str) else value
        origins = [o.strip().rstrip("/").lower() for o in listed if o.strip()]
        for origin in origins:
            if "*" in origin:
                raise ValueError("origins must be listed explicitly; '*' is refused")
            if not _ORIGIN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin such as https://care.example.org "
                    "(scheme and host, no path)"
                )
        return list(origins)

    @validator("at_rest_key", "at_rest_previous_keys")
    def _fernet_keys(cls, value: Optional[SecretStr]) -> Optional[SecretStr]:
        if value is not None:
            from cryptography.fernet import Fernet

            for key in value.get_secret_value().split(","):
                try:
                    Fernet(key.strip())
                except (ValueError, TypeError):
                    raise ValueError(
                        "not a Fernet key (32 bytes, URL-safe base64); "
                        "`python -m stores.sealing new-key` prints one"
                    ) from None
        return value

    def by_variable(self) -> Dict[str, Optional[str]]:
        """Each variable's value as text (secrets revealed: for the code that uses them)."""
        values: Dict[str, Optional[str]] = {}
        for name, field in variables():
            value = getattr(self, field.name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            values[name] = None if value is None else str(value)
        return values


def variables() -> List[Tuple[str, Any]]:
    """(variable, field) for every setting, in the model's order."""
    return [(field.alias, field) for field in Settings.__fields__.values()]


def load(environ: Mapping[str, str]) -> Settings:
    """The settings from ``environ``; raises SettingsError naming each bad variable."""
    values = {
        name: environ[name].strip() for name, _ in variables() if environ.get(name, "").strip()
    }
    try:
        settings = Settings.parse_obj(values)
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            name = str(problem["loc"][0])
            shown = "(secret, not shown)" if _is_secret(name) else repr(values.get(name))
            problems.append(f"{name}={shown}: {problem['msg']}")
        raise SettingsError(
            "Refused setting" + ("s" if len(problems) > 1 else "") + ":\n  " + "\n  ".join(problems)
        ) from None
    if settings.rasa_enable_api and not (settings.rasa_auth_token or settings.rasa_jwt_secret):
        raise SettingsError(
            "Refused setting:\n  RASA_ENABLE_API=1 needs RASA_AUTH_TOKEN or "
            "RASA_JWT_SECRET; the HTTP API stays closed without one."
        )
    return settings


def _is_secret(variable: str) -> bool:
    return any(name == variable and _kind(field) == "text (secret)" for name, field in variables())


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """This process's settings, read from the environment the first time."""
    import os

    return load(os.environ)


def table() -> str:
    """docs/settings.md: every variable, grouped, with its default and limits."""
    lines = [
        "# Settings",
        "",
        "For operators: every environment variable the assistant reads. Generated from "
        "`settings.py` by `make docs`; a test fails when this file is out of date.",
        "",
        "Each process reads its environment once, at start. A bad value stops it with a "
        "message naming the variable; an empty variable counts as unset. Secrets are never "
        "logged or shown. Set them in the environment, never in a committed file.",
        "",
    ]
    group = None
    for name, field in variables():
        extra = field.field_info.extra
        if extra["group"] != group:
            group = extra["group"]
            lines += [
                "",
                f"## {group[0].upper()}{group[1:]}",
                "",
                "| variable | default | allowed | meaning |",
                "|---|---|---|---|",
            ]
        lines.append(f"| `{name}` | {_default(field)} | {_allowed(field)} | {extra['meaning']} |")
    return "\n".join(lines) + "\n"


def _default(field: Any) -> str:
    value = field.default
    if value is None or value == []:
        return "unset"
    if isinstance(value, SecretStr):
        return f"`{value.get_secret_value()}`"
    if isinstance(value, Path):
        value = value.relative_to(ROOT) if value.is_absolute() else value
    if isinstance(value, bool):
        return "`0`" if not value else "`1`"
    return f"`{value}`"


def _kind(field: Any) -> str:
    if getattr(field.outer_type_, "__origin__", None) is list:
        return "origins"
    if get_origin(field.type_) is Literal:
        return " or ".join(f"`{choice}`" for choice in get_args(field.type_))
    for cls, name in (
        (bool, "0 or 1"),
        (int, "whole number"),
        (float, "number"),
        (SecretStr, "text (secret)"),
        (Path, "path"),
        (str, "text"),
    ):
        if isinstance(field.type_, type) and issubclass(field.type_, cls):
            return name
    raise TypeError(f"no kind for {field.name}")


def _allowed(field: Any) -> str:
    info = field.field_info
    bounds = [
        f"≥ {info.ge}" if info.ge is not None else "",
        f"> {info.gt}" if info.gt is not None else "",
        f"≤ {info.le}" if info.le is not None else "",
    ]
    return " ".join([_kind(field)] + [b for b in bounds if b])


def main(argv: Optional[List[str]] = None) -> int:
    command = (argv if argv is not None else sys.argv[1:]) or ["check"]
    if command[0] == "table":
        sys.stdout.write(table())
        return 0
    if command[0] == "check":
        try:
            get_settings()
        except SettingsError as error:
            print(error, file=sys.stderr)
            return 2
        return 0
    print("usage: python -m settings [check|table]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
