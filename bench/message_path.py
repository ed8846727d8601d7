"""What one message passes through: the project's modules and types on the per-message path.

A send of ``--messages`` recipients (SQLite, the in-memory transport, one worker, a rate so
that the rate limiter is on the path) runs under a profiler hook on every thread; a function
of the project that runs at least once per message is on the per-message path. It is
counted by module and by type (the class its code belongs to, read from the qualified name).

    .venv/bin/python -m bench.message_path [--messages 200]

Run it from another checkout (``cd /tmp/before && python -m bench.message_path``) to compare
two versions: it uses only what both have (the seed of ``bench/send_bench.py``,
``send_issue``, ``MemoryTransport``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

from bench.send_bench import DATE, seed, settings_for
from newsletter import db
from newsletter.sending import SendOptions, send_issue
from newsletter.transport.memory import MemoryTransport


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    root = str(Path(db.__file__).resolve().parent)
    calls: Counter[tuple[str, str]] = Counter()
    lock = threading.Lock()

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        code = frame.f_code
        if not code.co_filename.startswith(root):
            return
        module = frame.f_globals.get("__name__", "?")
        with lock:
            calls[(module, code.co_qualname)] += 1

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/path.db"
        seed(url, args.messages)
        engine = db.make_engine(url)
        settings = settings_for(url)
        transport = MemoryTransport()
        options = SendOptions(date=DATE, rate=100_000.0, concurrency=4)
        threading.setprofile(hook)
        sys.setprofile(hook)
        try:
            report = send_issue(engine, settings, transport, options=options)
        finally:
            sys.setprofile(None)
            threading.setprofile(None)
        assert report.sent == args.messages, report
    per_message = {key for key, n in calls.items() if n >= args.messages}
    modules = sorted({m for m, _ in per_message})
    # A method's qualified name is Class.method (a nested function's holds ".<locals>.").
    owners = {(m, q.split(".<locals>")[0]) for m, q in per_message}
    types = sorted({f"{m}.{q.rsplit('.', 1)[0]}" for m, q in owners if "." in q})
    print(
        json.dumps(
            {
                "messages": args.messages,
                "modules": len(modules),
                "types": len(types),
                "functions": len(per_message),
                "module_list": modules,
                "type_list": types,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
