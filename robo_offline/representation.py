"""A frozen image representation for CPU budgets (`obs=features`).

End-to-end image CQL runs 3-5 gradient steps/s on a 2-core CPU, because every step pushes the
batch's frames through conv stacks forwards and backwards. Here the conv stack is learned once,
from the datasets' frames alone (no rewards, no privileged labels): a convolutional auto-encoder
whose bottleneck must hold what the frame shows, i.e. the drawers, the object and the arm. It is
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

from robo_offline.nets.encoders import ConvEncoder, image_to_float


@dataclass
class RepresentationConfig:
    feature_dim: int = 64     # bottleneck size: what the agents see besides the 6-d proprio state
    steps: int = 6000         # auto-encoder gradient steps
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 0


class FrameAutoencoder(nn.Module):
    """COG's conv stack (3 conv layers of 16 channels, the cheapest on a CPU), a Linear ->
    LayerNorm -> tanh bottleneck of `feature_dim` features, and a transposed-conv decoder that
    reconstructs the frame at half resolution (24x24 from 48x48: the object in the open drawer
    still covers 4-8 pixels there, and the decoder costs a quarter of a full-size one)."""

    def __init__(self, image_shape: tuple[int, int, int], feature_dim: int):
        super().__init__()
        c, h, w = image_shape
        if h % 8 or w % 8:
            raise ValueError(f"the decoder doubles 6x6 twice to half size: image sides must be multiples of 8, "
                             f"got {image_shape}")
        self.image_shape, self.feature_dim = tuple(image_shape), feature_dim
        self.convs = ConvEncoder("cog", image_shape, ensemble=1, channels_last=False)
        self.bottleneck = nn.Sequential(nn.Linear(self.convs.feature_dim, feature_dim), nn.LayerNorm(feature_dim),
                                        nn.Tanh())
        self.seed_shape = (32, h // 8, w // 8)
        self.decoder = nn.Sequential(
            nn.Linear(feature_dim, int(np.prod(self.seed_shape))), nn.ReLU(),
            nn.Unflatten(1, self.seed_shape),
            nn.ConvTranspose2d(32, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, c, 3, padding=1),
        )

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (B, 3, H, W) -> (B, feature_dim) features in [-1, 1]."""
        return self.bottleneck(self.convs(images)[0])

    def loss(self, images: torch.Tensor) -> torch.Tensor:
        """Mean squared error of the half-resolution reconstruction, pixels in [0, 1]."""
        recon = torch.sigmoid(self.decoder(self.encode(images)))
        target = nn.functional.avg_pool2d(image_to_float(images, channels_last=False), 2)
        return nn.functional.mse_loss(recon, target)

    @torch.no_grad()
    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (B, 3, H, W) -> uint8 reconstructions at full size (for the report's picture)."""
        recon = nn.functional.interpolate(torch.sigmoid(self.decoder(self.encode(images))), scale_factor=2)
        return (recon * 255).round().to(torch.uint8)


def train_autoencoder(frames: torch.Tensor, cfg: RepresentationConfig, on_step=None) -> FrameAutoencoder:
    """Fit the auto-encoder to uint8 frames (N, 3, H, W); `on_step(step, loss tensor)` after each step."""
    gen = torch.Generator(device=frames.device).manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    model = FrameAutoencoder(tuple(frames.shape[1:]), cfg.feature_dim).to(frames.device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    flat = frames.view(frames.shape[0], -1)
    for step in range(1, cfg.steps + 1):
        idx = torch.randint(0, frames.shape[0], (cfg.batch_size,), generator=gen, device=frames.device)
        loss = model.loss(flat.index_select(0, idx).view(-1, *frames.shape[1:]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if on_step is not None:
            on_step(step, loss.detach())
    return model.eval()


@torch.no_grad()
def encode_frames(model: FrameAutoencoder, frames: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """Features of every frame, in chunks: (N, 3, H, W) uint8 -> (N, feature_dim) float32."""
    return torch.cat([model.encode(frames[i:i + chunk]) for i in range(0, frames.shape[0], chunk)])


def linear_probe(features: np.ndarray, targets: np.ndarray, episode_of_frame: np.ndarray,
                 held_out: float = 0.2, ridge: float = 1e-3) -> np.ndarray:
    """R^2 per target column of a ridge regression fitted on most episodes' frames and scored on
    the held-out episodes' frames (whole episodes, so neighbouring frames do not leak)."""
    episodes = np.unique(episode_of_frame)
    test_eps = episodes[np.random.default_rng(0).permutation(len(episodes))[: max(1, int(held_out * len(episodes)))]]
    test = np.isin(episode_of_frame, test_eps)
    x = np.concatenate([features, np.ones((len(features), 1))], axis=1).astype(np.float64)
    w = np.linalg.solve(x[~test].T @ x[~test] + ridge * np.eye(x.shape[1]), x[~test].T @ targets[~test])
    resid = targets[test] - x[test] @ w
    var = targets[test].var(axis=0)
    return 1.0 - (resid ** 2).mean(axis=0) / np.maximum(var, 1e-12)


def representation_payload(model: FrameAutoencoder, cfg: RepresentationConfig) -> dict:
    """What a checkpoint stores to rebuild the frozen encoder (the decoder is not needed to act)."""
    encoder = {k: v.cpu() for k, v in model.state_dict().items() if not k.startswith("decoder.")}
    return {"config": dataclasses.asdict(cfg), "image_shape": list(model.image_shape), "encoder": encoder}


def encoder_from_payload(payload: dict, device: torch.device | str = "cpu") -> FrameAutoencoder:
    cfg = RepresentationConfig(**payload["config"])
    model = FrameAutoencoder(tuple(payload["image_shape"]), cfg.feature_dim)
    missing, unexpected = model.load_state_dict(payload["encoder"], strict=False)
    if unexpected or any(not k.startswith("decoder.") for k in missing):
        raise ValueError(f"encoder weights do not fit: missing {missing}, unexpected {unexpected}")
    return model.to(device).eval()


class FeaturePolicy:
    """An agent trained with obs=features, acting on camera observations: the frozen encoder turns
    `obs["image"]` into features, appended to `obs["state"]`, as the buffer did for the data."""

    def __init__(self, agent, model: FrameAutoencoder):
        self.agent, self.model = agent, model
        self.device = agent.device

    @torch.no_grad()
    def features(self, image: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(np.asarray(image).transpose(2, 0, 1))).unsqueeze(0)
        return self.model.encode(x.to(self.device))[0].float().cpu().numpy()

    def act(self, obs: dict, deterministic: bool = True) -> np.ndarray:
        state = np.concatenate([np.asarray(obs["state"], np.float32), self.features(obs["image"])])
        return self.agent.act({"state": state}, deterministic=deterministic)

    def __getattr__(self, name):  # step, cfg, name, ...: the wrapped agent's
        return getattr(self.agent, name)
