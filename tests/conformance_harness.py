"""SCIM 2.0 conformance harness: run every scim2-tester check against a live server.

This is a helper module, not a test module. A test starts the SCIM server on a
loopback port, calls :func:`run_conformance` and asserts on the returned
:class:`ConformanceReport`, e.g.::

    report = run_conformance("http://127.0.0.1:18765/scim/v2", token)
    print(report.summary())
    assert report.ok, report.details()

How scim2-tester is driven
--------------------------
* The HTTP transport is an ``httpx.Client`` with ``base_url`` and an
  ``Authorization: Bearer <token>`` header, wrapped by :class:`HttpxSCIMClient`,
  a :class:`scim2_client.BaseSyncSCIMClient` engine defined below. scim2-client
  0.13.2 only ships an engine for the separate ``httpx2`` distribution
  (``scim2_client.engines.httpx2``), which Tessera does not install; this engine is
  the same ~20 lines written against ``httpx`` (already a Tessera dependency).
* ``client.discover()`` is deliberately NOT called: ``check_server`` queries and
  checks ``/ServiceProviderConfig``, ``/ResourceTypes`` and ``/Schemas`` itself and
  builds the resource models from what the server publishes. Pre-discovering would
  make it skip that composition and would raise (instead of reporting) on a broken
  discovery endpoint.
* Every check is enabled: ``raise_exceptions=False`` (so one failure does not abort
  the run), no ``include_tags``/``exclude_tags`` and no ``resource_types`` filter
  (every resource type the server publishes is exercised).
* ``core_schemas_validation`` ships in scim2-tester 0.5.2 but ``check_server`` never
  calls it; it is run as well (``include_unwired_checks=True``, the default).

What counts as what
-------------------
* **passed**: ``Status.SUCCESS``, ``Status.COMPLIANT`` or ``Status.ACCEPTABLE``.
* **failed**: ``Status.ERROR``, ``Status.CRITICAL`` and also ``Status.DEVIATION``
  (a SHOULD-level deviation is not a pass for a conformance gate; 0.5.2 emits none),
  plus any status this module does not know (fail closed).
* **skipped**: ``Status.SKIPPED``. With no tag filter, scim2-tester only skips when
  the server gives it nothing to test (no suitable attribute, ``patch.supported`` is
  false, ``POST /.search`` answered 501). A skip is therefore *not* a pass:
  ``total == passed + len(failed) + len(skipped)`` and :attr:`ConformanceReport.ok`
  requires ``passed == total`` (so no failure and no skip) and ``total > 0``.

One scim2-tester "check" is one :class:`scim2_tester.CheckResult`. Several checkers
emit one result per item (per HTTP method, per schema, per resource type, per PATCH
path), so the total depends on the schemas and resource types the server publishes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import httpx
from scim2_client import BaseSyncSCIMClient, RequestNetworkException
from scim2_client.client import RawResponse
from scim2_tester import CheckConfig, CheckResult, Status, check_server
from scim2_tester.checkers import core_schemas_validation
from scim2_tester.utils import CheckContext

__all__ = [
    "FAILED_STATUSES",
    "PASSED_STATUSES",
    "SKIPPED_STATUSES",
    "ConformanceReport",
    "HttpxSCIMClient",
    "run_conformance",
]

PASSED_STATUSES: frozenset[Status] = frozenset(
    {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
)
SKIPPED_STATUSES: frozenset[Status] = frozenset({Status.SKIPPED})
FAILED_STATUSES: frozenset[Status] = frozenset({Status.DEVIATION, Status.ERROR, Status.CRITICAL})

TESTER_DISTRIBUTION = "scim2-tester"
DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass
class ConformanceReport:
    """Outcome of one scim2-tester run.

    ``failed`` and ``skipped`` hold one ``"title [ResourceType]: reason"`` line per
    check (the resource type part only for per-resource-type checks).
    ``results`` keeps the raw :class:`scim2_tester.CheckResult` objects for debugging.
    """

    total: int
    passed: int
    failed: list[str]
    skipped: list[str]
    tester_version: str = field(default_factory=lambda: version(TESTER_DISTRIBUTION))
    results: list[CheckResult] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        """True only if checks ran and every one of them passed (no failure, no skip)."""
        return self.total > 0 and self.passed == self.total

    def summary(self) -> str:
        """One line, e.g. ``scim2-tester 0.5.2: 143 checks run, 143 passed, 0 failed, 0 skipped``.

        The tail (``N passed, N failed, N skipped``) is also CI's plain closing-line form.
        """
        return (
            f"{TESTER_DISTRIBUTION} {self.tester_version}: {self.total} checks run, "
            f"{self.passed} passed, {len(self.failed)} failed, {len(self.skipped)} skipped"
        )

    def details(self) -> str:
        """The summary followed by every failed and skipped check, one per line."""
        lines = [self.summary()]
        lines += [f"FAILED  {line}" for line in self.failed]
        lines += [f"SKIPPED {line}" for line in self.skipped]
        return "\n".join(lines)


@contextmanager
def _network_errors() -> Iterator[None]:
    try:
        yield
    except httpx.RequestError as exc:
        scim_exc = RequestNetworkException()
        scim_exc.add_note(str(exc))
        raise scim_exc from exc


class HttpxSCIMClient(BaseSyncSCIMClient):
    """scim2-client sync engine over an ``httpx.Client`` (mirrors ``engines.httpx2``)."""

    def __init__(self, client: httpx.Client, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        base_url = self.client.base_url
        if not base_url.is_absolute_url:
            return False
        try:
            url = self.client.build_request("GET", endpoint).url
        except httpx.InvalidURL:
            return False
        return (
            url.scheme == base_url.scheme
            and url.netloc == base_url.netloc
            and url.raw_path.startswith(base_url.raw_path)
        )

    def _parse_json(self, response: RawResponse) -> Any:
        assert isinstance(response, httpx.Response)
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        with _network_errors():
            return self.client.request(method, url, **kwargs)


def _label(result: CheckResult) -> str:
    title = result.title or "<untitled check>"
    if result.resource_type:
        title = f"{title} [{result.resource_type}]"
    reason = (result.reason or "no reason given").strip().replace("\n", " | ")
    return f"{title}: {reason}"


def build_report(results: list[CheckResult]) -> ConformanceReport:
    """Classify scim2-tester results (see the module docstring for the rules)."""
    passed = 0
    failed: list[str] = []
    skipped: list[str] = []
    for result in results:
        if result.status in PASSED_STATUSES:
            passed += 1
        elif result.status in SKIPPED_STATUSES:
            skipped.append(_label(result))
        else:  # FAILED_STATUSES, or an unknown status: fail closed
            failed.append(f"{_label(result)} ({result.status.name})")
    return ConformanceReport(
        total=len(results), passed=passed, failed=failed, skipped=skipped, results=results
    )


def run_conformance(
    base_url: str,
    token: str,
    *,
    include_unwired_checks: bool = True,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> ConformanceReport:
    """Run every scim2-tester check against base_url with a bearer token.

    ``base_url`` is the SCIM root (the URL under which ``/ServiceProviderConfig``,
    ``/Users``... live), e.g. ``http://127.0.0.1:18765/scim/v2``. The checks create,
    modify and delete real resources on that server (each check deletes what it
    created, best effort). Network errors are reported as failed checks, not raised.
    """
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/scim+json, application/json",
    }
    with httpx.Client(base_url=base_url, headers=headers, timeout=timeout) as http:
        client = HttpxSCIMClient(http)
        results: list[CheckResult] = list(
            check_server(
                client,
                raise_exceptions=False,
                include_tags=None,
                exclude_tags=None,
                resource_types=None,
            )
        )
        if include_unwired_checks:
            context = CheckContext(client, CheckConfig(raise_exceptions=False))
            results.extend(core_schemas_validation(context))
    return build_report(results)


if __name__ == "__main__":  # manual use: python tests/conformance_harness.py URL TOKEN
    import sys

    report = run_conformance(sys.argv[1], sys.argv[2])
    print(report.details())
    sys.exit(0 if report.ok else 1)
