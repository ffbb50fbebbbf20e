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

DIALOGUE_LABELS = ("org_type", "account_scope", "mfa", "other_system", "device")
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
    "social care",
    "care home",
    "nursing home",
    "residential home",
    "home care",
    "domiciliary care",
    "care agency",
    "care provider",
    "pharmacy",
    "pharmacist",
    "chemist",
    "community pharmacy",
    "gp practice",
    "gp surgery",
    "dental practice",
    "dentist",
    "optician",
    "hospice",
    "dental surgery",
    "dentists",
    "opticians",
    "optometrist",
    "doctors surgery",
    "supported living",
]

# "all the staff accounts", "every linked account", "nobody can", "no one"...
ACCOUNT_SCOPE_PATTERNS: List[List[Dict[str, Any]]] = [
    [
        {"LOWER": {"IN": ["all", "every"]}},
        {
            "LOWER": {
                "IN": [
                    "the",
                    "our",
                    "of",
                    "linked",
                    "staff",
                    "user",
                    "users",
                    "individual",
                    "its",
                    "their",
                ]
            },
            "OP": "*",
        },
        {"LEMMA": {"IN": ["account", "user", "login", "staff"]}},
    ],
    [{"LOWER": {"IN": ["nobody", "noone", "everyone", "everybody"]}}],
    [{"LOWER": "no"}, {"LOWER": "one"}],
    [{"LOWER": "none"}, {"LOWER": "of"}, {"LOWER": {"IN": ["us", "them", "our", "the"]}}],
    [{"LOWER": "all"}, {"LOWER": "of"}, {"LOWER": {"IN": ["us", "them"]}}],
    [
        {"LOWER": {"IN": ["manager", "managers"]}},
        {"LOWER": "and"},
        {"LOWER": {"IN": ["all", "the"]}, "OP": "*"},
        {"LOWER": {"IN": ["staff", "team", "carers", "everyone"]}},
    ],
    [{"LOWER": "both"}, {"LOWER": {"IN": ["staff", "manager", "managers"]}}, {"LOWER": "and"}],
    [{"LOWER": {"IN": ["whole", "entire"]}}, {"LOWER": {"IN": ["team", "staff", "home"]}}],
    # "both of us who had access", "no working logins", "none of our accounts"
    [{"LOWER": "both"}, {"LOWER": "of"}, {"LOWER": {"IN": ["us", "them"]}}],
    [
        {"LOWER": {"IN": ["no", "none"]}},
        {"LOWER": {"IN": ["working", "of", "more"]}, "OP": "?"},
        {"LOWER": {"IN": ["our", "the", "its"]}, "OP": "?"},
        {"LOWER": {"IN": ["logins", "accounts", "log-ins", "users", "emails"]}},
    ],
    [
        {"LOWER": "every"},
        {"LOWER": "single"},
        {"LEMMA": {"IN": ["account", "login", "user", "one"]}},
    ],
    [
        {"LOWER": {"IN": ["every", "each"]}},
        {"LOWER": "one"},
        {"LOWER": "of"},
        {"LOWER": {"IN": ["them", "us", "our", "the"]}},
    ],
    [
        {"LOWER": "only"},
        {"LIKE_NUM": True, "OP": "?"},
        {"LOWER": {"IN": ["people", "person", "ones", "staff"]}},
        {"LOWER": "with"},
        {"LOWER": {"IN": ["accounts", "access", "logins", "an", "a"]}},
    ],
]

MFA_PHRASES = [
    "authenticator",
    "authenticator app",
    "mfa",
    "2fa",
    "multi factor",
    "multi-factor",
    "two factor",
    "two-factor",
    "verification code",
    "security code",
    "new phone",
    "new mobile",
    "changed my phone",
    "changed phone",
    "lost my phone",
    "new number",
    "changed my number",
    "text code",
]


