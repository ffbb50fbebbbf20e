"""The channels run here in-process, as inside the Rasa server: with the
project's Rasa patches in force, as rasa_server.py puts them."""

import pytest

import patches


@pytest.fixture(scope="session", autouse=True)
def rasa_patches():
    patches.install()
    yield
    patches.uninstall()
