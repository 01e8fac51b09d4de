"""What every agent shares: the update wrapper (eager, torch.compile or one CUDA graph), `act`,
checkpoints, Polyak averaging and precision (the config's shared fields: config.py). The maths of each algorithm lives in
its own file (`cql.py`, `bc.py`, `iql.py`, `awac.py`, and the goal-conditioned `gcql.py`, `gcbc.py`,
`gciql.py`), in one `compute_losses` method read top to bottom.

One update (`_update`): the agent's `compute_losses(batch)` returns every loss, keyed by the
optimiser that owns it, computed before any step; then one backward pass over their sum (each
loss reaches only its own parameters: critic features are detached for the actor, critic
weights are detached in the actor's Q evaluation, sampled actions are detached in the critic's
losses), the optimiser steps, the Polyak updates of the target networks, and the step counter.
No host syncs (`.item()`, Python branches on tensor values), so the whole step can be captured
in a CUDA graph.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
from typing import Any, Callable, ClassVar

import numpy as np
import torch
from torch import nn

from robo_offline.algos.config import build_config
from robo_offline.augment import random_shift
from robo_offline.nets import QEnsemble, make_encoder
from robo_offline.nets.obs import obs_to_batch

# the networks `act` reads (the actor reads the critic's encoder in the shared layout)
ACTING_NETS = ("actor", "actor_encoder", "critic_encoder")


def bf16_is_fast(device: torch.device) -> bool:
    """bf16 autocast pays on CUDA with bf16 support and on CPUs with AMX or AVX512-BF16."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        cpu = torch.cpu
        return bool(getattr(cpu, "_is_amx_tile_supported", lambda: False)())
    return False


def make_adam(params, lr: float, device: torch.device, capturable: bool) -> torch.optim.Adam:
    params = list(params)
    if device.type == "cuda" and capturable:
        return torch.optim.Adam(params, lr=lr, capturable=True, foreach=True)
    if device.type in ("cpu", "cuda"):
        return torch.optim.Adam(params, lr=lr, fused=True)
    return torch.optim.Adam(params, lr=lr)


@torch.no_grad()
def polyak_(target: nn.Module, online: nn.Module, tau: float) -> None:
    """target <- target + tau * (online - target), one fused call over all parameters."""
    params = list(target.parameters())
    if params:  # the state-only encoder has none
        torch._foreach_lerp_(params, list(online.parameters()), tau)


