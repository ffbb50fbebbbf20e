"""Rasa's command line with the project's patches in force.

`python -m rasa_server run ...` takes exactly `rasa run`'s arguments. Before
Rasa starts, it:

1. reads and checks the settings (settings.py), stopping with a message that
   names a bad variable, or SANIC_WORKERS > 1 beside the website chat;
2. refuses to start without AT_REST_KEY, the key that seals what the tracker
   store and the event broker keep (stores/sealing.py);
3. installs the project's Rasa patches (patches/__init__.py), all of them
   unless RASA_STOCK_ACTION_CHECK=1 keeps Rasa's own action-reply check;
4. masks every log line when it is formatted, Rasa's own included;
5. loads the secret detector's tables, so that the first message does not
   wait for them;
6. when METRICS_PORT is set, serves the server's Prometheus metrics on
   127.0.0.1:METRICS_PORT (metrics.py), apart from Rasa's own port. With
   SANIC_WORKERS > 1 each worker is a process forked from this one, counting
   in files of its own in a fresh directory (Prometheus' multiprocess mode),
   and this process serves the sum from its own thread.

`make run`, `make shell`, `make run-cluster`, `make bench` and the tests'
servers all start Rasa this way; the project's channels and tracker store
refuse to start without the patches.
"""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import List

from settings import SettingsError, get_settings


def main() -> None:
    # Nothing leaves the machine: Rasa's telemetry is off however it is started.
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    try:
        settings = get_settings()
    except SettingsError as error:
        sys.exit(str(error))
    refused = workers_refused(settings.sanic_workers, credentials_path(sys.argv[1:]))
    if refused:
        sys.exit(refused)
    from stores import sealing

    try:
        sealing.from_settings(settings)
    except sealing.KeyProblem as problem:
        sys.exit(str(problem))
    if settings.metrics_port and settings.sanic_workers > 1:
        _count_in_files_shared_by_the_workers()
    import patches
    from channels import disclosure
    from nlp.privacy import install_log_masking

    patches.install(without=["action_check"] if settings.rasa_stock_action_check else [])
    install_log_masking()
    disclosure.warm_up()
    if settings.metrics_port:
        import metrics

        try:
            metrics.serve(settings.metrics_port)
        except OSError as error:
            sys.exit(f"METRICS_PORT={settings.metrics_port}: cannot listen on it ({error}).")

    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


def workers_refused(workers: int, credentials: str) -> str:
    """Why ``workers`` Sanic workers cannot serve the channels of the
    ``credentials`` file, or "" when they can. `make run-cluster` asks too,
    before it starts anything."""
    if workers <= 1 or not socketio_channel(credentials):
        return ""
    return (
        f"Refused setting:\n  SANIC_WORKERS={workers} with the website chat "
        "(socket.io, in the credentials file): the widget's long-polling requests must reach "
        "the worker that holds its session, and Sanic's workers share one port, so most of "
        "them would fail. Run more servers instead (make run-cluster RASA_SERVERS=N: nginx "
        "keeps each widget on one), or leave the channel out of the credentials file."
    )


def credentials_path(arguments: List[str]) -> str:
    """The credentials file `rasa run` will read: the last --credentials, as
    argparse takes it, else Rasa's default."""
    found = "credentials.yml"
    for i, argument in enumerate(arguments):
        if argument == "--credentials" and i + 1 < len(arguments):
            found = arguments[i + 1]
        elif argument.startswith("--credentials="):
            found = argument.split("=", 1)[1]
    return found


def socketio_channel(path: str) -> bool:
    """Whether the credentials file switches on a socket.io channel (the
    project's or Rasa's own). A missing file is Rasa's to report."""
    import yaml

    try:
        channels = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return False
    return any("socketio" in str(name).lower() for name in channels)


def _count_in_files_shared_by_the_workers() -> None:
    """Prometheus' multiprocess mode: prometheus_client reads
    PROMETHEUS_MULTIPROC_DIR when it is first imported, so this runs before
    anything imports it. The directory is this start's own (counts of an
    earlier run must not add to this one's) and goes when this process exits;
    the forked workers leave it alone."""
    directory = tempfile.mkdtemp(prefix="nhsmail-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:
            shutil.rmtree(directory, ignore_errors=True)

    atexit.register(remove)


if __name__ == "__main__":
    main()
