"""Rasa input channels of the assistant (run inside the Rasa server)."""
from channels import idempotency  # noqa: F401  (a message sent again is handled once)
from channels import speedups  # noqa: F401  (Rasa's action-reply check, schema checked once)
