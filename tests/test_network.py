"""The network's building blocks called with chosen inputs: the random graph's pairs, entry look-ups, Mesa's space.

The network as a whole (housing hierarchy, ablations, per-level sums) is in tests/test_mechanisms.py; these
tests pin the small functions underneath, at the sizes where their edge cases show (docs/mutation.md).
"""

from __future__ import annotations

from random import Random

import numpy as np
import pytest

from simulation.model.network import SocialNetwork, TieSpace, _count_ties, _from_pairs, _random_pairs, build_network


def pairs_of(src: np.ndarray, dst: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(src.tolist(), dst.tolist(), strict=True))


def small_network(pairs: list[tuple[int, int]], n: int) -> SocialNetwork:
    src, dst = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    building = np.arange(n) // 2
    return _from_pairs(src, dst, n, 0.5, building, building // 2)


@pytest.mark.parametrize("n", [0, 1])
def test_a_random_network_of_fewer_than_two_residents_has_no_ties(n):
    src, dst = _random_pairs(np.random.default_rng(0), n, 10)
    for ends in (src, dst):
        assert ends.shape == (0,) and ends.dtype == np.int64


def test_two_residents_can_have_their_one_tie():
    src, dst = _random_pairs(np.random.default_rng(0), 2, 5)
    assert pairs_of(src, dst) == {(0, 1)} and len(src) == 1


def test_a_random_network_never_asks_for_more_ties_than_there_are_pairs():
    src, dst = _random_pairs(np.random.default_rng(1), 4, 100)
    assert pairs_of(src, dst) == {(a, b) for a in range(4) for b in range(a + 1, 4)}
    assert len(src) == 6


def test_random_pairs_are_distinct_ordered_integer_pairs():
    src, dst = _random_pairs(np.random.default_rng(2), 50, 200)
    assert len(src) == 200 and len(pairs_of(src, dst)) == 200
    assert src.dtype == np.int64 and dst.dtype == np.int64
    assert ((0 <= src) & (src < dst) & (dst < 50)).all()


def test_ties_are_counted_once_whatever_their_direction_and_without_self_pairs():
    src, dst = np.array([0, 1, 2, 2, 3, 4]), np.array([1, 0, 2, 3, 2, 0])
    assert _count_ties(src, dst, 5) == 3  # 0-1, 2-3, 0-4


def test_entries_of_gives_the_stored_positions_of_each_residents_ties():
    net = small_network([(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (4, 5)], 6)
    for residents in ([0], [3], [1, 4], [0, 2, 5], [5]):
        expected = np.flatnonzero(np.isin(net.rows, residents))
        assert np.array_equal(net.entries_of(np.array(residents)), expected), residents


def test_the_tie_space_has_one_cell_per_resident_with_the_models_random():
    net = small_network([(0, 1), (1, 2), (2, 3)], 5)
    random = Random(7)
    space = TieSpace(net, random)
    assert space.random is random
    assert [cell.coordinate for cell in space.all_cells] == list(range(5))
    assert all(cell.random is random for cell in space.all_cells)
    assert list(space[1].connections) == [0, 2] and space[1].connections[2] is space[2]
    assert space[4].connections == {}
    assert sorted(space.G.edges) == [(0, 1), (1, 2), (2, 3)]


def test_residents_with_one_tie_have_ties_and_isolates_average_to_nothing():
    net = small_network([(0, 1), (1, 2)], 4)  # resident 3 knows nobody
    net.ties.data[(net.rows + net.cols) == 1] = 0.9  # the tie 0-1 trusted more than 1-2 (0.5), both directions
    assert net.has_ties.tolist() == [True, True, True, False]
    values = np.array([1.0, 2.0, 4.0, 8.0])
    assert net.neighbour_mean(values).tolist() == [2.0, 2.5, 2.0, 0.0]  # unweighted unless asked
    weighted = net.neighbour_mean(values, weighted=True)
    assert weighted == pytest.approx([2.0, (0.9 * 1 + 0.5 * 4) / 1.4, 2.0, 0.0])


def test_the_housing_network_is_the_default():
    args = (600, 30, 4, 6.0, 3.0, 1.0, 0.5)
    default = build_network(np.random.default_rng(4), *args)
    housing = build_network(np.random.default_rng(4), *args, kind="housing")
    assert (default.ties != housing.ties).nnz == 0 and default.n_ties > 0
