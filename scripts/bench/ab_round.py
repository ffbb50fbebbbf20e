"""One A/B round in the tree it runs from: 10 concurrent five-turn REST
conversations (40 to warm up, then 100 measured), as `make bench` sends them.
Prints one JSON line with the throughput, percentiles and resident memory.

    PYTHONPATH=. .venv/bin/python scripts/bench/ab_round.py LABEL

Run it alternately in two checkouts to compare them in the same hour: single
runs on this machine vary by about a quarter, so compare rounds side by side.
"""

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from scripts.bench import loadgen, servers


def main(label: str) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"ab-{label}-"))
    env = servers.server_env()
    actions = servers.ActionServer(work, env)
    rasa = servers.RasaServer(str(servers.ROOT / "models" / "nhsmail.tar.gz"), work, env, actions)
    try:
        asyncio.run(loadgen.run_load(rasa.url, 10, 40, time_limit=120))  # warm-up
        result = asyncio.run(loadgen.run_load(rasa.url, 10, 100, time_limit=180))
        print(json.dumps(dict(result.summary(), label=label, rss_mb=round(rasa.rss_mb()))))
    finally:
        rasa.stop()
        actions.stop()


if __name__ == "__main__":
    main(sys.argv[1])
