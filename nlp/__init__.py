"""The project's own language pipeline: a spaCy model built here (no download)
and the Rasa NLU components that use it."""
