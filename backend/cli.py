"""The ``tessera`` command line: serve, migrate, bootstrap and integration management."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
import typer

from backend import gc_tuning
from backend.config import get_settings
from backend.domain.errors import DomainError
from backend.domain.models import Actor, Door, IssuedToken
from backend.persistence import tables as t
from backend.persistence.db import Database
from backend.persistence.migrate import upgrade
from backend.services import bootstrap as boot
from backend.services import deletion_guard
from backend.services import integrations as integ
from backend.services.context import ServiceContext

app = typer.Typer(help="Tessera: multi-tenant IAM with SCIM 2.0 directory sync.",
                  no_args_is_help=True)
integrations_app = typer.Typer(help="Manage provisioning integrations.", no_args_is_help=True)
app.add_typer(integrations_app, name="integrations")

T = TypeVar("T")


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database.from_settings(get_settings())
        try:
            await upgrade(db)
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(code=1) from None


def _cli_ctx(db: Database, tenant: str) -> ServiceContext:
    return ServiceContext(db=db, actor=Actor.system("cli"), tenant_id=tenant, via=Door.CLI)


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    async def work(_db: Database) -> None:
        return None

    _run(work)
    typer.echo("database is up to date")


@app.command()
def serve() -> None:
    """Apply migrations and serve the API (SCIM, GraphQL, console)."""
    import uvicorn

    from backend.app import create_app

    settings = get_settings()
    empty = _run(_is_empty)
    if empty:
        typer.echo(
            "\nTessera has no users yet. Create a tenant, its admin and an API token with:\n"
            "  .venv/bin/tessera bootstrap --tenant main --admin-email you@example.com\n"
        )
    typer.echo(f"Tessera listening on {settings.public_url}")
    gc_tuning.tune_for_serving()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_level=settings.log_level)


async def _is_empty(db: Database) -> bool:
    async with db.read() as conn:
        count = await conn.execute(sa.select(sa.func.count()).select_from(t.users))
        return count.scalar_one() == 0


@app.command()
def bootstrap(
    tenant: Annotated[str, typer.Option(help="Tenant id to create or reuse")],
    admin_email: Annotated[str, typer.Option(help="Admin user (also the instance owner)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Create (or reuse) a tenant and its admin, and issue a new API token."""
    result = _run(lambda db: boot.bootstrap(db, tenant, admin_email))
    if as_json:
        typer.echo(json.dumps({"tenant": result.tenant, "user_id": result.user_id,
                               "token": result.token}))
        return
    typer.echo(f"tenant:  {result.tenant}{' (created)' if result.created_tenant else ''}")
    typer.echo(f"admin:   {admin_email} ({result.user_id})")
    typer.echo(f"token:   {result.token}")
    typer.echo("The token is shown once. Use it as 'Authorization: Bearer <token>'.")


def _integration_json(i: Any, public_url: str) -> dict[str, Any]:
    return {"id": i.id, "name": i.name, "description": i.description, "type": i.type,
            "enabled": i.enabled, "endpoint_url": integ.endpoint_url(public_url, i),
            "created_at": i.created_at.isoformat()}


@integrations_app.command("create")
def integrations_create(
    tenant: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    description: Annotated[str, typer.Option()] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a provisioning integration; prints its endpoint and secret token (once)."""
    integration, secret = _run(
        lambda db: integ.create_integration(_cli_ctx(db, tenant), name, description))
    url = integ.endpoint_url(get_settings().public_url, integration)
    if as_json:
        typer.echo(json.dumps({"id": integration.id, "endpoint_url": url,
                               "secret_token": secret}))
        return
    typer.echo(f"id:           {integration.id}\nendpoint_url: {url}\nsecret_token: {secret}")
    typer.echo("The secret token is shown once.")


@integrations_app.command("list")
def integrations_list(
    tenant: Annotated[str, typer.Option()],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List a tenant's provisioning integrations."""
    found = _run(lambda db: integ.list_integrations(_cli_ctx(db, tenant)))
    public_url = get_settings().public_url
    if as_json:
        typer.echo(json.dumps([_integration_json(i, public_url) for i in found]))
        return
    for i in found:
        state = "enabled " if i.enabled else "disabled"
        typer.echo(f"{i.id}  {state}  {i.name}  {integ.endpoint_url(public_url, i)}")


def _set_enabled(tenant: str, integration_id: str, enabled: bool) -> None:
    _run(lambda db: integ.update_integration(_cli_ctx(db, tenant), integration_id,
                                             enabled=enabled))
    typer.echo(f"integration {integration_id} {'enabled' if enabled else 'disabled'}")


@integrations_app.command("enable")
def integrations_enable(
    tenant: Annotated[str, typer.Option()], id: Annotated[str, typer.Option()]
) -> None:
    """Enable an integration."""
    _set_enabled(tenant, id, True)


@integrations_app.command("disable")
def integrations_disable(
    tenant: Annotated[str, typer.Option()], id: Annotated[str, typer.Option()]
) -> None:
    """Disable an integration: every SCIM request to it is rejected."""
    _set_enabled(tenant, id, False)


@integrations_app.command("add-secret")
def integrations_add_secret(
    tenant: Annotated[str, typer.Option()], id: Annotated[str, typer.Option()],
    expires_in_days: Annotated[int | None, typer.Option(min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Add one more secret (earlier ones keep working); prints it once."""
    def work(db: Database) -> Awaitable[IssuedToken]:
        ctx = _cli_ctx(db, tenant)
        expires = ctx.now() + timedelta(days=expires_in_days) if expires_in_days else None
        return integ.add_secret(ctx, id, expires)

    issued = _run(work)
    expires_at = issued.token.expires_at.isoformat() if issued.token.expires_at else None
    if as_json:
        typer.echo(json.dumps({"secret_id": issued.token.id, "expires_at": expires_at,
                               "secret_token": issued.secret}))
        return
    typer.echo(f"secret_id:    {issued.token.id}\nexpires_at:   {expires_at or 'never'}\n"
               f"secret_token: {issued.secret}\nThe secret token is shown once.")


@integrations_app.command("revoke-secret")
def integrations_revoke_secret(
    tenant: Annotated[str, typer.Option()], id: Annotated[str, typer.Option()],
    secret_id: Annotated[str, typer.Option()],
) -> None:
    """Revoke one secret of an integration (even the last one: it then refuses everything)."""
    _run(lambda db: integ.revoke_secret(_cli_ctx(db, tenant), id, secret_id))
    typer.echo(f"secret {secret_id} revoked")


@integrations_app.command("release-guard")
def integrations_release_guard(
    tenant: Annotated[str, typer.Option()], id: Annotated[str, typer.Option()],
) -> None:
    """Release a tripped accidental-deletion guard after review."""
    _run(lambda db: deletion_guard.release(_cli_ctx(db, tenant), id))
    typer.echo(f"deletion guard of integration {id} released")


def main() -> None:
    app()
