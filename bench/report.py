"""The bench report: per-round phase summaries, Tessera ÷ peer ratios, target checks, a table."""

from __future__ import annotations

import math
import statistics
from typing import Any

from bench.stats import decile_growth, median_ratios

WRITE_PHASES = ("create_users", "create_groups", "add_members", "big_group_fill",
                "patch_member_small", "patch_member_big", "patch_user_replace", "deactivate",
                "delete_users", "delete_groups")
READ_PHASES = ("lookup_username", "lookup_externalid", "lookup_group", "list_users")


def _median(values: list[float]) -> float | None:
    clean = [v for v in values if isinstance(v, int | float) and not math.isnan(v)]
    return round(statistics.median(clean), 4) if clean else None


def median_phases(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Phase -> metric -> median over the given runs (one target's rounds)."""
    if not runs:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for phase in runs[0]["phases"]:
        rows = [r["phases"][phase] for r in runs if phase in r["phases"]]
        out[phase] = {m: _median([row[m] for row in rows if row.get(m) is not None])
                      for m in ("req_per_s", "p50_ms", "p95_ms", "p99_ms", "max_ms",
                                "server_cpu_ms_per_req", "server_hwm_mib")}
        out[phase]["requests"] = rows[0]["requests"]
    return out


def scaling(run: dict[str, Any], warmup: int = 0) -> dict[str, float | None]:
    """Growth figures of one run, the flatness targets of the issue. ``warmup``: the first
    requests of a series left out of its growth (the concurrency; see ``decile_growth``)."""
    phases = run["phases"]

    def p50(name: str) -> float | None:
        value = phases.get(name, {}).get("p50_ms")
        return float(value) if value is not None else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    def series_growth(name: str) -> float | None:
        series = [(x, y) for x, y in phases.get(name, {}).get("series", [])]
        value = decile_growth(series, warmup) if len(series) >= 2 else math.nan
        return None if math.isnan(value) else round(value, 3)

    fill = phases.get("big_group_fill", {}).get("series", [])
    last_first = ratio(fill[-1][1], fill[0][1]) if len(fill) >= 2 else None
    writes = [phases[p] for p in WRITE_PHASES if p in phases]
    total_writes = sum(p["requests"] for p in writes)
    write_wall = sum(p["wall_s"] for p in writes)
    return {
        "patch_big_over_small_p50": ratio(p50("patch_member_big"), p50("patch_member_small")),
        "fill_last_over_first_decile": series_growth("big_group_fill"),
        "fill_last_over_first_batch": last_first,
        "list_deep_over_first_decile": series_growth("list_users"),
        "cursor_deep_over_first_decile": series_growth("list_users_cursor"),
        "max_request_ms": max((p.get("max_ms") or 0) for p in phases.values()),
        "server_hwm_mib": max((p.get("server_hwm_mib") or 0) for p in phases.values()),
        "writes_per_s": round(total_writes / write_wall, 1) if write_wall else None,
    }


def build(config: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    ours = [r for r in runs if r["target"] == "tessera"]
    peer = [r for r in runs if r["target"] == "peer"]
    warmup = int(config.get("concurrency", 1))
    report: dict[str, Any] = {
        "config": config,
        "runs": runs,
        "verified": all(not r["failures"] for r in runs),
        "median": {"tessera": median_phases(ours), "peer": median_phases(peer)},
        "scaling": {"tessera": [scaling(r, warmup) for r in ours],
                    "peer": [scaling(r, warmup) for r in peer]},
    }
    if ours and peer:
        report["ratios"] = median_ratios([r["phases"] for r in ours],
                                         [r["phases"] for r in peer])
    return report


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def table(report: dict[str, Any]) -> str:
    """A plain-text table: medians per phase for each target, then the ratios."""
    ours, peer = report["median"]["tessera"], report["median"]["peer"]
    ratios = report.get("ratios", {})
    head = (f"{'phase':<20}{'req':>6} | {'T req/s':>8}{'T p50':>8}{'T p95':>8}{'T p99':>8}"
            f"{'T cpu':>7} | {'P req/s':>8}{'P p50':>8}{'P cpu':>8} | "
            f"{'p50 T/P':>8}{'cpu T/P':>8}{'rps T/P':>8}")
    lines = [head, "-" * len(head)]
    for phase in dict.fromkeys([*ours, *peer]):
        t, p, r = ours.get(phase, {}), peer.get(phase, {}), ratios.get(phase, {})
        lines.append(
            f"{phase:<20}{_fmt(t.get('requests') or p.get('requests')):>6} | "
            f"{_fmt(t.get('req_per_s')):>8}{_fmt(t.get('p50_ms'), 2):>8}"
            f"{_fmt(t.get('p95_ms'), 2):>8}{_fmt(t.get('p99_ms'), 2):>8}"
            f"{_fmt(t.get('server_cpu_ms_per_req'), 2):>7} | "
            f"{_fmt(p.get('req_per_s')):>8}{_fmt(p.get('p50_ms'), 2):>8}"
            f"{_fmt(p.get('server_cpu_ms_per_req'), 2):>8} | "
            f"{_fmt(r.get('p50_ms'), 3):>8}{_fmt(r.get('server_cpu_ms_per_req'), 3):>8}"
            f"{_fmt(r.get('req_per_s'), 3):>8}")
    for name, rows in report["scaling"].items():
        for i, row in enumerate(rows, 1):
            lines.append(f"{name} round {i}: " + ", ".join(f"{k}={_fmt(v, 3)}"
                                                          for k, v in row.items()))
    lines.append(f"verified: {report['verified']}")
    for run in report["runs"]:
        for failure in run["failures"][:5]:
            lines.append(f"  FAIL {run['target']} round {run['round']}: {failure}")
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    """The medians and ratios as a Markdown table (for docs/performance.md)."""
    ours, peer = report["median"]["tessera"], report["median"]["peer"]
    ratios = report.get("ratios", {})
    lines = ["| phase | requests | Tessera req/s | Tessera p50 ms | Tessera p99 ms "
             "| Tessera CPU ms/req | peer req/s | peer p50 ms | peer CPU ms/req "
             "| p50 T÷P | CPU T÷P | req/s T÷P |", "|" + " --- |" * 12]
    for phase in dict.fromkeys([*ours, *peer]):
        t, p, r = ours.get(phase, {}), peer.get(phase, {}), ratios.get(phase, {})
        cells = [phase, _fmt(t.get("requests") or p.get("requests")),
                 _fmt(t.get("req_per_s")), _fmt(t.get("p50_ms"), 2), _fmt(t.get("p99_ms"), 2),
                 _fmt(t.get("server_cpu_ms_per_req"), 2), _fmt(p.get("req_per_s")),
                 _fmt(p.get("p50_ms"), 2), _fmt(p.get("server_cpu_ms_per_req"), 2),
                 _fmt(r.get("p50_ms"), 3), _fmt(r.get("server_cpu_ms_per_req"), 3),
                 _fmt(r.get("req_per_s"), 3)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m bench.report FILE.json: the Markdown table of a report
    import json
    import sys
    from pathlib import Path

    print(markdown(json.loads(Path(sys.argv[1]).read_text())))
