"""Address normalization, identity hash and masking (no database)."""

from __future__ import annotations

import hashlib

import pytest

from newsletter.audience import ascii_address, email_hash, mask_email, normalize_email
from newsletter.errors import InputError


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("reader@example.com", "reader@example.com"),
        ("  Reader@EXAMPLE.COM \t", "Reader@example.com"),  # domain lowered, local part kept
        ("user@Bücher.Example.com", "user@bücher.example.com"),  # IDN accepted
        ("user@xn--bcher-kva.example.com", "user@bücher.example.com"),  # punycode → Unicode
        ("first.last+tag@example.org", "first.last+tag@example.org"),
    ],
)
def test_normalize_email(raw: str, normalized: str) -> None:
    assert normalize_email(raw) == normalized


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty address"),
        ("   ", "empty address"),
        ("a@example.com, b@example.com", "two addresses in one field"),
        ("a@example.com;b@example.org", "two addresses in one field"),
        ("a@example.com b@example.org", "two addresses in one field"),
        ("no-at-sign.example.com", "invalid address: An email address must have an @-sign."),
        ("a@example", "invalid address: The part after the @-sign is not valid. It should"),
        ("two words@example.com", "invalid address: The email address contains invalid"),
        ("a@@example.com", "invalid address: The part after the @-sign contains invalid"),
    ],
)
def test_normalize_email_names_the_problem(raw: str, reason: str) -> None:
    with pytest.raises(InputError) as info:
        normalize_email(raw)
    assert str(info.value).startswith(reason)


def test_email_hash_is_sha256_of_the_lowercased_address() -> None:
    expected = hashlib.sha256(b"reader@example.com").hexdigest()
    assert email_hash("Reader@example.com") == expected
    assert email_hash(normalize_email("READER@Example.COM")) == expected
    assert email_hash("reader@example.org") != expected
    # An IDN address in either spelling is one person.
    assert email_hash(normalize_email("u@xn--bcher-kva.example.com")) == email_hash(
        normalize_email("U@BÜCHER.example.com")
    )


def test_ascii_address_for_transports_without_smtputf8() -> None:
    assert ascii_address("user@bücher.example.com") == "user@xn--bcher-kva.example.com"
    assert ascii_address("reader@example.com") == "reader@example.com"


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("reader@example.com", "re***@example.com"),
        ("ab@example.com", "a***@example.com"),
        ("a@example.com", "a***@example.com"),
        ("not-an-address", "***"),
        ("", "(erased)"),
    ],
)
def test_mask_email(email: str, masked: str) -> None:
    assert mask_email(email) == masked
