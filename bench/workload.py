"""The IdP-shaped workload: ten phases over HTTP with bounded concurrency, verified as it goes.

Each phase records client latencies, wall time and the server processes' CPU time and memory.
Verification requests (GETs that check member sets, samples) run outside the phase timing.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from bench import bodies
from bench.servers import CpuMeter, Target, memory_mib
from bench.stats import PhaseResult

Job = Callable[[], Awaitable[None]]
MAX_FAILURES = 50
OK_PATCH = (200, 204)  # RFC 7644 §3.5.2: either, when no attributes were asked for


@dataclass
class Config:
    users: int = 1000            # N
    groups: int = 100            # M small groups
    members: int = 50            # K members per small group
    big_group: int = 0           # members of the big group; 0 means N
    batch: int = 100             # members per PATCH
    page: int = 100              # list page size
    lookups: int = 200           # per lookup kind
    incremental: int = 100       # one-member ops on small groups, user PATCHes, deactivations
    big_ops: int = 50            # remove + re-add pairs on the big group
    delete_fraction: float = 0.1
    concurrency: int = 1
    graphql: int = 20            # GraphQL probe requests (Tessera only); 0 skips it
    seed: int = 7

    @property
    def big(self) -> int:
        return min(self.big_group or self.users, self.users)


class VerificationError(AssertionError):
    pass


@dataclass
class Run:
    """One run of the workload against one target (a fresh store)."""

    target: Target
    config: Config
    tag: str
    phases: dict[str, PhaseResult] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    observations: dict[str, Any] = field(default_factory=dict)
    _current: PhaseResult | None = None

    def __post_init__(self) -> None:
        self._bases: Iterator[str] = itertools.cycle(self.target.scim_bases)
        self.rng = random.Random(self.config.seed)
        self.user_ids: list[str] = []
        self.group_ids: list[str] = []
        self.members: dict[str, set[str]] = {}
        self.big_id = ""
        self.baseline = 0  # users the tenant had before the run (Tessera's bootstrap admin)
        self._cpu_meter = CpuMeter(self.target.pids)
        self.observations["cpu_clock"] = "process clock" if self._cpu_meter.precise else "ticks"

    # ----------------------------------------------------------------------- plumbing

    def check(self, ok: bool, message: str) -> None:
        if not ok and len(self.failures) < MAX_FAILURES:
            self.failures.append(message)

    async def call(self, client: httpx.AsyncClient, method: str, path: str, *,
                   body: Any = None, params: dict[str, Any] | None = None,
                   expect: int | tuple[int, ...] = 200, x: float | None = None) -> Any:
        """One SCIM request; timed into the current phase unless verification."""
        headers = {"Authorization": f"Bearer {self.target.token}",
                   "Content-Type": "application/scim+json", "Accept": "application/scim+json"}
        url = next(self._bases) + path
        started = time.perf_counter()
        try:
            response = await client.request(method, url, json=body, params=params,
                                            headers=headers)
        except httpx.HTTPError as exc:
            self._error(f"{method} {type(exc).__name__}", f"{method} {path}: {exc!r}")
            return None
        elapsed = 1000 * (time.perf_counter() - started)
        if self._current is not None:
            self._current.latencies_ms.append(elapsed)
            if x is not None:
                self._current.series.append((x, elapsed))
        if response.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
            self._error(f"{method} {response.status_code}",
                        f"{method} {path}: {response.status_code} {response.text[:200]}")
            return None
        return response.json() if response.content else {}

    async def timed(self, request: Awaitable[httpx.Response]) -> Any:
        """Time a request that is not SCIM (the GraphQL probe) into the current phase."""
        started = time.perf_counter()
        try:
            response = await request
        except httpx.HTTPError as exc:
            self._error(type(exc).__name__, repr(exc))
            return None
        if self._current is not None:
            self._current.latencies_ms.append(1000 * (time.perf_counter() - started))
        if response.status_code != 200:
            self._error(f"status {response.status_code}", response.text[:200])
            return None
        return response.json()

    def _error(self, kind: str, detail: str) -> None:
        if self._current is not None:
            self._current.errors[kind] = self._current.errors.get(kind, 0) + 1
        self.check(False, detail)

    @asynccontextmanager
    async def phase(self, name: str) -> AsyncIterator[PhaseResult]:
        result = PhaseResult(name)
        pids = self.target.pids
        meter = self._cpu_meter
        cpu0 = meter.read()
        started = time.perf_counter()
        self._current = result
        try:
            yield result
        finally:
            self._current = None
            result.wall_s = time.perf_counter() - started
            result.server_cpu_s = meter.read() - cpu0
            mem = [memory_mib(p) for p in pids]
            result.server_rss_mib = sum(m[0] for m in mem)
            result.server_hwm_mib = max(m[1] for m in mem)
            self.phases[name] = result

    async def pool(self, jobs: list[Job]) -> None:
        """Run jobs with at most ``concurrency`` in flight."""
        queue = iter(jobs)

        async def worker() -> None:
            for job in queue:
                await job()

        await asyncio.gather(*(worker() for _ in range(self.config.concurrency)))

    async def group_members(self, client: httpx.AsyncClient, gid: str) -> set[str] | None:
        doc = await self.call(client, "GET", f"/Groups/{gid}")
        if doc is None:
            return None
        return {m["value"] for m in doc.get("members") or []}

    async def expect_members(self, client: httpx.AsyncClient, gid: str, label: str) -> None:
        got = await self.group_members(client, gid)
        want = self.members[gid]
        if got is not None:
            self.check(got == want, f"{label}: group {gid} has {len(got)} members, "
                       f"{len(got - want)} unexpected, {len(want - got)} missing (lost updates?)")

    # ------------------------------------------------------------------------- phases

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=self.config.concurrency + 2,
                              max_keepalive_connections=self.config.concurrency + 2)
        async with httpx.AsyncClient(timeout=300, limits=limits) as client:
            for step in (self.create_users, self.create_groups, self.add_members,
                         self.fill_big_group, self.lookups, self.list_users,
                         self.patch_members, self.graphql, self.patch_users, self.deactivate,
                         self.delete):
                await step(client)

    async def create_users(self, client: httpx.AsyncClient) -> None:
        n = self.config.users
        before = await self.call(client, "GET", "/Users", params={"count": 1})
        self.baseline = int((before or {}).get("totalResults", 0))
        ids: list[str] = [""] * n

        def job(i: int) -> Job:
            async def go() -> None:
                doc = await self.call(client, "POST", "/Users", body=bodies.user(self.tag, i),
                                      expect=201)
                if doc is not None:
                    self.check(doc.get("userName") == bodies.user_name(self.tag, i),
                               f"POST /Users echoed {doc.get('userName')!r}")
                    ids[i] = doc.get("id", "")
            return go

        async with self.phase("create_users"):
            await self.pool([job(i) for i in range(n)])
        self.user_ids = ids
        if not all(ids):
            raise VerificationError("some users were not created; cannot continue")

    async def create_groups(self, client: httpx.AsyncClient) -> None:
        m = self.config.groups
        ids: list[str] = [""] * (m + 1)

        def job(j: int) -> Job:
            async def go() -> None:
                doc = await self.call(client, "POST", "/Groups", body=bodies.group(self.tag, j),
                                      expect=201)
                if doc is not None:
                    ids[j] = doc.get("id", "")
            return go

        async with self.phase("create_groups"):
            await self.pool([job(j) for j in range(m + 1)])  # the last one is the big group
        if not all(ids):
            raise VerificationError("some groups were not created; cannot continue")
        self.group_ids, self.big_id = ids[:m], ids[m]
        self.members = {g: set() for g in ids}

    async def add_members(self, client: httpx.AsyncClient) -> None:
        """K members per small group in batches; one group's batches serial, groups parallel."""
        k, batch = min(self.config.members, len(self.user_ids)), self.config.batch
        plan = {g: self.rng.sample(self.user_ids, k) for g in self.group_ids}

        def job(gid: str, chosen: list[str]) -> Job:
            async def go() -> None:
                for start in range(0, len(chosen), batch):
                    part = chosen[start:start + batch]
                    if await self.call(client, "PATCH", f"/Groups/{gid}",
                                       body=bodies.add_members(part), expect=204) is not None:
                        self.members[gid].update(part)
            return go

        async with self.phase("add_members"):
            await self.pool([job(g, c) for g, c in plan.items()])
        for gid in self.rng.sample(self.group_ids, min(10, len(self.group_ids))):
            await self.expect_members(client, gid, "add_members")

    async def fill_big_group(self, client: httpx.AsyncClient) -> None:
        """Fill one group with ``big`` users, 100 per PATCH (concurrent batches at C > 1)."""
        batch, chosen = self.config.batch, self.user_ids[:self.config.big]
        batches = [chosen[s:s + batch] for s in range(0, len(chosen), batch)]

        def job(index: int, part: list[str]) -> Job:
            async def go() -> None:
                if await self.call(client, "PATCH", f"/Groups/{self.big_id}",
                                   body=bodies.add_members(part), expect=204,
                                   x=index * batch) is not None:
                    self.members[self.big_id].update(part)
            return go

        async with self.phase("big_group_fill"):
            await self.pool([job(i, p) for i, p in enumerate(batches)])
        await self.expect_members(client, self.big_id, "big_group_fill")

    async def lookups(self, client: httpx.AsyncClient) -> None:
        n, count = len(self.user_ids), self.config.lookups
        picks = [self.rng.randrange(n) for _ in range(count)]

        def user_job(attr: str, i: int) -> Job:
            value = (bodies.user_name if attr == "userName" else bodies.external_id)(self.tag, i)

            async def go() -> None:
                doc = await self.call(client, "GET", "/Users",
                                      params={"filter": f'{attr} eq "{value}"'})
                if doc is not None:
                    found = [r.get("id") for r in doc.get("Resources") or []]
                    self.check(doc.get("totalResults") == 1 and found == [self.user_ids[i]],
                               f"{attr} lookup of {value} found {found}")
            return go

        def group_job(j: int) -> Job:
            async def go() -> None:
                doc = await self.call(client, "GET", "/Groups", params={
                    "filter": f'displayName eq "{bodies.group_name(self.tag, j)}"',
                    "excludedAttributes": "members"})
                if doc is not None:
                    res = doc.get("Resources") or []
                    self.check(len(res) == 1 and res[0].get("id") == self.group_ids[j]
                               and "members" not in res[0], f"group lookup {j} gave {res[:1]}")
            return go

        for attr in ("userName", "externalId"):
            async with self.phase(f"lookup_{attr.lower()}"):
                await self.pool([user_job(attr, i) for i in picks])
        groups = [self.rng.randrange(len(self.group_ids)) for _ in range(count)]
        async with self.phase("lookup_group"):
            await self.pool([group_job(j) for j in groups])

    async def list_users(self, client: httpx.AsyncClient) -> None:
        """Every user, ``page`` per page, by startIndex (and by cursor where supported)."""
        n, size = len(self.user_ids) + self.baseline, self.config.page
        seen: list[list[str]] = [[] for _ in range(0, n, size)]

        def job(p: int) -> Job:
            async def go() -> None:
                doc = await self.call(client, "GET", "/Users",
                                      params={"startIndex": p * size + 1, "count": size},
                                      x=p * size)
                if doc is not None:
                    self.check(doc.get("totalResults") == n,
                               f"list page {p}: totalResults {doc.get('totalResults')} != {n}")
                    seen[p] = [r["id"] for r in doc.get("Resources") or []]
            return go

        async with self.phase("list_users"):
            await self.pool([job(p) for p in range(len(seen))])
        flat = [i for page in seen for i in page]
        self.check(len(flat) == n == len(set(flat)) and set(flat) >= set(self.user_ids),
                   f"startIndex paging returned {len(flat)} ids, {len(set(flat))} distinct, "
                   f"expected {n}")
        if self.target.supports_cursor:
            await self._list_by_cursor(client)

    async def _list_by_cursor(self, client: httpx.AsyncClient) -> None:
        n, size = len(self.user_ids) + self.baseline, self.config.page
        found: list[str] = []
        cursor = ""
        async with self.phase("list_users_cursor"):
            while True:
                doc = await self.call(client, "GET", "/Users",
                                      params={"cursor": cursor, "count": size}, x=len(found))
                if doc is None:
                    break
                found += [r["id"] for r in doc.get("Resources") or []]
                cursor = doc.get("nextCursor") or ""
                if not cursor:
                    break
        self.check(len(found) == n == len(set(found)) and set(found) >= set(self.user_ids),
                   f"cursor paging returned {len(found)} ids, {len(set(found))} distinct")

    async def patch_members(self, client: httpx.AsyncClient) -> None:
        """One-member add + remove on small groups; remove + re-add on the big group."""
        pairs: list[tuple[str, str]] = []
        for _ in range(self.config.incremental // 2):
            gid = self.rng.choice(self.group_ids)
            outside = self.rng.choice(self.user_ids)
            if outside not in self.members[gid] and (gid, outside) not in pairs:
                pairs.append((gid, outside))

        def toggle(gid: str, uid: str, add_first: bool) -> Job:
            async def go() -> None:
                ops = [bodies.add_members([uid]), bodies.remove_member(uid)]
                for body in ops if add_first else ops[::-1]:
                    await self.call(client, "PATCH", f"/Groups/{gid}", body=body, expect=204)
            return go

        async with self.phase("patch_member_small"):
            await self.pool([toggle(g, u, True) for g, u in pairs])
        big = sorted(self.members[self.big_id])
        targets = self.rng.sample(big, min(self.config.big_ops, len(big)))
        async with self.phase("patch_member_big"):
            await self.pool([toggle(self.big_id, u, False) for u in targets])
        for gid in {g for g, _ in pairs}:
            await self.expect_members(client, gid, "patch_member_small")
        await self.expect_members(client, self.big_id, "patch_member_big")

    async def graphql(self, client: httpx.AsyncClient) -> None:
        if self.config.graphql and "admin_token" in self.target.extra:
            from bench.graphql_probe import probe

            await probe(self, client, self.config.graphql)

    def _sample_users(self, count: int) -> list[int]:
        return self.rng.sample(range(len(self.user_ids)), min(count, len(self.user_ids)))

    async def patch_users(self, client: httpx.AsyncClient) -> None:
        picks = self._sample_users(self.config.incremental)

        def job(i: int) -> Job:
            async def go() -> None:
                await self.call(client, "PATCH", f"/Users/{self.user_ids[i]}",
                                body=bodies.replace_user_attributes(i), expect=OK_PATCH)
            return go

        async with self.phase("patch_user_replace"):
            await self.pool([job(i) for i in picks])
        for i in picks[:10]:
            doc = await self.call(client, "GET", f"/Users/{self.user_ids[i]}")
            if doc is not None:
                work = [p.get("value") for p in doc.get("phoneNumbers") or []
                        if p.get("type") == "work"]
                self.check(doc.get("title") == f"Senior Engineer {i}"
                           and (doc.get("name") or {}).get("givenName") == f"Renamed{i}"
                           and (doc.get(bodies.ENT_URN) or {}).get("department") == "Research"
                           and work == [f"+1 777 {i}"], f"user PATCH {i} not applied: {doc}")

    async def deactivate(self, client: httpx.AsyncClient) -> None:
        picks = self._sample_users(self.config.incremental)

        def job(i: int) -> Job:
            async def go() -> None:
                await self.call(client, "PATCH", f"/Users/{self.user_ids[i]}",
                                body=bodies.deactivate(), expect=OK_PATCH)
            return go

        async with self.phase("deactivate"):
            await self.pool([job(i) for i in picks])
        for i in picks[:10]:
            doc = await self.call(client, "GET", f"/Users/{self.user_ids[i]}")
            if doc is not None:
                self.check(doc.get("active") is False, f"user {i} still active")

    async def delete(self, client: httpx.AsyncClient) -> None:
        frac = self.config.delete_fraction
        users = self.rng.sample(self.user_ids, int(len(self.user_ids) * frac))
        groups = self.rng.sample(self.group_ids, int(len(self.group_ids) * frac))

        def job(kind: str, rid: str) -> Job:
            async def go() -> None:
                await self.call(client, "DELETE", f"/{kind}/{quote(rid)}", expect=204)
            return go

        async with self.phase("delete_users"):
            await self.pool([job("Users", u) for u in users])
        async with self.phase("delete_groups"):
            await self.pool([job("Groups", g) for g in groups])
        for rid in users[:5]:
            await self.call(client, "GET", f"/Users/{rid}", expect=404)
        for rid in groups[:5]:
            await self.call(client, "GET", f"/Groups/{rid}", expect=404)
        gone = set(users)
        got = await self.group_members(client, self.big_id)
        dangling = len((got or set()) & gone)
        self.observations["dangling_members_after_delete"] = dangling
        if self.target.removes_memberships_on_delete:
            self.members[self.big_id] -= gone
            await self.expect_members(client, self.big_id, "delete_users")
        doc = await self.call(client, "GET", "/Users", params={"count": 1})
        if doc is not None:
            want = self.baseline + len(self.user_ids) - len(users)
            self.check(doc.get("totalResults") == want,
                       f"after deletes totalResults {doc.get('totalResults')} != {want}")
