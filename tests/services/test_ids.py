"""Resource ids are UUIDv7: valid UUIDs whose order follows creation time."""

from __future__ import annotations

import time
import uuid

from backend.services.context import new_id


def test_ids_are_version_7_uuids_ordered_by_creation_time() -> None:
    first = new_id()
    time.sleep(0.002)  # a later millisecond
    later = [new_id() for _ in range(100)]
    parsed = uuid.UUID(first)
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert all(first < other for other in later)  # the string order is the time order
    assert len(set(later)) == 100
    millis = int(first.replace("-", "")[:12], 16)
    assert abs(millis - time.time() * 1000) < 60_000
