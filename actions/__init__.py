"""Custom actions of the NHSmail guidance assistant.

- content.py: loads and checks the content file (the only place facts live)
- guidance.py: assembles replies from it (pure functions: slots in, text out)
- dialogue.py: reads what the tracker says (intent, entities, what was asked)
- actions.py: the Rasa actions, thin classes over the two above
- slots.py: slot extraction and form validation
"""
