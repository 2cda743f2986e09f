"""The results directory's old home, kept until its last importers move to :mod:`simulation.experiments.results`.

The command line imports ``ResultsWarning`` from here, and notebooks/publish.py ``stale_reason``.
"""

from .results import ResultsDir, ResultsWarning

stale_reason = ResultsDir.stale

__all__ = ["ResultsWarning", "stale_reason"]
