"""The social-capital network: who knows whom, and how much each tie is trusted.

Ties follow the housing hierarchy of a Chinese urban community, the grid of
essays 7 and 8 ("社区—片区—楼院—楼栋—单元"五级网络: community, area, compound,
building, unit): dense ties between building-mates, sparser bridging ties
across the buildings of a compound, and few ties across compounds. Two
ablations keep everything else equal (docs/ODD.md 7.0): ``random`` draws the
same number of ties between residents chosen at random, ``none`` has no ties.

Every stored tie carries its *level* (same building, same compound, across
compounds), because problems belong to a building, a compound or the whole
community, and acting on them needs co-participants at that level
(:meth:`SocialNetwork.active_ties`). The structure is a sparse matrix for the
per-step updates; Mesa's ``Network`` space of the same structure
(:class:`TieSpace`) is built straight from the matrix, and a networkx graph
only when someone asks for it (``TieSpace.G``, for drawing and analysis).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from random import Random

import networkx as nx
import numpy as np
import scipy.sparse as sp
from mesa.discrete_space import Network

LEVELS = ("building", "compound", "community")
BUILDING, COMPOUND, COMMUNITY = 0, 1, 2


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
        self._ones = np.ones(self.n)
        self.has_ties = self._degree > 0
        # numpy gathers with int64 indices about three times faster than with scipy's int32 ones.
        self._cols = self.ties.indices.astype(np.int64)
        cols = self._cols
        # Level of each stored entry: 0 same building, 1 same compound (another building), 2 across compounds.
        self.tie_level = np.where(
            self.building[self.rows] == self.building[cols],
            BUILDING,
            np.where(self.compound[self.rows] == self.compound[cols], COMPOUND, COMMUNITY),
        ).astype(np.int8)
        # Ties stacked by level, (3n x n): one sparse product sums over all three levels at once.
        level_rows = self.rows + self.n * self.tie_level.astype(np.int64)
        self._by_level = sp.csr_matrix((ones, (level_rows, cols)), shape=(len(LEVELS) * self.n, self.n))
        # Each tie once (the entry with row < column) and the position of its mirror entry, so that
        # per-tie updates touch half the entries and copy the result to the other direction.
        self.upper = np.flatnonzero(self.rows < cols)
        self.mirror = self._mirror_entries(self.upper)
        self.upper_ends = (self.rows[self.upper], cols[self.upper])

    def _mirror_entries(self, entries: np.ndarray) -> np.ndarray:
        """Position of entry (j, i) for each entry (i, j)."""
        # CSR keeps rows in order and columns sorted within a row, so row * n + column increases
        # strictly over the stored entries and a binary search finds each mirror.
        order_key = self.rows * self.n + self._cols
        return np.searchsorted(order_key, self._cols[entries] * self.n + self.rows[entries])

    @property
    def n(self) -> int:
        return self.ties.shape[0]

    @property
    def cols(self) -> np.ndarray:
        return self._cols

    @property
    def tie_trust(self) -> np.ndarray:
        """Trust on every stored (directed) entry; both directions of a tie hold the same value."""
        return self.ties.data

    @property
    def n_ties(self) -> int:
        """Number of (undirected) ties."""
        return self.ties.nnz // 2

    def degree(self) -> np.ndarray:
        return self._degree

    def neighbour_mean(self, values: np.ndarray, weighted: bool = False) -> np.ndarray:
        """Mean of ``values`` over each resident's neighbours (weighted by tie trust if asked); 0 for isolates."""
        if weighted:
            total = self.ties @ values
            norm = self.ties @ self._ones
        else:
            total = self._pattern @ values
            norm = self._degree
        return np.divide(total, norm, out=np.zeros(self.n), where=norm > 0)

    def entries_of(self, residents: np.ndarray) -> np.ndarray:
        """Positions of the stored entries (ties) of the given residents, in storage order if they are sorted."""
        starts = self.ties.indptr[residents].astype(np.int64)
        counts = self.ties.indptr[residents + 1] - starts
        first_of_block = np.cumsum(counts) - counts
        return np.repeat(starts - first_of_block, counts) + np.arange(counts.sum())

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each resident's neighbours (a count when values are 0/1)."""
        return self._pattern @ values

    def sum_by_level(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each resident's neighbours per level: shape (3, n), building/compound/community."""
        return (self._by_level @ values).reshape(len(LEVELS), self.n)

    def to_networkx(self) -> nx.Graph:
        """The same structure as a networkx graph with integer nodes (resident indices)."""
        graph = nx.Graph()
        graph.add_nodes_from(range(self.n))
        upper = self.rows < self.cols
        graph.add_edges_from(zip(self.rows[upper].tolist(), self.cols[upper].tolist(), strict=True))
        return graph


class TieSpace(Network):
    """Mesa's ``Network`` space of the residents' ties, one cell per resident, built from the sparse matrix.

    The same cells and connections as ``Network(network.to_networkx(), layout=None)`` (cell ``i`` for
    resident ``i``, connected to its neighbours in ascending order, keyed by their index), without
    walking a networkx graph: at 100,000 residents that graph alone took about 2 s to build. ``G``, the
    networkx graph Mesa's ``Network`` keeps, is built on first use. Building the space draws no random
    numbers (Mesa's cells only keep ``random``).
    """

    def __init__(self, network: SocialNetwork, random: Random) -> None:
        super().__init__(nx.Graph(), random=random, layout=None)  # no nodes yet: Mesa's own set-up, no cells
        del self.G  # the graph of the ties is built on first use (the property below)
        self._network = network
        cells = [self.cell_klass(i, capacity=self.capacity, random=self.random) for i in range(network.n)]
        self._cells = dict(enumerate(cells))
        self.__dict__.pop("all_cells", None)  # Mesa's cached collection of the (then no) cells
        indptr, indices = network.ties.indptr.tolist(), network.ties.indices.tolist()
        for i, cell in enumerate(cells):
            neighbours = indices[indptr[i] : indptr[i + 1]]
            cell.connections = dict(zip(neighbours, [cells[j] for j in neighbours], strict=True))

    @cached_property
    def G(self) -> nx.Graph:  # noqa: N802 (Mesa's name)
        """The ties as a networkx graph (:meth:`SocialNetwork.to_networkx`), built when first asked for."""
        return self._network.to_networkx()


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
    kind: str = "housing",
) -> SocialNetwork:
    """Draw the network: ``housing`` (mean degree close to the sum of the three tie rates), ``random`` or ``none``."""
    building, compound = housing_units(n, building_size, buildings_per_compound)
    if kind == "none":
        src = dst = np.zeros(0, dtype=np.int64)
    else:
        src, dst = _housing_pairs(rng, n, building, compound, building_size, buildings_per_compound,
                                  (ties_within_building, ties_within_compound, ties_across_compounds))  # fmt: skip
        if kind == "random":
            src, dst = _random_pairs(rng, n, _count_ties(src, dst, n))
    return _from_pairs(src, dst, n, initial_tie_trust, building, compound)


