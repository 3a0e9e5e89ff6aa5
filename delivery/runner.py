"""Draining in the process itself, on the embedded default (no broker).

One thread waits for work (woken when deliveries are written, and at the time
the next retry falls due) and hands each destination with due deliveries to a
small pool (DELIVERY_IN_PROCESS_THREADS), so a slow receiver holds up only its
own queue and never the writer's request.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

logger = logging.getLogger(__name__)

IDLE_SECONDS = 30.0  # looks again this often even without being woken (rows written elsewhere)


class InProcessRunner:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._busy: set[int] = set()
        self._stopping = False
        self._wake_at: datetime | None = None
        # A destination that asked to be drained again later (a retry, or older
        # deliveries still being written) is left alone until then.
        self._not_before: dict[int, datetime] = {}

    def wake(self, destination_id: int | None = None, at: datetime | None = None) -> None:
        """Look for due work now; with `at`, drain `destination_id` again at that time."""
        with self._lock:
            if at is not None and at > timezone.now():
                if destination_id is not None:
                    self._not_before[destination_id] = at
                if self._wake_at is None or at < self._wake_at:
                    self._wake_at = at
            else:
                if destination_id is not None:
                    self._not_before.pop(destination_id, None)
                self._wakeup.set()
            if self._thread is None or not self._thread.is_alive():
                self._stopping = False
                self._pool = ThreadPoolExecutor(
                    max_workers=settings.DELIVERY_IN_PROCESS_THREADS, thread_name_prefix="delivery"
                )
                self._thread = threading.Thread(target=self._loop, name="delivery-runner", daemon=True)
                self._thread.start()
            if at is not None:
                self._wakeup.set()  # let the loop take the earlier wake-up time into account

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the drains under way and stop (tests; the process's end needs nothing)."""
        with self._lock:
            thread, pool = self._thread, self._pool
            self._stopping = True
            self._wakeup.set()
        if thread is not None:
            thread.join(timeout)
        if pool is not None:
            pool.shutdown(wait=True)
        with self._lock:
            self._thread = self._pool = None
            self._busy.clear()
            self._not_before.clear()
            self._wake_at = None

    def _loop(self) -> None:
        while not self._stopping:
            self._wakeup.clear()
            try:
                wait = self._round()
            except Exception:
                logger.exception("delivery: in-process round failed; trying again shortly")
                wait = 5.0
            finally:
                close_old_connections()
            self._wakeup.wait(wait)
        connections.close_all()

    def _round(self) -> float:
        from delivery import services

        now = timezone.now()
        for destination_id in services.due_destinations():
            with self._lock:
                if destination_id in self._busy or self._stopping:
                    continue
                later = self._not_before.get(destination_id)
                if later is not None and later > now:
                    continue
                self._not_before.pop(destination_id, None)
                self._busy.add(destination_id)
            self._pool.submit(self._drain, destination_id)
        upcoming = services.next_due()
        with self._lock:
            if self._wake_at is not None and self._wake_at <= now:
                self._wake_at = None
            candidates = [t for t in (upcoming, self._wake_at, *self._not_before.values())
                          if t is not None and t > now]
        if not candidates:
            return IDLE_SECONDS
        return max(0.05, min(IDLE_SECONDS, (min(candidates) - now).total_seconds()))

    def _drain(self, destination_id: int) -> None:
        from delivery import services

        try:
            services.drain_destination(destination_id)
        except Exception:
            # Most likely the database (locked, gone): the deliveries are still
            # there, due; give the destination back and look again shortly.
            logger.exception("delivery: in-process drain of destination %s failed", destination_id)
            with self._lock:
                self._not_before[destination_id] = timezone.now() + timedelta(seconds=1)
            try:
                services.release(destination_id)
            except Exception:
                logger.warning("delivery: destination %s stays leased until its lease runs out", destination_id)
        finally:
            connections.close_all()
            with self._lock:
                self._busy.discard(destination_id)
            self._wakeup.set()  # more may be due (a full batch, a retry just scheduled)


runner = InProcessRunner()