class Agent:
    """Base class. Subclasses set `name`, `config_cls` (a dataclass inheriting one of config.py's
    bases), build `self.nets` (an nn.ModuleDict that holds every trainable network and target
    network), `self.optimizers` (name -> optimiser), and implement `compute_losses(batch)` (and
    `_policy_action(batch, deterministic)` where the Gaussian actor's default does not fit)."""

    name: ClassVar[str] = "agent"
    config_cls: ClassVar[type]
    batch_keys: ClassVar[tuple[str, ...]] = ("image", "state", "action", "next_image", "next_state",
                                            "reward", "terminated")
    goal_conditioned: ClassVar[bool] = False  # True: trains on hindsight goal batches (algos/goals.py)
    # (target, online) pairs in self.nets, Polyak-averaged with cfg.tau after every step
    target_pairs: ClassVar[tuple[tuple[str, str], ...]] = (("target_encoder", "critic_encoder"), ("target_q", "q"))

    def __init__(self, image_shape, state_dim: int, action_dim: int, cfg: Any = None,
                 device: torch.device | str = "cpu"):
        self.cfg = build_config(self.config_cls, cfg, self.name)
        # image_shape None: a state-only agent (obs_mode=state), its heads read the state alone
        self.image_shape = None if image_shape is None else tuple(int(x) for x in image_shape)
        if self.image_shape is not None and (len(self.image_shape) != 3 or self.image_shape[0] != 3):
            raise ValueError(f"image_shape must be (3, H, W) or None (state only), got {self.image_shape}")
        self.state_dim, self.action_dim = int(state_dim), int(action_dim)
        self.device = torch.device(device)
        prec = self.cfg.precision
        self.use_bf16 = prec == "bf16" or (prec == "auto" and bf16_is_fast(self.device))
        mode = self.cfg.compile
        self.graph_mode = "cudagraph" in mode and self.device.type == "cuda"  # no-op elsewhere
        self.step = 0  # gradient steps taken (Python int, mirrored on device in self._step_t)
        self.nets = nn.ModuleDict()
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self._build()
        self.nets.to(self.device)
        self._step_t = torch.zeros((), dtype=torch.long, device=self.device)
        self._make_optimizers()
        self._update_fn = torch.compile(self._update) if "compile" in mode.split("+") else self._update
        self._graph = None

    # ---- pieces subclasses provide -------------------------------------------------------
    def _build(self) -> None:
        raise NotImplementedError

    def _make_optimizers(self) -> None:
        raise NotImplementedError

    def compute_losses(self, batch: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """(losses keyed by optimiser name, detached metrics). The algorithm's maths."""
        raise NotImplementedError

    def _policy_action(self, batch: dict[str, torch.Tensor], deterministic: bool) -> torch.Tensor:
        """The Gaussian actor's mode or one sample, or its proposals ranked by Q (`act_samples`);
        BC's deterministic policy overrides this."""
        mean, log_std, q_input = self.actor_distribution(batch)
        return self.choose_action(mean, log_std, deterministic, q_input, batch["state"])

    def actor_distribution(self, batch: dict[str, torch.Tensor]):
        """The Gaussian actor's mean and log-std for an observation batch, and a callable giving
        what the Q heads read for the same batch (for ranking, computed only when asked)."""
        image = self.encoder_inputs(batch, augment=False)[0]
        critic_feat = self.nets["critic_encoder"](image) if getattr(self.cfg, "act_samples", 0) else None
        mean, log_std = self.nets["actor"](self.actor_features(image, critic_feat), batch["state"])
        return mean, log_std, lambda: self.q_features(critic_feat)

    def choose_action(self, mean: torch.Tensor, log_std: torch.Tensor, deterministic: bool,
                      q_input: Callable[[], torch.Tensor], state: torch.Tensor) -> torch.Tensor:
        """The actor's mode (deterministic) or one sample. With `act_samples` = k > 0 (agents with a
        critic), the one among the mode and k samples that the min-ensemble Q(q_input(), state, .)
        ranks highest: the actor proposes, Q chooses, so acting follows Q further than a
        likelihood-regularised actor does (README, goal reaching)."""
        actor = self.nets["actor"]
        if getattr(self.cfg, "act_samples", 0) == 0:
            return actor.mode(mean) if deterministic else actor.sample(mean, log_std, 1)[0][:, 0]
        candidates = self.action_candidates(mean, log_std, deterministic)
        q = self.nets["q"](q_input(), state, candidates).min(0).values
        return candidates[torch.arange(candidates.shape[0], device=q.device), q.argmax(1)]

    def action_candidates(self, mean: torch.Tensor, log_std: torch.Tensor, deterministic: bool = True) -> torch.Tensor:
        """(B, 1 + k, A): the actor's mode and `act_samples` = k samples, what Q ranks. Deterministic
        acting draws the samples from the agent's own generator, so an evaluation repeats exactly."""
        actor = self.nets["actor"]
        if deterministic and getattr(self, "_act_generator", None) is None:
            self._act_generator = torch.Generator(device=mean.device).manual_seed(0)
        samples, _ = actor.sample(mean, log_std, int(self.cfg.act_samples), self._act_generator if deterministic else None)
        return torch.cat([actor.mode(mean).unsqueeze(1), samples], 1)

    @torch.no_grad()
    def proposals(self, obs: dict) -> np.ndarray:
        """The actions `act` ranks with `act_samples` for one env observation, (1 + k, A): the
        actor's mode and k samples from its own generator (an ensemble pools its members')."""
        if not getattr(self.cfg, "act_samples", 0):
            raise ValueError(f"agent {self.name} proposes actions only with act_samples > 0")
        batch = obs_to_batch(obs, self.device, self.image_shape, self.state_dim)
        with self.autocast():
            mean, log_std, _ = self.actor_distribution(batch)
            return self.action_candidates(mean, log_std)[0].float().cpu().numpy()

    @torch.no_grad()
    def q_values(self, obs: dict, actions: np.ndarray) -> np.ndarray:
        """min over the Q ensemble of Q(s, a) for one env observation and (N, A) actions -> (N,).
        For diagnostics (`robo-offline qtrace`): where the critic ranks the data's action, the
        policy's and others."""
        if "q" not in self.nets:
            raise ValueError(f"agent {self.name} has no Q function")
        batch = obs_to_batch(obs, self.device, self.image_shape, self.state_dim)
        acts = torch.as_tensor(np.asarray(actions, dtype=np.float32), device=self.device)[None]
        with self.autocast():
            q = self.nets["q"](self.q_input(batch), batch["state"], acts)
        return q.min(0).values[0].float().cpu().numpy()

    def q_input(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """What the Q heads read beside the state for an observation batch (goal agents add the goal)."""
        return self.q_features(self.nets["critic_encoder"](self.encoder_inputs(batch, augment=False)[0]))

    def q_features(self, critic_feat: torch.Tensor) -> torch.Tensor:
        """The part of the critic encoder's output the Q heads read (IQL's also feeds V)."""
        return critic_feat

    # ---- helpers --------------------------------------------------------------------------
    def build_critic(self, encoder_members: int) -> int:
        """Critic encoder, Q ensemble and their frozen Polyak targets, plus the actor's own CNN in
        the `cog` layout; returns the image feature size. `encoder_members` is how many CNNs the
        `cog` layout's critic runs as one grouped stack (one per Q head, and IQL's V)."""
        cfg, nets = self.cfg, self.nets
        shared = cfg.layout == "shared"
        nets["critic_encoder"] = make_encoder(cfg.encoder, self.image_shape, 1 if shared else encoder_members,
                                              cfg.drq_feature_dim, cfg.channels_last)
        feat_dim = nets["critic_encoder"].feature_dim
        nets["q"] = QEnsemble(feat_dim, self.state_dim, self.action_dim, cfg.q_hidden, cfg.num_qs, cfg.q_layer_norm)
        if not shared:
            nets["actor_encoder"] = make_encoder(cfg.encoder, self.image_shape, 1, cfg.drq_feature_dim,
                                                 cfg.channels_last)
        nets["target_encoder"] = deepcopy_frozen(nets["critic_encoder"])
        nets["target_q"] = deepcopy_frozen(nets["q"])
        return feat_dim

    def critic_parameters(self) -> list[nn.Parameter]:
        return [*self.nets["critic_encoder"].parameters(), *self.nets["q"].parameters()]

    def actor_parameters(self) -> list[nn.Parameter]:
        """The actor head, and its own CNN when it has one."""
        params = [*self.nets["actor"].parameters()]
        if "actor_encoder" in self.nets:
            params += [*self.nets["actor_encoder"].parameters()]
        return params

    def autocast(self):
        if not self.use_bf16:
            return contextlib.nullcontext()
        # The weight-cast cache saves re-casting a weight used twice in a step; graph capture forbids it.
        return torch.autocast(self.device.type, dtype=torch.bfloat16, cache_enabled=not self.graph_mode)

    def actor_features(self, image: torch.Tensor, critic_feat: torch.Tensor | None = None) -> torch.Tensor:
        """(1, B, F) features for the actor: its own CNN when it has one (`nets["actor_encoder"]`,
        gradients from the actor loss), else the critic encoder's, detached (DrQ)."""
        if "actor_encoder" in self.nets:
            return self.nets["actor_encoder"](image)
        if critic_feat is None:
            critic_feat = self.nets["critic_encoder"](image)
        return critic_feat[:1].detach()

    def encoder_inputs(self, batch: dict[str, torch.Tensor], augment: bool = True):
        """What the encoders read for s and s' (None where the batch has no s'): the uint8 images,
        random-shifted when the config augments; in state mode the state rows (the state-only
        encoder takes just their count)."""
        if self.image_shape is None:
            return batch["state"], batch.get("next_state")
        image, next_image = batch["image"], batch.get("next_image")
        if augment and self.cfg.augment:
            image = random_shift(image, self.cfg.aug_pad)
            next_image = None if next_image is None else random_shift(next_image, self.cfg.aug_pad)
        return image, next_image

    def adam(self, params, lr: float) -> torch.optim.Adam:
        return make_adam(params, lr, self.device, capturable=self.graph_mode)

    def _update(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        losses, metrics = self.compute_losses(batch)
        for opt in self.optimizers.values():
            opt.zero_grad(set_to_none=True)
        sum(losses.values()).backward()
        for opt in self.optimizers.values():
            opt.step()
        for target, online in self.target_pairs:
            polyak_(self.nets[target], self.nets[online], self.cfg.tau)
        self._step_t += 1
        return {**{f"{k}_loss": v.detach() for k, v in losses.items()}, **metrics}

    # ---- public API -----------------------------------------------------------------------
    def sample_batch(self, buffer, batch_size: int, generator: torch.Generator | None = None) -> dict:
        """The batch this agent trains on, from a ReplayBuffer (the trainer calls this)."""
        return buffer.sample(batch_size, generator=generator)

    def update(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One gradient step on a batch (see docs/interfaces.md); metrics as 0-d device tensors."""
        self._check_batch(batch)
        if self.graph_mode:
            metrics = self._graph_update(batch)
        else:
            metrics = self._update_fn(batch)
        self.step += 1
        return metrics

    def evaluate_losses(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """What `update` reports for this batch, without a step: losses and metrics on held-out data."""
        self._check_batch(batch)
        with torch.no_grad():
            losses, metrics = self.compute_losses(batch)
        return {**{f"{k}_loss": v for k, v in losses.items()}, **metrics}

    def required_keys(self) -> list[str]:
        """`batch_keys`, less the image keys for a state-only agent."""
        images = ("image", "next_image", "goal_image")
        return [k for k in self.batch_keys if self.image_shape is not None or k not in images]

    def _check_batch(self, batch: dict[str, torch.Tensor]) -> None:
        missing = [k for k in self.required_keys() if k not in batch]
        if missing:
            raise ValueError(f"{self.name} needs batch keys {self.required_keys()}; missing {missing}")
        for key in ("image", "next_image", "goal_image"):
            if self.image_shape is not None and key in batch and key in self.batch_keys:
                img = batch[key]
                if img.dtype != torch.uint8 or tuple(img.shape[1:]) != self.image_shape:
                    raise ValueError(
                        f"batch[{key!r}] is {img.dtype} {tuple(img.shape)}; this {self.name} agent was "
                        f"built for uint8 images (B, {', '.join(map(str, self.image_shape))}): the "
                        f"dataset's image size must match the agent's"
                    )
        if batch["action"].shape[-1] != self.action_dim:
            raise ValueError(f"batch actions have {batch['action'].shape[-1]} dims, the agent expects "
                             f"{self.action_dim}")
        if batch["state"].shape[-1] != self.state_dim:
            raise ValueError(f"batch states have {batch['state'].shape[-1]} dims, the agent expects "
                             f"{self.state_dim}")

    @torch.no_grad()
    def act(self, obs: dict, deterministic: bool = True) -> np.ndarray:
        """Action (A,) float32 in [-1, 1] for one env observation (HWC uint8 image, state)."""
        batch = obs_to_batch(obs, self.device, self.image_shape, self.state_dim)
        with self.autocast():
            action = self._policy_action(batch, deterministic)
        return action[0].float().clamp(-1.0, 1.0).cpu().numpy().astype(np.float32)

    def state_dict(self) -> dict[str, Any]:
        return {
            "agent": self.name,
            "image_shape": None if self.image_shape is None else list(self.image_shape),
            "state_dim": self.state_dim,
            "action_dim": self.action_dim,
            "config": dataclasses.asdict(self.cfg),
            "step": self.step,
            "nets": self.nets.state_dict(),
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
        }

    def acting_nets(self) -> tuple[str, ...]:
        """The networks `act` reads: with `act_samples` the critic that ranks the actions too."""
        return (*ACTING_NETS, "q") if getattr(self.cfg, "act_samples", 0) else ACTING_NETS

    def acting_state_dict(self) -> dict[str, Any]:
        """Only what `act` needs (the actor and the encoder it reads; no critics, targets or
        optimisers): the shipped policies. `load_state_dict` takes it; `update` after it does not."""
        state = self.state_dict()
        state["nets"] = {k: v for k, v in state["nets"].items() if k.split(".")[0] in self.acting_nets()}
        state["optimizers"] = {}
        state["acting_only"] = True
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        other = state.get("agent")
        if other != self.name:
            raise ValueError(f"checkpoint holds a {other!r} agent, not {self.name!r}: "
                             f"load it with agent={other}")
        shape = state.get("image_shape")
        shape = None if shape is None else tuple(shape)
        if shape != self.image_shape or state.get("state_dim") != self.state_dim \
                or state.get("action_dim") != self.action_dim:
            raise ValueError(
                f"checkpoint was trained on images {shape}, state {state.get('state_dim')}, action "
                f"{state.get('action_dim')}; this agent has images {self.image_shape}, state "
                f"{self.state_dim}, action {self.action_dim}: use the matching env / image_size"
            )
        try:
            if state.get("acting_only"):
                missing, unexpected = self.nets.load_state_dict(state["nets"], strict=False)
                missing = [k for k in missing if k.split(".")[0] in self.acting_nets()]
                if missing or unexpected:
                    raise KeyError(f"missing {missing}, unexpected {unexpected}")
            else:
                self.nets.load_state_dict(state["nets"])
                for key, opt in self.optimizers.items():
                    opt.load_state_dict(state["optimizers"][key])
        except (RuntimeError, KeyError, ValueError) as exc:
            raise ValueError(f"checkpoint does not fit this {self.name} agent's networks (was it trained "
                             f"with another architecture config?): {exc}") from exc
        self.step = int(state["step"])
        self._step_t.fill_(self.step)
        self._graph = None  # recapture with the loaded tensors

    # ---- CUDA graph of the whole update ------------------------------------------------------
    def _state_tensors(self) -> list[torch.Tensor]:
        tensors = [t for t in self.nets.state_dict(keep_vars=True).values()] + [self._step_t]
        for opt in self.optimizers.values():
            for st in opt.state.values():
                tensors += [v for v in st.values() if torch.is_tensor(v)]
        return tensors

    def _graph_update(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        shapes = {k: tuple(v.shape) for k, v in batch.items()}
        if self._graph is None or shapes != self._graph_shapes:
            self._capture(batch, shapes)
        for key, static in self._static_batch.items():
            static.copy_(batch[key], non_blocking=True)
        self._graph.replay()
        return {k: v.clone() for k, v in self._static_out.items()}

    def _capture(self, batch: dict[str, torch.Tensor], shapes) -> None:
        """Warm up on a side stream, put every tensor back as it was, capture one update."""
        self._static_batch = {k: batch[k].clone() for k in batch}
        before = {id(t): t.detach().clone() for t in self._state_tensors()}
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(3):
                self._update_fn(self._static_batch)
        torch.cuda.current_stream().wait_stream(stream)
        with torch.no_grad():  # undo the warm-up steps in place (addresses must not change)
            for t in self._state_tensors():
                saved = before.get(id(t))
                if saved is not None:
                    t.detach().copy_(saved)
                else:  # optimiser state born in the warm-up: Adam's fresh state is all zeros
                    t.detach().zero_()
        for opt in self.optimizers.values():
            opt.zero_grad(set_to_none=True)
        self._graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self._graph):
            self._static_out = self._update_fn(self._static_batch)
        self._graph_shapes = shapes


def sample_uniform_actions(batch_size: int, n: int, action_dim: int, like: torch.Tensor) -> torch.Tensor:
    """(B, n, A) actions uniform in [-1, 1]."""
    return torch.rand(batch_size, n, action_dim, device=like.device, dtype=like.dtype) * 2.0 - 1.0


def deepcopy_frozen(module: nn.Module) -> nn.Module:
    """A target network: a copy that takes no gradients."""
    target = copy.deepcopy(module)
    for p in target.parameters():
        p.requires_grad_(False)
    return target
