"""Rasa input channels of the assistant (run inside the Rasa server)."""
