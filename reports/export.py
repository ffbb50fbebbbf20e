"""results/unanswered.yml: the unanswered questions in Rasa's NLU format,
one block per group of near-identical questions, for a developer to label."""

from typing import Sequence

import yaml

from reports.grouping import Group
from reports.tracker_data import Period

HEADER = """\
# Unanswered questions, {start} to {end} (UTC): fallbacks, out-of-scope
# questions, and what staff asked after a "No". Nothing here is trained
# automatically. A developer labels each block with an intent from
# nlp/intents.py (or a new one), drops what should stay unanswered, and only
# then moves examples into data/; never add test utterances.
"""


def _example(text: str) -> str:
    # One line per example; Rasa reads "[text](entity)" as an annotation, so
    # brackets stay as the user typed them only when that cannot happen.
    return " ".join(text.split()).replace("](", "] (")


def nlu_yaml(groups: Sequence[Group], span: Period) -> str:
    lines = [HEADER.format(start=span.start, end=span.end).rstrip("\n"), 'version: "3.1"']
    if not groups:
        lines.append("nlu: []")
        return "\n".join(lines) + "\n"
    lines.append("nlu:")
    for number, group in enumerate(groups, 1):
        kinds = ", ".join(group.kinds)
        lines.append(f"# {group.count} time(s), {kinds}")
        lines.append(f"- intent: to_label_{number}")
        lines.append("  examples: |")
        for text in group.texts:
            lines.append(f"    - {_example(text)}")
    text = "\n".join(lines) + "\n"
    yaml.safe_load(text)  # a text that breaks the YAML fails here, not in a developer's hands
    return text
