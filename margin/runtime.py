"""Process tuning for callers that price large books many times (the dashboard's server, benchmarks).

A sweep allocates and frees several arrays of a few megabytes. glibc's malloc hands arrays that
large back to the kernel when they are freed, so the next sweep takes every page again as a page
fault: about 3,500 faults and a fifth of a 10-position, 10-asset sweep's time on the 2-core
machine this was measured on. :func:`keep_freed_memory` asks malloc to keep freed memory (up to
``TRIM_THRESHOLD`` bytes) for reuse. Nothing in the engine calls it: it changes the whole process,
so the program that owns the process opts in (``app.py`` and ``benchmarks/engine.py`` do).
"""

from __future__ import annotations

import ctypes
import sys
from functools import lru_cache

_M_TRIM_THRESHOLD = -1  # glibc's <malloc.h> parameter numbers
_M_MMAP_THRESHOLD = -3
#: glibc's largest allowed mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX).
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024


@lru_cache(maxsize=1)
def keep_freed_memory() -> bool:
    """Serve arrays up to 32 MiB from malloc's heap and keep up to 256 MiB of freed heap for reuse,
    instead of returning it to the kernel after each use. True if applied (glibc); False on other
    systems, where it does nothing. Larger arrays are still mapped and returned as before."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
