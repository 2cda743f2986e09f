"""Hand-built residents, network and monthly outcomes for the tests of residents' rules (docs/ODD.md 7.4, 7.9)."""

from __future__ import annotations

import numpy as np

from simulation import load_scenario
from simulation.model.network import build_network
from simulation.model.population import create_residents
from simulation.model.problems import Outcomes

GUARDIAN = load_scenario("guardian").params


def make_population(n=2000, seed=0, network="housing", **changes):
    """The guardian's parameters (with ``changes``), a random stream, the network and the residents, as a model
    builds them: ``(params, rng, network, residents)``."""
    p = GUARDIAN.replace(n_residents=n, **changes)
    rng = np.random.default_rng(seed)
    net = build_network(rng, n, p.building_size, p.buildings_per_compound, p.ties_within_building,
                        p.ties_within_compound, p.ties_across_compounds, p.initial_tie_trust, network)  # fmt: skip
    return p, rng, net, create_residents(rng, n, p)


def outcomes(n, solved=1.0, residents=0.0, service=0.0, excess=0.0):
    """Every resident's month alike: the share of problems solved, by residents, by services, beyond need."""
    full = np.full(n, 1.0)
    own = residents + service
    return Outcomes(full * solved, full * residents, full * service, full * own, full * excess, full * (1 - solved))
