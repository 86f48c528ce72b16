"""The bench's statistics: percentiles, per-round ratios and growth figures are computed right."""

from __future__ import annotations

import math
import statistics

import pytest

from bench import report
from bench.stats import (
    PhaseResult,
    decile_growth,
    growth,
    median_ratios,
    paired_ratios,
    percentile,
)


def test_percentile_interpolates_like_the_inclusive_method() -> None:
    values = [7.0, 1.0, 3.0, 9.0, 5.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 9.0
    assert percentile(values, 50) == 5.0
    assert percentile(values, 25) == 3.0
    assert percentile([1.0, 2.0], 50) == 1.5
    quartiles = statistics.quantiles(range(1, 102), n=100, method="inclusive")
    assert percentile([float(v) for v in range(1, 102)], 99) == pytest.approx(quartiles[98])


def test_percentile_of_nothing_is_nan_and_bad_q_is_refused() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_phase_summary_divides_server_cpu_by_requests() -> None:
    phase = PhaseResult("x", latencies_ms=[10.0, 20.0, 30.0, 40.0], wall_s=2.0,
                        server_cpu_s=0.2, errors={"POST 500": 1}, series=[(0, 10.0)])
    s = phase.summary()
    assert s["requests"] == 4 and s["req_per_s"] == 2.0
    assert s["server_cpu_ms_per_req"] == 50.0
    assert s["p50_ms"] == 25.0 and s["max_ms"] == 40.0
    assert s["errors"] == {"POST 500": 1} and s["series"] == [[0, 10.0]]


def test_empty_phase_summary_has_no_rates() -> None:
    s = PhaseResult("empty").summary()
    assert s["requests"] == 0 and s["req_per_s"] is None
    assert s["p50_ms"] is None and s["server_cpu_ms_per_req"] is None


def test_ratios_pair_rounds_in_order_and_take_the_median() -> None:
    ours = [{"a": {"p50_ms": 2.0, "req_per_s": 10}}, {"a": {"p50_ms": 6.0, "req_per_s": 10}},
            {"a": {"p50_ms": 3.0, "req_per_s": 10}}]
    peer = [{"a": {"p50_ms": 1.0, "req_per_s": 5}}, {"a": {"p50_ms": 2.0, "req_per_s": 20}},
            {"a": {"p50_ms": 3.0, "req_per_s": 10}}]
    assert paired_ratios([r["a"] for r in ours], [r["a"] for r in peer], "p50_ms") == [2, 3, 1]
    ratios = median_ratios(ours, peer)
    assert ratios["a"]["p50_ms"] == 2.0
    assert ratios["a"]["req_per_s"] == 1.0  # median of 2, 0.5, 1
    assert "server_cpu_ms_per_req" not in ratios["a"]  # no data, no ratio


def test_ratios_skip_a_zero_or_missing_peer_value() -> None:
    assert paired_ratios([{"m": 1.0}, {"m": 1.0}], [{"m": 0}, {}], "m") == []


def test_a_phase_only_one_target_ran_gets_no_ratio() -> None:
    ours = [{"a": {"p50_ms": 1.0}, "cursor": {"p50_ms": 1.0}}]
    peer = [{"a": {"p50_ms": 1.0}}]
    assert set(median_ratios(ours, peer)) == {"a"}


def test_growth_compares_the_last_tenth_with_the_first() -> None:
    flat = [(float(x), 10.0) for x in range(100)]
    assert decile_growth(flat) == 1.0
    linear = [(float(x), float(x + 1)) for x in range(100)]
    # first tenth 1..10 (median 5.5), last tenth 91..100 (median 95.5)
    assert decile_growth(linear) == pytest.approx(95.5 / 5.5)
    assert decile_growth(list(reversed(linear))) == pytest.approx(95.5 / 5.5)  # sorted by x
    assert math.isnan(growth([], [1.0]))


def test_growth_leaves_out_the_requests_that_found_the_queue_still_filling() -> None:
    # C=8: the first eight requests waited for 0..7 others, every later one for 7.
    queued = [(float(x), 10.0 * min(x + 1, 8)) for x in range(100)]
    assert decile_growth(queued) == pytest.approx(80.0 / 55.0)
    assert decile_growth(queued, warmup=8) == 1.0
    assert decile_growth(queued[:10], warmup=8) == 8.0  # too short to leave anything out


def _run(target: str, p50: float) -> dict[str, object]:
    phases = {
        "patch_member_small": PhaseResult("s", [p50, p50], wall_s=1.0).summary(),
        "patch_member_big": PhaseResult("b", [2 * p50, 2 * p50], wall_s=1.0).summary(),
        "big_group_fill": PhaseResult("f", [5.0, 6.0], wall_s=1.0,
                                      series=[(0, 5.0), (100, 6.0)]).summary(),
    }
    return {"target": target, "round": 1, "phases": phases, "failures": []}


def test_report_scaling_and_table() -> None:
    doc = report.build({"users": 10}, [_run("tessera", 1.0), _run("peer", 4.0)])
    assert doc["verified"] is True
    scale = doc["scaling"]["tessera"][0]
    assert scale["patch_big_over_small_p50"] == 2.0
    assert scale["fill_last_over_first_batch"] == 1.2
    assert scale["writes_per_s"] == 2.0  # 6 write requests over 3 s of write phases
    assert doc["ratios"]["patch_member_small"]["p50_ms"] == 0.25
    text = report.table(doc)
    assert "patch_member_big" in text and "verified: True" in text


def test_a_failed_run_makes_the_report_unverified() -> None:
    bad = {**_run("tessera", 1.0), "failures": ["lost update"]}
    doc = report.build({}, [bad])
    assert doc["verified"] is False and "ratios" not in doc
    assert "FAIL tessera round 1: lost update" in report.table(doc)


def test_markdown_table_has_a_row_per_phase_with_the_ratios() -> None:
    doc = report.build({"users": 10}, [_run("tessera", 1.0), _run("peer", 4.0)])
    lines = report.markdown(doc).splitlines()
    assert len(lines) == 2 + 3
    small = next(line for line in lines if line.startswith("| patch_member_small "))
    assert small.split(" | ")[9] == "0.250"  # p50 Tessera ÷ peer
