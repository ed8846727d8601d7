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

MAX_NAME_LENGTH = 200
MAX_LANGUAGE_LENGTH = 20

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def strip_controls(text: str, *, keep: str = "") -> str:
    """``text`` without C0/C1 control characters and DEL, except those in ``keep``."""
    if keep:
        return "".join(c for c in text if c in keep or not _CONTROLS.match(c))
    return _CONTROLS.sub("", text)


def checked_name(raw: str) -> str:
    """The name to store: ``raw`` stripped, without control characters (a tab counts as a
    space). :class:`InputError` if too long or spread over several lines."""
    if any(c in raw for c in "\r\n\x85\u2028\u2029"):
        # A name goes into greetings and maybe headers: never let it carry a line break.
        raise InputError("name contains a line break")
    name = strip_controls(raw.replace("\t", " ")).strip()
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(f"name longer than {MAX_NAME_LENGTH} characters")
    return name


def checked_language(raw: str) -> str:
    """``raw`` stripped (a tag such as ``zh-CN``); :class:`InputError` if it is not one."""
    language = raw.strip()
    if len(language) > MAX_LANGUAGE_LENGTH:
        raise InputError(f"language longer than {MAX_LANGUAGE_LENGTH} characters")
    if language and not all(c.isascii() and (c.isalnum() or c in "-_") for c in language):
        raise InputError(f"language {language!r} is not a language tag such as zh-CN")
    return language


def checked_attributes(raw: Mapping[str, str]) -> dict[str, str]:
    """Attributes to store: keys and values without control characters (values keep tabs and
    line breaks); empty ones dropped."""
    attributes: dict[str, str] = {}
    for key, value in raw.items():
        name = strip_controls(key).strip()
        text = strip_controls(value, keep="\t\n").strip()
        if name and text:
            attributes[name] = text
    return attributes
