"""Fakes and settings the end-to-end servers need for the Teams channel:
a local Microsoft (tests/fakes/microsoft.py) the Rasa server is pointed at."""
import pytest

from tests.fakes.microsoft import FakeMicrosoft

# One fake per test run. Module-level so that `teams_env` (imported by
# tests/e2e/conftest.py) needs no other fixture.
MICROSOFT = FakeMicrosoft()


@pytest.fixture(scope="session")
def teams_env():
    """Starts the fake; the variables that switch the Teams channel on, pointed at it."""
    MICROSOFT.start()
    yield MICROSOFT.env()
    MICROSOFT.stop()


@pytest.fixture(scope="session")
def microsoft(teams_env):
    """The running fake: tests sign activities with it and read the replies it got."""
    return MICROSOFT
