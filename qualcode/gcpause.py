"""Pause Python's cyclic garbage collector while a bulk job builds many objects.

Building a few hundred thousand small objects (YAML nodes, codes, rows) makes the cyclic
collector run again and again over everything built so far: a 100,000-code codebook spent
most of its import time in collections that found nothing to free. Reference counting
still frees memory while the collector is paused; it only defers finding cycles.

>>> with gc_paused():
...     rows = [{"id": i} for i in range(1000)]
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_depth = 0  # blocks open now, in any thread: the collector comes back when the last one ends
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block (nested or in several threads at once),
    then restore it as it was before the first block began."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
