"""Email addresses: normalization (email-validator), the hash that outlives erasure, masking.

An address is normalized once, on the way in: the domain is lower-cased and IDNA-normalized
(internationalized domains are accepted and kept in their Unicode form), the local part keeps
its case. Identity is the hash of the lower-cased normalized address, so ``Reader@example.com``
and ``reader@EXAMPLE.com`` are one person. No DNS lookups are made.
"""

from __future__ import annotations

import hashlib
import re

from email_validator import EmailNotValidError, validate_email

from newsletter.errors import InputError

# Something that looks like an address: used only to tell "two addresses in one field" apart
# from other invalid input, so the operator gets the reason they can act on.
_ADDRESS_LIKE = re.compile(r"[^\s,;<>\"'()]+@[^\s,;<>\"'()]+")


def normalize_email(raw: str) -> str:
    """The normalized form of ``raw`` (surrounding whitespace ignored).

    Raises :class:`~newsletter.errors.InputError` naming the problem: empty, two addresses,
    or what email-validator found wrong. Never touches the network.
    """
    text = raw.strip()
    if not text:
        raise InputError("empty address")
    if len(_ADDRESS_LIKE.findall(text)) > 1:
        raise InputError("two addresses in one field")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InputError(f"invalid address: {exc}") from None
    return str(result.normalized)


def email_hash(normalized: str) -> str:
    """SHA-256 (hex) of the lower-cased normalized address: the identity of a person."""
    return hashlib.sha256(normalized.lower().encode("utf-8")).hexdigest()


def ascii_address(normalized: str) -> str:
    """The address with its domain in IDNA ASCII form, for transports without SMTPUTF8.

    The local part is unchanged (a non-ASCII local part still needs SMTPUTF8).
    """
    try:
        result = validate_email(normalized, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InputError(f"invalid address: {exc}") from None
    return f"{result.local_part}@{result.ascii_domain}"


def mask_email(email: str | None) -> str:
    """A form safe for pages and logs: ``re***@example.com``; ``(erased)`` for no address."""
    if not email:
        return "(erased)"
    local, at, domain = email.rpartition("@")
    if not at:
        return "***"
    keep = 2 if len(local) > 2 else 1
    return f"{local[:keep]}***@{domain}"
