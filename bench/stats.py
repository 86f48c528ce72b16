"""Pure statistics for the bench: percentiles, phase summaries and Tessera ÷ peer ratios."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (the "inclusive" method numpy uses by default)."""
    if not values:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass
class PhaseResult:
    """What one phase measured: latencies (ms), wall time, server CPU and memory."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    server_rss_mib: float = 0.0
    server_hwm_mib: float = 0.0
    series: list[tuple[float, float]] = field(default_factory=list)  # (x, latency ms)

    def summary(self) -> dict[str, Any]:
        n = len(self.latencies_ms)
        lat = self.latencies_ms
        return {
            "requests": n,
            "errors": dict(self.errors),
            "wall_s": round(self.wall_s, 4),
            "req_per_s": round(n / self.wall_s, 2) if self.wall_s > 0 else None,
            "p50_ms": _r(percentile(lat, 50)),
            "p95_ms": _r(percentile(lat, 95)),
            "p99_ms": _r(percentile(lat, 99)),
            "max_ms": _r(max(lat)) if lat else None,
            "server_cpu_ms_per_req": _r(1000 * self.server_cpu_s / n) if n else None,
            "server_rss_mib": round(self.server_rss_mib, 1),
            "server_hwm_mib": round(self.server_hwm_mib, 1),
            "series": [[round(x, 3), round(y, 3)] for x, y in self.series],
        }


def _r(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)


RATIO_METRICS = ("p50_ms", "p99_ms", "server_cpu_ms_per_req", "req_per_s")


def paired_ratios(ours: Sequence[dict[str, Any]], peer: Sequence[dict[str, Any]],
                  metric: str) -> list[float]:
    """Per-round ratio ours ÷ peer of one metric (rounds are paired in the order they ran)."""
    out: list[float] = []
    for a, b in zip(ours, peer, strict=False):
        x, y = a.get(metric), b.get(metric)
        if isinstance(x, int | float) and isinstance(y, int | float) and y > 0:
            out.append(x / y)
    return out


def median_ratios(ours: Sequence[dict[str, dict[str, Any]]],
                  peer: Sequence[dict[str, dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """Phase -> metric -> median over rounds of the per-round ratio ours ÷ peer.

    Each element of ``ours``/``peer`` is one round's phase summaries keyed by phase name.
    """
    phases = [p for p in (ours[0] if ours else {}) if all(p in r for r in (*ours, *peer))]
    result: dict[str, dict[str, float]] = {}
    for phase in phases:
        row: dict[str, float] = {}
        for metric in RATIO_METRICS:
            ratios = paired_ratios([r[phase] for r in ours], [r[phase] for r in peer], metric)
            if ratios:
                row[metric] = round(statistics.median(ratios), 4)
        result[phase] = row
    return result


def growth(first: Sequence[float], last: Sequence[float]) -> float:
    """Median of ``last`` ÷ median of ``first``: how much an operation grew along a series."""
    if not first or not last:
        return math.nan
    base = statistics.median(first)
    return statistics.median(last) / base if base > 0 else math.nan


def decile_growth(series: Sequence[tuple[float, float]], warmup: int = 0) -> float:
    """Growth of latency from the first tenth of a series (ordered by x) to its last tenth.

    ``warmup`` leading points are left out: with C concurrent clients the first C requests
    find a queue shorter than every later one (the k-th waits for k-1, later ones for C-1),
    which made the first tenth look faster at C=8 than the work it measures."""
    ordered = [y for _, y in sorted(series)]
    if len(ordered) > 2 * warmup:
        ordered = ordered[warmup:]
    k = max(1, len(ordered) // 10)
    return growth(ordered[:k], ordered[-k:])
