"""Helpers shared by tests (never import from a conftest)."""
