"""A tiny stand-in Gymnasium env and scripted skill for the data-layer tests (no PyBullet).

`TinyDrawer-v1`: a point "hand" in [-1, 1]^3 and a drawer opening in [0, 1]. The image is a
deterministic function of the state plus per-episode noise (so episodes differ pixel-wise);
`is_success` = drawer open beyond 0.5. Horizon 8 (TimeLimit). Importing this module registers it.
`scene_images=True`: each info carries `scene_image`, the picture without the hand (GoalReach's).
"""
from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
from gymnasium import spaces

ENV_ID = "TinyDrawer-v1"
HORIZON = 8
TOLERANCE = [0.05, 0.05, 0.05]


class TinyDrawer(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, image_size: int = 16, start: str = "closed", sleep: float = 0.0, scene_images: bool = False):
        self.image_size, self.start, self.sleep, self.scene_images = image_size, start, sleep, scene_images
        self.observation_space = spaces.Dict({
            "image": spaces.Box(0, 255, (image_size, image_size, 3), np.uint8),
            "state": spaces.Box(-np.inf, np.inf, (4,), np.float32),
        })
        self.action_space = spaces.Box(-1.0, 1.0, (5,), np.float32)
        self.goal_tolerance = TOLERANCE

    def _scene(self):
        img = self._texture.copy()
        img[: int(self.drawer * (self.image_size - 1)) + 1, 0, 2] = 200
        return img

    def _obs(self):
        s = self.image_size
        img = self._scene()
        x, y = ((self.hand[:2] + 1) / 2 * (s - 1)).astype(int)
        img[y, :, 0] = 255
        img[:, x, 1] = 255
        state = np.concatenate([self.hand, [self.drawer]]).astype(np.float32)
        return {"image": img, "state": state}

    def _info(self):
        info = {
            "is_success": bool(self.drawer > 0.5),
            "ee_pos": self.hand.copy(),
            "drawer_opening": np.array([self.drawer]),
            "object_grasped": False,
            "achieved_goal": np.round(self.hand, 1),
        }
        if self.scene_images:
            info["scene_image"] = self._scene()
        return info

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        s = self.image_size
        self._texture = self.np_random.integers(0, 60, (s, s, 3), dtype=np.uint8)
        self.hand = self.np_random.uniform(-1, 1, 3)
        self.drawer = 0.6 if self.start == "open" else 0.0
        return self._obs(), self._info()

    def step(self, action):
        action = np.asarray(action, dtype=np.float32)
        if action.shape != (5,) or not np.isfinite(action).all():
            raise ValueError("bad action")
        action = np.clip(action, -1, 1)
        if self.sleep:
            time.sleep(self.sleep)
        self.hand = np.clip(self.hand + 0.2 * action[:3], -1, 1)
        if action[4] > 0 and abs(self.hand[0]) < 0.3:
            self.drawer = min(1.0, self.drawer + 0.25)
        info = self._info()
        return self._obs(), float(info["is_success"]), False, False, info


class TinySkill:
    def __init__(self, noise: float = 0.1, seed=None):
        self.noise = noise
        self.rng = np.random.default_rng(seed)

    def reset(self, obs, info):
        pass

    def act(self, obs, info):
        a = np.zeros(5, dtype=np.float32)
        a[0] = -np.sign(info["ee_pos"][0]) * min(1.0, abs(info["ee_pos"][0]) * 5)
        a[4] = 1.0
        a += self.noise * self.rng.standard_normal(5).astype(np.float32)
        return np.clip(a, -1, 1).astype(np.float32)

    def succeeded(self, info):
        return bool(info["drawer_opening"][0] > 0.5)


def make_tiny_skill(noise=0.1, seed=None):
    return TinySkill(noise, seed)


def recipe(name="tiny_prior", start="closed", sleep=0.0, episodes=6, reward="zero", scene_images=False):
    env_kwargs = {"start": start}
    if sleep:
        env_kwargs["sleep"] = sleep
    if scene_images:
        env_kwargs["scene_images"] = True
    return {"name": name, "env": f"data_helpers:{ENV_ID}", "env_kwargs": env_kwargs, "skill": "data_helpers:make_tiny_skill",
            "noise": 0.1, "episodes": episodes, "default_reward": reward, "description": "tiny test data"}


if ENV_ID not in gym.registry:
    gym.register(ENV_ID, entry_point="data_helpers:TinyDrawer", max_episode_steps=HORIZON)