# Systems, apps and accounts a care home's staff use that are not NHSmail.
# Drawn up from what care homes run: digital care records and eMAR, rota,
# HR and payroll, training, the building's own codes, NHS services that are
# not NHSmail, and personal accounts. A message that names one of them and
# not NHSmail gets the out-of-scope answer (nlp/scope_guard.py).
OTHER_SYSTEM_PHRASES = [
    # the home's network and building
    "wifi",
    "wi-fi",
    "wi fi",
    "wireless",
    "router",
    "broadband",
    "internet",
    "hotspot",
    "door code",
    "keypad",
    "key pad",
    "key code",
    "keycode",
    "key safe",
    "keysafe",
    "alarm code",
    "fob",
    "key fob",
    "cctv",
    "nurse call",
    "call bell",
    "safe code",
    "padlock",
    "lock box",
    "lockbox",
    "medication fridge",
    # care records, eMAR, monitoring
    "emar",
    "e-mar",
    "e mar",
    "mar chart",
    "mar charts",
    "medication system",
    "medication app",
    "meds app",
    "medicines app",
    "med app",
    "medication software",
    "care planning software",
    "care planning app",
    "care planning system",
    "care plan app",
    "care plan system",
    "care records app",
    "care record system",
    "care app",
    "care software",
    "digital care records",
    "digital care record",
    "person centred software",
    "mobile care monitoring",
    "nourish",
    "log my care",
    "logmycare",
    "caredocs",
    "care docs",
    "birdie",
    "access care planning",
    "care control",
    "carecontrol",
    "careline",
    "coolcare",
    "cool care",
    "mcare",
    "atlas emar",
    "careblox",
    "whzan",
    "radar healthcare",
    "sekoia",
    # rota, HR, payroll, training
    "rota app",
    "rota system",
    "rotacloud",
    "rota cloud",
    "planday",
    "nursebuddy",
    "staffplan",
    "payroll",
    "payslip",
    "payslips",
    "pay slip",
    "brighthr",
    "bright hr",
    "breathe hr",
    "breathehr",
    "sage",
    "clock in",
    "clocking in",
    "clocking app",
    "time clock",
    "e-learning",
    "elearning",
    "training portal",
    "training app",
    "ihasco",
    "skills for care",
    "social care tv",
    "care certificate",
    "mandatory training",
    "training site",
    "training course",
    "dbs update service",
    "update service",
    "nmc",
    "nmc online",
    "revalidation",
    "pension",
    "pension portal",
    "nest pension",
    "cqc portal",
    "provider portal",
    "hr system",
    "hr app",
    "holiday app",
    "expenses app",
    # NHS and government services that are not NHSmail
    "nhs app",
    "nhs login",
    "smartcard",
    "smart card",
    "dspt",
    "data security and protection toolkit",
    "capacity tracker",
    "esr",
    "electronic staff record",
    "nhs jobs",
    "trac",
    "systmone",
    "emis",
    "summary care record",
    "proxy access",
    "government gateway",
    "gov.uk",
    "hmrc",
    "universal credit",
    "dvla",
    "council tax",
    "tax code",
    # personal accounts and apps
    "gmail",
    "hotmail",
    "yahoo",
    "outlook.com",
    "icloud",
    "apple id",
    "aol",
    "btinternet",
    "google account",
    "google play",
    "app store",
    "personal email",
    "my own email",
    "home email",
    "private email",
    "facebook",
    "instagram",
    "whatsapp",
    "tiktok",
    "twitter",
    "snapchat",
    "linkedin",
    "messenger",
    "netflix",
    "amazon",
    "ebay",
    "paypal",
    "sky",
    "spotify",
    "uber",
    "bank app",
    "banking app",
    "bank card",
    "bank account",
    "online banking",
    "mobile banking",
    "credit card",
    "debit card",
    "card pin",
    "monzo",
    "barclays",
    "lloyds",
    "natwest",
    "santander",
    "halifax",
    "hsbc",
    "nationwide",
    "starling",
    "revolut",
    "xbox",
    "playstation",
    "zoom",
]

# Not listed: words that also name NHSmail matters in a care home ("bank"
# staff, the "deputy" manager, a "passport" or "DBS" for a new starter).
#
# Devices: another system only when the message is about unlocking the
# device itself (nlp/scope_guard.py checks for a lock word and no mail word),
# because "NHSmail on my tablet" is a question about NHSmail.
DEVICE_PHRASES = [
    "tablet",
    "tablets",
    "ipad",
    "ipads",
    "laptop",
    "laptops",
    "computer",
    "computers",
    "pc",
    "desktop",
    "kindle",
    "printer",
    "windows",
    "screen lock",
    "lock screen",
    "phone pin",
    "phone passcode",
    "passcode",
    "handset",
    "work phone",
    "care phone",
    "home phone",
    "ward phone",
]


def build_patterns() -> List[Dict[str, Any]]:
    """All EntityRuler patterns, dialogue and personal-data ones."""
    patterns: List[Dict[str, Any]] = []
    patterns += _lower_phrases("org_type", ORG_TYPE_PHRASES)
    patterns += _lemma_phrases("org_type", ["pharmacy", "chemist", "care home", "nursing home"])
    patterns += [{"label": "account_scope", "pattern": p} for p in ACCOUNT_SCOPE_PATTERNS]
    patterns += _lower_phrases("mfa", MFA_PHRASES)
    patterns += _lower_phrases("other_system", OTHER_SYSTEM_PHRASES)
    patterns += _lower_phrases("device", DEVICE_PHRASES)
    patterns += [
        {"label": "EMAIL", "pattern": [{"LIKE_EMAIL": True}]},
        # one run of digits: mobile or landline, national or +44
        {"label": "UK_PHONE", "pattern": [{"TEXT": {"REGEX": r"^(?:\+44|0)\d{9,10}$"}}]},
        # two groups: mobile style
        {
            "label": "UK_PHONE",
            "pattern": [{"TEXT": {"REGEX": _PHONE_START}}, {"TEXT": {"REGEX": r"^\d{6,7}$"}}],
        },
        # three groups: landline style
        {
            "label": "UK_PHONE",
            "pattern": [
                {"TEXT": {"REGEX": _PHONE_START}},
                {"TEXT": {"REGEX": _PHONE_GROUP}},
                {"TEXT": {"REGEX": _PHONE_GROUP}},
            ],
        },
        # the same after a separate +44
        {
            "label": "UK_PHONE",
            "pattern": [
                {"TEXT": "+44"},
                {"TEXT": {"REGEX": r"^\d{2,4}$"}},
                {"TEXT": {"REGEX": r"^\d{6,7}$"}},
            ],
        },
        {
            "label": "UK_PHONE",
            "pattern": [
                {"TEXT": "+44"},
                {"TEXT": {"REGEX": r"^\d{2,4}$"}},
                {"TEXT": {"REGEX": _PHONE_GROUP}},
                {"TEXT": {"REGEX": _PHONE_GROUP}},
            ],
        },
        # Site ODS codes: 5 characters starting with V. Upper case, or with a
        # digit, so that words like "video" are not taken for one.
        {"label": "ODS_CODE", "pattern": [{"TEXT": {"REGEX": r"^V[A-Z0-9]{4}$"}}]},
        {
            "label": "ODS_CODE",
            "pattern": [{"TEXT": {"REGEX": r"^[vV](?=[a-zA-Z0-9]*\d)[a-zA-Z0-9]{4}$"}}],
        },
    ]
    return patterns
