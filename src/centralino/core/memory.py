"""Garbage-collector settings for a long-running call-handling process.

Why: each call allocates a few hundred small objects, and SIP transactions keep about a hundred of
them alive for 32 s (Timers D, J, L, M); the ACD keeps every agent and waiting contact. With
CPython's default thresholds the cyclic collector walks those millions of live objects several times
a second: 0.3-0.4 ms of CPU per call and stalls of 0.2 s, long enough to overflow socket buffers and
make peers retransmit (docs/benchmarks.md). Nothing per call forms reference cycles (the objects die
by reference counting), so collecting rarely loses little memory.
"""

from __future__ import annotations

import gc

__all__ = ["tune_gc"]


def tune_gc() -> None:
    """Call once start-up is done: ``freeze`` moves modules, configuration and other start-up objects
    out of every later collection, and higher thresholds make young-generation collections rare."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
