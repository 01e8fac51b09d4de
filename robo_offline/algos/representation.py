"""A frozen image representation for CPU budgets (`obs=features`).

End-to-end image CQL runs 3-5 gradient steps/s on a 2-core CPU, because every step pushes the
batch's frames through conv stacks forwards and backwards. Here the conv stack is learned once,
from the datasets alone (no rewards, no privileged labels), by one of four objectives: a
convolutional auto-encoder whose bottleneck must hold what the frame shows (`autoencoder`), a
head that predicts the data's action from the features and the proprio state (`action`), the
same with the features of a hindsight goal image beside them (`goal_action`: the goal agents'
goals, so that a goal picture's features say where the scene should end up), or that plus
drawing the scene without the arm from both (`goal_scene`). With `wrist_features`, a second conv
stack reads the hand camera's picture (data recorded with the env's `wrist_camera`) and its
features sit beside the frame's in the objective's head and in the agents' input. It is
then frozen, the features of every frame in the buffer are computed once, and the agents train on
`[proprio state, image features]` as on a state vector, at MLP speed. At evaluation the same
frozen encoder turns each camera frame into features (`FeaturePolicy`), so a checkpoint holds the
encoder beside the agent and needs nothing else.

`linear_probe` measures, on held-out episodes, how much of the simulator's privileged state a
linear map recovers from the features: a diagnostic of the representation, never a training signal.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from robo_offline.errors import UserError
from robo_offline.nets.encoders import ConvEncoder, image_to_float
from robo_offline.nets.obs import obs_to_batch
from robo_offline.world.privileged_state import GOAL_SCENE_COLUMNS


OBJECTIVES = ("autoencoder", "action", "goal_action", "goal_scene")
BOTTLENECKS = ("linear", "keypoints", "none")


@dataclass
class RepresentationConfig:
    objective: str = "autoencoder"  # "autoencoder": reconstruct the frame; "action": predict the data's action;
                                    # "goal_action": the action given a hindsight goal image too;
                                    # "goal_scene": that, plus drawing the arm-free scene from frame and goal
    goal_offset_mean: float = 20.0  # goal_action, goal_scene: mean steps ahead of the (geometric) hindsight goal frame
    scene_weight: float = 10.0      # goal_scene: weight of the scene reconstruction beside the action loss
    bottleneck: str = "linear"      # "linear" (Linear-LayerNorm-tanh) | "keypoints" (spatial softmax: positions)
                                    # | "none" (the flattened conv maps)
    feature_dim: int = 64     # bottleneck size: what the agents see besides the 6-d proprio state
    wrist_features: int = 0   # > 0: also encode the hand camera's picture into this many features (linear
                              # bottleneck; objectives action and goal_action); 0: no hand camera
    steps: int = 6000         # gradient steps
    batch_size: int = 64
    lr: float = 1e-3
    augment: bool = True      # random shift (pad 4) on the sampled frames, as the image agents train
    seed: int = 0


class FrameEncoder(nn.Module):
    """COG's conv stack (3 conv layers of 16 channels, the cheapest on a CPU), then a bottleneck:
    uint8 (B, 3, H, W) -> (B, feature_dim) features (in [-1, 1] but for `none`).

    - `linear`: Linear -> LayerNorm -> tanh over the flattened maps.
    - `keypoints`: a spatial softmax (deep spatial auto-encoders, Finn et al. 2016): feature_dim / 2
      maps, each reduced to the expected (x, y) of its softmax, so the features are image positions
      (where the gripper, handle and object are), which the agents' MLPs can subtract.
    - `none`: the conv maps themselves, flattened (16 x 12 x 12 = 2304 at 48x48; `feature_dim` is
      ignored): nothing is squeezed out, at the cost of wider agent inputs.

    `wrist_features` > 0: `self.wrist` is a second encoder of this kind (linear bottleneck, that
    many features) for the hand camera's picture, saved and loaded with this one; else None.
    """

    def __init__(self, image_shape: tuple[int, int, int], feature_dim: int, bottleneck: str = "linear",
                 wrist_features: int = 0):
        super().__init__()
        if bottleneck not in BOTTLENECKS:
            raise ValueError(f"representation bottleneck {bottleneck!r}; choose one of {BOTTLENECKS}")
        if bottleneck == "keypoints" and feature_dim % 2:
            raise ValueError(f"keypoints give (x, y) pairs: feature_dim must be even, got {feature_dim}")
        self.image_shape, self.feature_dim, self.kind = tuple(image_shape), feature_dim, bottleneck
        self.convs = ConvEncoder("cog", image_shape, ensemble=1, channels_last=False)
        if bottleneck == "linear":
            self.bottleneck = nn.Sequential(nn.Linear(self.convs.feature_dim, feature_dim),
                                            nn.LayerNorm(feature_dim), nn.Tanh())
        elif bottleneck == "keypoints":
            self.bottleneck = nn.Conv2d(16, feature_dim // 2, 1)  # one map per keypoint
        else:
            self.bottleneck, self.feature_dim = nn.Identity(), self.convs.feature_dim
        self.wrist = FrameEncoder(image_shape, wrist_features, "linear") if wrist_features else None
        self.wrist_dim = int(wrist_features)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.kind != "keypoints":
            return self.bottleneck(self.convs(images)[0])
        maps = self.bottleneck(self.convs.convs(image_to_float(images, channels_last=False)))
        b, k, h, w = maps.shape
        attention = torch.softmax(maps.reshape(b, k, h * w), dim=-1).reshape(b, k, h, w)
        ys = torch.linspace(-1.0, 1.0, h, device=maps.device)
        xs = torch.linspace(-1.0, 1.0, w, device=maps.device)
        x = (attention.sum(dim=2) * xs).sum(dim=-1)  # (b, k) expected column
        y = (attention.sum(dim=3) * ys).sum(dim=-1)  # (b, k) expected row
        return torch.cat([x, y], dim=1)


class FrameDecoder(nn.Module):
    """objective=autoencoder: reconstructs the frame at half resolution (24x24 from 48x48: the
    object in the open drawer still covers 4-8 pixels there, at a quarter of a full decoder's cost)."""

    def __init__(self, image_shape: tuple[int, int, int], feature_dim: int):
        super().__init__()
        c, h, w = image_shape
        if h % 8 or w % 8:
            raise ValueError(f"the decoder doubles 6x6 twice to half size: image sides must be multiples of 8, "
                             f"got {image_shape}")
        seed_shape = (32, h // 8, w // 8)
        self.net = nn.Sequential(
            nn.Linear(feature_dim, int(np.prod(seed_shape))), nn.ReLU(),
            nn.Unflatten(1, seed_shape),
            nn.ConvTranspose2d(32, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, c, 3, padding=1),
        )

    def loss(self, features: torch.Tensor, batch: dict) -> torch.Tensor:
        return self.reconstruction_loss(features, batch["image"])

    def reconstruction_loss(self, features: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        """Mean squared error of the half-resolution reconstruction of `images`, pixels in [0, 1]."""
        target = nn.functional.avg_pool2d(image_to_float(images, channels_last=False), 2)
        return nn.functional.mse_loss(torch.sigmoid(self.net(features)), target)

    @torch.no_grad()
    def reconstruct(self, features: torch.Tensor) -> torch.Tensor:
        """uint8 reconstructions at full size (for the report's picture)."""
        recon = nn.functional.interpolate(torch.sigmoid(self.net(features)), scale_factor=2)
        return (recon * 255).round().to(torch.uint8)


class ActionHead(nn.Module):
    """objective=action: the data's action from the features and the proprio state (mean squared
    error). Actions are in every dataset, rewards are not read: the encoder keeps what the
    behaviour in the data depends on (where the object is relative to the gripper), which a
    reconstruction spends few of its features on when the object is a few dozen pixels."""

    def __init__(self, feature_dim: int, state_dim: int, action_dim: int, hidden: int = 256):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(feature_dim + state_dim, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, action_dim))

    def loss(self, features: torch.Tensor, batch: dict) -> torch.Tensor:
        prediction = self.net(torch.cat([features, batch["state"]], dim=1))
        return nn.functional.mse_loss(prediction, batch["action"])


class GoalActionHead(ActionHead):
    """objective=goal_action: the data's action from the frame's features, the proprio state and the
    features of a later frame's goal image of the same episode (hindsight, as the goal agents
    relabel). A frame alone shows where the gripper goes next only as far as the scene does; with
    the goal picture beside it the encoder must also place what the goal changes (the object's
    spot, a drawer's opening), the part of a goal image that the `action` objective never asks for."""

    needs_goal = True

    def __init__(self, feature_dim: int, state_dim: int, action_dim: int, hidden: int = 256, wrist_dim: int = 0):
        super().__init__(2 * feature_dim + wrist_dim, state_dim, action_dim, hidden)

    def loss(self, features: torch.Tensor, batch: dict) -> torch.Tensor:
        """`features`: the frame's, then the hand camera's where there is one."""
        return super().loss(torch.cat([features, batch["goal_features"]], dim=1), batch)


class GoalSceneHead(nn.Module):
    """objective=goal_scene: `goal_action`, plus one decoder that draws the scene without the arm from
    the frame's features (the frame's own goal picture) and from the goal picture's features (the
    goal picture itself). A goal picture's features placed the object to within the 4 cm success
    tolerance in 69% of held-out pictures with `goal_action` alone; here a picture whose object is
    misplaced costs reconstruction error, and since frame and goal are read by the same decoder,
    their features must say where the object is in the same terms, which is the comparison the
    critic makes (81% within 4 cm with it; GCQL's success did not rise with it: README, goal reaching
    from images). Needs data with scene pictures (`GoalReach-v1(scene_images=True)`); without them
    the frame itself is the target."""

    needs_goal = needs_scene = True

    def __init__(self, image_shape: tuple[int, int, int], feature_dim: int, state_dim: int, action_dim: int,
                 scene_weight: float):
        super().__init__()
        self.action = GoalActionHead(feature_dim, state_dim, action_dim)
        self.decoder = FrameDecoder(image_shape, feature_dim)
        self.scene_weight = scene_weight

    def loss(self, features: torch.Tensor, batch: dict) -> torch.Tensor:
        scene = self.decoder.reconstruction_loss(torch.cat([features, batch["goal_features"]]),
                                                 torch.cat([batch["scene_image"], batch["goal_image"]]))
        return self.action.loss(features, batch) + self.scene_weight * scene


def make_objective(cfg: "RepresentationConfig", encoder: FrameEncoder, state_dim: int, action_dim: int) -> nn.Module:
    if cfg.objective not in OBJECTIVES:
        raise ValueError(f"representation objective {cfg.objective!r}; choose one of {OBJECTIVES}")
    if encoder.wrist is not None and cfg.objective not in ("action", "goal_action"):
        raise ValueError(f"wrist_features: the hand camera's features feed an action head; objective "
                         f"{cfg.objective!r} has none (use action or goal_action)")
    if cfg.objective == "autoencoder":
        return FrameDecoder(encoder.image_shape, encoder.feature_dim)
    if cfg.objective == "goal_scene":
        return GoalSceneHead(encoder.image_shape, encoder.feature_dim, state_dim, action_dim, cfg.scene_weight)
    if cfg.objective == "goal_action":
        return GoalActionHead(encoder.feature_dim, state_dim, action_dim, wrist_dim=encoder.wrist_dim)
    return ActionHead(encoder.feature_dim + encoder.wrist_dim, state_dim, action_dim)


def train_representation(buffer, cfg: RepresentationConfig, on_step=None) -> tuple[FrameEncoder, nn.Module]:
    """Fit encoder + objective on batches of the buffer's transitions (rewards unused); returns both,
    the encoder in eval mode. `on_step(step, loss tensor)` after each step."""
    gen = torch.Generator(device=buffer.device).manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    encoder = FrameEncoder(buffer.image_shape, cfg.feature_dim, cfg.bottleneck, cfg.wrist_features).to(buffer.device)
    objective = make_objective(cfg, encoder, buffer.state_dim, buffer.action_dim).to(buffer.device)
    wrist = encoder.wrist is not None
    if wrist and getattr(buffer, "wrist_frames", None) is None:
        raise UserError("representation.wrist_features needs data with hand-camera pictures: generate it "
                        "with `+dataset.env_kwargs.wrist_camera=true`")
    opt = torch.optim.Adam([*encoder.parameters(), *objective.parameters()], lr=cfg.lr)
    needs_goal = getattr(objective, "needs_goal", False)
    for step in range(1, cfg.steps + 1):
        if needs_goal:  # one encoder pass over frames and goal images together
            batch = buffer.sample_goal_conditioned(cfg.batch_size, generator=gen, strategy="geometric",
                                                   geometric_p=1.0 / cfg.goal_offset_mean, augment=cfg.augment,
                                                   scene=getattr(objective, "needs_scene", False), wrist=wrist)
            features, batch["goal_features"] = encoder(torch.cat([batch["image"], batch["goal_image"]])).chunk(2)
        else:
            batch = buffer.sample(cfg.batch_size, generator=gen, augment=cfg.augment, wrist=wrist)
            features = encoder(batch["image"])
        if wrist:
            features = torch.cat([features, encoder.wrist(batch["wrist_image"])], dim=1)
        loss = objective.loss(features, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if on_step is not None:
            on_step(step, loss.detach())
    return encoder.eval(), objective.eval()


@torch.no_grad()
def alive_channels(encoder: FrameEncoder, frames: torch.Tensor, chunk: int = 4096) -> tuple[int, int]:
    """(channels of the last conv layer positive somewhere in `frames`, all its channels; `pretrain`
    passes every k-th frame, about 8,192, so a channel that fires on very few frames may be missed). A dead
    channel is zero on every frame and gives the agents nothing: at `lr=1e-3`, `goal_action` with
    `bottleneck=none` kept 1 of 16 on the play data (its head first lowers its error by shrinking
    the maps, and the ReLU channels die one by one); at 1e-4, 13 (README, goal reaching from images)."""
    channels = [m for m in encoder.convs.convs if isinstance(m, nn.Conv2d)][-1].out_channels
    alive = torch.zeros(channels, dtype=torch.bool, device=frames.device)
    for i in range(0, frames.shape[0], chunk):
        maps = encoder.convs(frames[i:i + chunk])[0].reshape(-1, channels, encoder.convs.conv_dim // channels)
        alive |= (maps > 0).any(dim=2).any(dim=0)
    return int(alive.sum()), channels


@torch.no_grad()
def encode_frames(encoder: FrameEncoder, frames: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """Features of every frame, in chunks: (N, 3, H, W) uint8 -> (N, feature_dim) float32."""
    return torch.cat([encoder(frames[i:i + chunk]) for i in range(0, frames.shape[0], chunk)])


def principal_components(features: torch.Tensor, k: int, chunk: int = 16384) -> tuple[torch.Tensor, torch.Tensor, float]:
    """(mean (F,), basis (F, k), share of the variance kept) of the features' top-k principal
    directions. obs=features with `feature_components`: most of the conv maps' 2,304 columns
    barely vary, and z-scoring them one by one (`standardize_features`) blows their noise up to
    the scale of the signal; projecting on the directions that do vary first keeps the signal and
    makes the MLPs' first layer k/F as costly. The covariance is summed in chunks (no centred copy)."""
    n, f = features.shape
    if not 0 < k <= f:
        raise ValueError(f"feature_components={k}: must be between 1 and the encoder's {f} features")
    mean = features.mean(0, dtype=torch.float64)
    cov = torch.zeros((f, f), dtype=torch.float64, device=features.device)
    for i in range(0, n, chunk):
        x = features[i:i + chunk].double() - mean
        cov += x.T @ x
    eigvals, eigvecs = torch.linalg.eigh(cov / max(n - 1, 1))  # ascending
    order = torch.argsort(eigvals, descending=True)[:k]
    kept = float(eigvals[order].clamp_min(0).sum() / eigvals.clamp_min(0).sum().clamp_min(1e-30))
    return mean.float(), eigvecs[:, order].float().contiguous(), kept


def project_features(features: torch.Tensor, projection: dict | None) -> torch.Tensor:
    """Features on the principal directions `principal_components` chose ({mean, basis}), or unchanged."""
    if projection is None:
        return features
    return (features - projection["mean"].to(features)) @ projection["basis"].to(features)


def linear_probe(features: np.ndarray, targets: np.ndarray, episode_of_frame: np.ndarray,
                 held_out: float = 0.2, ridge: float = 1e-3, chunk: int = 8192) -> np.ndarray:
    """R^2 per target column of a ridge regression fitted on most episodes' frames and scored on
    the held-out episodes' frames (whole episodes, so neighbouring frames do not leak). The normal
    equations are summed in float64 a chunk of frames at a time: memory stays near the features'
    own (a float64 copy of 122,000 frames' 2,368 features held 11.5 GB)."""
    episodes = np.unique(episode_of_frame)
    test_eps = episodes[np.random.default_rng(0).permutation(len(episodes))[: max(1, int(held_out * len(episodes)))]]
    test = np.isin(episode_of_frame, test_eps)
    targets = np.asarray(targets, dtype=np.float64)

    def chunks():
        for start in range(0, len(features), chunk):
            x = np.asarray(features[start:start + chunk], dtype=np.float64)
            yield np.concatenate([x, np.ones((len(x), 1))], axis=1), targets[start:start + chunk], test[start:start + chunk]

    dim = features.shape[1] + 1
    gram, moment = np.zeros((dim, dim)), np.zeros((dim, targets.shape[1]))
    for x, y, held in chunks():
        gram += x[~held].T @ x[~held]
        moment += x[~held].T @ y[~held]
    w = np.linalg.solve(gram + ridge * np.eye(dim), moment)
    squared_error = sum(((y[held] - x[held] @ w) ** 2).sum(axis=0) for x, y, held in chunks())
    var = targets[test].var(axis=0)
    return 1.0 - squared_error / test.sum() / np.maximum(var, 1e-12)


def representation_payload(encoder: FrameEncoder, cfg: RepresentationConfig) -> dict:
    """What a checkpoint stores to rebuild the frozen encoder (the objective's head is not needed to act)."""
    return {"config": dataclasses.asdict(cfg), "image_shape": list(encoder.image_shape),
            "encoder": {k: v.cpu() for k, v in encoder.state_dict().items()}}


def encoder_from_payload(payload: dict, device: torch.device | str = "cpu") -> FrameEncoder:
    cfg = RepresentationConfig(**payload["config"])
    encoder = FrameEncoder(tuple(payload["image_shape"]), cfg.feature_dim, cfg.bottleneck, cfg.wrist_features)
    try:
        encoder.load_state_dict(payload["encoder"])
    except RuntimeError as err:
        raise ValueError(f"encoder weights do not fit: {err}") from None
    return encoder.to(device).eval()


class FeaturePolicy:
    """An agent trained with obs=features, acting on camera observations: the frozen encoder turns
    `obs["image"]` into features, appended to `obs["state"]`, as the buffer did for the data. A goal
    image (`desired_goal`) becomes `[zeros for the proprio state, its features]`, as the buffer's
    goals (`goal_state_mask`). The representation payload's `projection` (train's
    `feature_components`) maps the features on their principal directions and its `standardize`
    ({mean, std} of [proprio, features], train's `standardize_features`) z-scores them, both as the
    buffer did; a goal keeps the scaled features only. Trained with `oracle_goal`, the env gives the
    goal as its privileged vector, and its scene columns are placed and scaled as the buffer's
    `replace_goals_with_achieved_goals` placed the achieved goals. Its `state_mask` (train's
    `oracle_state=[groups]`) zeroes the privileged columns the agent was not given. With
    `proprio_history` (train's) it remembers the episode's past proprio states: call
    `start_episode()` after every env reset; each `act` is one step on."""

    def __init__(self, agent, encoder: FrameEncoder, representation: dict | None = None):
        self.agent, self.encoder = agent, encoder
        self.device = agent.device
        representation = representation or {}
        self.projection = None
        if representation.get("projection") is not None:
            self.projection = {k: torch.as_tensor(v, dtype=torch.float32, device=self.device)
                               for k, v in representation["projection"].items()}
        self.oracle_goal = None
        if representation.get("oracle_goal") is not None:
            self.oracle_goal = {k: torch.as_tensor(v, dtype=torch.float32, device=self.device)
                                for k, v in representation["oracle_goal"].items()}
        self.state_mask = None  # train's `oracle_state=[groups]`: the privileged columns kept
        if representation.get("state_mask") is not None:
            self.state_mask = torch.as_tensor(representation["state_mask"], dtype=torch.float32, device=self.device)
        self.mean = self.std = None
        if representation.get("standardize") is not None:
            self.mean, self.std = (torch.as_tensor(representation["standardize"][k], dtype=torch.float32,
                                                   device=self.device) for k in ("mean", "std"))
        self.history_steps = int(representation.get("proprio_history", 0))
        self.start_episode()

    def start_episode(self) -> None:
        """Forget the past proprio states (a new episode starts)."""
        self.present: torch.Tensor | None = None  # the proprio state of the last `act`
        self.past: list[torch.Tensor] = []  # the ones before it, newest first, at most history_steps

    def past_proprio(self, proprio: torch.Tensor, advance: bool) -> list[torch.Tensor]:
        """The `history_steps` proprio states before `proprio`, newest first, as the buffer's: the
        episode's first state stands in for the steps before it. `advance`: `proprio` is the next
        step's (act); else the last act's step again (q_values on the same observation)."""
        if advance:
            if self.present is not None:
                self.past = [self.present, *self.past][:self.history_steps]
            self.present = proprio
        oldest = self.past[-1] if self.past else proprio
        return self.past + [oldest] * (self.history_steps - len(self.past))

    def frame_features(self, image: torch.Tensor) -> torch.Tensor:
        """The features the buffer holds for these frames: the encoder's, projected when trained so."""
        return project_features(self.encoder(image).float(), self.projection)

    def wrist_features(self, batch: dict) -> torch.Tensor:
        """The hand camera's features ((1, 0) without a hand camera), as the buffer appended them."""
        if self.encoder.wrist is None:
            return batch["state"][:, :0]
        if "wrist_image" not in batch:
            raise ValueError("this policy reads the hand camera: make the env with wrist_camera=true")
        return self.encoder.wrist(batch["wrist_image"]).float()

    @torch.no_grad()
    def features_obs(self, obs: dict, advance: bool = False) -> dict:
        """The observation the wrapped agent was trained on: {state: [proprio, features, wrist
        features, past proprio states], goal}; `advance`: see `past_proprio`."""
        batch = obs_to_batch(obs, self.device, self.encoder.image_shape)
        if self.state_mask is not None:
            batch["state"] = batch["state"] * self.state_mask
        wrist = self.wrist_features(batch)
        past = self.past_proprio(batch["state"], advance)
        state = self.scaled(torch.cat([batch["state"], self.frame_features(batch["image"]), wrist, *past], dim=1))
        features_obs = {"state": state[0].cpu().numpy()}
        if "goal_image" in batch:
            goal_features = self.frame_features(batch["goal_image"])
            goal = self.scaled(torch.cat([batch["state"], goal_features, wrist, *past], dim=1))[0]
            scene = slice(batch["state"].shape[1], batch["state"].shape[1] + goal_features.shape[1])
            desired = torch.zeros_like(goal)  # the buffer's goal_state_mask: the scene columns only
            desired[scene] = goal[scene]
            features_obs["desired_goal"] = desired.cpu().numpy()
        elif "goal_state" in batch:
            features_obs["desired_goal"] = self.oracle_goal_vector(batch["goal_state"], state.shape[1],
                                                                   batch["state"].shape[1])
        return features_obs

    def oracle_goal_vector(self, goal_state: torch.Tensor, width: int, proprio_dim: int) -> np.ndarray:
        """The env's privileged goal vector (1, 24) as the buffer's oracle goals: its scene columns
        z-scored after the proprio columns, zeros elsewhere."""
        if self.oracle_goal is None:
            raise ValueError("the env gives the goal as a vector, but this agent was trained on goal pictures")
        scene = (goal_state[0, list(GOAL_SCENE_COLUMNS)] - self.oracle_goal["mean"]) / self.oracle_goal["std"]
        goal = torch.zeros(width, device=self.device)
        goal[proprio_dim:proprio_dim + scene.shape[0]] = scene
        return goal.cpu().numpy()

    def scaled(self, x: torch.Tensor) -> torch.Tensor:
        """x as the buffer standardized its states (unchanged without `standardize`)."""
        return x if self.mean is None else (x - self.mean) / self.std

    def act(self, obs: dict, deterministic: bool = True) -> np.ndarray:
        return self.agent.act(self.features_obs(obs, advance=True), deterministic=deterministic)

    def proposals(self, obs: dict) -> np.ndarray:
        """The wrapped agent's ranked candidates for a camera observation, one step on (as `act`)."""
        return self.agent.proposals(self.features_obs(obs, advance=True))

    def q_values(self, obs: dict, actions: np.ndarray) -> np.ndarray:
        """The wrapped critic's min-ensemble Q at `actions` for a camera observation (qtrace): the
        observation of the last `act`."""
        return self.agent.q_values(self.features_obs(obs), actions)

    def __getattr__(self, name):  # step, cfg, name, ...: the wrapped agent's
        return getattr(self.agent, name)
