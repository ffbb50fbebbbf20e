"""Rasa input channels of the assistant (run inside the Rasa server).

Importing the package puts the project's changes to Rasa's message handling in
force wherever the Rasa server loads these channels (credentials.yml):
"""
from channels import disclosure, idempotency  # noqa: F401  (see each module)
from channels import speedups  # noqa: F401  (Rasa's action-reply check, schema checked once)
from nlp.privacy import install_log_masking

# Secrets are decided on the raw text and masked before Rasa parses or stores them.
disclosure.install()
# Every log line is masked when it is formatted, Rasa's own included.
install_log_masking()
