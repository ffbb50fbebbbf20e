"""Rasa's command line with the project's patches in force.

`python -m rasa_server run ...` takes exactly `rasa run`'s arguments. Before
Rasa starts, it:

1. reads and checks the settings (settings.py), stopping with a message that
   names a bad variable;
2. installs the project's Rasa patches (patches/__init__.py), all of them
   unless RASA_STOCK_ACTION_CHECK=1 keeps Rasa's own action-reply check;
3. masks every log line when it is formatted, Rasa's own included;
4. loads the secret detector's tables, so that the first message does not
   wait for them;
5. when METRICS_PORT is set, serves this process's Prometheus metrics on
   127.0.0.1:METRICS_PORT (metrics.py), apart from Rasa's own port.

`make run`, `make shell`, `make run-cluster`, `make bench` and the tests'
servers all start Rasa this way; the project's channels and tracker store
refuse to start without the patches.
"""

import os
import sys

from settings import SettingsError, get_settings


def main() -> None:
    # Nothing leaves the machine: Rasa's telemetry is off however it is started.
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    try:
        settings = get_settings()
    except SettingsError as error:
        sys.exit(str(error))
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


if __name__ == "__main__":
    main()
