"""The Gymnasium environment of robo_offline: the PyBullet world (robo_offline.world.sim) composed with
one task (robo_offline.world.tasks), the registration of the `robo_offline/<Task>-v1` ids, and
`make_env`, the one way the commands make an env.

The env contract (observation, action, reward, `info`, seeding) is in docs/interfaces.md; the
world's physical details and each task's starts are in envs/_common.md and the cards envs/<Env>-v1.md.
"""
from __future__ import annotations

from contextlib import contextmanager

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from robo_offline.errors import UserError
from robo_offline.world.privileged_state import PRIVILEGED_STATE_DIM, privileged_state
from robo_offline.world.tasks import TASKS, Task

IMAGE_SIZES = (48, 64, 84, 128)
RENDER_SIZE = 256
STATE_DIM = 6
ACTION_DIM = 5
OBS_MODES = ("image", "state", "image_privileged")
RENDER_MODES = ("rgb_array",)
ENTRY_POINT = "robo_offline.world.envs:RoboOfflineEnv"


def task_and_spaces(task: str = "DrawerOpen", image_size: int = 48, render_mode: str | None = None,
                    start: str | None = None, obs_mode: str = "image", wrist_camera: bool = False,
                    **task_kwargs) -> tuple[Task, spaces.Dict, spaces.Box]:
    """Check RoboOfflineEnv's arguments and build its task, observation and action spaces: all of
    the env but the simulator, so that `env_spaces` works where pybullet is not installed."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {list(TASKS)}")
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) \
            or int(image_size) not in IMAGE_SIZES:
        raise ValueError(f"image_size must be one of {list(IMAGE_SIZES)}, got {image_size!r}")
    if render_mode is not None and render_mode not in RENDER_MODES:
        raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
    if obs_mode not in OBS_MODES:
        raise ValueError(f"obs_mode must be one of {list(OBS_MODES)}, got {obs_mode!r}")
    if not isinstance(wrist_camera, (bool, np.bool_)):
        raise ValueError(f"wrist_camera must be true or false, got {wrist_camera!r}")
    if wrist_camera and obs_mode == "state":
        raise ValueError("wrist_camera adds a picture to the camera observations: obs_mode='state' has none")
    task_cls = TASKS[task]
    if task_kwargs and not task_cls.goal_conditioned:
        raise TypeError(f"{task_cls.name} takes no extra arguments {sorted(task_kwargs)}")
    if obs_mode == "state" and task_cls.goal_conditioned:  # the goal is its state vector: no photograph
        task_kwargs = {**task_kwargs, "goal_image": False}
    if render_mode == "rgb_array" and task_cls.goal_conditioned:  # videos show the goal at the render size
        task_kwargs = {**task_kwargs, "goal_view_size": RENDER_SIZE}
    task_obj = task_cls(start=start, **task_kwargs)
    size = int(image_size)
    if obs_mode == "state":
        obs = {"state": spaces.Box(-5.0, 5.0, (PRIVILEGED_STATE_DIM,), np.float32)}  # metres, radians: all well inside
    else:
        img = spaces.Box(0, 255, (size, size, 3), np.uint8)
        state = spaces.Box(np.array([-2, -2, -2, -np.pi, 0, 0], np.float32),
                           np.array([2, 2, 2, np.pi, 0.2, 1], np.float32), dtype=np.float32)
        if obs_mode == "image_privileged":
            state = spaces.Box(-5.0, 5.0, (PRIVILEGED_STATE_DIM,), np.float32)
        obs = {"image": img, "state": state}
        if wrist_camera:
            obs["wrist_image"] = spaces.Box(0, 255, (size, size, 3), np.uint8)
    if task_obj.goal_conditioned and (obs_mode == "state" or task_obj.goal_vector):
        obs["desired_goal"] = spaces.Box(-5.0, 5.0, (PRIVILEGED_STATE_DIM,), np.float32)
    elif task_obj.goal_conditioned and task_obj.want_goal_image:
        obs["desired_goal"] = spaces.Box(0, 255, (size, size, 3), np.uint8)
    return task_obj, spaces.Dict(obs), spaces.Box(-1.0, 1.0, (ACTION_DIM,), np.float32)


def env_spaces(env_id: str, env_kwargs: dict) -> tuple[spaces.Dict, spaces.Box]:
    """The observation and action spaces of `gym.make(env_id, **env_kwargs)` for a robo_offline id,
    with the same argument checks, without starting the simulator (training with evaluation off)."""
    spec = gym.spec(env_id)
    if spec.entry_point != ENTRY_POINT:
        raise ValueError(f"{env_id} is not a robo_offline env (robo_offline/<Task>-v1), so only making it "
                         "tells its spaces (train with evaluation on)")
    kwargs = {k: v for k, v in env_kwargs.items() if k != "max_episode_steps"}  # gym.make's, not the env's
    _, observation_space, action_space = task_and_spaces(**{**spec.kwargs, **kwargs})
    return observation_space, action_space


class RoboOfflineEnv(gym.Env):
    """One task in the PyBullet world; made through `gym.make("robo_offline/<Task>-v1", **kwargs)`,
    which fills in `task`. What it observes, takes and returns: docs/interfaces.md.

    Args:
        task: a name in `robo_offline.world.tasks.TASKS` (DrawerOpen, Grasp, DrawerGrasp,
            DrawerCloseOpenGrasp, GoalReach).
        image_size: side of the square camera observation in pixels: 48, 64, 84 or 128.
        render_mode: None, or "rgb_array" for `render()` at 256x256.
        start: a start configuration the task names (its card lists them); None = the task's default.
        obs_mode: "image" (camera frame and 6-d proprio state), "state" (24-d privileged state,
            no camera call at all) or "image_privileged" (the camera frame beside the 24-d privileged
            state: train's `oracle_state`, a diagnostic).
        wrist_camera: also observe `wrist_image`, the hand camera's picture at `image_size` (camera
            observations only): the grasp seen up close.
        **task_kwargs: goal-conditioned tasks only (GoalReach: `family`, `goal_image`, `goal_vector`).

    Raises:
        ValueError / TypeError: an argument outside the lists above (`make_env` turns them into a
            UserError that names the env).
    """

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 25}

    def __init__(self, task: str = "DrawerOpen", image_size: int = 48, render_mode: str | None = None,
                 start: str | None = None, obs_mode: str = "image", wrist_camera: bool = False, **task_kwargs):
        self.task, self.observation_space, self.action_space = task_and_spaces(
            task, image_size, render_mode, start, obs_mode, wrist_camera, **task_kwargs)
        self.wrist_camera = bool(wrist_camera)
        self.image_size = int(image_size)
        self.render_mode = render_mode
        self.horizon = self.task.horizon
        self.obs_mode = obs_mode
        self._with_goal = "desired_goal" in self.observation_space.spaces
        # pybullet loads with the first env, not on `import robo_offline`
        from robo_offline.world.sim.world import World

        self.world = World(image_size=self.image_size, render_size=RENDER_SIZE, camera=self.task.camera)
        self._initialised = False

    # ---------------------------------------------------------------- gym API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.task.configure(self.world, self.np_random)
        self._initialised = True
        info = self._info()
        return self._obs(info), info

    def step(self, action):
        if not self._initialised:
            raise RuntimeError("call reset() before step()")
        a = self.validate_action(action)
        self.world.apply_action(a)
        self.world.simulate()
        info = self._info()
        reward = 1.0 if info["is_success"] else 0.0
        return self._obs(info), reward, False, False, info

    def render(self):
        if self.render_mode == "rgb_array":
            return self.world.camera_image(RENDER_SIZE)
        return None

    def close(self):
        if getattr(self, "world", None) is not None:
            self.world.close()
            self.world = None

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def validate_action(action) -> np.ndarray:
        try:
            a = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"action must be a numeric array of shape ({ACTION_DIM},): {err}") from None
        if a.shape != (ACTION_DIM,):
            raise ValueError(f"action must have shape ({ACTION_DIM},) = (dx, dy, dz, dyaw, gripper), got {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"action contains NaN or inf: {a.tolist()}")
        return np.clip(a, -1.0, 1.0)

    def _obs(self, info: dict) -> dict:
        if self.obs_mode == "state":
            obs = {"state": privileged_state(info)}
            if self._with_goal:
                obs["desired_goal"] = self.task.goal_state.copy()
            return obs
        state = privileged_state(info) if self.obs_mode == "image_privileged" else self.world.proprio()
        obs = {"image": self.world.camera_image(), "state": state}
        if self.wrist_camera:
            obs["wrist_image"] = self.world.wrist_image()
        if self._with_goal:
            obs["desired_goal"] = (self.task.goal_state if self.task.goal_vector else self.task.goal_image).copy()
        return obs

    def _info(self) -> dict:
        return self.task.info(self.world)

    def compute_reward(self, achieved_goal, desired_goal, info=None) -> np.ndarray:
        """Vectorised goal-reaching reward (GoalReach-v1): 1.0 where the goal is reached, else 0.0."""
        if not self.task.goal_conditioned:
            raise NotImplementedError(f"{self.task.name} is not goal-conditioned")
        from robo_offline.world.tasks.goal_reach import goal_reached

        return goal_reached(achieved_goal, desired_goal).astype(np.float32)


def register_envs() -> None:
    """Register the five `robo_offline/<Task>-v1` ids (idempotent). The entry point is a string and
    this module imports the simulator only in RoboOfflineEnv, so registering needs no pybullet."""
    for name, cls in TASKS.items():
        env_id = f"robo_offline/{name}-v1"
        if env_id in gym.registry:
            continue
        gym.register(id=env_id, entry_point=ENTRY_POINT, max_episode_steps=cls.horizon, kwargs={"task": name})


@contextmanager
def env_argument_errors(env_id: str, env_kwargs: dict):
    """A bad env id or keyword, turned into a message the user can act on."""
    try:
        yield
    except (gym.error.Error, ValueError, TypeError) as err:
        raise UserError(f"cannot make env {env_id} with {env_kwargs}: {err}") from None


def make_env(env_id: str, env_kwargs: dict | None = None, **extra) -> gym.Env:
    """gym.make, with bad arguments reported as UserErrors."""
    env_kwargs = env_kwargs or {}
    with env_argument_errors(env_id, env_kwargs):
        return gym.make(env_id, **env_kwargs, **extra)
