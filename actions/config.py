"""Settings of the action server, from the environment (never from committed files)."""
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The content file the replies are built from.
CONTENT_PATH = Path(os.environ.get("NHSMAIL_CONTENT", PROJECT_ROOT / "content" / "nhsmail.yml"))
