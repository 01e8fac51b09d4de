import math

import pytest

from robo_offline.evaluate import evaluation_seeds, wilson_interval


@pytest.mark.parametrize("successes,n", [(0, 10), (10, 10), (5, 10), (37, 100), (1, 1)])
def test_wilson_interval_contains_estimate_and_stays_in_unit_range(successes, n):
    lo, hi = wilson_interval(successes, n)
    assert 0.0 <= lo <= successes / n <= hi <= 1.0


def test_wilson_interval_known_value():
    # 50/100: Wilson 95% interval is [0.4038, 0.5962]
    lo, hi = wilson_interval(50, 100)
    assert math.isclose(lo, 0.4038, abs_tol=1e-4) and math.isclose(hi, 0.5962, abs_tol=1e-4)


def test_interval_narrows_with_more_episodes():
    assert (lambda a, b: b - a)(*wilson_interval(500, 1000)) < (lambda a, b: b - a)(*wilson_interval(5, 10))


def test_evaluation_seeds_are_distinct_across_seeds():
    a, b = evaluation_seeds(0, 100), evaluation_seeds(1, 100)
    assert len(set(a) | set(b)) == 200
