"""Helpers shared by the tests (and the demo): free ports, the local AWS (moto's server),
outbox readers, certificates and SNS signing, factories for subscribers and issues.

Fixtures live in the conftest.py files and call into these modules; tests import helpers
from here, never from a conftest.
"""
