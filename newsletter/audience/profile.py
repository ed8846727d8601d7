"""The optional personal fields of a subscriber: name and language, checked on the way in."""

from __future__ import annotations

from newsletter.errors import InputError

MAX_NAME_LENGTH = 200
MAX_LANGUAGE_LENGTH = 20


def clean_name(raw: str) -> str:
    """``raw`` stripped; :class:`InputError` if too long or spread over several lines."""
    name = raw.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(f"name longer than {MAX_NAME_LENGTH} characters")
    if any(c in name for c in "\r\n"):
        # A name goes into greetings and maybe headers: never let it carry a line break.
        raise InputError("name contains a line break")
    return name


def clean_language(raw: str) -> str:
    """``raw`` stripped (a tag such as ``zh-CN``); :class:`InputError` if it is not one."""
    language = raw.strip()
    if len(language) > MAX_LANGUAGE_LENGTH:
        raise InputError(f"language longer than {MAX_LANGUAGE_LENGTH} characters")
    if language and not all(c.isascii() and (c.isalnum() or c in "-_") for c in language):
        raise InputError(f"language {language!r} is not a language tag such as zh-CN")
    return language