def _housing_pairs(
    rng: np.random.Generator,
    n: int,
    building: np.ndarray,
    compound: np.ndarray,
    building_size: int,
    buildings_per_compound: int,
    rates: tuple[float, float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Tie proposals within buildings, within compounds and across the community."""
    compound_size = building_size * buildings_per_compound
    groups = (
        (rates[0], building * building_size, building_size),
        (rates[1], compound * compound_size, compound_size),
        (rates[2], np.zeros(n, dtype=np.int64), n),
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
    return np.concatenate(sources), np.concatenate(targets)


def _count_ties(src: np.ndarray, dst: np.ndarray, n: int) -> int:
    """Distinct undirected ties among the pairs (self-pairs and repeats dropped)."""
    keep = src != dst
    low, high = np.minimum(src[keep], dst[keep]), np.maximum(src[keep], dst[keep])
    return int(np.unique(low * n + high).size)


def _random_pairs(rng: np.random.Generator, n: int, n_ties: int) -> tuple[np.ndarray, np.ndarray]:
    """Exactly ``n_ties`` distinct ties between residents drawn at random (an Erdős-Rényi graph G(n, m))."""
    if n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    n_ties = min(n_ties, n * (n - 1) // 2)
    keys = np.zeros(0, dtype=np.int64)
    while keys.size < n_ties:
        # Oversample, drop self-pairs and repeats; the first n_ties distinct pairs in drawing order are kept.
        draw = max(16, int(1.2 * (n_ties - keys.size)))
        a, b = rng.integers(n, size=draw), rng.integers(n, size=draw)
        fresh = np.minimum(a, b)[a != b] * n + np.maximum(a, b)[a != b]
        merged = np.concatenate((keys, fresh))
        _, first = np.unique(merged, return_index=True)
        keys = merged[np.sort(first)]
    keys = keys[:n_ties]
    return keys // n, keys % n


def _from_pairs(
    src: np.ndarray, dst: np.ndarray, n: int, tie_trust: float, building: np.ndarray, compound: np.ndarray
) -> SocialNetwork:
    keep = src != dst
    src, dst = src[keep], dst[keep]
    pattern = sp.coo_matrix((np.ones(src.size), (src, dst)), shape=(n, n)).tocsr()
    pattern = (pattern + pattern.T).tocsr()
    pattern.sum_duplicates()
    pattern.data[:] = tie_trust
    pattern.sort_indices()
    rows = np.repeat(np.arange(n), np.diff(pattern.indptr))
    return SocialNetwork(pattern, rows, building, compound)
