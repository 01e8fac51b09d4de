"""The PyBullet world: one DIRECT client holding the arm, the two-drawer cabinet, a table, a tray
and the episode's objects, stepped by end-effector delta actions and seen by one fixed camera.

Cost model (see robo_offline/commands/bench/env_bench.py for measured numbers): one env step is
`SUBSTEPS` physics steps (position-controlled joints, few contacts), one analytic IK solve
(closed form, no iterations) and one TinyRenderer call at the observation size with
precomputed view/projection matrices. Everything visible is built from boxes or low-poly meshes.

Grasping: when the gripper is commanded closed and both fingers touch the same object, a fixed
constraint (max force `GRASP_FORCE`) is created between palm and object at their current
relative pose; it is removed when the gripper is commanded open. Fingers still squeeze the
object physically; the constraint stands in for the friction that PyBullet's point contacts
model poorly, and it can be broken (it is force limited).

Determinism: the static world is built once and saved with `saveState`; every episode starts
with `restoreState` (which also resets contact caches), then objects are created afresh and
joints are placed with `resetJointState`. No RNG is used here: the task passes everything in.
"""
from __future__ import annotations

import math

import numpy as np

from robo_offline.paths import ASSETS_DIR
from robo_offline.world.sim import layout as L
from robo_offline.world.sim.bullet import pybullet as p
from robo_offline.world.sim.objects import COLOURS, SHAPES, ObjectSpec, Shape, prism_mesh

TIMESTEP = 1.0 / 100.0
SUBSTEPS = 4  # 0.04 s of simulated time per env step (25 Hz control)
SOLVER_ITERATIONS = 20  # 10 let a held object be pressed through the table
GRASP_FORCE = 15.0

ARM_JOINTS = [0, 1, 2, 3, 4]
FINGER_JOINTS = [5, 6]
TCP_LINK = 7
PALM_LINK = 4
ARM_FORCES = [60.0, 40.0, 30.0, 10.0, 5.0]  # N m; gravity needs ~10 at the shoulder
ARM_GAINS = [0.3, 0.3, 0.3, 0.3, 0.3]
FINGER_FORCE = 30.0
DRAWER_JOINT = (1, 0)  # cabinet joint index of drawer 0 (top) and drawer 1 (bottom)
DRAWER_FRICTION = 3.0  # N, a velocity motor holding the drawer still unless pushed

TABLE_VISUAL = (0.25, 0.78, -0.36, 0.40)  # x0, x1, y0, y1 of the drawn table top


def arm_ik(pos, yaw: float) -> list[float]:
    """Closed-form IK: tcp position + gripper yaw -> 5 arm joint angles, gripper pointing down."""
    x, y, z = float(pos[0]), float(pos[1]), float(pos[2])
    q0 = math.atan2(y, x)
    a = math.hypot(x, y)
    b = z + L.WRIST_TO_TCP - L.SHOULDER_HEIGHT
    l1, l2 = L.UPPER_ARM, L.FOREARM
    d = min(max(math.hypot(a, b), 0.05), l1 + l2 - 1e-4)
    c2 = (d * d - l1 * l1 - l2 * l2) / (2 * l1 * l2)
    q2 = -math.acos(min(1.0, max(-1.0, c2)))
    q1 = math.atan2(b, a) - math.atan2(l2 * math.sin(q2), l1 + l2 * math.cos(q2))
    q3 = -math.pi / 2 - q1 - q2
    q4 = q0 - yaw
    return [q0, q1, q2, q3, q4]


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
                v, n, i = prism_mesh(r, hh)
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


