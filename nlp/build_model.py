"""Builds the project's spaCy pipeline into a folder Rasa's SpacyNLP can load.

spaCy's pretrained English pipelines cannot be installed here and nothing may
download at run time, so the project builds its own small pipeline from parts
that ship in packages: spaCy's English tokeniser, the lookup lemmatiser with
tables from spacy-lookups-data, and an EntityRuler (nlp/patterns.py).

Usage: python -m nlp.build_model build/en_nhsmail
"""

import sys
from pathlib import Path
from typing import cast

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRuler

from nlp.patterns import build_patterns

MODEL_NAME = "en_nhsmail"


def build() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = cast(EntityRuler, nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"}))
    nlp.initialize()  # loads the lemma lookup tables from spacy-lookups-data
    ruler.add_patterns(build_patterns())
    nlp.meta["name"] = MODEL_NAME.split("_", 1)[1]
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "NHSmail assistant: tokeniser, lookup lemmatiser, EntityRuler"
    return nlp


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    build().to_disk(out)
    print(f"spaCy pipeline written to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else f"build/{MODEL_NAME}")
