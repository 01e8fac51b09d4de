"""How well task data covers where prior data ends: the number that says whether offline RL can
stitch the two (COG). Value learnt from task rewards flows back into prior states only through
states both datasets visit; the place they must meet is the prior's end and the task's start.

    python -m robo_offline.data.overlap --prior robo_offline/DrawerGrasp/drawer_open_prior-v2 \\
        --task robo_offline/DrawerGrasp/grasp_task-v2

Overlap = the share of prior episodes whose end state has a task episode start state within
every tolerance of CRITERIA at once (equivalently: whose nearest task start, under the distance
max over criteria of distance / tolerance, is within 1). `--object` adds OBJECT_CRITERION: the robot
and drawers can meet while the object lies elsewhere (pulling a drawer open slides what lies in
it), and a grasp learnt from task starts then aims where the object is not.
"""
from __future__ import annotations

import argparse

import numpy as np

from robo_offline.errors import UserError

# (info key, tolerance, how two values are compared): "l2" = Euclidean distance, "max" = largest
# absolute difference over the components (every drawer within the tolerance)
CRITERIA = (
    ("ee_pos", 0.06, "l2"),
    ("gripper_opening", 0.002, "max"),
    ("drawer_opening", 0.03, "max"),
)
OBJECT_CRITERION = ("object_pos", 0.01, "l2")
CHUNK = 1024  # prior rows compared at once (bounds memory to CHUNK x task episodes per criterion)


def criteria(with_object: bool = False) -> tuple:
    return CRITERIA + (OBJECT_CRITERION,) if with_object else CRITERIA


def describe_criteria(with_object: bool = False) -> str:
    return ", ".join(f"{key} {1000 * tol:g} mm ({norm})" for key, tol, norm in criteria(with_object))


def _distance(a: np.ndarray, b: np.ndarray, norm: str) -> np.ndarray:
    """(n, d) x (m, d) -> (n, m) distances."""
    diff = a[:, None, :] - b[None, :, :]
    return np.linalg.norm(diff, axis=-1) if norm == "l2" else np.abs(diff).max(axis=-1)


def covered(prior_end: dict, task_start: dict, with_object: bool = False) -> np.ndarray:
    """(n,) bool: prior end state i has some task start state within every tolerance at once.
    Both arguments map each criterion's key to an array with one row per episode."""
    n = len(prior_end[CRITERIA[0][0]])
    m = len(task_start[CRITERIA[0][0]])
    out = np.zeros(n, dtype=bool)
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        ok = np.ones((hi - lo, m), dtype=bool)
        for key, tol, norm in criteria(with_object):
            a = np.asarray(prior_end[key][lo:hi], dtype=np.float64).reshape(hi - lo, -1)
            b = np.asarray(task_start[key], dtype=np.float64).reshape(m, -1)
            ok &= _distance(a, b, norm) <= tol
        out[lo:hi] = ok.any(axis=1)
    return out


def episode_states(dataset_id: str, which: str, store=None, max_episodes: int | None = None) -> dict:
    """Every criterion's info values at each episode's first (`which="start"`) or last ("end") step."""
    from robo_offline.data.reader import read_episodes

    keys = tuple(key for key, _, _ in criteria(with_object=True))
    ep = read_episodes(dataset_id, store, info_keys=keys, with_frames=False, max_episodes=max_episodes)
    rows = ep.ep_frame_start + (ep.ep_steps if which == "end" else 0)
    return {key: ep.infos[key][rows] for key in keys}


def overlap(prior_id: str, task_id: str, store=None, max_episodes: int | None = None,
            with_object: bool = False) -> tuple[float, int, int]:
    """(overlap, prior episodes, task episodes) of two datasets (see the module docstring)."""
    prior_end = episode_states(prior_id, "end", store, max_episodes)
    task_start = episode_states(task_id, "start", store, max_episodes)
    hits = covered(prior_end, task_start, with_object)
    return float(hits.mean()), len(hits), len(task_start[CRITERIA[0][0]])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prior", required=True, help="Minari id of the prior dataset")
    ap.add_argument("--task", required=True, help="Minari id of the task dataset")
    ap.add_argument("--store", default=None, help="dataset store (default: MINARI_DATASETS_PATH or datasets/)")
    ap.add_argument("--max-episodes", type=int, default=None, help="read at most this many episodes of each")
    ap.add_argument("--object", action="store_true", help="the object must also lie within 1 cm")
    args = ap.parse_args(argv)
    try:
        value, n_prior, n_task = overlap(args.prior, args.task, args.store, args.max_episodes, args.object)
    except UserError as err:
        ap.exit(1, f"overlap: error: {err}\n")
    print(f"overlap {value:.3f}: share of {n_prior} prior end states with one of {n_task} task start states "
          f"within {describe_criteria(args.object)} at once")


if __name__ == "__main__":
    main()
