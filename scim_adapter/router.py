"""HTTP plumbing of the SCIM door: auth, body limits, JSON, errors -> one SCIM response shape.

Mounted under ``/api/v1/{tenant}/integrations/{integration_id}/scim/v2``. Routing inside the
SCIM base is done by :func:`scim_adapter.handlers.resolve`, so unknown routes (404) and wrong
methods (405 + ``Allow``) answer with SCIM error bodies too.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette._utils import get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.config import Settings
from backend.domain import limits as input_limits
from backend.domain.models import Door
from backend.services.context import Clock, IdFactory, ServiceContext, new_id, utc_now
from backend.services.deletion_guard import GuardPolicy
from backend.services.rate_limit import RateLimiter
from backend.services.request_log import Entry, RequestLog, Retention
from scim_adapter import openapi
from scim_adapter.auth import actor_for
from scim_adapter.bulk import run_bulk
from scim_adapter.discovery import ServiceLimits
from scim_adapter.errors import SCIM_CONTENT_TYPE, ScimError, to_scim
from scim_adapter.handlers import Call, Result, dispatch
from scim_adapter.mapping import Urls
from scim_adapter.request_summary import summarize

log = logging.getLogger(__name__)


PREFIX = "/api/v1/{tenant}/integrations/{integration_id}/scim/v2"
# PREFIX and whatever follows it. ``[\s\S]`` rather than ``.``: an id holding an encoded LF
# (``/Users/a%0Ab``) must reach the SCIM door and get a SCIM 404, not the console's plain one.
_SCIM_PATH = re.compile(
    PREFIX.format(tenant="(?P<tenant>[^/]+)", integration_id="(?P<integration_id>[^/]+)")
    + r"(?:/(?P<rest>[\s\S]*))?")
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class ScimDoor:
    """The SCIM door: ``router`` holds its one FastAPI route (GET of the base's
    ``openapi.json``); every other request under the base reaches ``endpoint`` through
    :class:`ScimShortcut`."""

    router: APIRouter
    endpoint: Endpoint


class ScimShortcut:
    """Pure ASGI middleware that hands every request under a SCIM base straight to the SCIM
    endpoint, ahead of FastAPI's exception middleware, exit stack and route matching.

    Those layers do nothing for SCIM (the endpoint reads everything from the request and
    answers every error itself) and cost about a tenth of the server's CPU per SCIM request
    (py-spy, user deletes at C=1). An exception that escapes the endpoint still reaches
    Starlette's ServerErrorMiddleware, outside this one: a plain 500, no traceback."""

    def __init__(self, app: ASGIApp, endpoint: Endpoint) -> None:
        self.app = app
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = _SCIM_PATH.fullmatch(get_route_path(scope))
            if found is not None and not (found["rest"] == "openapi.json"
                                          and scope["method"] == "GET"):
                scope["path_params"] = {"tenant": found["tenant"],
                                        "integration_id": found["integration_id"],
                                        "rest": found["rest"] or ""}
                response = await self.endpoint(Request(scope, receive, send))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def scim_response(status: int, body: dict[str, Any] | None,
                  headers: dict[str, str] | None = None) -> Response:
    content = b"" if body is None or status in (204, 304) else json.dumps(body).encode()
    return Response(content, status_code=status, headers=headers or {},
                    media_type=SCIM_CONTENT_TYPE)


def error_response(err: ScimError) -> Response:
    return scim_response(err.status, err.body(), err.headers)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ScimError(413, f"the request body is larger than {limit} bytes", "tooLarge")
    if declared == "0" or (declared is None and "transfer-encoding" not in request.headers):
        # No body (RFC 9112 §6.3), as on every GET and DELETE: skip the server round trip
        # that reading an empty one costs.
        return b""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ScimError(413, f"the request body is larger than {limit} bytes", "tooLarge")
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN/Infinity: Python accepts them, JSON does not


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _bounded_int(text: str) -> int:
    value = int(text)
    if abs(value) >= 2**63:  # what a database BIGINT holds
        raise ValueError("integer out of range")
    return value


