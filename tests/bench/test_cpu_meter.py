"""The bench's CPU meter: finer than clock ticks, and counting threads that have ended."""

from __future__ import annotations

import hashlib
import os
import threading

from bench.servers import CpuMeter


def _work(rounds: int = 20_000) -> None:
    digest = b""
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()


def test_it_counts_the_work_of_threads_that_have_ended() -> None:
    """As the peer serves every request on a thread of its own: the work of those threads
    must count once they are gone."""
    meter = CpuMeter([os.getpid()])
    before = meter.read()
    thread = threading.Thread(target=_work)
    thread.start()
    thread.join()
    spent = meter.read() - before
    alone = meter.read()
    _work()  # the same work on this thread, for scale
    assert spent > 0.5 * (meter.read() - alone)


def test_it_sees_work_shorter_than_a_clock_tick() -> None:
    meter = CpuMeter([os.getpid()])
    if not meter.precise:
        return  # no process CPU clock here: ticks only, as cpu_seconds
    go, done, finish = threading.Event(), threading.Event(), threading.Event()

    def worker() -> None:
        go.wait()
        _work(200)  # a fraction of one 10 ms tick: ticks would mostly read 0 here
        done.set()
        finish.wait()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        start = meter.read()
        go.set()
        done.wait()
        assert meter.read() - start > 0
    finally:
        finish.set()
        thread.join()
