"""A sent sample message through SpamAssassin (Debian's, local rules only: ``-L -t``).

No rule may add more than 0.1 points except the ones listed below, each with the reason it
is accepted. The message is the real send's (file transport), before any relay.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from sqlalchemy import Engine

from newsletter.settings import Settings
from tests.support.sent_sample import Reader, send_sample

#: Rules allowed to score more than 0.1, and why.
ACCEPTED = {
    # The subject is Chinese; its only Latin letters are "AI", so SpamAssassin, which knows
    # no case for CJK characters, takes the whole subject for capitals.
    "SUBJ_ALL_CAPS": "a CJK subject whose only Latin letters are the capitals of 'AI'",
}
#: Rules that must not fire at all (each was seen on an earlier version of the email).
NEVER = ("HTML_FONT_LOW_CONTRAST", "HTML_FONT_SIZE_TINY", "TINY_FONT", "MIME_HTML_ONLY")
MAX_POINTS = 0.1
_RULE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$")


def _spamassassin() -> str:
    path = shutil.which("spamassassin")
    if path is None:
        pytest.fail("spamassassin is missing: run `make spamassassin` (apt-get install)")
    return path


def _rules(report: str) -> dict[str, float]:
    details = report.split("Content analysis details:", 1)
    assert len(details) == 2, report[-2000:]
    rules = {}
    for line in details[1].splitlines():
        m = _RULE.match(line)
        if m:
            rules[m[2]] = float(m[1])
    return rules


def test_no_rule_scores_more_than_a_tenth_except_the_listed(
    engine: Engine, settings: Settings
) -> None:
    binary = _spamassassin()
    (message,) = send_sample(engine, settings, [Reader("alice@example.com", "Alice Wang", "zh")])
    result = subprocess.run(
        [binary, "-L", "-t"], input=message.raw, capture_output=True, timeout=300, check=False
    )
    report = result.stdout.decode("utf-8", "replace")
    rules = _rules(report)
    assert rules, report[-2000:]
    scored = {rule: points for rule, points in rules.items() if points > MAX_POINTS}
    assert set(scored) <= set(ACCEPTED), scored
    for rule in NEVER:
        assert rule not in rules, rule
    assert sum(rules.values()) < 1.0, rules
