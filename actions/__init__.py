"""Custom actions of the NHSmail guidance assistant.

- content.py: loads the content file (the only place facts live)
- content_check.py: checks it, section by section, each problem with its line
- guidance.py: assembles replies from it (pure functions: slots in, text out)
- dialogue.py: reads what the tracker says (intent, entities, what was asked)
- actions.py: the Rasa actions, thin classes over the two above
- slots.py: slot extraction and form validation
"""
