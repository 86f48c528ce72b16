"""Start the servers under test as subprocesses on loopback, and read their CPU and memory.

Each server gets a fresh store: Tessera a new SQLite file (or a new PostgreSQL database), the peer
its in-memory dicts. Running them as processes keeps their CPU time and RSS apart from the
driver's, so per-request server cost is measurable.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PG_ADMIN_URL = os.environ.get("TESSERA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class Target:
    """One system under test: where to send SCIM requests and which processes serve them."""

    name: str
    scim_bases: list[str]
    token: str
    pids: list[int]
    supports_cursor: bool = False
    removes_memberships_on_delete: bool = True
    extra: dict[str, str] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process, from /proc (Linux) or psutil elsewhere."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        import psutil  # only off Linux

        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)
    fields = raw[raw.rindex(")") + 2:].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS


class CpuMeter:
    """The CPU time of a set of processes, to the nanosecond where the OS gives it.

    ``/proc/<pid>/stat`` counts in clock ticks (10 ms), so a phase of ten 2 ms requests reads
    10, 20 or 30 ms: its CPU per request is at the resolution of the measurement. A process's
    CPU-time clock (``clock_getcpuclockid``, POSIX) reads every thread's time in nanoseconds,
    the threads that have ended included (the peer serves each request on a thread of its own,
    so summing the live threads' times would miss almost all of its work). Where that clock is
    unavailable, it falls back to ``cpu_seconds``."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = list(pids)
        self._clocks = [_process_clock(pid) for pid in self.pids]
        self.precise = all(clock is not None for clock in self._clocks)

    def read(self) -> float:
        if not self.precise:
            return sum(cpu_seconds(pid) for pid in self.pids)
        return sum(time.clock_gettime(clock) for clock in self._clocks if clock is not None)


def _process_clock(pid: int) -> int | None:
    """The id of ``pid``'s CPU-time clock, or None where there is none to read."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None or not hasattr(time, "clock_gettime"):
        return None
    clock = ctypes.c_int()
    if ctypes.CDLL(name).clock_getcpuclockid(pid, ctypes.byref(clock)) != 0:
        return None
    try:
        time.clock_gettime(clock.value)
    except OSError:
        return None
    return clock.value


def memory_mib(pid: int) -> tuple[float, float]:
    """(RSS, peak RSS) in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        import psutil

        rss = psutil.Process(pid).memory_info().rss / 2**20
        return rss, rss
    values = {}
    for line in status.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer {url} within {timeout} s")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


TESSERA = [sys.executable, "-c", "import sys; from backend.cli import main; main()"]


def _tessera_env(database_url: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "TESSERA_DATABASE_URL": database_url,
        "TESSERA_HOST": "127.0.0.1",
        "TESSERA_PORT": str(port),
        "TESSERA_LOG_LEVEL": "warning",
        "TESSERA_SCIM_RATE_PER_SECOND": "0",  # the per-integration limiter would answer 429
        "TESSERA_DEPROVISION_GUARD_PERCENT": "100",  # the deletes phase is intended
        "TESSERA_MAX_PAGE_SIZE": "1000",
    })
    return env


def _provision(url: str) -> tuple[str, str, str]:
    """Migrate, bootstrap tenant ``bench`` and create its SCIM integration, as the CLI does.

    In-process rather than through two ``tessera`` commands: it saves seconds per fresh server.
    """
    import asyncio

    from backend.domain.models import Actor, Door
    from backend.persistence.db import Database
    from backend.persistence.migrate import upgrade
    from backend.services import integrations
    from backend.services.bootstrap import bootstrap
    from backend.services.context import ServiceContext

    async def work() -> tuple[str, str, str]:
        db = Database(url)
        try:
            await upgrade(db)
            admin = await bootstrap(db, "bench", "admin@bench.test")
            ctx = ServiceContext(db=db, actor=Actor.system("bench"), tenant_id="bench",
                                 via=Door.CLI)
            made, secret = await integrations.create_integration(ctx, "bench")
            return made.id, secret, admin.token
        finally:
            await db.dispose()

    return asyncio.run(work())


@contextlib.contextmanager
def _pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    import asyncio

    import asyncpg

    name = f"tessera_bench_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def tessera(pg: bool = False, processes: int = 1) -> Iterator[Target]:
    """Tessera on a fresh database, with one tenant and one SCIM integration."""
    with contextlib.ExitStack() as stack:
        if pg:
            url = stack.enter_context(_pg_database())
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="tessera-bench-"))
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        ports = [free_port() for _ in range(processes)]
        integration_id, secret, admin_token = _provision(url)
        procs: list[subprocess.Popen[bytes]] = []
        stack.callback(_stop, procs)
        for port in ports:
            proc = subprocess.Popen([*TESSERA, "serve"], env=_tessera_env(url, port),
                                    stdout=subprocess.DEVNULL)
            procs.append(proc)
            _wait_http(f"http://127.0.0.1:{port}/healthz", proc)
        path = f"/api/v1/bench/integrations/{integration_id}/scim/v2"
        yield Target("tessera", [f"http://127.0.0.1:{p}{path}" for p in ports], secret,
                     [p.pid for p in procs], supports_cursor=True,
                     extra={"database": "postgresql" if pg else "sqlite", "database_url": url,
                            "admin_token": admin_token, "root": f"http://127.0.0.1:{ports[0]}"})


@contextlib.contextmanager
def peer() -> Iterator[Target]:
    """scim2-server (the ``bench`` extra) in memory on loopback."""
    exe = Path(sys.executable).parent / "scim2-server"
    if not exe.exists():
        raise RuntimeError("scim2-server is missing: install the bench extra (make bench)")
    port, token = free_port(), secrets.token_urlsafe(24)
    proc = subprocess.Popen([str(exe), "--hostname", "127.0.0.1", "--port", str(port),
                             "--bearer-token", token],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/v2"
        _wait_http(f"{base}/ServiceProviderConfig", proc)
        yield Target("peer", [base], token, [proc.pid], removes_memberships_on_delete=False)
    finally:
        _stop([proc])
