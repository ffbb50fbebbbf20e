"""Rasa input channels of the assistant, loaded by the Rasa server from
credentials.yml. Each refuses to start unless the project's Rasa patches are
in force (patches/__init__.py): start the server with `python -m rasa_server`."""
