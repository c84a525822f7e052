"""One process-wide setting that makes training faster on Linux: glibc's ``malloc`` keeps freed memory.

Memory freed at the end of a training step is needed again by the next one.
By default glibc's ``malloc`` gives large arrays their own pages from the
kernel (``mmap``) and hands the top of its heap back as soon as a little of it
is free; either way the next step faults fresh pages in, which the kernel must
zero (the book's appendix "Performance" measures what that costs).

Importing cnnlib changes nothing; :func:`cnnlib.train` calls
:func:`keep_freed_memory` when it starts, and ``benchmarks/benchmark.py`` does
too, unless the environment variable ``CNNLIB_KEEP_FREED_MEMORY`` is ``0``.
"""

import ctypes
import ctypes.util
import os
import sys

__all__ = ["keep_freed_memory", "MMAP_THRESHOLD", "HEAP_PAD"]

MMAP_THRESHOLD = 32 << 20  # the largest glibc accepts on 64-bit systems
HEAP_PAD = 64 << 20


def keep_freed_memory():
    """Make glibc's ``malloc`` reuse freed memory instead of returning it to the kernel.

    Two ``mallopt`` settings: arrays below 32 MB come from the heap rather than
    from pages mapped for each of them (``M_MMAP_THRESHOLD``), and the heap keeps
    64 MB of free space when it shrinks (``M_TOP_PAD``), so a training step
    reuses the pages the previous step freed.  It is a setting of the whole
    process and keeps at most 64 MB more memory than glibc's defaults would.

    Returns ``True`` if applied; ``False`` when ``CNNLIB_KEEP_FREED_MEMORY=0``
    or where the C library is not glibc (macOS, Windows, musl): then it does nothing.
    """
    if os.environ.get("CNNLIB_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    M_TOP_PAD, M_MMAP_THRESHOLD = -2, -3  # glibc's <malloc.h>
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TOP_PAD, HEAP_PAD))
