"""Replay buffer over one or more Minari datasets, held on the training device.

Storage (all torch tensors on `device`):
  frames   (F, 3, H, W) uint8   every frame of every episode once (CHW: permuted once at load time;
                                allocated once and filled chunk by chunk from the files, so a load
                                needs one small staging chunk of host memory beyond the buffer)
  goal_frames (F, 3, H, W) uint8  or None: each frame's scene without the arm (info `scene_image`,
                                the play data), what that frame shows when it serves as a goal
  wrist_frames (F, 3, H, W) uint8 or None: each frame's hand-camera picture (observation
                                `wrist_image`, data recorded with the env's wrist_camera=True)
  states   (F, S) float32
  actions  (N, A) float32, rewards (N,), terminated (N,)   one row per transition
  t_frame  (N,) int64           frame index of the transition's observation; next obs = t_frame + 1
  t_last   (N,) int64           index of the last frame of the transition's episode
  t_ep     (N,) int64           global episode index
Transition j of an episode whose frames start at row f0 has observation f0 + t and next
observation f0 + t + 1, so episode boundaries are never crossed: the last transition of an
episode points at the episode's last frame as next obs, and no transition starts on a last frame.

Sampling is a handful of batched tensor ops (no per-sample Python): the batch's slots are split
between datasets by a fixed count per batch (weights -> counts by largest remainder), each slot
draws a uniform transition index inside its dataset's range, then rows are gathered.

Rewards are relabelled per dataset at load time (`reward:`):
  none       all rewards 0 (COG prior data; play data, whose goal batches bring their own rewards)
  sparse     the env's stored sparse 0/1 success reward
  from_info  float(info[info_key]) of the info returned by the step (default key `is_success`)
Omitted (None): the recipe's `default_reward` stored in the dataset's metadata. `zero` is read as
`none`: the name it had before, which existing dataset files and configs still use.

Goal-conditioned batches (`sample_goal_conditioned`) relabel with hindsight goals: goal frame g of
the same episode at a uniform later step (`future`), at a geometric offset (`geometric`), the
episode's last frame (`final`), or a random frame of another episode of the same dataset
(`random`; flagged by `goal_other_episode` = 1, so an agent may bootstrap through them or not).
`goal_offset` is g's step count from s along the data (g - s's frame, >= 1; 0 for a goal from
another episode): the data itself reached that goal in so many steps. The goal counts as reached by the
transition (reward 1, and terminated=1 when `terminate_on_goal`) when g is the next frame itself
(offset 0 from s': always reached), or when the buffer's goal rule holds for the achieved-goal
vectors of s' and g (info `achieved_goal`, stored per frame by GoalReach-v1). The rule is the one
the datasets name in their metadata (robo_offline.data.goal_rules: GoalReach-v1's own success rule,
a per-component tolerance, or equality), or one given to `load_buffer`. Without achieved-goal
info only the exact frame counts as reached. The goal image is the goal frame's scene without the
arm where the data stores it (`goal_frames`; GoalReach-v1's goal images show no arm either), else
the frame itself; with obs=features the goal's features are those of that same picture.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from robo_offline.augment import random_shift
from robo_offline.data.goal_rules import (ACHIEVED_GOAL_INFO_KEYS, GoalRule, achieved_goal_from_infos,
                                         dataset_goal_rule, resolve_goal_rule)
from robo_offline.data.reader import EpisodeArrays, iter_frames, read_episodes
from robo_offline.data.recipes import plain_dict
from robo_offline.device import resolve_device
from robo_offline.errors import UserError

REWARD_MODES = ("none", "sparse", "from_info")
REWARD_ALIASES = {"zero": "none"}  # module docstring
GOAL_STRATEGIES = ("future", "geometric", "random", "final")


def split_counts(weights: Sequence[float], total: int) -> list[int]:
    """Integer counts summing to `total`, proportional to `weights` (largest remainder, ties to the first)."""
    w = np.asarray(weights, dtype=np.float64)
    if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise UserError(f"dataset weights {list(weights)} must be non-negative numbers with a positive sum")
    exact = w / w.sum() * total
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    for i in order[: total - counts.sum()]:
        counts[i] += 1
    return counts.tolist()


@dataclass
class DatasetInfo:
    dataset_id: str
    weight: float
    reward: str
    episodes: int
    transitions: int
    first_transition: int
    first_episode: int


class ReplayBuffer:
    """Transitions of one or more datasets on one device; see the module docstring."""

    def __init__(self, parts: list[EpisodeArrays], specs: list[dict], device: Any = None, *,
                 augment: bool = False, pad: int = 4, same_shift: bool = True,
                 goal_rule: GoalRule | None = None, terminate_on_goal: bool = True, images: bool = True):
        """`parts` as `read_episodes` returns them, with or without frames: frames not read are
        streamed from the files (`iter_frames`). `images=False`: a state-only buffer, no frames.
        `goal_rule`: decides "goal reached" instead of the rule the datasets name."""
        self.device = torch.device(device) if device is not None else resolve_device("auto")
        self.augment, self.pad, self.same_shift = bool(augment), int(pad), bool(same_shift)
        self.terminate_on_goal = bool(terminate_on_goal)

        def image_shape(p):
            return tuple(p.image_shape) if images else None

        shapes = {(image_shape(p), p.states.shape[1], p.actions.shape[1]) for p in parts}
        if len(shapes) > 1:
            desc = ", ".join(f"{p.dataset_id}: image {image_shape(p)}, state {p.states.shape[1]}, "
                             f"action {p.actions.shape[1]}" for p in parts)
            raise UserError(f"datasets in one buffer must share image, state and action shapes ({desc}); "
                            "generate them with the same env settings (image_size)")

        rewards, terms, infos_ag, scenes = [], [], [], []
        self.datasets: list[DatasetInfo] = []
        n_tr = n_ep = 0
        for part, spec in zip(parts, specs):
            r, d = relabel_rewards(part, spec)
            rewards.append(r)
            terms.append(d)
            self.datasets.append(DatasetInfo(part.dataset_id, float(spec.get("weight", 1.0)), spec["reward"],
                                             len(part.ep_steps), len(part.actions), n_tr, n_ep))
            n_tr += len(part.actions)
            n_ep += len(part.ep_steps)
            infos_ag.append(part.infos.get("achieved_goal"))
            scenes.append(part.infos.pop("scene_image", None))  # moved into goal_frames, not kept twice

        # index arrays (numpy, then one copy to the device)
        ep_steps = np.concatenate([p.ep_steps for p in parts])
        ep_first = np.concatenate([[0], np.cumsum(ep_steps + 1)[:-1]]).astype(np.int64)
        ep_last = ep_first + ep_steps
        t_ep = np.repeat(np.arange(len(ep_steps)), ep_steps)
        t_frame = np.arange(n_tr, dtype=np.int64) + t_ep  # one extra (last) frame per finished episode
        ds_of_ep = np.repeat(np.arange(len(parts)), [len(p.ep_steps) for p in parts])
        ds_ep_lo = np.array([d.first_episode for d in self.datasets], dtype=np.int64)[ds_of_ep]
        ds_ep_n = np.array([d.episodes for d in self.datasets], dtype=np.int64)[ds_of_ep]

        dev = self.device
        self.frames = None  # state-only buffer (obs_mode=state): no images at all
        if images:
            self.frames = _load_frames(parts, "image", n_tr + n_ep, dev)
        self.wrist_frames = None  # every dataset must have them: a batch mixes datasets
        if images and all(p.has_wrist_frames for p in parts):
            self.wrist_frames = _load_frames(parts, "wrist_image", n_tr + n_ep, dev)
        self.goal_frames = None
        if images and all(x is not None for x in scenes):
            self.goal_frames = torch.empty_like(self.frames)
            row = 0
            for scene in scenes:
                _put_frames(self.goal_frames, row, scene)
                row += len(scene)
        del scenes
        self.states = torch.from_numpy(np.concatenate([p.states for p in parts])).to(dev)
        self.goal_state_mask: torch.Tensor | None = None  # (S,): which state columns a goal keeps (obs=features)
        self.goal_states: torch.Tensor | None = None  # (F, S) obs=features with goal_frames: their features
        self.actions = torch.from_numpy(np.concatenate([p.actions for p in parts])).to(dev)
        self.rewards = torch.from_numpy(np.concatenate(rewards).astype(np.float32)).to(dev)
        self.terminated = torch.from_numpy(np.concatenate(terms).astype(np.float32)).to(dev)
        self.t_frame = torch.from_numpy(t_frame).to(dev)
        self.t_ep = torch.from_numpy(t_ep.astype(np.int64)).to(dev)
        self.t_last = torch.from_numpy(ep_last[t_ep]).to(dev)
        self.ep_first = torch.from_numpy(ep_first).to(dev)
        self.ep_frames = torch.from_numpy(ep_steps + 1).to(dev)
        self.ep_ds_lo = torch.from_numpy(ds_ep_lo).to(dev)
        self.ep_ds_n = torch.from_numpy(ds_ep_n).to(dev)

        # achieved-goal vectors per frame and the rule that compares them, for hindsight rewards
        self.achieved_goal: torch.Tensor | None = None
        self.goal_rule: GoalRule | None = None  # None: no achieved goals, only the goal frame itself counts
        with_ag = [p.dataset_id for p, a in zip(parts, infos_ag) if a is not None]
        if with_ag and len(with_ag) < len(parts):  # else the stored goals would be dropped without a word
            without = [p.dataset_id for p, a in zip(parts, infos_ag) if a is None]
            raise UserError(f"datasets {with_ag} store achieved goals and {without} do not; name the goal rule "
                            "(experiment.goal_rule, load_buffer's goal_rule='goal_reach') to rebuild them from "
                            "the step infos, or load the datasets in separate buffers")
        if with_ag:
            ag = np.concatenate([a.reshape(len(a), -1) for a in infos_ag]).astype(np.float32)
            self.achieved_goal = torch.from_numpy(ag).to(dev)
            self.goal_rule = goal_rule or _datasets_goal_rule(parts, dev)

        # train's `rest_goals` (restrict_goals): each frame's nearest goal-worthy frame of its episode
        self.goal_next: torch.Tensor | None = None  # at or after it (-1: none)
        self.goal_prev: torch.Tensor | None = None  # at or before it (-1: none)
        self._slot_cache: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self._code_cache: dict[tuple, torch.Tensor] = {}
        self._image_shape = None if self.frames is None else tuple(int(x) for x in self.frames.shape[1:])
        self._frames_flat = None if self.frames is None else self.frames.view(self.frames.shape[0], -1)
        # a frame's goal picture: its scene picture where the data has one, else the frame itself
        self._goal_frames_flat = self._frames_flat if self.goal_frames is None else \
            self.goal_frames.view(self.frames.shape[0], -1)

    def replace_frames_with_features(self, features: torch.Tensor, goal_features: torch.Tensor | None = None,
                                     wrist_features: torch.Tensor | None = None) -> None:
        """obs=features: append per-frame features (F, D) to the per-frame state and drop the frames,
        so the buffer serves state batches of `[proprio, features]` (robo_offline.algos.representation).
        `goal_features` (F, D): the features of `goal_frames`, which goals then carry instead; required
        when the buffer has goal frames. `wrist_features` (F, W): the hand camera's, appended after
        the frame's as `[proprio, features, wrist features]`; a goal leaves them zero (a goal picture
        shows the scene, not the hand)."""
        if self.frames is None or features.shape[0] != self.frames.shape[0]:
            have = None if self.frames is None else self.frames.shape[0]
            raise ValueError(f"need one feature row per frame ({have} frames), got {tuple(features.shape)}")
        if (goal_features is None) != (self.goal_frames is None) or (
                goal_features is not None and goal_features.shape != features.shape):
            raise ValueError(f"need goal features {tuple(features.shape)} exactly when the buffer holds goal "
                             f"frames ({self.goal_frames is not None}), got "
                             f"{None if goal_features is None else tuple(goal_features.shape)}")
        if wrist_features is not None and wrist_features.shape[0] != features.shape[0]:
            raise ValueError(f"need one wrist feature row per frame ({features.shape[0]}), got {tuple(wrist_features.shape)}")
        proprio_dim = self.states.shape[1]
        wrist = features[:, :0] if wrist_features is None else wrist_features.to(features)
        self.states = torch.cat([self.states, features.to(self.states), wrist.to(self.states)], dim=1)
        # a goal is what a goal image shows: its features, not the robot's proprio state at the goal
        self.goal_state_mask = torch.cat([torch.zeros(proprio_dim), torch.ones(features.shape[1]),
                                          torch.zeros(wrist.shape[1])]).to(self.states)
        if goal_features is not None:
            self.goal_states = torch.cat([torch.zeros_like(self.states[:, :proprio_dim]),
                                          goal_features.to(self.states), torch.zeros_like(wrist).to(self.states)], dim=1)
        self.frames = self._frames_flat = self._image_shape = None
        self.goal_frames = self._goal_frames_flat = self.wrist_frames = None

    def restrict_goals(self, eligible: torch.Tensor) -> None:
        """Hindsight goals only at frames where `eligible` (F,) holds (train's `rest_goals`: the
        gripper open, so that no goal picture shows an object in the air). A sampled goal frame moves
        to the first eligible frame at or after it in its episode; failing that, a goal of the
        transition's own episode moves back to the last eligible frame still after the transition,
        one of another episode to that episode's last eligible frame; failing both it stays."""
        if eligible.shape != (self.states.shape[0],):
            raise ValueError(f"need one flag per frame ({self.states.shape[0]}), got {tuple(eligible.shape)}")
        rows = torch.arange(len(eligible), device=self.device)
        episode = self.frame_episode(rows)
        first, last = self.ep_first[episode], self.ep_first[episode] + self.ep_frames[episode] - 1
        eligible = eligible.to(self.device)
        prev = torch.cummax(torch.where(eligible, rows, -1), 0).values
        self.goal_prev = torch.where(prev >= first, prev, -1)
        later = torch.where(eligible, rows, len(rows))
        nxt = torch.flip(torch.cummin(torch.flip(later, [0]), 0).values, [0])
        self.goal_next = torch.where(nxt <= last, nxt, -1)

    def append_proprio_history(self, steps: int) -> None:
        """obs=features, train's `proprio_history`: append the proprio state of each frame's `steps`
        previous frames in its episode (the first frame's own before the episode starts) as
        `[proprio, features, wrist features, proprio at t-1, ..., at t-steps]`; a goal leaves them
        zero. Two steps show what one does not: whether the closing fingers stopped on something."""
        if self.goal_state_mask is None:
            raise ValueError("append_proprio_history comes after replace_frames_with_features (obs=features)")
        proprio_dim = int(torch.nonzero(self.goal_state_mask)[0])  # the first scene column
        rows = torch.arange(self.states.shape[0], device=self.device)
        first = self.ep_first[self.frame_episode(rows)]
        past = [self.states[torch.maximum(rows - k, first), :proprio_dim] for k in range(1, steps + 1)]
        self.states = torch.cat([self.states, *past], dim=1)
        zeros = torch.zeros(steps * proprio_dim).to(self.goal_state_mask)
        self.goal_state_mask = torch.cat([self.goal_state_mask, zeros])
        if self.goal_states is not None:
            self.goal_states = torch.cat([self.goal_states, self.goal_states.new_zeros(len(rows), len(zeros))], dim=1)

    def replace_goals_with_achieved_goals(self, eps: float = 1e-3) -> tuple[torch.Tensor, torch.Tensor]:
        """obs=features, train's `oracle_goal` (a diagnostic): every goal becomes its frame's achieved
        goal (D numbers), z-scored and put in the D columns after the proprio state, the rest zero,
        instead of its picture's features. Call after `standardize_states`. Returns the achieved goals'
        (mean, std), which acting applies to the env's goal vector."""
        if self.goal_state_mask is None or self.achieved_goal is None:
            raise UserError("oracle goals need obs=features and data that records achieved goals (GoalReach play data)")
        proprio_dim = int(torch.nonzero(self.goal_state_mask)[0])  # the first scene column
        mean, std = self.achieved_goal.mean(0), self.achieved_goal.std(0).clamp_min(eps)
        goal_dim = self.achieved_goal.shape[1]
        self.goal_states = torch.zeros_like(self.states)
        self.goal_states[:, proprio_dim:proprio_dim + goal_dim] = (self.achieved_goal - mean) / std
        return mean, std

    def standardize_states(self, eps: float = 1e-3, shared: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """z-score every state column by its mean and std over the data's frames (std floored at
        `eps`), in place; returns (mean, std), which acting must apply too. obs=features: the proprio
        columns (the gripper opening spans 0.1) sit beside thousands of features of another scale.
        The columns of the boolean mask `shared` are divided by one scale instead, the root mean
        square of their stds: they keep their relative sizes (principal directions stay unwhitened)."""
        mean = self.states.mean(0)
        std = self.states.std(0).clamp_min(eps)
        if shared is not None and shared.any():
            std = torch.where(shared, std[shared].pow(2).mean().sqrt(), std)
        self.scale_states(mean, std)
        return mean, std

    def scale_states(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """(states - mean) / std in place, with statistics from elsewhere (validation data gets the
        training data's); goals are scaled as acting scales a goal image's features."""
        mean, std = mean.to(self.states), std.to(self.states)
        self.states = (self.states - mean) / std
        if self.goal_states is not None:
            self.goal_states = (self.goal_states - mean) / std * self.goal_state_mask

    # -- properties the trainer and agents use ---------------------------------------------
    @property
    def image_shape(self) -> tuple[int, int, int] | None:
        """(3, H, W), or None for a state-only buffer."""
        return self._image_shape

    @property
    def state_dim(self) -> int:
        return int(self.states.shape[1])

    @property
    def action_dim(self) -> int:
        return int(self.actions.shape[1])

    @property
    def num_transitions(self) -> int:
        return int(self.actions.shape[0])

    @property
    def num_episodes(self) -> int:
        return int(self.ep_first.shape[0])

    def __len__(self) -> int:
        return self.num_transitions

    @property
    def dataset_ids(self) -> list[str]:
        return [d.dataset_id for d in self.datasets]

    def nbytes(self) -> int:
        tensors = [t for t in [self.frames, self.goal_frames, self.wrist_frames, self.goal_states] if t is not None] + [self.states, self.actions, self.rewards, self.terminated, self.t_frame,
                   self.t_ep, self.t_last]
        return sum(t.numel() * t.element_size() for t in tensors)

    # -- sampling -----------------------------------------------------------------------------
    def _slots(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Per batch slot: first transition index and transition count of the slot's dataset."""
        if batch_size not in self._slot_cache:
            counts = split_counts([d.weight for d in self.datasets], batch_size)
            lo = np.repeat([d.first_transition for d in self.datasets], counts)
            n = np.repeat([d.transitions for d in self.datasets], counts)
            self._slot_cache[batch_size] = (torch.as_tensor(lo, device=self.device),
                                            torch.as_tensor(n, device=self.device))
        return self._slot_cache[batch_size]

    def _uniform(self, n: int, generator) -> torch.Tensor:
        dev = generator.device if generator is not None else self.device
        return torch.rand(n, generator=generator, device=dev, dtype=torch.float64).to(self.device)

    def sample_indices(self, batch_size: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(B,) transition indices, the first `count_k` slots from dataset k (fixed mix per batch)."""
        lo, n = self._slots(batch_size)
        u = self._uniform(batch_size, generator)
        return lo + torch.minimum((u * n).long(), n - 1)

    def _gather(self, idx: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.t_frame.index_select(0, idx)
        f1 = f + 1
        batch = {
            "state": self.states.index_select(0, f),
            "next_state": self.states.index_select(0, f1),
            "action": self.actions.index_select(0, idx),
            "reward": self.rewards.index_select(0, idx),
            "terminated": self.terminated.index_select(0, idx),
        }
        if self.frames is not None:
            batch["image"], batch["next_image"] = self.frames_at(f), self.frames_at(f1)
        return batch

    def frames_at(self, f: torch.Tensor, goal: bool = False) -> torch.Tensor:
        """uint8 (B, 3, H, W) frames at indices f (`goal`: the goal pictures of those frames). Row gather
        on the flat (F, 3*H*W) view: on CPU 5-20x faster than `frames[f]` or a 4-D index_select."""
        return (self._goal_frames_flat if goal else self._frames_flat).index_select(0, f).view(-1, *self._image_shape)

    def wrist_frames_at(self, f: torch.Tensor) -> torch.Tensor:
        """uint8 (B, 3, H, W) hand-camera pictures at frame indices f."""
        if self.wrist_frames is None:
            raise UserError("the data has no hand-camera pictures: generate it with "
                            "`+dataset.env_kwargs.wrist_camera=true` (every dataset of the buffer)")
        return self.wrist_frames.view(self.wrist_frames.shape[0], -1).index_select(0, f).view(-1, *self._image_shape)

    def sample(self, batch_size: int, generator: torch.Generator | None = None,
               augment: bool | None = None, wrist: bool = False) -> dict[str, torch.Tensor]:
        """A batch in the docs/interfaces.md format (uint8 (B,3,H,W) images, float32 rest); `wrist`:
        with the observations' hand-camera pictures (`wrist_image`)."""
        idx = self.sample_indices(batch_size, generator)
        batch = self._gather(idx)
        if wrist:
            batch["wrist_image"] = self.wrist_frames_at(self.t_frame.index_select(0, idx))
        if (self.augment if augment is None else augment) and self.frames is not None:
            self._augment(batch, ["image", "next_image"], generator)
            if wrist:
                self._augment(batch, ["wrist_image"], generator)
        return batch

    def sample_goal_conditioned(self, batch_size: int, generator: torch.Generator | None = None, *,
                                strategy: str | dict[str, float] = "future", geometric_p: float = 0.2,
                                augment: bool | None = None, scene: bool = False,
                                wrist: bool = False) -> dict[str, torch.Tensor]:
        """A batch with the goal (`goal_state` (B, S), and `goal_image` when the buffer holds
        frames), hindsight rewards, `goal_other_episode` and `goal_offset` (B,) (see the module docstring).
        `scene`: also `scene_image`, the goal picture of the transition's own frame (the scene without
        the arm where the data recorded one, else the frame), shifted as the frame is. `wrist`: also
        `wrist_image`, the frame's hand-camera picture (shifted on its own: another camera).

        `strategy`: `future` | `geometric` | `random` | `final`, or a dict of fractions per strategy, e.g.
        `{"future": 0.7, "random": 0.3}` (fixed counts per batch). `geometric_p`: success
        probability of the geometric offset k >= 1 (mean offset 1/p), clipped at the episode end.
        """
        idx, g = self.sample_goal_indices(batch_size, generator, strategy=strategy, geometric_p=geometric_p)
        batch = self._gather(idx)
        f = self.t_frame[idx]
        reached = self.goal_reached(f + 1, g)
        batch["goal_state"] = (self.states if self.goal_states is None else self.goal_states).index_select(0, g)
        if self.goal_state_mask is not None:
            batch["goal_state"] = batch["goal_state"] * self.goal_state_mask
        other = self.frame_episode(g) != self.t_ep[idx]
        batch["goal_other_episode"] = other.float()
        batch["goal_offset"] = torch.where(other, 0, g - f).float()
        batch["reward"] = reached.float()
        batch["terminated"] = reached.float() if self.terminate_on_goal else torch.zeros_like(batch["reward"])
        if self.frames is None:
            return batch
        batch["goal_image"] = self.frames_at(g, goal=True)
        if scene:
            batch["scene_image"] = self.frames_at(f, goal=True)
        if wrist:
            batch["wrist_image"] = self.wrist_frames_at(f)
        if self.augment if augment is None else augment:
            self._augment(batch, ["image", "next_image", "goal_image"] + (["scene_image"] if scene else []), generator)
            if wrist:
                self._augment(batch, ["wrist_image"], generator)
        return batch

    def sample_goal_indices(self, batch_size: int, generator: torch.Generator | None = None, *,
                            strategy: str | dict[str, float] = "future",
                            geometric_p: float = 0.2) -> tuple[torch.Tensor, torch.Tensor]:
        """(transition indices, goal frame indices), both (B,); see `sample_goal_conditioned`."""
        mix = {strategy: 1.0} if isinstance(strategy, str) else dict(strategy)
        bad = set(mix) - set(GOAL_STRATEGIES)
        if bad:
            raise UserError(f"unknown hindsight goal strategy {sorted(bad)}; use {GOAL_STRATEGIES}")
        idx = self.sample_indices(batch_size, generator)
        f = self.t_frame[idx]
        last = self.t_last[idx]
        u = self._uniform(3 * batch_size, generator).view(3, batch_size)
        # future: uniform over f+1 .. last
        g_future = f + 1 + torch.minimum((u[0] * (last - f)).long(), last - f - 1)
        # geometric: offset k = 1 + Geom(p) >= 1, clipped at the episode's last frame
        if 0.0 < geometric_p < 1.0:
            k = 1 + torch.floor(torch.log1p(-u[1].clamp(max=1 - 1e-12)) / math.log1p(-geometric_p)).long()
        else:
            k = torch.ones_like(f)
        g_geom = torch.minimum(f + k, last)
        # random: uniform frame of another episode of the same dataset
        ep = self.t_ep[idx]
        lo, n = self.ep_ds_lo[ep], self.ep_ds_n[ep]
        other = torch.minimum((u[2] * (n - 1).clamp(min=1)).long(), (n - 2).clamp(min=0)) + 1
        ep2 = torch.where(n > 1, lo + (ep - lo + other) % n, ep)
        u2 = self._uniform(batch_size, generator)
        g_rand = self.ep_first[ep2] + torch.minimum((u2 * self.ep_frames[ep2]).long(), self.ep_frames[ep2] - 1)

        # fixed count per strategy, shuffled over the slots so strategies don't line up with datasets
        key = (batch_size, tuple(sorted(mix.items())))
        if key not in self._code_cache:
            names = [s for s in GOAL_STRATEGIES if mix.get(s, 0) > 0]
            counts = split_counts([mix[s] for s in names], batch_size)
            codes = np.repeat([GOAL_STRATEGIES.index(s) for s in names], counts)
            self._code_cache[key] = torch.as_tensor(codes, device=self.device)
        code = self._code_cache[key]
        if len(mix) > 1:
            dev = generator.device if generator is not None else self.device
            code = code[torch.randperm(batch_size, generator=generator, device=dev).to(self.device)]
        g_final = last
        g = torch.stack([g_future, g_geom, g_rand, g_final]).gather(0, code.unsqueeze(0))[0]
        if self.goal_next is not None:  # restrict_goals
            after = torch.where(self.frame_episode(g) == ep, f, -1)  # a goal of its own episode stays ahead
            prev = self.goal_prev[g]
            g = torch.where(self.goal_next[g] >= 0, self.goal_next[g], torch.where(prev > after, prev, g))
        return idx, g

    def frame_episode(self, frame: torch.Tensor) -> torch.Tensor:
        """(B,) global episode index of each frame index."""
        return torch.searchsorted(self.ep_first, frame, right=True) - 1

    def goal_reached(self, frame: torch.Tensor, goal: torch.Tensor) -> torch.Tensor:
        """Bool (B,): frame `frame` reaches goal frame `goal`: the same frame, or the buffer's goal rule
        holds for their achieved goals. Every hindsight reward is decided here."""
        same = frame == goal
        if self.goal_rule is None:
            return same
        return same | self.goal_rule(self.achieved_goal[frame], self.achieved_goal[goal])

    def _augment(self, batch: dict, keys: list[str], generator) -> None:
        if self.same_shift:  # one shift per sample, shared by s, s' (and the goal)
            c = batch[keys[0]].shape[1]
            shifted = random_shift(torch.cat([batch[k] for k in keys], dim=1), self.pad, generator)
            for i, k in enumerate(keys):
                batch[k] = shifted[:, i * c:(i + 1) * c]
        else:
            b = batch[keys[0]].shape[0]
            shifted = random_shift(torch.cat([batch[k] for k in keys], dim=0), self.pad, generator)
            for i, k in enumerate(keys):
                batch[k] = shifted[i * b:(i + 1) * b]


def _load_frames(parts: list[EpisodeArrays], key: str, rows: int, device: torch.device) -> torch.Tensor:
    """One camera's frames (`key`: observation `image` or `wrist_image`) of every part, stacked in
    one preallocated uint8 (rows, 3, H, W) tensor, filled chunk by chunk from the files."""
    h, w, c = parts[0].image_shape
    frames = torch.empty((rows, c, h, w), dtype=torch.uint8, device=device)
    row = 0
    for part in parts:
        for start, chunk in iter_frames(part, key=key):
            _put_frames(frames, row + start, chunk)
        row += len(part.actions) + len(part.ep_steps)
    return frames


def _put_frames(frames: torch.Tensor, row: int, hwc: np.ndarray) -> None:
    """HWC uint8 frames into rows of the CHW buffer: on CPU one transposing numpy copy (~4x faster
    than torch's permuted copy there), elsewhere an upload of the chunk, then a permute on the device."""
    rows = frames[row:row + len(hwc)]
    if frames.device.type == "cpu":
        np.copyto(rows.numpy(), hwc.transpose(0, 3, 1, 2))
    else:
        rows.copy_(torch.from_numpy(hwc).to(frames.device).permute(0, 3, 1, 2))


def _datasets_goal_rule(parts: list[EpisodeArrays], device: torch.device) -> GoalRule:
    """The one goal rule the datasets name (goal_rules.dataset_goal_rule); a UserError when they differ."""
    rules = {p.dataset_id: dataset_goal_rule(p.metadata) for p in parts}
    if len({json.dumps(rule) for rule in rules.values()}) > 1:
        raise UserError(f"datasets in one buffer judge 'goal reached' by different rules ({rules}); "
                        "load them in separate buffers, or pass goal_rule= to load_buffer")
    name, tolerance = next(iter(rules.values()))
    return resolve_goal_rule(name, tolerance, device)


def relabel_rewards(part: EpisodeArrays, spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per-transition (reward, terminated) of one dataset under the spec's `reward` mode."""
    mode = reward_mode(spec["reward"], part.dataset_id)
    n = len(part.actions)
    terminated = part.terminations.astype(np.float32)
    if mode == "none":
        reward = np.zeros(n, dtype=np.float32)
    elif mode == "sparse":
        reward = part.rewards.astype(np.float32)
    else:  # from_info
        key = spec.get("info_key", "is_success")
        v = part.infos[key]
        if v.ndim != 1:
            raise UserError(f"info {key!r} of {part.dataset_id} has shape {v.shape[1:]} per step; "
                            "from_info needs a scalar (bool/float) info key")
        # info returned by step t is frame t+1 of the episode
        t_ep = np.repeat(np.arange(len(part.ep_steps)), part.ep_steps)
        reward = v[np.arange(n) + t_ep + 1].astype(np.float32)
    if spec.get("terminate_on_reward"):
        terminated = np.maximum(terminated, (reward > 0).astype(np.float32))
    return reward, terminated


def _normalise_spec(spec: Any) -> dict:
    if isinstance(spec, str):
        spec = {"dataset_id": spec}
    spec = plain_dict(spec)
    if not spec.get("dataset_id"):
        raise UserError(f"buffer spec {spec} needs a dataset_id")
    allowed = {"dataset_id", "weight", "reward", "info_key", "terminate_on_reward", "max_episodes"}
    extra = set(spec) - allowed
    if extra:
        raise UserError(f"buffer spec for {spec['dataset_id']} has unknown keys {sorted(extra)}; allowed: {sorted(allowed)}")
    spec.setdefault("weight", 1.0)
    if spec.get("reward") is not None:
        spec["reward"] = reward_mode(spec["reward"], spec["dataset_id"])
    return spec


def reward_mode(name: str, dataset_id: str) -> str:
    """A `reward:` value as one of REWARD_MODES (aliases resolved), or a UserError naming them."""
    mode = REWARD_ALIASES.get(name, name)
    if mode not in REWARD_MODES:
        raise UserError(f"reward: {name!r} for {dataset_id}; use one of {REWARD_MODES}")
    return mode


def load_buffer(specs: Sequence[Any], device: Any = None, *, store=None, image_shape=None,
                state_dim=None, action_dim=None, augment: bool = False, pad: int = 4,
                same_shift: bool = True, goal_rule: GoalRule | str | None = None,
                terminate_on_goal: bool = True, obs_mode: str = "image") -> ReplayBuffer:
    """Build a ReplayBuffer from Minari datasets: the one door from files to training batches, so
    every shape check, reward relabelling and goal rule is decided here, once, at load time.

    Args:
        specs: the datasets, each a plain id or `dict(dataset_id, weight=1.0, reward=None,
            info_key='is_success', terminate_on_reward=False, max_episodes=None)`. `weight`: the
            dataset's share of every batch; `reward`: `none | sparse | from_info` (module
            docstring; None: the recipe's default stored in the dataset).
        device: where the buffer lives; default CUDA when available, else CPU.
        store: the Minari store; default `robo_offline.paths.resolve_store()`.
        image_shape, state_dim, action_dim: what the agent expects, (3, H, W) / S / A; a dataset
            that differs raises a UserError naming the fix. None: not checked.
        augment, pad, same_shift: random-shift augmentation of sampled images (by up to `pad`
            pixels; `same_shift`: one shift per sample, shared by s, s' and the goal).
        goal_rule: decides "goal reached" for hindsight batches instead of the rule the datasets
            name (robo_offline.data.goal_rules), e.g. `goal_rules.goal_reach_rule`. Given by name
            (e.g. "goal_reach"), it also rebuilds the achieved goals of datasets that store none
            from their step infos (`goal_rules.achieved_goal_from_infos`): so data of other envs
            in the same scene serves as play data.
        terminate_on_goal: hindsight batches mark a reached goal as terminal.
        obs_mode: `image` (frames + the stored proprio state), `state` (no frames; the state is
            the privileged vector of robo_offline.world.privileged_state, rebuilt from the stored infos)
            or `image_privileged` (frames + that privileged vector: train's `oracle_state` diagnostic).
    """
    from robo_offline.world.privileged_state import (PRIVILEGED_STATE_DIM, STATE_INFO_KEYS, goal_scene_mask,
                                                     privileged_state)

    if obs_mode not in ("image", "state", "image_privileged"):
        raise UserError(f"obs_mode={obs_mode!r}; use image, state or image_privileged")
    state_only, privileged = obs_mode == "state", obs_mode != "image"
    if privileged and state_dim is not None and int(state_dim) != PRIVILEGED_STATE_DIM:
        raise UserError(f"obs_mode={obs_mode} gives {PRIVILEGED_STATE_DIM}-d states, the agent expects {state_dim}")
    goal_rule_name = goal_rule if isinstance(goal_rule, str) else None
    if goal_rule_name is not None:
        goal_rule = resolve_goal_rule(goal_rule_name, device=device)
    rebuilt_keys = ACHIEVED_GOAL_INFO_KEYS.get(goal_rule_name, ())
    specs = [_normalise_spec(s) for s in specs]
    if not specs:
        raise UserError("load_buffer needs at least one dataset spec")
    parts = []
    for spec in specs:
        def extra_keys(metadata, spec=spec):
            if spec.get("reward") is None:
                default = (metadata.get("robo_offline") or {}).get("default_reward", "sparse")
                spec["reward"] = reward_mode(default, spec["dataset_id"])
            return [spec.get("info_key", "is_success")] if spec["reward"] == "from_info" else []

        part = read_episodes(spec["dataset_id"], store, info_keys=STATE_INFO_KEYS if privileged else (),
                             optional_info_keys=("achieved_goal", *rebuilt_keys) + (() if state_only else ("scene_image",)),
                             max_episodes=spec.get("max_episodes"),
                             expected_image_shape=image_shape, metadata_hook=extra_keys,
                             expected_state_dim=None if privileged else state_dim, with_frames=False)
        if goal_rule_name is not None and "achieved_goal" not in part.infos:
            part.infos["achieved_goal"] = achieved_goal_from_infos(goal_rule_name, part.infos)
        if privileged:
            part.states = privileged_state(part.infos)
        if action_dim is not None and part.actions.shape[1] != int(action_dim):
            raise UserError(f"dataset {spec['dataset_id']} has {part.actions.shape[1]}-d actions, the agent "
                            f"expects {action_dim}; use data from the agent's env")
        parts.append(part)
    buffer = ReplayBuffer(parts, specs, device, augment=augment, pad=pad, same_shift=same_shift,
                          goal_rule=goal_rule, terminate_on_goal=terminate_on_goal, images=not state_only)
    if state_only:
        buffer.goal_state_mask = torch.from_numpy(goal_scene_mask()).to(buffer.states)
    return buffer
