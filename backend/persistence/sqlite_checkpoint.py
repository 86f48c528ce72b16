"""SQLite WAL checkpoints on a thread of their own, not inside a request's COMMIT.

By default SQLite checkpoints inside the COMMIT that takes the WAL past 1,000 pages: that
COMMIT copies every page back into the database file and syncs it. Tessera's statements run on
the event loop's thread (``sqlite_cursor``), so the whole server stalled for it. The bench saw
it: filling a 30,000-member group, writes ran ~1.7x faster with checkpoints off, and one
request in ten took 2-3 times the median.

Here every commit of this process only wakes a checkpointer thread, which runs a PASSIVE
checkpoint (it never waits for readers or writers; SQLite's own automatic checkpoint is
PASSIVE too) on a connection of its own, at most every ``interval`` seconds. sqlite3 releases
the GIL while it works, so the copy and the sync overlap requests on another core. SQLite's
automatic checkpoint stays on, raised to ``AUTOCHECKPOINT_PAGES``, as the bound on the WAL: the
WAL file starts over only when a write begins with every frame already checkpointed, which a
steady stream of writes rarely allows, so on a busy server the WAL grows to about that size
(40 MiB) and COMMIT's own checkpoint, by then copying only the few frames the thread has not,
restarts it. The thread ends when idle and starts again on the next commit.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

# Request connections checkpoint by themselves only past this many WAL pages (40 MiB of 4 KiB
# pages); the thread normally checkpoints long before.
AUTOCHECKPOINT_PAGES = 10_000


class Checkpointer:
    """Checkpoints one SQLite database file in the background after commits."""

    def __init__(self, path: str, *, interval: float = 0.2, idle_exit: float = 10.0) -> None:
        self.path = path
        self.interval = interval
        self.idle_exit = idle_exit
        self.checkpoints = 0  # completed checkpoint calls, for tests and diagnostics
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        """A write transaction committed: checkpoint soon. Cheap; called on the loop thread."""
        self._wake.set()
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="tessera-sqlite-checkpoint", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            while not self._stop.is_set():
                if not self._wake.wait(self.idle_exit) and self._idle_exit():
                    return
                self._wake.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # e.g. SQLITE_BUSY: another checkpoint running
                    log.debug("background checkpoint skipped: %s", exc)
                # Commits during this pause are folded into the next checkpoint.
                self._stop.wait(self.interval)
        except Exception:  # a checkpointer that fails must not take the server down
            log.exception("background checkpointer failed; SQLite checkpoints in COMMIT")
        finally:
            if conn is not None:
                conn.close()

    def _idle_exit(self) -> bool:
        """Nothing committed for ``idle_exit`` seconds: end the thread, unless a commit came
        in just now (``committed()`` starts a new thread once this one is unregistered)."""
        with self._lock:
            if self._wake.is_set():
                return False
            self._thread = None
            return True

    def close(self) -> None:
        """Stop the thread (after the checkpoint under way, if any)."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout=30)
