"""One live server per provider module and database; tests get a fresh tenant each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import BACKENDS, fresh_database
from tests.idp.harness import Server
from tests.live_server import live_server


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Starting uvicorn per test would dominate the suite's time; tenants isolate tests."""
    url, schema = fresh_database(str(request.param), request, tmp_path_factory.mktemp("idp"))
    with live_server(url, schema) as base:
        yield Server(url, schema, base)
