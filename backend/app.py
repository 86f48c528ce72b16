"""The app factory: the one place that builds the FastAPI app and mounts both doors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from backend.config import Settings, get_settings
from backend.persistence.db import Database


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = db or Database.from_settings(settings)
    owns_db = db is None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await database.flush_buffers()  # the request log rows still queued
        if owns_db:
            await database.dispose()

    app = FastAPI(title="Tessera", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.db = database

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        try:
            await database.ping()
        except Exception:  # any database failure means "not ready"
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "up"})

    _mount_doors(app, settings, database)
    _mount_console(app)  # last: "/" must not shadow /graphql, /api/... or /healthz
    return app


def _mount_doors(app: FastAPI, settings: Settings, db: Database) -> None:
    """SCIM and GraphQL are mounted here once they exist (see scim_adapter, graphql_schema)."""
    from graphql_schema.router import build_router as build_graphql_router

    app.include_router(build_graphql_router(settings, db))
    from scim_adapter.router import ScimShortcut, build_door

    scim = build_door(settings)
    app.include_router(scim.router)
    app.add_middleware(ScimShortcut, endpoint=scim.endpoint)


CONSOLE_DIR = Path(__file__).resolve().parent.parent / "frontend-stub"

# The console's pages load only their own scripts and styles and talk only to this origin.
CONSOLE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class ConsoleFiles(StaticFiles):
    """The static admin console, every response with a strict Content-Security-Policy."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(CONSOLE_HEADERS)
        return response


def _mount_console(app: FastAPI) -> None:
    """Serve ``frontend-stub/`` at ``/`` (absent from a wheel install: then only the API)."""
    if CONSOLE_DIR.is_dir():
        app.mount("/", ConsoleFiles(directory=CONSOLE_DIR, html=True), name="console")
