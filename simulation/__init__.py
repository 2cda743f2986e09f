"""Agent-based simulation of urban communities growing from dependence on government into self-governance."""

from .model import CommunityModel
from .parameters import ParameterError, Parameters
from .runner import run_scenario
from .scenarios import Scenario, ScenarioError, list_scenarios, load_scenario

__all__ = [
    "CommunityModel",
    "ParameterError",
    "Parameters",
    "Scenario",
    "ScenarioError",
    "list_scenarios",
    "load_scenario",
    "run_scenario",
]
__version__ = "0.1.0"
