"""The frozen-representation path (obs=features): the auto-encoder learns, the encoder survives a
checkpoint, the probe tells signal from noise, and the buffer swaps frames for features in place."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from robo_offline.representation import (FeaturePolicy, FrameAutoencoder, RepresentationConfig, encode_frames,
                                         encoder_from_payload, linear_probe, representation_payload,
                                         train_autoencoder)


def blob_frames(n: int = 32, size: int = 48, seed: int = 0) -> torch.Tensor:
    """Frames of one bright square at a random place on a dark background: position is all there is."""
    rng = np.random.default_rng(seed)
    frames = np.full((n, 3, size, size), 30, np.uint8)
    for i, (y, x) in enumerate(rng.integers(0, size - 8, size=(n, 2))):
        frames[i, :, y:y + 8, x:x + 8] = np.array([250, 220, 20], np.uint8)[:, None, None]
    return torch.from_numpy(frames)


def test_autoencoder_loss_decreases_and_features_are_bounded():
    frames = blob_frames()
    model = FrameAutoencoder((3, 48, 48), feature_dim=8)
    with torch.no_grad():
        before = float(model.loss(frames))
    losses = []
    trained = train_autoencoder(frames, RepresentationConfig(feature_dim=8, steps=150, batch_size=16, lr=3e-3),
                                on_step=lambda step, loss: losses.append(float(loss)))
    with torch.no_grad():
        after = float(trained.loss(frames))
    assert after < 0.5 * before, (before, after)
    feats = encode_frames(trained, frames, chunk=5)
    assert feats.shape == (32, 8) and feats.abs().max() <= 1.0
    assert trained.reconstruct(frames[:2]).shape == (2, 3, 48, 48)


def test_training_reaches_encoder_and_decoder():
    model = FrameAutoencoder((3, 48, 48), feature_dim=4)
    model.loss(blob_frames(4)).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_payload_rebuilds_the_same_encoder_without_the_decoder():
    frames = blob_frames(6)
    model = FrameAutoencoder((3, 48, 48), feature_dim=8).eval()
    payload = representation_payload(model, RepresentationConfig(feature_dim=8))
    assert not any(k.startswith("decoder.") for k in payload["encoder"])
    rebuilt = encoder_from_payload(payload)
    torch.testing.assert_close(encode_frames(rebuilt, frames), encode_frames(model, frames))
    with pytest.raises(ValueError, match="do not fit"):
        encoder_from_payload({**payload, "encoder": {"nope": torch.zeros(1)}})


def test_image_side_that_the_decoder_cannot_rebuild_is_rejected():
    with pytest.raises(ValueError, match="multiples of 8"):
        FrameAutoencoder((3, 44, 44), feature_dim=8)


def test_linear_probe_separates_a_linear_signal_from_noise():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 5))
    episode = np.repeat(np.arange(100), 20)
    signal = x @ rng.normal(size=(5, 2))
    noise = rng.normal(size=(2000, 1))
    r2 = linear_probe(x, np.concatenate([signal, noise], 1), episode)
    assert r2[0] > 0.99 and r2[1] > 0.99 and r2[2] < 0.05


class _StateAgent:
    device = torch.device("cpu")

    def __init__(self):
        self.seen = None

    def act(self, obs, deterministic=True):
        self.seen = obs
        return np.zeros(5, np.float32)


def test_feature_policy_appends_the_frame_features_to_the_proprio_state():
    model = FrameAutoencoder((3, 48, 48), feature_dim=8).eval()
    agent = _StateAgent()
    policy = FeaturePolicy(agent, model)
    frame = blob_frames(1)[0]
    obs = {"image": frame.permute(1, 2, 0).numpy(), "state": np.arange(6, dtype=np.float32)}
    assert policy.act(obs).shape == (5,)
    assert set(agent.seen) == {"state"} and agent.seen["state"].shape == (14,)
    np.testing.assert_array_equal(agent.seen["state"][:6], np.arange(6))
    np.testing.assert_allclose(agent.seen["state"][6:], encode_frames(model, frame[None])[0].numpy(), atol=1e-6)
