"""EntityRuler patterns for the project's spaCy pipeline.

Two kinds of entity:
- what the dialogue uses: ``org_type`` (which phone-menu branch), ``account_scope``
  (every linked account is gone) and ``mfa`` (authenticator / new phone);
- personal data the assistant never needs: ``EMAIL``, ``UK_PHONE`` and
  ``ODS_CODE``. They are found so that the privacy work can mask them; Rasa's
  SpacyEntityExtractor is told (``dimensions`` in config.yml) not to pass them on.

Matching is on lower-cased tokens and lemmas so "Pharmacies" and "pharmacy"
both match. Values are normalised by the synonyms in data/nlu.yml.
"""
from typing import Any, Dict, List

DIALOGUE_LABELS = ("org_type", "account_scope", "mfa")
PERSONAL_DATA_LABELS = ("EMAIL", "UK_PHONE", "ODS_CODE")

_PHONE_START = r"^(?:\+44|0)\d{2,4}$"
_PHONE_GROUP = r"^\d{3,4}$"


def _lower_phrases(label: str, phrases: List[str]) -> List[Dict[str, Any]]:
    return [
        {"label": label, "pattern": [{"LOWER": word} for word in phrase.split()]}
        for phrase in phrases
    ]


def _lemma_phrases(label: str, phrases: List[str]) -> List[Dict[str, Any]]:
    return [
        {"label": label, "pattern": [{"LEMMA": word} for word in phrase.split()]}
        for phrase in phrases
    ]


ORG_TYPE_PHRASES = [
    "social care", "care home", "nursing home", "residential home", "home care",
    "domiciliary care", "care agency", "care provider",
    "pharmacy", "pharmacist", "chemist", "community pharmacy",
    "gp practice", "gp surgery", "dental practice", "dentist", "optician",
    "hospice",
]

# "all the staff accounts", "every linked account", "nobody can", "no one"...
ACCOUNT_SCOPE_PATTERNS: List[List[Dict[str, Any]]] = [
    [{"LOWER": {"IN": ["all", "every"]}}, {"LOWER": {"IN": ["the", "our", "of", "linked", "staff", "user", "users", "individual", "its", "their"]}, "OP": "*"},
     {"LEMMA": {"IN": ["account", "user", "login", "staff"]}}],
    [{"LOWER": {"IN": ["nobody", "noone", "everyone", "everybody"]}}],
    [{"LOWER": "no"}, {"LOWER": "one"}],
    [{"LOWER": "none"}, {"LOWER": "of"}, {"LOWER": {"IN": ["us", "them", "our", "the"]}}],
    [{"LOWER": "all"}, {"LOWER": "of"}, {"LOWER": {"IN": ["us", "them"]}}],
    [{"LOWER": {"IN": ["manager", "managers"]}}, {"LOWER": "and"}, {"LOWER": {"IN": ["all", "the"]}, "OP": "*"}, {"LOWER": {"IN": ["staff", "team", "carers", "everyone"]}}],
    [{"LOWER": "both"}, {"LOWER": {"IN": ["staff", "manager", "managers"]}}, {"LOWER": "and"}],
    [{"LOWER": {"IN": ["whole", "entire"]}}, {"LOWER": {"IN": ["team", "staff", "home"]}}],
]

MFA_PHRASES = [
    "authenticator", "authenticator app", "mfa", "2fa", "multi factor", "multi-factor",
    "two factor", "two-factor", "verification code", "security code", "new phone",
    "new mobile", "changed my phone", "changed phone", "lost my phone", "new number",
    "changed my number", "text code",
]


def build_patterns() -> List[Dict[str, Any]]:
    """All EntityRuler patterns, dialogue and personal-data ones."""
    patterns: List[Dict[str, Any]] = []
    patterns += _lower_phrases("org_type", ORG_TYPE_PHRASES)
    patterns += _lemma_phrases("org_type", ["pharmacy", "chemist", "care home", "nursing home"])
    patterns += [{"label": "account_scope", "pattern": p} for p in ACCOUNT_SCOPE_PATTERNS]
    patterns += _lower_phrases("mfa", MFA_PHRASES)
    patterns += [
        {"label": "EMAIL", "pattern": [{"LIKE_EMAIL": True}]},
        # one run of digits: mobile or landline, national or +44
        {"label": "UK_PHONE", "pattern": [{"TEXT": {"REGEX": r"^(?:\+44|0)\d{9,10}$"}}]},
        # two groups: mobile style
        {"label": "UK_PHONE", "pattern": [{"TEXT": {"REGEX": _PHONE_START}}, {"TEXT": {"REGEX": r"^\d{6,7}$"}}]},
        # three groups: landline style
        {"label": "UK_PHONE", "pattern": [{"TEXT": {"REGEX": _PHONE_START}}, {"TEXT": {"REGEX": _PHONE_GROUP}}, {"TEXT": {"REGEX": _PHONE_GROUP}}]},
        # the same after a separate +44
        {"label": "UK_PHONE", "pattern": [{"TEXT": "+44"}, {"TEXT": {"REGEX": r"^\d{2,4}$"}}, {"TEXT": {"REGEX": r"^\d{6,7}$"}}]},
        {"label": "UK_PHONE", "pattern": [{"TEXT": "+44"}, {"TEXT": {"REGEX": r"^\d{2,4}$"}}, {"TEXT": {"REGEX": _PHONE_GROUP}}, {"TEXT": {"REGEX": _PHONE_GROUP}}]},
        # Site ODS codes: 5 characters starting with V. Upper case, or with a
        # digit, so that words like "video" are not taken for one.
        {"label": "ODS_CODE", "pattern": [{"TEXT": {"REGEX": r"^V[A-Z0-9]{4}$"}}]},
        {"label": "ODS_CODE", "pattern": [{"TEXT": {"REGEX": r"^[vV](?=[a-zA-Z0-9]*\d)[a-zA-Z0-9]{4}$"}}]},
    ]
    return patterns
