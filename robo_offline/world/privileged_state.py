"""The low-dimensional observation (`obs_mode=state`): a fixed vector built from the privileged
`info` every env step reports, so the same datasets serve image and state training (the vector is
rebuilt from the stored infos, no regeneration).

Besides absolute positions it holds the vectors from the end-effector to the grasp point and to
both drawer handles: a grasp or handle decision is a sharp function of such a difference, which an
MLP on absolute positions learns poorly (BC succeeded 0/30 without the vectors, 26/30 with them).

Angles enter as (cos 2a, sin 2a): the two-finger gripper looks the same after a half turn, so
the env wraps its yaw to [-pi/2, pi/2), and a raw wrapped angle jumps from +pi/2 to -pi/2 at the
very yaw the drawer skills use; the doubled angle's cosine and sine are continuous there.

Order (24 floats), metres, world frame:

| index | field |
| --- | --- |
| 0-2 | end-effector (tcp) position |
| 3-4 | gripper yaw as cos 2a, sin 2a |
| 5 | gripper opening |
| 6 | gripper commanded closed (0/1) |
| 7-8 | drawer openings (top, bottom) |
| 9-11 | object centre |
| 12 | object held (0/1) |
| 13-15 | grasp point minus tcp |
| 16-17 | grasp yaw minus gripper yaw as cos 2a, sin 2a |
| 18-20 | top drawer handle gap minus tcp |
| 21-23 | bottom drawer handle gap minus tcp |
"""
from __future__ import annotations

import numpy as np

# What a goal names in state mode: the scene (drawer openings, object centre), not the robot. A
# goal's robot pose is not part of reaching it, and an evaluation goal shows the robot where the
# play data rarely is (a neutral pose beside a changed scene); goal vectors keep these columns.
GOAL_SCENE_COLUMNS = (7, 8, 9, 10, 11)
STATE_INFO_KEYS = ("ee_pos", "ee_yaw", "gripper_opening", "gripper_closed", "drawer_opening",
                   "object_pos", "object_grasped", "grasp_pos", "grasp_yaw", "handle_pos")
PRIVILEGED_STATE_DIM = 24
# The gripper's command column (1 closed, 0 open) in this vector and in the camera modes' 6-d
# proprio state (tcp x, y, z, yaw, opening, command: World.proprio)
PRIVILEGED_GRIPPER_CLOSED = 6
PROPRIO_GRIPPER_CLOSED = 5
# Named column groups, for train's `oracle_state=[...]` diagnostic (which privileged facts lift the
# image agents). `robot` holds what the proprio state holds and is always kept.
STATE_GROUPS = {"robot": range(0, 7), "drawers": range(7, 9), "object": range(9, 12), "held": range(12, 13),
                "grasp": range(13, 18), "handles": range(18, 24)}


def _half_turn_angle(a: np.ndarray) -> np.ndarray:
    """(..., 1) angles -> (..., 2) = cos 2a, sin 2a: continuous, and the same for a and a + pi."""
    return np.concatenate([np.cos(2 * a), np.sin(2 * a)], axis=-1)


def privileged_state(info: dict) -> np.ndarray:
    """float32 (..., 24) from one step's info (scalars, (3,) ...) or stacked infos ((F,), (F, 3) ...)."""
    missing = [k for k in STATE_INFO_KEYS if k not in info]
    if missing:
        raise KeyError(f"info lacks {missing} needed for the privileged state")
    ee = np.asarray(info["ee_pos"], dtype=np.float64)
    lead = ee.shape[:-1]

    def scalar(key):
        return np.asarray(info[key], dtype=np.float64).reshape(*lead, 1)

    handles = np.asarray(info["handle_pos"], dtype=np.float64).reshape(*lead, 2, 3)
    ee_yaw = scalar("ee_yaw")
    parts = [
        ee, _half_turn_angle(ee_yaw), scalar("gripper_opening"), scalar("gripper_closed"),
        np.asarray(info["drawer_opening"], dtype=np.float64).reshape(*lead, 2),
        np.asarray(info["object_pos"], dtype=np.float64), scalar("object_grasped"),
        np.asarray(info["grasp_pos"], dtype=np.float64) - ee,
        _half_turn_angle(scalar("grasp_yaw") - ee_yaw),
        handles[..., 0, :] - ee, handles[..., 1, :] - ee,
    ]
    return np.concatenate(parts, axis=-1).astype(np.float32)


def goal_scene_mask() -> np.ndarray:
    """float32 (24,): 1 on GOAL_SCENE_COLUMNS, 0 elsewhere; a state-mode goal is state * mask."""
    mask = np.zeros(PRIVILEGED_STATE_DIM, dtype=np.float32)
    mask[list(GOAL_SCENE_COLUMNS)] = 1.0
    return mask


def state_groups_mask(groups) -> np.ndarray:
    """float32 (24,): 1 on the `robot` columns and on those of the named STATE_GROUPS, 0 elsewhere."""
    unknown = sorted(set(groups) - set(STATE_GROUPS))
    if unknown:
        raise ValueError(f"unknown privileged state groups {unknown}; choose from {list(STATE_GROUPS)}")
    mask = np.zeros(PRIVILEGED_STATE_DIM, dtype=np.float32)
    for group in ("robot", *groups):
        mask[list(STATE_GROUPS[group])] = 1.0
    return mask
