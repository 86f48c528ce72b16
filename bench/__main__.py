"""``python -m bench``: run the workload against Tessera and the peer in alternating rounds."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import secrets
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import report, servers
from bench.servers import Target
from bench.workload import Config, Run, VerificationError


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("-n", "--users", type=int, default=1000, help="N users")
    ap.add_argument("-m", "--groups", type=int, default=100, help="M small groups")
    ap.add_argument("-k", "--members", type=int, default=50, help="members per small group")
    ap.add_argument("--big-group", type=int, default=0, help="big group size (default N)")
    ap.add_argument("--lookups", type=int, default=200, help="lookups per kind")
    ap.add_argument("--incremental", type=int, default=100, help="one-member/user ops")
    ap.add_argument("--big-ops", type=int, default=50, help="remove+re-add on the big group")
    ap.add_argument("--graphql", type=int, default=20, help="GraphQL probe requests (0: skip)")
    ap.add_argument("-c", "--concurrency", type=int, default=1)
    ap.add_argument("-r", "--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pg", action="store_true", help="Tessera on PostgreSQL, not SQLite")
    ap.add_argument("--processes", type=int, default=1, help="Tessera server processes (PG)")
    ap.add_argument("--tessera-only", action="store_true", help="skip the peer")
    ap.add_argument("--out", default="bench/results/latest.json", help="JSON report path")
    ap.add_argument("--plot", default="", help="also write a PNG plot of this run here")
    return ap.parse_args(argv)


def config_of(args: argparse.Namespace) -> Config:
    return Config(users=args.users, groups=args.groups, members=args.members,
                  big_group=args.big_group, lookups=args.lookups,
                  incremental=args.incremental, big_ops=args.big_ops,
                  concurrency=args.concurrency, graphql=args.graphql, seed=args.seed)


def run_once(target: Target, config: Config, round_no: int) -> dict[str, Any]:
    tag = f"b{secrets.token_hex(3)}"
    run = Run(target, config, tag)
    started = time.perf_counter()
    try:
        asyncio.run(run.run())
    except VerificationError as exc:
        run.failures.append(str(exc))
    return {"target": target.name, "round": round_no, "tag": tag,
            "wall_s": round(time.perf_counter() - started, 2), "extra": target.extra,
            "phases": {k: v.summary() for k, v in run.phases.items()},
            "failures": run.failures, "observations": run.observations}


def _target(name: str, args: argparse.Namespace) -> contextlib.AbstractContextManager[Target]:
    if name == "peer":
        return servers.peer()
    return servers.tessera(pg=args.pg, processes=args.processes)


def rounds(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """Tessera, peer, Tessera, peer, ...: each run on a fresh server."""
    config = config_of(args)
    order = ["tessera"] if args.tessera_only else ["tessera", "peer"]
    for round_no in range(1, args.rounds + 1):
        for name in order:
            print(f"round {round_no}: {name} ...", file=sys.stderr, flush=True)
            with _target(name, args) as target:
                result = run_once(target, config, round_no)
            print(f"  {name} done in {result['wall_s']} s, "
                  f"{len(result['failures'])} failures", file=sys.stderr, flush=True)
            yield result


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    # SIGTERM unwinds like Ctrl-C, so the servers this run started are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    runs = list(rounds(args))
    config = {**dataclasses.asdict(config_of(args)), "rounds": args.rounds, "pg": args.pg,
              "processes": args.processes, "tessera_only": args.tessera_only}
    doc = report.build(config, runs)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1))
    print(report.table(doc))
    print(f"report written to {out}")
    if args.plot:
        from bench.plot import plot  # matplotlib only when asked for

        plot([out], Path(args.plot))
        print(f"plot written to {args.plot}")
    return 0 if doc["verified"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
