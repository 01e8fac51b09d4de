"""Graspable objects: a few shapes (boxes, a cylinder, compound dumbbell and L) in several colours.

Every shape is described in its own frame (origin at the centre of its bounding box, resting
on its bottom face). `grasp_offset` is the point between the fingers for a good grasp and
`grasp_yaw_period` the symmetry of the grasp: the gripper closes across the object's local y
axis, so the gripper yaw for a grasp is object yaw + k * period.
Visual shapes are low-poly (a cylinder is an octagonal prism) because each triangle is paid
for at every camera call. This module is the catalogue only (no pybullet): tasks draw objects from
it, and robo_offline.world.sim.world builds their bodies.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COLOURS: dict[str, tuple[float, float, float, float]] = {
    "red": (0.9, 0.1, 0.1, 1.0),
    "green": (0.1, 0.75, 0.2, 1.0),
    "blue": (0.1, 0.3, 0.95, 1.0),
    "yellow": (0.95, 0.85, 0.1, 1.0),
    "purple": (0.6, 0.2, 0.8, 1.0),
    "cyan": (0.1, 0.85, 0.85, 1.0),
}


@dataclass(frozen=True)
class Shape:
    name: str
    parts: tuple  # ((kind, size, local_pos), ...) kind "box" (half extents) or "cyl" (radius, half height)
    half_height: float
    grasp_offset: tuple[float, float, float]
    grasp_yaw_period: float
    grasp_width: float  # width across the fingers at the grasp point


SHAPES: dict[str, Shape] = {
    "cube": Shape("cube", (("box", (0.02, 0.02, 0.02), (0, 0, 0)),), 0.02, (0, 0, 0), np.pi / 2, 0.04),
    "block": Shape("block", (("box", (0.032, 0.0125, 0.02), (0, 0, 0)),), 0.02, (0, 0, 0), np.pi, 0.025),
    "cylinder": Shape("cylinder", (("cyl", (0.02, 0.025), (0, 0, 0)),), 0.025, (0, 0, 0), np.pi / 64, 0.04),
    "dumbbell": Shape(
        "dumbbell",
        (("box", (0.023, 0.01, 0.01), (0, 0, 0)),
         ("box", (0.0125, 0.02, 0.02), (0.035, 0, 0)),
         ("box", (0.0125, 0.02, 0.02), (-0.035, 0, 0))),
        0.02, (0, 0, 0), np.pi, 0.02,
    ),
    "ell": Shape(
        "ell",
        (("box", (0.03, 0.01, 0.015), (0, -0.01, 0)),
         ("box", (0.01, 0.02, 0.015), (0.02, 0.02, 0))),
        0.015, (-0.01, -0.01, 0), np.pi, 0.02,
    ),
}
SHAPE_NAMES = tuple(SHAPES)
COLOUR_NAMES = tuple(COLOURS)


def prism_mesh(radius: float, half_height: float, sides: int = 8):
    verts, normals, idx = [], [], []
    for k in range(sides):
        a0, a1 = 2 * np.pi * k / sides, 2 * np.pi * (k + 1) / sides
        am = (a0 + a1) / 2
        b = len(verts)
        for a, z in ((a0, -half_height), (a1, -half_height), (a1, half_height), (a0, half_height)):
            verts.append([radius * np.cos(a), radius * np.sin(a), z])
            normals.append([np.cos(am), np.sin(am), 0.0])
        idx += [b, b + 1, b + 2, b, b + 2, b + 3]
    for z, s in ((half_height, 1.0), (-half_height, -1.0)):
        c = len(verts)
        verts.append([0.0, 0.0, z])
        normals.append([0.0, 0.0, s])
        for k in range(sides):
            a = 2 * np.pi * k / sides
            verts.append([radius * np.cos(a), radius * np.sin(a), z])
            normals.append([0.0, 0.0, s])
        for k in range(sides):
            i0, i1 = c + 1 + k, c + 1 + (k + 1) % sides
            idx += [c, i0, i1] if s > 0 else [c, i1, i0]
    return verts, normals, idx


@dataclass
class ObjectSpec:
    """One object of an episode, as a task draws it and the world builds it."""

    shape: str
    colour: str
    pos: np.ndarray  # centre position (x, y, z)
    yaw: float
