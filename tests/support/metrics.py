"""Reading the Rasa server's Prometheus metrics as a scraper does: its text
format over HTTP, parsed with prometheus_client's own parser."""

from typing import Dict, Tuple

import requests
from prometheus_client.parser import text_string_to_metric_families

# (sample name, sorted label pairs) -> value
Samples = Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(port: int) -> Samples:
    response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    response.raise_for_status()
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when the series does not exist yet."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def helps(text: str) -> Dict[str, str]:
    """Each metric family's HELP text, by family name."""
    return {family.name: family.documentation for family in text_string_to_metric_families(text)}
