"""Rasa's own stores, configured for several servers that share them.

tracker.py: the SQL tracker store that reconnects after a database restart and
fails loudly instead of falling back to memory; lock.py: the Redis lock store
with atomic ticket updates, so servers cannot overwrite each other's tickets.
"""
