"""How much of what a goal-reaching evaluation asks for a play dataset shows: the share of
episodes whose last frame differs from the first in the drawer only, the object only, or both
(the GoalReach goal families), by more than twice the success tolerances. A dataset card line."""
from __future__ import annotations

import numpy as np

from robo_offline.world.tasks.goal_reach import DRAWER_TOLERANCE, OBJECT_TOLERANCE


def goal_family_shares(achieved_goal: np.ndarray, ep_frame_start: np.ndarray, ep_steps: np.ndarray) -> dict:
    """{"drawer", "object", "both": share of episodes} from the per-frame achieved goals (F, 5)."""
    first, last = achieved_goal[ep_frame_start], achieved_goal[ep_frame_start + ep_steps]
    drawer = np.abs(last[:, :2] - first[:, :2]).max(axis=1) > 2 * DRAWER_TOLERANCE
    obj = np.linalg.norm(last[:, 2:5] - first[:, 2:5], axis=1) > 2 * OBJECT_TOLERANCE
    n = max(1, len(first))
    return {"drawer": float((drawer & ~obj).sum() / n), "object": float((obj & ~drawer).sum() / n),
            "both": float((drawer & obj).sum() / n)}


def goal_family_coverage_line(dataset_id: str, store) -> str | None:
    """The card's coverage row for a dataset with `achieved_goal` infos; None for the others."""
    from robo_offline.data.reader import read_episodes

    eps = read_episodes(dataset_id, store, optional_info_keys=("achieved_goal",), with_frames=False)
    if "achieved_goal" not in eps.infos:
        return None
    shares = goal_family_shares(np.asarray(eps.infos["achieved_goal"]), eps.ep_frame_start, eps.ep_steps)
    text = ", ".join(f"{family} {100 * share:.1f}%" for family, share in shares.items())
    return (f"| goal families the episodes show (last frame against the first, beyond twice the GoalReach "
            f"tolerances; drawer and object: that part alone) | {text} |")
