"""The overlap number (robo_offline/data/overlap.py) on small synthetic end/start states."""
from __future__ import annotations

import numpy as np

from robo_offline.data.overlap import CHUNK, covered


def states(ee, grip, drawers) -> dict:
    return {"ee_pos": np.asarray(ee, float), "gripper_opening": np.asarray(grip, float),
            "drawer_opening": np.asarray(drawers, float)}


TASK = states([[0.42, -0.05, 0.25], [0.40, 0.0, 0.22]], [0.09, 0.09], [[0.15, 0.0], [0.14, 0.0]])


def test_all_prior_ends_covered():
    prior = states([[0.45, -0.05, 0.25], [0.40, 0.04, 0.20]], [0.0885, 0.0905], [[0.13, 0.0], [0.16, 0.02]])
    assert covered(prior, TASK).mean() == 1.0


def test_no_prior_end_covered():
    # the old data: gripper closed at the handle, far from where the task starts
    prior = states([[0.64, -0.03, 0.25], [0.42, -0.05, 0.25]], [0.0, 0.0], [[0.15, 0.0], [0.15, 0.0]])
    assert covered(prior, TASK).mean() == 0.0


def test_every_criterion_must_hold_with_the_same_task_start():
    prior = states(
        [[0.42, -0.05, 0.25],   # covered by task start 0
         [0.42, -0.05, 0.25],   # gripper 3 mm off: not covered
         [0.42, -0.05, 0.25],   # bottom drawer 4 cm off: not covered
         [0.40, 0.0, 0.22]],    # pose of start 1 with the drawer of start 0 (within 3 cm of 1 too): covered
        [0.09, 0.087, 0.09, 0.09],
        [[0.15, 0.0], [0.15, 0.0], [0.15, 0.04], [0.15, 0.0]])
    np.testing.assert_array_equal(covered(prior, TASK), [True, False, False, True])
    # ee within 6 cm of start 0 and drawers of start 1 only: no single start matches both
    task = states([[0.42, -0.05, 0.25], [0.60, 0.2, 0.10]], [0.09, 0.09], [[0.0, 0.0], [0.15, 0.0]])
    assert not covered(states([[0.44, -0.05, 0.25]], [0.09], [[0.15, 0.0]]), task)[0]


def test_distance_is_euclidean_for_the_end_effector_and_chunks_agree():
    # 5 cm along two axes each: 7.1 cm apart, each axis within 6 cm
    prior = states([[0.47, 0.0, 0.25]], [0.09], [[0.15, 0.0]])
    task = states([[0.42, -0.05, 0.25]], [0.09], [[0.15, 0.0]])
    assert not covered(prior, task)[0]
    rng = np.random.default_rng(0)
    n = CHUNK + 7
    prior = states(rng.uniform(0.3, 0.5, (n, 3)), np.full(n, 0.09), rng.uniform(0.1, 0.15, (n, 2)))
    task = states(rng.uniform(0.3, 0.5, (50, 3)), np.full(50, 0.09), rng.uniform(0.1, 0.15, (50, 2)))
    hits = covered(prior, task)
    first = {k: v[:10] for k, v in prior.items()}
    np.testing.assert_array_equal(hits[:10], covered(first, task))
    assert 0.0 < hits.mean() < 1.0


def test_the_object_criterion_needs_the_object_where_a_task_start_has_it():
    """Robot and drawers meet; the object slid 3 cm back in the drawer (as a pull leaves it) is
    covered only without `with_object`, one 0.5 cm off is covered either way."""
    prior = states([[0.42, -0.05, 0.25], [0.42, -0.05, 0.25]], [0.09, 0.09], [[0.15, 0.0], [0.15, 0.0]])
    prior["object_pos"] = np.array([[0.5, 0.03, 0.13], [0.5, 0.005, 0.13]])
    task = {**TASK, "object_pos": np.array([[0.5, 0.0, 0.13], [0.45, 0.0, 0.13]])}
    np.testing.assert_array_equal(covered(prior, task), [True, True])
    np.testing.assert_array_equal(covered(prior, task, with_object=True), [False, True])
