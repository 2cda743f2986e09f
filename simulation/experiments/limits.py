"""Sizes checked before anything is built: runs, design points, memory, and the cost of one large community.

A typo such as ``num = 100000000`` or ``seeds = 100000000`` used to be found by
the operating system: the design or the list of runs filled memory before any
check, and the command ended in a ``MemoryError`` traceback or the machine
swapped. Everything here is arithmetic on the counts, so a size is judged
before a single point, run or resident exists:

* :func:`check_sweep_size` refuses a sweep above :data:`MAX_RUNS` runs or
  :data:`MAX_POINTS` design points, or whose bookkeeping would not fit in the
  memory this process may use;
* :func:`check_community_size` refuses one community that would not fit.

Each refusal is one line naming the number, the limit and the flag that lifts
it (``--allow-large``; ``allow_large=True`` in Python).
"""

from __future__ import annotations

import contextlib
import os
import resource
from pathlib import Path

from ..validation import ValidationError

MAX_RUNS = 1_000_000  # ~80 core-hours at 0.3 s a run: beyond this, a typo is likelier than a plan
MAX_POINTS = 1_000_000
LARGE_COMMUNITY = 50_000  # from this size on, `run` and `compare` say what a community will cost first

# Bookkeeping of the process that drives a sweep (measured with tracemalloc and RSS on a 1,000,000-point
# Latin hypercube over 4 parameters, rounded up): per design point its raw sample, the values the model
# receives, the stored design table and one parameter dictionary; per run its entry among the finished runs.
BYTES_PER_POINT = 400
BYTES_PER_POINT_PARAMETER = 120
BYTES_PER_RUN = 300

# One community, measured on this project's 2-core test machine at 20,000 to 5,000,000 residents
# (bench/scaling.py; results in bench/README.md, "Large communities"), rounded up: peak memory of the process
# that builds and runs it, set-up time, and time per resident-month once it runs. The model core changes;
# re-measure with bench/scaling.py and update these when it does.
COMMUNITY_BASE_BYTES = 150 * 2**20  # the interpreter with numpy, pandas, mesa and networkx loaded
COMMUNITY_BYTES_PER_RESIDENT = 2_700
SETUP_SECONDS_PER_RESIDENT = 1.0e-4
SECONDS_PER_RESIDENT_STEP = 8.0e-7

ALLOW_LARGE = "--allow-large"


class SizeError(ValidationError):
    """A size above a limit, refused before anything was built; the message is one line."""


def memory_budget() -> int:
    """Bytes this process may still use: the least of free memory, the address-space limit and the cgroup's."""
    budgets = []
    with contextlib.suppress(ImportError):  # psutil comes with dask's distributed
        import psutil

        budgets.append(psutil.virtual_memory().available)
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        budgets.append(max(0, soft - _address_space_in_use()))
    budgets += _cgroup_budget()
    return min(budgets) if budgets else 2**63


def _address_space_in_use() -> int:
    """Virtual memory this process already maps (what RLIMIT_AS counts), 0 if unknown."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        pages = int(Path("/proc/self/statm").read_text().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    return 0


def _cgroup_budget() -> list[int]:
    """What the cgroup (v2) memory limit leaves, if this process runs under one (containers, Slurm jobs)."""
    root = Path("/sys/fs/cgroup")
    with contextlib.suppress(OSError, ValueError):
        limit = (root / "memory.max").read_text().strip()
        if limit != "max":
            used = int((root / "memory.current").read_text())
            return [max(0, int(limit) - used)]
    return []


def size_text(n_bytes: float) -> str:
    """Bytes as people read them: 850 MB, 3.2 GB."""
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}" if n_bytes < 10 * scale else f"{n_bytes / scale:,.0f} {unit}"
    return f"{n_bytes / 2**10:.0f} kB"


def duration_text(seconds: float) -> str:
    """Seconds as people read them: 40 s, 12 min, 3.5 h."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# --- sweeps ---------------------------------------------------------------------------------------------


def sweep_memory(points: int, parameters: int, runs: int) -> int:
    """Bytes the driving process needs for a sweep's design and its record of finished runs."""
    return points * (BYTES_PER_POINT + BYTES_PER_POINT_PARAMETER * parameters) + runs * BYTES_PER_RUN


def check_sweep_size(points: int, parameters: int, runs: int, allow_large: bool = False) -> None:
    """Refuse a sweep whose runs, design points or bookkeeping exceed the limits (before any is built)."""
    if allow_large:
        return
    if points > MAX_POINTS:
        raise SizeError(f"the design has {points:,} points, above the limit of {MAX_POINTS:,}; "
                        f"make it smaller, or pass {ALLOW_LARGE} if you mean it")  # fmt: skip
    if runs > MAX_RUNS:
        raise SizeError(f"the sweep has {runs:,} runs, above the limit of {MAX_RUNS:,}; "
                        f"use fewer seeds or points, or pass {ALLOW_LARGE} if you mean it")  # fmt: skip
    need, budget = sweep_memory(points, parameters, runs), memory_budget()
    if need > budget:
        raise SizeError(
            f"{runs:,} runs over {points:,} design point{'s' if points != 1 else ''} need about {size_text(need)} "
            f"of memory to plan, more than the {size_text(budget)} available; make the design smaller, or pass "
            f"{ALLOW_LARGE} to try"
        )


def check_levels(count: int, where: str, allow_large: bool = False) -> None:
    """Refuse one grid factor with more levels than a whole design may have points (it would be one)."""
    if count > MAX_POINTS and not allow_large:
        raise SizeError(f"{where}: {count:,} values, above the limit of {MAX_POINTS:,} design points; "
                        f"make it smaller, or pass {ALLOW_LARGE} if you mean it")  # fmt: skip


# --- one community --------------------------------------------------------------------------------------


def community_memory(n_residents: int) -> int:
    """Estimated peak memory of one model of ``n_residents`` (in the process that builds it)."""
    return COMMUNITY_BASE_BYTES + n_residents * COMMUNITY_BYTES_PER_RESIDENT


def community_seconds(n_residents: int, steps: int) -> float:
    """Estimated seconds to build one model and run it for ``steps`` months."""
    return n_residents * (SETUP_SECONDS_PER_RESIDENT + steps * SECONDS_PER_RESIDENT_STEP)


def check_community_size(n_residents: int, processes: int = 1, allow_large: bool = False) -> None:
    """Refuse communities that would not fit in memory, ``processes`` of them at once, before one is built."""
    need = community_memory(n_residents) * max(1, processes)
    budget = memory_budget()
    if need > budget and not allow_large:
        many = f" x {processes} processes" if processes > 1 else ""
        raise SizeError(
            f"{n_residents:,} residents{many} need about {size_text(need)} of memory, more than the "
            f"{size_text(budget)} available; use fewer residents or workers, or pass {ALLOW_LARGE} to try anyway"
        )
