"""A postal address for test settings that lint accepts (it names no real sender)."""

from __future__ import annotations

TEST_POSTAL_ADDRESS = "AI Daily Ltd, 8 Harbour Street, Leith"
