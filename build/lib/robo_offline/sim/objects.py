"""Graspable objects: a few shapes (boxes, a cylinder, compound dumbbell and L) in several colours.

Every shape is described in its own frame (origin at the centre of its bounding box, resting
on its bottom face). `grasp_offset` is the point between the fingers for a good grasp and
`grasp_yaw_period` the symmetry of the grasp: the gripper closes across the object's local y
axis, so the gripper yaw for a grasp is object yaw + k * period.
Visual shapes are low-poly (a cylinder is an octagonal prism) because each triangle is paid
for at every camera call.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pybullet as p

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


def _prism_mesh(radius: float, half_height: float, sides: int = 8):
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


class ObjectFactory:
    """Creates object bodies in one PyBullet client, caching collision and visual shapes."""

    def __init__(self, cid: int):
        self.cid = cid
        self._collision: dict[str, int] = {}
        self._visual: dict[tuple[str, str], int] = {}

    def _collision_shape(self, shape: Shape) -> int:
        if shape.name not in self._collision:
            kinds, kw = [], dict(halfExtents=[], radii=[], lengths=[], collisionFramePositions=[])
            for kind, size, pos in shape.parts:
                kinds.append(p.GEOM_BOX if kind == "box" else p.GEOM_CYLINDER)
                kw["halfExtents"].append(list(size) if kind == "box" else [0, 0, 0])
                kw["radii"].append(size[0] if kind == "cyl" else 0)
                kw["lengths"].append(2 * size[1] if kind == "cyl" else 0)
                kw["collisionFramePositions"].append(list(pos))
            self._collision[shape.name] = p.createCollisionShapeArray(kinds, physicsClientId=self.cid, **kw)
        return self._collision[shape.name]

    def _visual_shape(self, shape: Shape, colour: str) -> int:
        key = (shape.name, colour)
        if key not in self._visual:
            rgba = COLOURS[colour]
            if len(shape.parts) == 1 and shape.parts[0][0] == "cyl":
                r, hh = shape.parts[0][1]
                v, n, i = _prism_mesh(r, hh)
                vis = p.createVisualShape(p.GEOM_MESH, vertices=v, normals=n, indices=i, rgbaColor=rgba,
                                          physicsClientId=self.cid)
            else:
                vis = p.createVisualShapeArray(
                    [p.GEOM_BOX] * len(shape.parts),
                    halfExtents=[list(s) for _, s, _ in shape.parts],
                    visualFramePositions=[list(pos) for _, _, pos in shape.parts],
                    rgbaColors=[rgba] * len(shape.parts),
                    physicsClientId=self.cid,
                )
            self._visual[key] = vis
        return self._visual[key]

    def create(self, shape_name: str, colour: str, pos, yaw: float) -> int:
        shape = SHAPES[shape_name]
        body = p.createMultiBody(
            baseMass=0.1,
            baseCollisionShapeIndex=self._collision_shape(shape),
            baseVisualShapeIndex=self._visual_shape(shape, colour),
            basePosition=list(pos),
            baseOrientation=p.getQuaternionFromEuler([0, 0, yaw]),
            physicsClientId=self.cid,
        )
        p.changeDynamics(body, -1, lateralFriction=1.0, spinningFriction=0.001, rollingFriction=0.0001,
                         physicsClientId=self.cid)
        return body
