"""HTTP plumbing of the SCIM door: auth, body limits, JSON, errors -> one SCIM response shape.

Mounted under ``/api/v1/{tenant}/integrations/{integration_id}/scim/v2``. Routing inside the
SCIM base is done by :func:`scim_adapter.handlers.resolve`, so unknown routes (404) and wrong
methods (405 + ``Allow``) answer with SCIM error bodies too.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.config import Settings
from backend.domain.models import Door
from backend.services.context import Clock, IdFactory, ServiceContext, new_id, utc_now
from scim_adapter.auth import actor_for
from scim_adapter.bulk import run_bulk
from scim_adapter.discovery import ServiceLimits
from scim_adapter.errors import SCIM_CONTENT_TYPE, ScimError, to_scim
from scim_adapter.handlers import Call, Result, dispatch
from scim_adapter.mapping import Urls

log = logging.getLogger(__name__)

PREFIX = "/api/v1/{tenant}/integrations/{integration_id}/scim/v2"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


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
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ScimError(413, f"the request body is larger than {limit} bytes", "tooLarge")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ScimError(400, "the request body is not valid JSON", "invalidSyntax") from None


def build_router(
    settings: Settings, *, clock: Clock | None = None, ids: IdFactory | None = None
) -> APIRouter:
    """The SCIM 2.0 door; ``clock``/``ids`` (or ``app.state.scim_clock``/``scim_ids``) are
    injectable so tests get deterministic ids and timestamps."""
    limits = ServiceLimits(max_results=settings.max_page_size,
                           bulk_max_operations=settings.bulk_max_operations,
                           bulk_max_payload_size=settings.bulk_max_payload_bytes)
    router = APIRouter()

    async def endpoint(request: Request, tenant: str, integration_id: str,
                       rest: str = "") -> Response:
        path = "/" + rest.strip("/") if rest.strip("/") else "/"
        try:
            result = await _handle(request, tenant, integration_id, path)
        except ScimError as err:
            return error_response(err)
        except Exception as exc:
            mapped = to_scim(exc)
            if mapped.status >= 500:
                log.exception("SCIM %s %s failed", request.method, request.url.path)
            return error_response(mapped)
        return scim_response(result.status, result.body, result.headers)

    async def _handle(request: Request, tenant: str, integration_id: str, path: str) -> Result:
        state = request.app.state
        actor = await actor_for(state.db, request.headers.get("authorization"), tenant,
                                integration_id)
        is_bulk = path.rstrip("/").lower() == "/bulk"
        limit = settings.bulk_max_payload_bytes if is_bulk else settings.max_body_bytes
        raw = await _read_body(request, limit)
        ctx = ServiceContext(
            db=state.db, actor=actor, tenant_id=tenant, via=Door.SCIM,
            clock=clock or getattr(state, "scim_clock", None) or utc_now,
            ids=ids or getattr(state, "scim_ids", None) or new_id)
        base = str(request.base_url).rstrip("/") + PREFIX.format(
            tenant=tenant, integration_id=integration_id)
        call = Call(ctx=ctx, urls=Urls(base), limits=limits,
                    default_page_size=settings.default_page_size, method=request.method,
                    path=path, query=dict(request.query_params),
                    body=_parse_json(raw) if raw else None,
                    headers={k.lower(): v for k, v in request.headers.items()
                             if k.lower() in ("if-match", "if-none-match")})
        if is_bulk:
            if request.method != "POST":
                raise ScimError(405, f"method {request.method} not allowed here",
                                headers={"Allow": "POST"})
            return await run_bulk(call)
        return await dispatch(call)

    router.add_api_route(PREFIX, endpoint, methods=METHODS, include_in_schema=False)
    router.add_api_route(PREFIX + "/{rest:path}", endpoint, methods=METHODS,
                         include_in_schema=False)
    return router
