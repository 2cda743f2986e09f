"""Agent-based simulation of urban communities growing from dependence on government into self-governance.

The package in layers, each importing only from the ones before it:

* this folder: what every layer shares (``validation``, ``inputs``, ``i18n``, ``names``, ``fonts``,
  ``lifeline``) and the command line (``cli``);
* ``simulation.model``: the community model (docs/ODD.md);
* ``simulation.experiments``: many runs of it (sweeps, sensitivity, discovery, calibration, the theory's
  experiments, robustness);
* ``simulation.dashboard``: the Solara dashboard.

The public API is importable from here.
"""

from .experiments.compare import compare_scenarios
from .experiments.sweep import SweepResult, load_sweep, run_sweep
from .model.community import CommunityModel
from .model.parameters import ParameterError, Parameters
from .model.runner import run_scenario
from .model.scenarios import Scenario, ScenarioError, list_scenarios, load_scenario

__all__ = [
    "CommunityModel",
    "ParameterError",
    "Parameters",
    "Scenario",
    "ScenarioError",
    "SweepResult",
    "compare_scenarios",
    "list_scenarios",
    "load_scenario",
    "load_sweep",
    "run_scenario",
    "run_sweep",
]
__version__ = "0.1.0"
