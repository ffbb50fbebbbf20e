"""A channel's settings, from the settings object (settings.py).

A channel whose required variables are unset is switched off with one clear
log line; the other channels still run.
"""

import logging
from typing import Dict, Iterable, Optional

from settings import get_settings

logger = logging.getLogger(__name__)


def from_env(
    channel: str, required: Iterable[str], optional: Iterable[str] = ()
) -> Optional[Dict[str, str]]:
    """The channel's variables and their values, or None (logged once) when a
    required one is unset. Optional ones have their defaults in settings.py."""
    values = get_settings().by_variable()
    required = list(required)
    missing = [name for name in required if not values[name]]
    if missing:
        logger.warning(
            "%s channel is off: set %s to switch it on (docs/channels.md).",
            channel,
            ", ".join(missing),
        )
        return None
    return {name: values[name] or "" for name in [*required, *optional]}
