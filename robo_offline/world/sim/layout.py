"""Fixed geometry of the scene (metres, world frame: x away from the robot base, y to its left,
z up, table top at z = 0). Skills and tasks read these numbers; the URDFs in envs/assets agree."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

# --- robot (envs/assets/arm.urdf) ---
SHOULDER_HEIGHT = 0.22
UPPER_ARM = 0.40
FOREARM = 0.40
WRIST_TO_TCP = 0.05 + 0.04  # wrist pitch joint -> roll joint (0.05) -> tcp (0.04)
FINGER_MAX = 0.045  # per finger; opening = 2 * finger position
GRIPPER_MAX_OPENING = 2 * FINGER_MAX
TCP_TO_FINGERTIP = 0.03

# Workspace of the tool centre point (tcp); targets are clipped to it.
WS_LOW = np.array([0.28, -0.38, 0.035])
WS_HIGH = np.array([0.78, 0.38, 0.40])
YAW_LIMIT = 2.3  # commanded yaw range (rad); the state reports yaw wrapped to [-pi/2, pi/2)

# Neutral region: where every task's robot starts and where the drawer skills retreat to after
# letting go, so that prior data ends where task data starts (see `sample_neutral_pose`).
HOME_TCP = np.array([0.42, -0.05, 0.25])  # centre
NEUTRAL_HALF = np.array([0.05, 0.06, 0.03])  # tcp uniform in HOME_TCP +- NEUTRAL_HALF
NEUTRAL_YAW = 0.3  # gripper yaw uniform in [-NEUTRAL_YAW, NEUTRAL_YAW]

# --- action mapping ---
MAX_DPOS = 0.03  # m per env step at |action| = 1
MAX_DYAW = 0.25  # rad per env step at |action| = 1
# action[4] > 0 commands the gripper closed, <= 0 open: the sign is the desired state, so the
# mean of a Gaussian policy always expresses one of the two (no "keep" band to average into).

# --- cabinet (envs/assets/cabinet.urdf), facing -y ---
CABINET_POS = np.array([0.55, 0.24, 0.0])
DRAWER_TRAVEL = 0.15
DRAWER_JOINT_Z = np.array([0.105, 0.01])  # index 0 = top drawer, 1 = bottom drawer
DRAWER_NAMES = ("top", "bottom")
HANDLE_X = np.array([0.09, -0.08])  # handle centre x offset (cabinet frame), per drawer
HANDLE_LOCAL_Z = 0.045
GAP_LOCAL_Y = -0.1225  # centre of the gap between drawer front and handle bar (closed)
DRAWER_FLOOR_LOCAL_Z = 0.01  # top of drawer floor above its joint origin
DRAWER_OBJECT_LOCAL_Y = -0.035  # object centre y in the drawer frame (front part of the drawer)
CARCASS_FRONT_Y = CABINET_POS[1] - 0.10
CABINET_HALF_WIDTH = 0.15
DRAWER_OPEN_THRESHOLD = 0.10  # "open" = opening >= 0.10 of 0.15
DRAWER_CLOSED_THRESHOLD = 0.01
# opening range open_drawer leaves a drawer in (measured at the end of 200 noisy episodes); the
# task-data starts draw from it, so task data starts where prior data ends
DRAWER_LEFT_OPEN = (0.145, 0.15)
# How far back (+y, away from the handle) an object slides in a drawer while it is pulled open:
# open_drawer and close_top_open_bottom (noise 0.1, 200 episodes each) leave it 2.3 +- 1.3 cm back
# (5th-95th percentile 0.0-4.2, at most 5.4; x and yaw barely move), learned policies 2.2-4.8 cm.
# The "pulled" task starts draw the slide from this range.
PULL_SLIDE = (0.0, 0.05)
# tcp heights above a handle's gap: where the drawer skills hover before descending to the handle,
# and where they rise to and let go after a stroke (DrawerGrasp's "handoff" start begins there)
DRAWER_HOVER_HEIGHT = 0.07
DRAWER_RELEASE_HEIGHT = DRAWER_HOVER_HEIGHT + 0.03

# --- tray (a shallow box on the table) ---
TRAY_POS = np.array([0.60, -0.2, 0.0])
TRAY_HALF = 0.10  # inner half size
TRAY_FLOOR = 0.008  # thickness of the tray floor (object rests on z = TRAY_FLOOR)
TRAY_RIM = 0.025

# --- table objects region (free of the drawer's path and the tray) ---
TABLE_OBJ_LOW = np.array([0.34, -0.30])
TABLE_OBJ_HIGH = np.array([0.44, -0.09])


def handle_gap_pos(drawer: int, opening: float) -> np.ndarray:
    """World position of the centre of the gap behind drawer `drawer`'s handle bar."""
    return np.array([
        CABINET_POS[0] + HANDLE_X[drawer],
        CABINET_POS[1] + GAP_LOCAL_Y - opening,
        DRAWER_JOINT_Z[drawer] + HANDLE_LOCAL_Z,
    ])


def sample_neutral_pose(rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A tcp position and gripper yaw from the neutral region (robot starts, drawer-skill retreats)."""
    tcp = HOME_TCP + rng.uniform(-NEUTRAL_HALF, NEUTRAL_HALF)
    return tcp, float(rng.uniform(-NEUTRAL_YAW, NEUTRAL_YAW))


def drawer_floor_z(drawer: int) -> float:
    return float(DRAWER_JOINT_Z[drawer] + DRAWER_FLOOR_LOCAL_Z)


def wrap_half_pi(a: float) -> float:
    """Wrap an angle to [-pi/2, pi/2) (the gripper is symmetric under a half turn)."""
    return (a + np.pi / 2) % np.pi - np.pi / 2


# --- cameras (one per task family; the 48x48 observation and the 256x256 render share it) ---
class Camera(NamedTuple):
    eye: tuple[float, float, float]
    target: tuple[float, float, float]
    fov: float  # vertical field of view, degrees


# The whole table: tray, table-object region, neutral region and cabinet (Grasp, GoalReach).
CAMERA_WIDE = Camera(eye=(1.0, -0.6, 0.85), target=(0.47, -0.02, 0.07), fov=44.0)
# The drawer tasks, framed as COG's roboverse frames its drawer: the neutral region, the cabinet
# front and the open drawers' floors fill the frame, seen from above at ~60 degrees so the drawer's
# inside is not hidden by its front. The object in the open top drawer covers ~24 pixels at 48x48
# (5 with CAMERA_WIDE); found by maximising its projected size with those regions kept in view.
CAMERA_DRAWER = Camera(eye=(0.815, -0.178, 0.755), target=(0.512, 0.015, 0.073), fov=40.0)


class WristCamera(NamedTuple):
    """A camera mounted on the hand (the env's `wrist_camera`), placed in the gripper's frame."""
    up: float          # metres above the tcp
    back: float        # metres behind the tcp, towards the arm, along the gripper's heading
    look_below: float  # it looks at the point this far below the tcp (between the fingertips)
    fov: float         # vertical field of view, degrees


# Behind and above the fingers, looking past them: a held object fills the space between the
# fingertips, a missed one lies below them, and before a grasp the object or handle is in view.
WRIST_CAMERA = WristCamera(up=0.07, back=0.07, look_below=0.03, fov=70.0)
