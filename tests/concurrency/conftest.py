"""Two real server processes per database, shared by this package; each test has its own
tenant (isolation by tenant, as in production)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.concurrency.procs import Proc, running
from tests.conftest import BACKENDS, fresh_database


@dataclass
class Cluster:
    url: str
    schema: str | None
    procs: list[Proc]


@pytest.fixture(scope="package", params=BACKENDS)
def cluster(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Starting servers per test would dominate the time; tenants keep tests apart."""
    folder = tmp_path_factory.mktemp("conc")
    url, schema = fresh_database(str(request.param), request, folder)
    with running(url, schema, folder, count=2) as procs:
        yield Cluster(url, schema, procs)
