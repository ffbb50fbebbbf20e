"""Channel secrets come from the environment, never from credentials.yml.

A channel whose required variables are missing is switched off with one clear
log line; the other channels still run.
"""
import logging
import os
from typing import Dict, Iterable, Optional

logger = logging.getLogger(__name__)


def from_env(channel: str, required: Iterable[str],
             optional: Optional[Dict[str, str]] = None) -> Optional[Dict[str, str]]:
    """The channel's settings, or None (logged once) when a required one is unset.

    ``optional`` maps a variable name to its default.
    """
    required = list(required)
    missing = [name for name in required if not os.environ.get(name, "").strip()]
    if missing:
        logger.warning("%s channel is off: set %s to switch it on (see README).",
                       channel, ", ".join(missing))
        return None
    settings = {name: os.environ[name].strip() for name in required}
    for name, default in (optional or {}).items():
        settings[name] = os.environ.get(name, "").strip() or default
    return settings
