"""Where the action server finds its content: the NHSMAIL_CONTENT setting."""

from pathlib import Path

from settings import get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The content file the replies are built from.
CONTENT_PATH = get_settings().nhsmail_content
