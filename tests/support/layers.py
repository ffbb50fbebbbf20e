"""The test layers (pytest.ini describes them) and how a test gets its own:
from its directory, unless its module or the test itself is marked."""

from pathlib import Path
from typing import Dict, List, Set

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("unit", "integration", "e2e", "cluster", "browser")
# Directories whose tests share one layer; a test elsewhere, or of another
# layer, is marked in its file.
DIRECTORY_LAYERS = {
    "tests": "unit",
    "tests/actions": "unit",
    "tests/channels": "unit",
    "tests/nlp": "unit",
    "tests/privacy": "unit",
    "tests/patches": "unit",
    "tests/stores": "unit",
    "tests/e2e": "e2e",
    "tests/cluster": "cluster",
}
# A test that uses one of these fixtures is of one of these layers.
FIXTURE_LAYERS: Dict[str, Set[str]] = {
    "servers": {"e2e", "browser"},
    "cluster": {"cluster"},
    "postgres": {"cluster"},
    "browser": {"browser"},
}
# What the collection hook records for every collected test, deselected ones
# included: its layers and its fixtures.
COLLECTED = pytest.StashKey[Dict[str, Dict[str, List[str]]]]()


def layers_of(item: pytest.Item) -> List[str]:
    return sorted({mark.name for mark in item.iter_markers() if mark.name in LAYERS})


def assign(items: List[pytest.Item]) -> Dict[str, Dict[str, List[str]]]:
    """Gives each unmarked test its directory's layer; returns what each has."""
    for item in items:
        if not layers_of(item):
            directory = Path(item.fspath).parent.relative_to(ROOT).as_posix()
            if directory in DIRECTORY_LAYERS:
                item.add_marker(DIRECTORY_LAYERS[directory])
    return {
        item.nodeid: {"layers": layers_of(item), "fixtures": list(item.fixturenames)}
        for item in items
    }
