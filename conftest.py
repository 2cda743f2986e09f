"""Test-session settings shared by the tests and the notebooks run through nbmake."""

import os
import shutil
from pathlib import Path

# Notebooks run top to bottom in the test suite on their small setting (the same code as the full one);
# set NOTEBOOK_QUICK=0 to run them at full size.
os.environ.setdefault("NOTEBOOK_QUICK", "1")

NOTEBOOK_RESULTS = Path(__file__).resolve().parent / "notebooks" / "figures"
STALE = NOTEBOOK_RESULTS / ".stale"


def pytest_sessionstart(session) -> None:
    """Set aside notebook results made with other code or configurations, so the notebooks compute afresh.

    The notebooks keep their sweeps and calibration in notebooks/figures/ (git-ignored) and resume them on
    the next run. The library refuses to resume results made with other inputs (it would mix two models in
    one dataset), so after an edit of the model those caches would stop the notebooks. They are moved to
    notebooks/figures/.stale/ (the latest stale copy of each is kept), never mixed and never silently reused.
    """
    if not NOTEBOOK_RESULTS.is_dir():
        return
    from simulation.experiments.calibration import stale_calibration
    from simulation.experiments.sweep_store import stale_reason

    found = [(m.parent, stale_reason(m.parent)) for m in NOTEBOOK_RESULTS.rglob("manifest.json")]
    calibrations = {p.parent for name in ("calibration.json", "history.db") for p in NOTEBOOK_RESULTS.rglob(name)}
    found += [(directory, stale_calibration(directory)) for directory in sorted(calibrations)]
    for directory, reason in found:
        if reason is None or STALE in directory.parents:
            continue
        target = STALE / directory.relative_to(NOTEBOOK_RESULTS)
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(directory, target)
        print(f"\nset aside {directory.relative_to(NOTEBOOK_RESULTS.parent)} (notebook results: {reason})")
