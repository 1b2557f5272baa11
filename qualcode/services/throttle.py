"""Slowing down repeated sign-in failures, per user and per client, in this process.

After ``free`` failures in a row for a key (a user name, a client address), each further
attempt must wait ``base_s * 2 ** (n - free - 1)`` seconds (at most ``max_s``) after the last
failure. A success clears the user's count (not the client's: one right password from an
address does not excuse guessing at other accounts). Keys not seen for ``forget_s`` are
dropped and at most ``max_keys`` are kept, so a flood of made-up names cannot fill memory.

>>> t = Throttle(free=1, base_s=2, clock=lambda: 100.0)
>>> t.wait_s(user="ana", client="10.0.0.1")
0.0
>>> t.failed(user="ana", client="10.0.0.1"); t.failed(user="ana", client="10.0.0.1")
>>> t.wait_s(user="ana", client="10.0.0.9")
2.0
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable


class Throttle:
    """Failure counts and the wait they impose; thread-safe (Streamlit runs sessions in threads)."""

    def __init__(self, *, free: int = 3, base_s: float = 1.0, max_s: float = 300.0, forget_s: float = 3600.0,
                 max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.base_s, self.max_s, self.forget_s = free, base_s, max_s, forget_s
        self.max_keys, self.clock = max_keys, clock
        self._fails: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys(user: str | None, client: str | None) -> list[tuple[str, str]]:
        keys = []
        if user:
            keys.append(("user", user.strip().casefold()))
        if client:
            keys.append(("client", client))
        return keys

    def _delay(self, n: int) -> float:
        return 0.0 if n <= self.free else min(self.max_s, self.base_s * 2 ** (n - self.free - 1))

    def wait_s(self, *, user: str | None = None, client: str | None = None) -> float:
        """Seconds to wait before the next attempt is even checked (0.0: go ahead)."""
        now = self.clock()
        with self._lock:
            waits = [0.0]
            for k in self._keys(user, client):
                if k in self._fails:
                    n, last = self._fails[k]
                    waits.append(last + self._delay(n) - now)
            return float(max(0.0, max(waits)))

    def failed(self, *, user: str | None = None, client: str | None = None) -> None:
        now = self.clock()
        with self._lock:
            for k in self._keys(user, client):
                n, last = self._fails.pop(k, (0, now))
                if now - last > self.forget_s:
                    n = 0
                self._fails[k] = (n + 1, now)
            while len(self._fails) > self.max_keys:
                self._fails.popitem(last=False)
            while self._fails:
                k, (_n, last) = next(iter(self._fails.items()))
                if now - last <= self.forget_s:
                    break
                del self._fails[k]

    def succeeded(self, *, user: str | None = None) -> None:
        with self._lock:
            for k in self._keys(user, None):
                self._fails.pop(k, None)

    def reset(self) -> None:
        with self._lock:
            self._fails.clear()


#: The process's sign-in throttle (shared by every browser session of the app).
SIGN_IN = Throttle()
