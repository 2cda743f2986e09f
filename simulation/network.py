"""The social-capital network: who knows whom, and how much each tie is trusted.

Ties follow the housing hierarchy of a Chinese urban community (grid
management: community -> compound -> building): dense ties between
building-mates, sparser bridging ties across buildings of a compound, and few
ties across compounds (brief, sections 3 and 2). The structure is kept as a
sparse matrix for the per-step updates; a networkx graph of the same structure
is built for Mesa's ``Network`` space, for drawing and for analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp


@dataclass
class SocialNetwork:
    """Undirected ties as a symmetric CSR matrix whose data is each tie's trust."""

    ties: sp.csr_matrix  # ties[i, j] = trust carried by the tie i-j (0-1)
    rows: np.ndarray  # row index of each stored entry, aligned with ties.data
    building: np.ndarray  # building of each resident
    compound: np.ndarray  # compound of each resident

    def __post_init__(self) -> None:
        ones = np.ones_like(self.ties.data)
        self._pattern = sp.csr_matrix((ones, self.ties.indices, self.ties.indptr), shape=self.ties.shape)
        self._degree = np.diff(self.ties.indptr).astype(float)

    @property
    def n(self) -> int:
        return self.ties.shape[0]

    @property
    def cols(self) -> np.ndarray:
        return self.ties.indices

    @property
    def tie_trust(self) -> np.ndarray:
        """Trust on every stored (directed) entry; both directions of a tie hold the same value."""
        return self.ties.data

    def degree(self) -> np.ndarray:
        return self._degree

    def neighbour_mean(self, values: np.ndarray, weighted: bool = False) -> np.ndarray:
        """Mean of ``values`` over each resident's neighbours (weighted by tie trust if asked); 0 for isolates."""
        if weighted:
            total = self.ties @ values
            norm = self.ties @ np.ones(self.n)
        else:
            total = self._pattern @ values
            norm = self._degree
        return np.divide(total, norm, out=np.zeros(self.n), where=norm > 0)

    def to_networkx(self) -> nx.Graph:
        """The same structure as a networkx graph with integer nodes (resident indices)."""
        graph = nx.Graph()
        graph.add_nodes_from(range(self.n))
        upper = self.rows < self.cols
        graph.add_edges_from(zip(self.rows[upper].tolist(), self.cols[upper].tolist(), strict=True))
        return graph


def housing_units(n: int, building_size: int, buildings_per_compound: int) -> tuple[np.ndarray, np.ndarray]:
    """Assign residents to buildings and buildings to compounds, in order."""
    building = np.arange(n) // building_size
    compound = building // buildings_per_compound
    return building, compound


def build_network(
    rng: np.random.Generator,
    n: int,
    building_size: int,
    buildings_per_compound: int,
    ties_within_building: float,
    ties_within_compound: float,
    ties_across_compounds: float,
    initial_tie_trust: float,
) -> SocialNetwork:
    """Draw a housing-hierarchy network; mean degree is close to the sum of the three tie rates."""
    building, compound = housing_units(n, building_size, buildings_per_compound)
    compound_size = building_size * buildings_per_compound
    groups = (
        (ties_within_building, building * building_size, building_size),
        (ties_within_compound, compound * compound_size, compound_size),
        (ties_across_compounds, np.zeros(n, dtype=np.int64), n),
    )
    sources, targets = [], []
    for mean_ties, group_start, group_size in groups:
        # Each resident proposes about mean/2 ties; the tie is mutual, so degree ~ mean.
        count = rng.poisson(mean_ties / 2, size=n)
        src = np.repeat(np.arange(n), count)
        start = group_start[src]
        size = np.minimum(group_size, n - start)
        dst = start + (rng.random(src.size) * size).astype(np.int64)
        sources.append(src)
        targets.append(dst)
    src = np.concatenate(sources)
    dst = np.concatenate(targets)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    pattern = sp.coo_matrix((np.ones(src.size), (src, dst)), shape=(n, n)).tocsr()
    pattern = (pattern + pattern.T).tocsr()
    pattern.sum_duplicates()
    pattern.data[:] = initial_tie_trust
    pattern.sort_indices()
    rows = np.repeat(np.arange(n), np.diff(pattern.indptr))
    return SocialNetwork(pattern, rows, building, compound)
