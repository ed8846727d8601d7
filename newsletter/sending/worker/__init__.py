"""One worker of a send, as one room: everything a worker process runs, and nothing else.

Follow one message through it:

* :mod:`.work` reads the run (its decision included), registers the worker and takes
  slices; for each queued row it hands a job to the pool;
* :mod:`.pool`: the send threads. Each waits for :mod:`.rate` (its slot of the run's rate
  clock, shared by every worker of the run) and :mod:`.budget` (the 24-hour quota), asks
  :mod:`.writer` to claim the row (committed ``sending`` through :mod:`.driver`, the
  per-message statements on the raw cursor), builds the message and calls the transport,
  then hands the result to the writer;
* :mod:`.heartbeat` keeps the worker's (and the run's) heartbeat; :mod:`.tally` counts
  outcomes; :mod:`.stop` is the signal every thread watches; :mod:`.backoff` spaces retries.

The planner (``sending/run.py``), the ledger (``sending/ledger.py``) and the transports sit
outside; this package imports nothing from the planner.
"""
