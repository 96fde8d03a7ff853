"""Sign-in throttling: after :data:`MAX_FAILURES` failed attempts for one username within
:data:`WINDOW_S` seconds, further attempts are refused (429) until the window has passed.

Kept in the worker's memory (each worker counts on its own): enough to make guessing slow
without storing anything about the caller. Usernames are keyed by a hash, never logged.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 5
WINDOW_S = 300.0

clock: Callable[[], float] = time.monotonic
"""Seconds on a monotonic clock; replaceable (tests move time instead of sleeping)."""

_lock = threading.Lock()
_failures: dict[str, deque[float]] = {}


def _key(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()


def _recent(key: str, now: float) -> deque[float]:
    times = _failures.setdefault(key, deque())
    while times and now - times[0] > WINDOW_S:
        times.popleft()
    return times


def blocked(username: str, now: float | None = None) -> bool:
    """Whether sign-in for ``username`` is refused for now."""
    with _lock:
        return len(_recent(_key(username), clock() if now is None else now)) >= MAX_FAILURES


def record_failure(username: str, now: float | None = None) -> None:
    """Count a failed attempt."""
    when = clock() if now is None else now
    with _lock:
        _recent(_key(username), when).append(when)


def clear(username: str) -> None:
    """Forget the failures after a successful sign-in."""
    with _lock:
        _failures.pop(_key(username), None)
