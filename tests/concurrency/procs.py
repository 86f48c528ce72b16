"""Real Tessera server processes for race and crash tests (uvicorn in a subprocess).

``python -m tests.concurrency.procs`` serves the real app from ``TESSERA_*`` settings; the one
extra, ``TESSERA_TEST_PG_SCHEMA``, points it at a test's PostgreSQL schema, as the in-thread
``tests.live_server`` does. A subprocess is needed to SIGKILL a server or run two at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from backend.persistence.db import Database
from tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Proc:
    """One server process; ``base`` is its loopback URL."""

    popen: subprocess.Popen[bytes]
    base: str
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, in-flight requests are cut off."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=15)

    def release(self) -> Proc:
        """Let a held process start serving; returns it once it answers."""
        assert self.popen.stdin is not None
        self.popen.stdin.write(b"go\n")
        self.popen.stdin.close()
        return wait_ready(self)

    def problems(self) -> str:
        """Server-side errors (tracebacks, background task failures) that clients never see."""
        text = self.log.read_text(errors="replace")
        return text if "Traceback" in text or "ERROR" in text else ""

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def start(url: str, schema: str | None, log_dir: Path) -> Proc:
    return wait_ready(spawn(url, schema, log_dir))


def spawn(url: str, schema: str | None, log_dir: Path, *, held: bool = False) -> Proc:
    """Launch without waiting (imports take seconds; several servers start in parallel).

    ``held``: the process imports, then waits for :meth:`Proc.release` before it opens the
    database or the port, so a restart after a crash need not wait for the imports."""
    port = free_port()
    env = {
        **os.environ,
        "TESSERA_DATABASE_URL": url,
        "TESSERA_HOST": "127.0.0.1",
        "TESSERA_PORT": str(port),
        "TESSERA_LOG_LEVEL": "warning",
        # Servers started here are load generators' targets: no rate limit, no deletion guard.
        "TESSERA_SCIM_RATE_PER_SECOND": "0",
        "TESSERA_DEPROVISION_GUARD_PERCENT": "100",
        "TESSERA_DEPROVISION_GUARD_MIN_COUNT": "1000000",
        "TESSERA_TEST_PG_SCHEMA": schema or "",
        "TESSERA_TEST_HELD": "1" if held else "",
    }
    log = log_dir / f"server-{port}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen([sys.executable, "-m", "tests.concurrency.procs"], cwd=ROOT,
                                 env=env, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.PIPE if held else subprocess.DEVNULL)
    return Proc(popen, f"http://127.0.0.1:{port}", log)


def wait_ready(proc: Proc) -> Proc:
    popen, log = proc.popen, proc.log
    deadline = time.monotonic() + 60
    while True:
        if popen.poll() is not None:
            raise AssertionError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(proc.base + "/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


@contextmanager
def running(url: str, schema: str | None, log_dir: Path, count: int = 1) -> Iterator[list[Proc]]:
    procs: list[Proc] = []
    try:
        procs.extend(spawn(url, schema, log_dir) for _ in range(count))
        for proc in procs:
            wait_ready(proc)
        yield procs
    finally:
        for proc in procs:
            proc.stop()
    for proc in procs:
        assert not proc.problems(), proc.problems()[-3000:]


def main() -> None:
    import uvicorn

    from backend.app import create_app
    from backend.config import Settings

    if os.environ.get("TESSERA_TEST_HELD"):
        sys.stdin.readline()
    settings = Settings()
    db = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                  pg_schema=os.environ.get("TESSERA_TEST_PG_SCHEMA") or None)
    uvicorn.run(create_app(settings, db), host=settings.host, port=settings.port,
                log_level=settings.log_level)


if __name__ == "__main__":
    main()
