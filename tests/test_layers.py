"""Every test has exactly one layer, so `make test-fast` (`-m unit`) runs
what needs nothing but the code, and nothing else. Checked over every test
the run collected, deselected ones included (`make test` and `make test-fast`
both collect the whole suite)."""

from tests.support.layers import COLLECTED, FIXTURE_LAYERS, LAYERS


def test_every_collected_test_has_exactly_one_layer(request):
    collected = request.config.stash[COLLECTED]
    assert request.node.nodeid in collected  # the record covers this run
    wrong = {test: seen["layers"] for test, seen in collected.items() if len(seen["layers"]) != 1}
    assert not wrong, f"each test needs exactly one of {LAYERS}: {wrong}"


def test_a_test_that_starts_servers_or_a_browser_is_not_a_unit_test(request):
    collected = request.config.stash[COLLECTED]
    wrong = {
        test: (fixture, seen["layers"])
        for test, seen in collected.items()
        for fixture in seen["fixtures"]
        if fixture in FIXTURE_LAYERS
        if not set(seen["layers"]) & FIXTURE_LAYERS[fixture]
    }
    assert not wrong, f"a fixture's layer and the test's disagree: {wrong}"
