"""Garbage-collector thresholds for the server process.

CPython's default collects the young generation every 700 net allocations, and every tenth
young pass also walks the middle generation. A GraphQL page (100 groups with 20 members each)
builds objects for every edge, node and resolved field, thousands per page, so at the default
the collector runs many times per page and re-walks what the other in-flight requests hold.
A young threshold of 50,000 keeps the generational scheme with far fewer passes. Measured with
the bench's GraphQL probe query, 200 requests at concurrency 8 on a 1,000-user directory, two
runs each (docs/performance.md): server CPU per request 82-83 ms at the default, 68 ms with
this, p50 640 -> 540 ms; gc.freeze() alone changed nothing measurable.
"""

from __future__ import annotations

import gc
from typing import Final

YOUNG_THRESHOLD: Final = 50_000
# Collections of each generation before the next one is collected (CPython's default is 10).
OLDER_THRESHOLD: Final = 20


def tune_for_serving() -> None:
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
