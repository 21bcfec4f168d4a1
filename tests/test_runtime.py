"""keep_freed_memory: freed multi-megabyte arrays are reused instead of faulted in again.

Counted in page faults, not seconds, in a child process (the setting changes the whole process).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import resource, sys
import numpy as np
sys.path.insert(0, {root!r})
from margin.runtime import keep_freed_memory
applied = keep_freed_memory() if {tune} else False

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):  # as a sweep does: several arrays of a few MB at once, then all freed
        arrays = [np.ones(500_000) for _ in range(6)]  # 6 x 4 MB
        del arrays
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

faults()  # the first round grows the heap
print(applied, faults())
"""


def _child(tune: bool) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), tune=tune)], capture_output=True,
                         text=True, check=True, timeout=60).stdout.split()
    return out[0], int(out[1])


# CI runs on Debian: there the test always runs (a CI on another system fails here instead of skipping).
@pytest.mark.skipif(not sys.platform.startswith("linux") and not os.environ.get("CI"),
                    reason="glibc's malloc is tuned on Linux only")
def test_freed_arrays_are_reused_without_page_faults():
    applied, tuned_faults = _child(tune=True)
    plain = _child(tune=False)[1]
    assert applied == "True"
    assert plain >= 20 * 6  # glibc's default trims the freed 24 MB: every round faults each array in again
    assert tuned_faults < 20
