"""The real ``tessera`` CLI in a subprocess, against the same SQLite file a server would use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.persistence import tables as t

TESSERA = [sys.executable, "-c", "from backend.cli import main; main()"]


def _cli(db_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TESSERA_DATABASE_URL=f"sqlite+aiosqlite:///{db_file}")
    return subprocess.run([*TESSERA, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_bootstrap_twice_gives_two_tokens_one_tenant_one_admin(tmp_path: Path) -> None:
    db_file = tmp_path / "cli.db"
    runs = [_cli(db_file, "bootstrap", "--tenant", "main", "--admin-email", "root@x.test",
                 "--json") for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    first, second = (json.loads(r.stdout) for r in runs)
    assert set(first) == {"tenant", "user_id", "token"}
    assert first["tenant"] == second["tenant"] == "main"
    assert first["user_id"] == second["user_id"] and first["token"] != second["token"]
    engine = sa.create_engine(f"sqlite:///{db_file}")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.tenants)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(t.users)).scalar() == 1
        admin_bindings = conn.execute(sa.select(sa.func.count()).select_from(t.bindings)).scalar()
        live = conn.execute(sa.select(sa.func.count()).select_from(t.api_tokens)
                            .where(t.api_tokens.c.revoked_at.is_(None))).scalar()
    assert admin_bindings == 1 and live == 2
    # Both tokens work.
    import asyncio

    from backend.persistence.db import Database
    from backend.services import authn

    async def check() -> None:
        db = Database(f"sqlite+aiosqlite:///{db_file}")
        for body in (first, second):
            assert (await authn.authenticate(db, body["token"])).id == first["user_id"]
        await db.dispose()

    asyncio.run(check())


def test_integrations_commands(tmp_path: Path) -> None:
    db_file = tmp_path / "cli.db"
    boot = _cli(db_file, "bootstrap", "--tenant", "main", "--admin-email", "r@x.test")
    assert boot.returncode == 0
    made = _cli(db_file, "integrations", "create", "--tenant", "main", "--name", "Entra",
                "--description", "prod", "--json")
    assert made.returncode == 0, made.stderr
    body = json.loads(made.stdout)
    assert set(body) == {"id", "endpoint_url", "secret_token"}
    assert body["endpoint_url"].endswith(f"/api/v1/main/integrations/{body['id']}/scim/v2")
    assert len(body["secret_token"]) == 200
    assert _cli(db_file, "integrations", "disable", "--tenant", "main", "--id",
                body["id"]).returncode == 0
    listed = json.loads(_cli(db_file, "integrations", "list", "--tenant", "main",
                             "--json").stdout)
    assert [(i["id"], i["enabled"]) for i in listed] == [(body["id"], False)]
    missing = _cli(db_file, "integrations", "enable", "--tenant", "main", "--id", "nope")
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_serve_tunes_the_garbage_collector_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thresholds are the server's (backend.gc_tuning), set before uvicorn takes over."""
    import gc

    import uvicorn

    from backend import cli, gc_tuning
    from backend.config import get_settings

    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_a, **_k: seen.append(gc.get_threshold()))
    monkeypatch.setenv("TESSERA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}")
    get_settings.cache_clear()
    before = gc.get_threshold()
    try:
        cli.serve()
    finally:
        gc.set_threshold(*before)
        get_settings.cache_clear()
    assert seen == [(gc_tuning.YOUNG_THRESHOLD, gc_tuning.OLDER_THRESHOLD,
                     gc_tuning.OLDER_THRESHOLD)]
    assert before != seen[0]  # the default differs, so the check above can fail
