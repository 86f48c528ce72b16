"""Plot the cost of the flat-or-not operations against group and directory size.

Four panels, Tessera beside the peer: a 100-member add batch against the group's size while it
fills, a list page against its offset, and (across report files of different N) the p50 of a
one-member PATCH against group size and of a lookup against directory size.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLORS = {"tessera": "tab:blue", "peer": "tab:red"}


def _first_run(report: dict[str, Any], target: str) -> dict[str, Any] | None:
    return next((r for r in report["runs"] if r["target"] == target), None)


def plot(paths: list[Path], out: Path) -> None:
    reports = [json.loads(p.read_text()) for p in paths]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    (fill_ax, list_ax), (patch_ax, lookup_ax) = axes
    largest = max(reports, key=lambda r: r["config"]["users"])
    for target, color in COLORS.items():
        run = _first_run(largest, target) or {"phases": {}}  # a --tessera-only run has no peer
        for ax, phase in ((fill_ax, "big_group_fill"), (list_ax, "list_users")):
            series = run["phases"].get(phase, {}).get("series", [])
            if series:
                xs, ys = zip(*sorted(series), strict=True)
                ax.plot(xs, ys, ".", color=color, label=target, markersize=3)
        cursor = run["phases"].get("list_users_cursor", {}).get("series", [])
        if cursor:
            xs, ys = zip(*sorted(cursor), strict=True)
            list_ax.plot(xs, ys, ".", color="tab:green", label=f"{target} (cursor)",
                         markersize=3)
        points: list[tuple[int, float]] = []
        lookups: list[tuple[int, float]] = []
        for report in reports:
            cfg = report["config"]
            medians = report["median"].get(target, {})
            big = cfg["big_group"] or cfg["users"]
            for phase, size in (("patch_member_small", cfg["members"]),
                                ("patch_member_big", big)):
                p50 = medians.get(phase, {}).get("p50_ms")
                if p50 is not None:
                    points.append((size, p50))
            p50 = medians.get("lookup_username", {}).get("p50_ms")
            if p50 is not None:
                lookups.append((cfg["users"], p50))
        for ax, data in ((patch_ax, points), (lookup_ax, lookups)):
            if data:
                xs, ys = zip(*sorted(data), strict=True)
                ax.plot(xs, ys, "o-", color=color, label=target)
    fill_ax.set(title="100-member add batch while filling one group",
                xlabel="group size before the batch", ylabel="latency, ms", yscale="log")
    list_ax.set(title=f"list page of 100 users (N={largest['config']['users']:,})",
                xlabel="offset", ylabel="latency, ms", yscale="log")
    patch_ax.set(title="one-member PATCH (p50)", xlabel="group size", ylabel="ms",
                 xscale="log", yscale="log")
    lookup_ax.set(title="userName eq lookup (p50)", xlabel="users in the directory",
                  ylabel="ms", xscale="log", yscale="log")
    for ax in axes.flat:
        ax.grid(True, which="both", alpha=0.3)
        if ax.has_data():
            ax.legend()
    fig.suptitle("Tessera vs scim2-server 0.8.3, client latency over loopback (C="
                 f"{largest['config']['concurrency']})")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    plot([Path(p) for p in sys.argv[2:]], Path(sys.argv[1]))