def _parse_json(raw: bytes) -> Any:
    """Strict UTF-8 JSON, then the bounds of :mod:`backend.domain.limits`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScimError(400, "the request body is not valid UTF-8", "invalidSyntax") from None
    if not text.strip():
        return None
    try:
        doc = json.loads(text.removeprefix("\ufeff"), parse_constant=_reject_constant,
                         parse_float=_finite, parse_int=_bounded_int)
    except (ValueError, RecursionError):
        raise ScimError(400, "the request body is not valid JSON", "invalidSyntax") from None
    try:
        input_limits.check_document(doc)
    except input_limits.DocumentTooDeep as exc:
        raise ScimError(400, exc.message, "invalidSyntax") from None
    return doc


def _query(request: Request) -> dict[str, str]:
    query = dict(request.query_params)
    for key, value in query.items():
        input_limits.check_text(key, "a query parameter name", limit=input_limits.MAX_KEY_LENGTH)
        input_limits.check_text(value, f"query parameter {key[:64]}")
    return query


@dataclass
class _Trace:
    """What the request log needs, filled in as the request goes (never a body or header)."""

    body: Any = None
    result_body: dict[str, Any] | None = None


def _rate_limited(wait: float) -> ScimError:
    # Entra and Okta honour Retry-After on 429; whole seconds, at least one.
    return ScimError(429, "too many requests for this integration; retry later",
                     headers={"Retry-After": str(max(1, math.ceil(wait)))})


def _read_only(method: str, path: str) -> bool:
    """GETs and ``POST .search`` change nothing: one read transaction serves the request."""
    return method == "GET" or (method == "POST" and path.rstrip("/").endswith("/.search"))


def build_door(
    settings: Settings, *, clock: Clock | None = None, ids: IdFactory | None = None
) -> ScimDoor:
    """The SCIM 2.0 door; ``clock``/``ids`` (or ``app.state.scim_clock``/``scim_ids``) are
    injectable so tests get deterministic ids and timestamps. ``app.state.request_log_clock``
    ``app.state.scim_auth_clock`` (token expiry) and ``app.state.scim_rate_clock`` (monotonic)
    likewise drive the request log, authentication and the rate limit in tests."""
    limits = ServiceLimits(max_results=settings.max_page_size,
                           bulk_max_operations=settings.bulk_max_operations,
                           bulk_max_payload_size=settings.bulk_max_payload_bytes)
    retention = Retention(settings.request_log_retention_days, settings.request_log_max_rows,
                          settings.request_log_prune_every)
    guard = GuardPolicy(settings.deprovision_guard_percent, settings.deprovision_guard_min_count,
                        timedelta(seconds=settings.deprovision_guard_window_seconds))
    router = APIRouter()

    def helpers(request: Request) -> tuple[RequestLog, RateLimiter]:
        """One request log writer and one rate limiter per app (built on first use, so tests
        can set their clocks on ``app.state`` first)."""
        state = request.app.state
        found: tuple[RequestLog, RateLimiter] | None = getattr(state, "scim_helpers", None)
        if found is None:
            found = state.scim_helpers = (
                RequestLog(state.db, retention,
                           getattr(state, "request_log_clock", None) or utc_now,
                           linger=settings.request_log_linger_ms / 1000),
                RateLimiter(settings.scim_rate_per_second, settings.scim_rate_burst,
                            getattr(state, "scim_rate_clock", None) or time.monotonic))
        return found

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        params = request.path_params
        tenant, integration_id = params["tenant"], params["integration_id"]
        rest = params.get("rest", "")
        request_id = uuid.uuid4().hex
        path = "/" + rest.strip("/") if rest.strip("/") else "/"
        request_log, limiter = helpers(request)
        trace = _Trace()
        try:
            if _read_only(request.method, path):
                async with request.app.state.db.reading():
                    result = await _handle(request, tenant, integration_id, path, limiter,
                                           trace)
            else:
                result = await _handle(request, tenant, integration_id, path, limiter, trace)
            response = scim_response(result.status, result.body, result.headers)
            trace.result_body = result.body
            scim_type = None
        except Exception as exc:
            err = to_scim(exc)
            if err.status >= 500:
                log.exception("SCIM %s %s failed (request %s)", request.method,
                              request.url.path, request_id)
            response, scim_type = error_response(err), err.scim_type
        response.headers["X-Request-Id"] = request_id
        entry = Entry(
            tenant_id=tenant, integration_id=integration_id, request_id=request_id,
            method=request.method, path=request.url.path, status=response.status_code,
            scim_type=scim_type, duration_ms=round((time.perf_counter() - started) * 1000),
            summary=summarize(request.method, path, trace.body, response.status_code,
                              trace.result_body))
        # Unauthenticated callers get their own bucket for log rows, so a flood of bad tokens
        # cannot turn into a flood of writes.
        if response.status_code != 401 or not limiter.acquire(f"401:{integration_id}"):
            request_log.add(entry)  # committed a moment later, with its neighbours
        return response

    async def _handle(request: Request, tenant: str, integration_id: str, path: str,
                      limiter: RateLimiter, trace: _Trace) -> Result:
        state = request.app.state
        service_clock = clock or getattr(state, "scim_clock", None) or utc_now
        actor = await actor_for(state.db, request.headers.get("authorization"), tenant,
                                integration_id,
                                getattr(state, "scim_auth_clock", None) or utc_now)
        # After authentication, so that strangers cannot drain a real integration's bucket.
        wait = limiter.acquire(integration_id)
        if wait > 0:
            raise _rate_limited(wait)
        input_limits.check_text(path, "the request path")  # ids with NUL reach no database
        is_bulk = path.rstrip("/").lower() == "/bulk"
        limit = settings.bulk_max_payload_bytes if is_bulk else settings.max_body_bytes
        raw = await _read_body(request, limit)
        ctx = ServiceContext(
            db=state.db, actor=actor, tenant_id=tenant, via=Door.SCIM,
            clock=service_clock,
            ids=ids or getattr(state, "scim_ids", None) or new_id, deprovision_guard=guard)
        base = str(request.base_url).rstrip("/") + PREFIX.format(
            tenant=tenant, integration_id=integration_id)
        trace.body = _parse_json(raw) if raw else None
        call = Call(ctx=ctx, urls=Urls(base), limits=limits,
                    default_page_size=settings.default_page_size, method=request.method,
                    path=path, query=_query(request),
                    body=trace.body,
                    headers={k.lower(): v for k, v in request.headers.items()
                             if k.lower() in ("if-match", "if-none-match")})
        if is_bulk:
            if request.method != "POST":
                raise ScimError(405, f"method {request.method} not allowed here",
                                headers={"Allow": "POST"})
            return await run_bulk(call)
        return await dispatch(call)

    async def openapi_endpoint(request: Request, tenant: str, integration_id: str) -> Response:
        """The OpenAPI description of this SCIM base; behind the same bearer token."""
        try:
            await actor_for(request.app.state.db, request.headers.get("authorization"), tenant,
                            integration_id,
                            getattr(request.app.state, "scim_auth_clock", None) or utc_now)
        except Exception as exc:
            return error_response(to_scim(exc))
        base = str(request.base_url).rstrip("/") + PREFIX.format(
            tenant=tenant, integration_id=integration_id)
        return JSONResponse(openapi.document(base))

    # ScimShortcut leaves this one path to FastAPI's routing.
    router.add_api_route(PREFIX + "/openapi.json", openapi_endpoint, methods=["GET"],
                         include_in_schema=False)
    return ScimDoor(router, endpoint)