class World:
    def __init__(self, image_size: int = 48, render_size: int = 256, camera: L.Camera = L.CAMERA_WIDE):
        self.image_size = image_size
        self.render_size = render_size
        self.cid = p.connect(p.DIRECT)
        cid = self.cid
        p.setPhysicsEngineParameter(fixedTimeStep=TIMESTEP, numSolverIterations=SOLVER_ITERATIONS,
                                    deterministicOverlappingPairs=1, physicsClientId=cid)
        p.setGravity(0, 0, -9.81, physicsClientId=cid)
        self.robot = p.loadURDF(str(ASSETS_DIR / "arm.urdf"), [0, 0, 0], useFixedBase=True,
                                flags=p.URDF_USE_INERTIA_FROM_FILE, physicsClientId=cid)
        self.cabinet = p.loadURDF(str(ASSETS_DIR / "cabinet.urdf"), L.CABINET_POS.tolist(), useFixedBase=True,
                                  physicsClientId=cid)
        self.table = self._make_table()
        self.tray = self._make_tray()
        for link in (0, 1):  # drawer friction (URDF default 0.5; higher stops objects centring in the fingers)
            p.changeDynamics(self.cabinet, link, lateralFriction=0.5, physicsClientId=cid)
        for link in FINGER_JOINTS:
            p.changeDynamics(self.robot, link, lateralFriction=1.5, physicsClientId=cid)
        for j in range(p.getNumJoints(self.robot, physicsClientId=cid)):
            p.changeDynamics(self.robot, j, linearDamping=0.0, angularDamping=0.0, physicsClientId=cid)
        # pairs that can never touch (or whose contact means nothing) are not collision-checked:
        # drawers vs table, the arm's turret and upper arm vs table
        for link in (-1, 0, 1):
            p.setCollisionFilterPair(self.cabinet, self.table, link, -1, 0, physicsClientId=cid)
        for link in (0, 1):
            p.setCollisionFilterPair(self.robot, self.table, link, -1, 0, physicsClientId=cid)
        self.base_state = p.saveState(physicsClientId=cid)
        # each arm link's colour, to draw it transparent for a picture of the scene alone
        self._robot_colours = [(v[1], v[7]) for v in p.getVisualShapeData(self.robot, physicsClientId=cid)]
        self.factory = ObjectFactory(cid)
        self.objects: list[int] = []
        self.object_specs: list[ObjectSpec] = []
        self.grasp_constraint: int | None = None
        self.grasped_body: int | None = None
        self.target_pos = L.HOME_TCP.copy()
        self.target_yaw = 0.0
        self.gripper_closed = False
        self._view = p.computeViewMatrix(camera.eye, camera.target, (0, 0, 1), physicsClientId=cid)
        self._proj = p.computeProjectionMatrixFOV(camera.fov, 1.0, 0.1, 4.0, physicsClientId=cid)
        self._wrist_proj = p.computeProjectionMatrixFOV(L.WRIST_CAMERA.fov, 1.0, 0.01, 1.0, physicsClientId=cid)
        self._ee = self.target_pos.copy()
        self._q = np.zeros(7)
        self._pose_cache: dict = {}
        self._openings = None

    # ------------------------------------------------------------------ building
    def _make_table(self) -> int:
        cid = self.cid
        # collision: a 1.1 x 1.0 m slab (larger than what is drawn, so nothing pushed past the drawn
        # edge falls). Visual: only the top face of the part around the workspace, one quad:
        # TinyRenderer pays per covered pixel and face, and the table is the largest thing in view.
        col = p.createCollisionShape(p.GEOM_BOX, halfExtents=[0.55, 0.5, 0.05],
                                     collisionFramePosition=[0.35, 0.0, -0.05], physicsClientId=cid)
        x0, x1, y0, y1 = TABLE_VISUAL
        verts = [[x0, y0, 0.0], [x1, y0, 0.0], [x1, y1, 0.0], [x0, y1, 0.0]]
        vis = p.createVisualShape(p.GEOM_MESH, vertices=verts, indices=[0, 1, 2, 0, 2, 3],
                                  normals=[[0, 0, 1]] * 4, rgbaColor=[0.62, 0.62, 0.6, 1], physicsClientId=cid)
        body = p.createMultiBody(0, col, vis, [0.0, 0.0, 0.0], physicsClientId=cid)
        p.changeDynamics(body, -1, lateralFriction=0.8, physicsClientId=cid)
        return body

    def _make_tray(self) -> int:
        cid = self.cid
        h, t, rim, fl = L.TRAY_HALF, 0.006, L.TRAY_RIM, L.TRAY_FLOOR
        parts = [  # (half extents, position)
            ([h + t, h + t, fl / 2], [0, 0, fl / 2]),
            ([t / 2, h + t, rim / 2], [h + t / 2, 0, rim / 2]),
            ([t / 2, h + t, rim / 2], [-h - t / 2, 0, rim / 2]),
            ([h, t / 2, rim / 2], [0, h + t / 2, rim / 2]),
            ([h, t / 2, rim / 2], [0, -h - t / 2, rim / 2]),
        ]
        col = p.createCollisionShapeArray([p.GEOM_BOX] * 5, halfExtents=[e for e, _ in parts],
                                          collisionFramePositions=[q for _, q in parts], physicsClientId=cid)
        vis = p.createVisualShapeArray([p.GEOM_BOX] * 5, halfExtents=[e for e, _ in parts],
                                       visualFramePositions=[q for _, q in parts], physicsClientId=cid)
        body = p.createMultiBody(0, col, vis, L.TRAY_POS.tolist(), physicsClientId=cid)
        p.changeVisualShape(body, -1, rgbaColor=[0.25, 0.45, 0.3, 1], physicsClientId=cid)
        return body

    # ------------------------------------------------------------------ episode set-up
    def reset_scene(self, drawer_openings, tcp, yaw: float, gripper_closed: bool,
                    objects: list[ObjectSpec]) -> None:
        cid = self.cid
        self.release()
        for body in self.objects:
            p.removeBody(body, physicsClientId=cid)
        self.objects = []
        p.restoreState(self.base_state, physicsClientId=cid)
        self.set_drawers(drawer_openings)
        self.object_specs = list(objects)
        for spec in objects:
            self.objects.append(self.factory.create(spec.shape, spec.colour, spec.pos, spec.yaw))
        self._pose_cache = {}
        self._openings = None
        self.set_robot(tcp, yaw, gripper_closed)
        p.setJointMotorControlArray(self.cabinet, [0, 1], p.VELOCITY_CONTROL, targetVelocities=[0, 0],
                                    forces=[DRAWER_FRICTION] * 2, physicsClientId=cid)
        self._read_robot()

    def set_drawers(self, openings) -> None:
        self._openings = None
        for i, o in enumerate(openings):
            p.resetJointState(self.cabinet, DRAWER_JOINT[i], float(o), 0.0, physicsClientId=self.cid)

    def set_robot(self, tcp, yaw: float, gripper_closed: bool) -> None:
        q = arm_ik(tcp, yaw)
        finger = 0.0 if gripper_closed else L.FINGER_MAX
        for j, v in zip(ARM_JOINTS, q):
            p.resetJointState(self.robot, j, v, 0.0, physicsClientId=self.cid)
        for j in FINGER_JOINTS:
            p.resetJointState(self.robot, j, finger, 0.0, physicsClientId=self.cid)
        self.target_pos = np.asarray(tcp, dtype=np.float64).copy()
        self.target_yaw = float(yaw)
        self.gripper_closed = bool(gripper_closed)
        self._apply_motors(q)
        self._read_robot()

    def set_object_pose(self, index: int, pos, yaw: float) -> None:
        self._pose_cache = {}
        p.resetBasePositionAndOrientation(self.objects[index], list(pos), p.getQuaternionFromEuler([0, 0, yaw]),
                                          physicsClientId=self.cid)
        p.resetBaseVelocity(self.objects[index], [0, 0, 0], [0, 0, 0], physicsClientId=self.cid)

    # ------------------------------------------------------------------ stepping
    def _apply_motors(self, q) -> None:
        cid = self.cid
        p.setJointMotorControlArray(self.robot, ARM_JOINTS, p.POSITION_CONTROL, targetPositions=q,
                                    forces=ARM_FORCES, positionGains=ARM_GAINS, physicsClientId=cid)
        finger = 0.0 if self.gripper_closed else L.FINGER_MAX
        p.setJointMotorControlArray(self.robot, FINGER_JOINTS, p.POSITION_CONTROL, targetPositions=[finger, finger],
                                    forces=[FINGER_FORCE] * 2, physicsClientId=cid)

    def apply_action(self, action: np.ndarray) -> None:
        """`action` is already validated and clipped to [-1, 1]^5; action[4] > 0 closes, <= 0 opens."""
        ee = self._ee
        target = self.target_pos + action[:3] * L.MAX_DPOS
        target = np.clip(target, ee - 2 * L.MAX_DPOS, ee + 2 * L.MAX_DPOS)  # no wind-up when blocked
        self.target_pos = np.clip(target, L.WS_LOW, L.WS_HIGH)
        self.target_yaw = float(np.clip(self.target_yaw + action[3] * L.MAX_DYAW, -L.YAW_LIMIT, L.YAW_LIMIT))
        self.gripper_closed = bool(action[4] > 0)  # the sign is the desired state (layout.py)
        self._apply_motors(arm_ik(self.target_pos, self.target_yaw))

    def simulate(self) -> None:
        cid = self.cid
        for _ in range(SUBSTEPS):
            p.stepSimulation(physicsClientId=cid)
        if self.gripper_closed:
            if self.grasp_constraint is None:
                self._try_grasp()
        elif self.grasp_constraint is not None:
            self.release()
        self._read_robot()

    def _try_grasp(self) -> None:
        cid = self.cid
        touching: dict[int, set[int]] = {}
        for c in p.getContactPoints(bodyA=self.robot, physicsClientId=cid):
            if c[3] in FINGER_JOINTS and c[2] in self.objects:
                touching.setdefault(c[2], set()).add(c[3])
        for body, fingers in touching.items():
            if len(fingers) == 2:
                palm_pos, palm_orn = p.getLinkState(self.robot, PALM_LINK, physicsClientId=cid)[4:6]
                obj_pos, obj_orn = p.getBasePositionAndOrientation(body, physicsClientId=cid)
                inv_pos, inv_orn = p.invertTransform(palm_pos, palm_orn)
                rel_pos, rel_orn = p.multiplyTransforms(inv_pos, inv_orn, obj_pos, obj_orn)
                self.grasp_constraint = p.createConstraint(
                    self.robot, PALM_LINK, body, -1, p.JOINT_FIXED, [0, 0, 0], rel_pos, [0, 0, 0],
                    parentFrameOrientation=rel_orn, physicsClientId=cid)
                p.changeConstraint(self.grasp_constraint, maxForce=GRASP_FORCE, physicsClientId=cid)
                self.grasped_body = body
                return

    def release(self) -> None:
        if self.grasp_constraint is not None:
            p.removeConstraint(self.grasp_constraint, physicsClientId=self.cid)
        self.grasp_constraint = None
        self.grasped_body = None

    # ------------------------------------------------------------------ reading
    def _read_robot(self) -> None:
        cid = self.cid
        self._pose_cache = {}
        self._openings = None
        self._q = np.array([s[0] for s in p.getJointStates(self.robot, ARM_JOINTS + FINGER_JOINTS,
                                                           physicsClientId=cid)])
        self._ee = np.array(p.getLinkState(self.robot, TCP_LINK, computeForwardKinematics=1,
                                           physicsClientId=cid)[4])

    @property
    def ee_pos(self) -> np.ndarray:
        return self._ee.copy()

    @property
    def ee_yaw(self) -> float:
        return L.wrap_half_pi(self._q[0] - self._q[4])

    @property
    def gripper_opening(self) -> float:
        return float(self._q[5] + self._q[6])

    def drawer_openings(self) -> np.ndarray:
        if self._openings is None:
            states = p.getJointStates(self.cabinet, [DRAWER_JOINT[0], DRAWER_JOINT[1]], physicsClientId=self.cid)
            self._openings = np.array([states[0][0], states[1][0]])
        return self._openings.copy()

    def _raw_pose(self, index: int):
        """(pos, orn) of object `index`, read once per physics step."""
        pose = self._pose_cache.get(index)
        if pose is None:
            pose = p.getBasePositionAndOrientation(self.objects[index], physicsClientId=self.cid)
            self._pose_cache[index] = pose
        return pose

    def object_pose(self, index: int = 0) -> tuple[np.ndarray, float]:
        pos, orn = self._raw_pose(index)
        yaw = p.getEulerFromQuaternion(orn)[2]
        return np.array(pos), float(yaw)

    def object_orientation(self, index: int = 0) -> np.ndarray:
        return np.array(p.getBasePositionAndOrientation(self.objects[index], physicsClientId=self.cid)[1])

    def grasp_point(self, index: int = 0) -> tuple[np.ndarray, float]:
        """World position of the object's grasp point and the gripper yaw (wrapped) for it."""
        pos, orn = self._raw_pose(index)
        shape = SHAPES[self.object_specs[index].shape]
        gp, _ = p.multiplyTransforms(pos, orn, shape.grasp_offset, (0, 0, 0, 1))
        yaw = p.getEulerFromQuaternion(orn)[2]
        return np.array(gp), float(yaw)

    def is_grasped(self, index: int = 0) -> bool:
        return self.grasped_body is not None and self.grasped_body == self.objects[index]

    def proprio(self) -> np.ndarray:
        """state vector: tcp x, y, z, yaw, gripper opening, gripper command (1 closed, 0 open)."""
        e = self._ee
        return np.array([e[0], e[1], e[2], self.ee_yaw, self.gripper_opening, float(self.gripper_closed)],
                        dtype=np.float32)

    # ------------------------------------------------------------------ camera
    def camera_image(self, size: int | None = None, robot: bool = True) -> np.ndarray:
        """The camera's RGB picture, (size, size, 3) uint8. `robot=False`: the scene alone, the arm
        drawn fully transparent for this one picture (GoalReach's goal images: how the scene should
        look, whatever pose the arm has)."""
        size = self.image_size if size is None else size
        if not robot:
            self._colour_robot(alpha=0.0)
        try:
            img = p.getCameraImage(size, size, self._view, self._proj, renderer=p.ER_TINY_RENDERER,
                                   flags=p.ER_NO_SEGMENTATION_MASK, shadow=0, physicsClientId=self.cid)[2]
        finally:
            if not robot:
                self._colour_robot(alpha=None)
        return np.ascontiguousarray(np.asarray(img, dtype=np.uint8).reshape(size, size, 4)[:, :, :3])

    def wrist_image(self, size: int | None = None) -> np.ndarray:
        """The hand camera's RGB picture, (size, size, 3) uint8 (L.WRIST_CAMERA): what the scene
        camera shows of a grasp in 2-3 pixels (is the object between the fingers?) fills this view.
        It turns with the hand (the gripper's heading before the half-turn symmetry is folded out)."""
        size = self.image_size if size is None else size
        cam, heading = L.WRIST_CAMERA, self._q[0] - self._q[4]
        forward = np.array([np.cos(heading), np.sin(heading), 0.0])
        eye = self._ee + np.array([0.0, 0.0, cam.up]) - cam.back * forward
        target = self._ee - np.array([0.0, 0.0, cam.look_below])
        view = p.computeViewMatrix(eye.tolist(), target.tolist(), (0, 0, 1), physicsClientId=self.cid)
        img = p.getCameraImage(size, size, view, self._wrist_proj, renderer=p.ER_TINY_RENDERER,
                               flags=p.ER_NO_SEGMENTATION_MASK, shadow=0, physicsClientId=self.cid)[2]
        return np.ascontiguousarray(np.asarray(img, dtype=np.uint8).reshape(size, size, 4)[:, :, :3])

    def _colour_robot(self, alpha: float | None) -> None:
        """Every arm link at its own colour with this `alpha` (None: as loaded)."""
        for link, rgba in self._robot_colours:
            colour = list(rgba) if alpha is None else [*rgba[:3], alpha]
            p.changeVisualShape(self.robot, link, rgbaColor=colour, physicsClientId=self.cid)

    def object_pixels(self, index: int = 0, size: int | None = None) -> int:
        """How many pixels of a `size` image (the observation's by default) show object `index`: the
        env cards' measure of whether an agent can see what it must grasp."""
        size = self.image_size if size is None else size
        seg = p.getCameraImage(size, size, self._view, self._proj, renderer=p.ER_TINY_RENDERER, shadow=0,
                               physicsClientId=self.cid)[4]
        body = np.asarray(seg).reshape(-1) & ((1 << 24) - 1)  # the low bits hold the body id
        return int((body == self.objects[index]).sum())

    def close(self) -> None:
        if self.cid is not None and p.isConnected(self.cid):
            p.disconnect(self.cid)
        self.cid = None
