"""The free text stored about a subscriber (name, language, attributes), checked on the way in.

Control characters (C0, DEL, C1: NUL, terminal escape sequences, ...) are removed from every
stored text: PostgreSQL refuses NUL, and an escape sequence typed into the public form would
otherwise reach the operator's terminal. A line break in a name is refused (a name goes into
greetings); attributes keep tabs and line breaks, which mean something there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from newsletter.errors import InputError
from newsletter.text import breaks_lines, clean_line, clean_text, remove_controls

MAX_NAME_LENGTH = 200
MAX_LANGUAGE_LENGTH = 20

#: ISO 639-1: the two-letter language codes (a tag's first subtag must be one of them).
ISO_639_1 = frozenset(
    [
        "aa",
        "ab",
        "ae",
        "af",
        "ak",
        "am",
        "an",
        "ar",
        "as",
        "av",
        "ay",
        "az",
        "ba",
        "be",
        "bg",
        "bh",
        "bi",
        "bm",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "ce",
        "ch",
        "co",
        "cr",
        "cs",
        "cu",
        "cv",
        "cy",
        "da",
        "de",
        "dv",
        "dz",
        "ee",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "ff",
        "fi",
        "fj",
        "fo",
        "fr",
        "fy",
        "ga",
        "gd",
        "gl",
        "gn",
        "gu",
        "gv",
        "ha",
        "he",
        "hi",
        "ho",
        "hr",
        "ht",
        "hu",
        "hy",
        "hz",
        "ia",
        "id",
        "ie",
        "ig",
        "ii",
        "ik",
        "io",
        "is",
        "it",
        "iu",
        "ja",
        "jv",
        "ka",
        "kg",
        "ki",
        "kj",
        "kk",
        "kl",
        "km",
        "kn",
        "ko",
        "kr",
        "ks",
        "ku",
        "kv",
        "kw",
        "ky",
        "la",
        "lb",
        "lg",
        "li",
        "ln",
        "lo",
        "lt",
        "lu",
        "lv",
        "mg",
        "mh",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "na",
        "nb",
        "nd",
        "ne",
        "ng",
        "nl",
        "nn",
        "no",
        "nr",
        "nv",
        "ny",
        "oc",
        "oj",
        "om",
        "or",
        "os",
        "pa",
        "pi",
        "pl",
        "ps",
        "pt",
        "qu",
        "rm",
        "rn",
        "ro",
        "ru",
        "rw",
        "sa",
        "sc",
        "sd",
        "se",
        "sg",
        "si",
        "sk",
        "sl",
        "sm",
        "sn",
        "so",
        "sq",
        "sr",
        "ss",
        "st",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "ti",
        "tk",
        "tl",
        "tn",
        "to",
        "tr",
        "ts",
        "tt",
        "tw",
        "ty",
        "ug",
        "uk",
        "ur",
        "uz",
        "ve",
        "vi",
        "vo",
        "wa",
        "wo",
        "xh",
        "yi",
        "yo",
        "za",
        "zh",
        "zu",
    ]
)
#: language[-Script][-REGION]: zh, zh-CN, zh-Hans, zh-Hans-CN, en-GB, es-419 (any case).
_TAG = re.compile(
    r"(?P<lang>[A-Za-z]{2})(?:[-_][A-Za-z]{4})?(?:[-_](?:[A-Za-z]{2}|[0-9]{3}))?", re.ASCII
)


def checked_name(raw: str) -> str:
    """The name to store: ``raw`` as one line (:func:`~newsletter.text.clean_line`: no
    control characters, a run of spaces or tabs is one space). :class:`InputError` if too
    long or spread over several lines."""
    if breaks_lines(raw.replace("\x00", "")):  # a NUL is removed (below), not refused
        # A name goes into greetings and maybe headers: never let it carry a line break.
        raise InputError("name contains a line break")
    name = clean_line(raw)
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(f"name longer than {MAX_NAME_LENGTH} characters")
    return name


def checked_language(raw: str) -> str:
    """``raw`` stripped (a tag such as ``zh-CN``; empty: none); :class:`InputError` if it is
    not a language tag: an ISO 639-1 language, then optionally a script and a region
    (``xx-invalid`` and ``english`` are refused)."""
    language = raw.strip()
    if len(language) > MAX_LANGUAGE_LENGTH:
        raise InputError(f"language longer than {MAX_LANGUAGE_LENGTH} characters")
    if not language:
        return ""
    found = _TAG.fullmatch(language)
    if found is None or found["lang"].lower() not in ISO_639_1:
        shown = remove_controls(language)
        raise InputError(f"language {shown!r} is not a language tag such as zh-CN or en")
    return language


def checked_attributes(raw: Mapping[str, str]) -> dict[str, str]:
    """Attributes to store: keys and values without control characters (values keep tabs and
    line breaks); empty ones dropped."""
    attributes: dict[str, str] = {}
    for key, value in raw.items():
        name = remove_controls(key).strip()
        text = clean_text(value).strip()
        if name and text:
            attributes[name] = text
    return attributes
