"""What long or large work will cost, said before it starts; a community too large for memory is refused.

A run expected to take ESTIMATE_FROM_SECONDS (in :mod:`simulation.cli`) or more prints an estimate of its time
and memory first, and what Ctrl-C keeps; quicker ones stay quiet.
"""

from __future__ import annotations

import math
import sys

from .. import cli  # ESTIMATE_FROM_SECONDS and LARGE_COMMUNITY, read when an estimate is made (see there)
from ..experiments.limits import (
    SizeError,
    check_community_size,
    community_memory,
    community_seconds,
    duration_text,
    size_text,
)
from .options import InputError

# Time per month that does not grow with the community (data collection, the street office, party cells, NGOs):
# 0.9 ms of CPU at 100 residents on the 2-core test machine, 1.4 ms of wall time with other jobs beside it
# (bench/README.md, "Long runs"). The limits' community_seconds counts the per-resident part only, measured from
# 20,000 residents up, where it dominates; below a few thousand residents this part is most of a month.
SECONDS_PER_STEP = 1.0e-3
# What Ctrl-C keeps, said after the estimate.
KEEPS_NOTHING = "Ctrl-C stops it (a single run keeps nothing)"
KEEPS_RUNS = "Ctrl-C keeps finished runs and the same command resumes"


def check_community(n_residents: int, steps: int, runs: int, processes: int, allow_large: bool,
                    keeps: str = KEEPS_RUNS) -> None:  # fmt: skip
    """Refuse communities that cannot fit in memory; say what long or large work will cost before it starts."""
    try:
        check_community_size(n_residents, processes=min(processes, runs), allow_large=allow_large)
    except SizeError as err:
        raise InputError(str(err)) from None
    estimate = cost_estimate(n_residents, steps, runs, processes, keeps)
    if estimate is not None:
        print(estimate, file=sys.stderr, flush=True)


def cost_estimate(n_residents: int, months: int, runs: int = 1, processes: int = 1,
                  keeps: str = KEEPS_RUNS) -> str | None:  # fmt: skip
    """One line on the time and memory ``runs`` runs will take here, ``processes`` at a time, and what Ctrl-C keeps.

    None when the work is expected to take less than ESTIMATE_FROM_SECONDS and the community is not large:
    quick runs stay quiet. The numbers are the measured constants of :mod:`simulation.experiments.limits` plus
    SECONDS_PER_STEP; the line says it is an estimate.
    """
    at_once = max(1, min(processes, runs))
    each = community_seconds(n_residents, months) + months * SECONDS_PER_STEP
    seconds = each * math.ceil(runs / at_once)
    if seconds < cli.ESTIMATE_FROM_SECONDS and n_residents < cli.LARGE_COMMUNITY:
        return None
    memory = size_text(community_memory(n_residents))
    if runs == 1:
        cost = f"about {duration_text(seconds)} and {memory} of memory"
    else:
        cost = f"{runs:,} runs: about {duration_text(seconds)}, and {memory} of memory each, {at_once} at a time"
    return f"{n_residents:,} residents for {months:,} months: {cost} (an estimate for this machine); {keeps}"
