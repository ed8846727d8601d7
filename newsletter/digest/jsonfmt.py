"""Parser for the JSON digest format: one digest object, a list of them, or {"digests": [...]}.

The schema is :class:`newsletter.digest.model.Digest` (see the README).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import TypeAdapter, ValidationError

from newsletter.digest.model import Digest
from newsletter.errors import InputError

_DIGESTS = TypeAdapter(list[Digest])


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


def parse_json(text: str, *, source: str, date: dt.date | None = None) -> list[Digest]:
    """Validate a JSON digest document; errors name the JSON line or the field path."""
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", source=source, line=exc.lineno) from None
    if isinstance(doc, dict) and "digests" in doc:
        doc = doc["digests"]
    elif isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list) or not doc:
        raise InputError("not a digest: expected an object or a non-empty list", source=source)
    if date is not None and len(doc) == 1 and isinstance(doc[0], dict):
        doc = [{**doc[0], "date": date.isoformat()}]
    try:
        digests = _DIGESTS.validate_python(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"][1:] if len(doc) == 1 else err["loc"]
        raise InputError(f"{_where(tuple(loc))}: {err['msg']}", source=source) from None
    if date is not None and len(digests) > 1:
        digests = [d for d in digests if d.date == date]
        if not digests:
            raise InputError(f"no digest for {date.isoformat()} in the file", source=source)
    return digests
