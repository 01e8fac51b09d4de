"""The frozen-representation path (obs=features): the auto-encoder learns, the encoder survives a
checkpoint, the probe tells signal from noise, and the buffer swaps frames for features in place."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from robo_offline.algos.representation import (ActionHead, FeaturePolicy, FrameDecoder, FrameEncoder,
                                         RepresentationConfig, alive_channels, encode_frames, encoder_from_payload,
                                         linear_probe, make_objective, principal_components, project_features,
                                         representation_payload, train_representation)


class FrameBuffer:
    """The two things train_representation reads of a ReplayBuffer: shapes and `sample`. The action
    is a function of the square's position, as the data's action is of the object's."""

    def __init__(self, frames: torch.Tensor, positions: np.ndarray):
        self.frames, self.device = frames, frames.device
        self.image_shape, self.state_dim, self.action_dim = tuple(frames.shape[1:]), 2, 2
        self.actions = torch.as_tensor(positions / 40.0 * 2 - 1, dtype=torch.float32)

    def sample(self, batch_size, generator=None, augment=None, wrist=False):
        idx = torch.randint(0, len(self.frames), (batch_size,), generator=generator)
        return {"image": self.frames[idx], "state": torch.zeros(batch_size, 2), "action": self.actions[idx]}


class GoalFrameBuffer(FrameBuffer):
    """goal_action's toy: the action is where the square is in the goal image, whatever the frame shows."""

    def sample_goal_conditioned(self, batch_size, generator=None, strategy=None, geometric_p=None, augment=None,
                                scene=False, wrist=False):
        idx = torch.randint(0, len(self.frames), (batch_size,), generator=generator)
        goal = torch.randint(0, len(self.frames), (batch_size,), generator=generator)
        batch = {"image": self.frames[idx], "goal_image": self.frames[goal], "state": torch.zeros(batch_size, 2),
                 "action": self.actions[goal]}
        if scene:  # the toy's frames show no arm: a frame is its own scene picture
            batch["scene_image"] = self.frames[idx]
        return batch


class WristFrameBuffer(FrameBuffer):
    """The hand camera's toy: every scene frame is the same, the action is where the square is in the
    hand camera's picture, so only a hand-camera encoder can fit it."""

    def __init__(self, frames: torch.Tensor, positions: np.ndarray):
        super().__init__(frames, positions)
        self.wrist_frames, self.frames = frames, torch.full_like(frames, 30)

    def sample(self, batch_size, generator=None, augment=None, wrist=False):
        idx = torch.randint(0, len(self.frames), (batch_size,), generator=generator)
        batch = {"image": self.frames[idx], "state": torch.zeros(batch_size, 2), "action": self.actions[idx]}
        if wrist:
            batch["wrist_image"] = self.wrist_frames[idx]
        return batch


def blob_buffer(n: int = 32, kind: type = FrameBuffer) -> FrameBuffer:
    rng = np.random.default_rng(0)
    positions = rng.integers(0, 40, size=(n, 2))
    frames = np.full((n, 3, 48, 48), 30, np.uint8)
    for i, (y, x) in enumerate(positions):
        frames[i, :, y:y + 8, x:x + 8] = np.array([250, 220, 20], np.uint8)[:, None, None]
    return kind(torch.from_numpy(frames), positions)


@pytest.mark.parametrize("objective, bottleneck", [("autoencoder", "linear"), ("action", "linear"),
                                                   ("action", "keypoints"), ("action", "none")])
def test_each_objective_lowers_its_loss_and_features_are_bounded(objective, bottleneck):
    buf = blob_buffer()
    cfg = RepresentationConfig(objective=objective, bottleneck=bottleneck, feature_dim=8, steps=150, batch_size=16,
                               lr=3e-3, augment=False)
    full = {"image": buf.frames, "state": torch.zeros(32, 2), "action": buf.actions}
    torch.manual_seed(cfg.seed)
    encoder0 = FrameEncoder(buf.image_shape, 8, bottleneck)
    objective0 = make_objective(cfg, encoder0, 2, 2)
    with torch.no_grad():
        before = float(objective0.loss(encoder0(buf.frames), full))
    encoder, head = train_representation(buf, cfg)
    with torch.no_grad():
        after = float(head.loss(encoder(buf.frames), full))
    assert after < 0.5 * before, (before, after)
    feats = encode_frames(encoder, buf.frames, chunk=5)
    assert feats.shape == (32, encoder.feature_dim) and torch.isfinite(feats).all()
    if bottleneck != "none":
        assert encoder.feature_dim == 8 and feats.abs().max() <= 1.0
    if objective == "autoencoder":
        assert head.reconstruct(feats[:2]).shape == (2, 3, 48, 48)


def test_alive_channels_counts_the_last_layer_channels_that_fire():
    """A channel whose pre-activation is negative on every pixel of every frame is dead."""
    encoder = FrameEncoder((3, 48, 48), 8, "none")
    last = [m for m in encoder.convs.convs if isinstance(m, torch.nn.Conv2d)][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.tensor([1.0] * 6 + [-1.0] * 10))
    assert alive_channels(encoder, blob_buffer(5).frames, chunk=2) == (6, 16)


def test_goal_action_reads_the_goal_image():
    """goal_action: the encoder learns what the goal picture shows; shuffling the goals undoes the fit."""
    buf = blob_buffer(kind=GoalFrameBuffer)
    cfg = RepresentationConfig(objective="goal_action", feature_dim=8, steps=150, batch_size=16, lr=3e-3,
                               augment=False)
    encoder, head = train_representation(buf, cfg)
    batch = buf.sample_goal_conditioned(256, torch.Generator().manual_seed(1))
    with torch.no_grad():
        features, goal_features = encode_frames(encoder, batch["image"]), encode_frames(encoder, batch["goal_image"])
        fitted = float(head.loss(features, {**batch, "goal_features": goal_features}))
        shuffled = float(head.loss(features, {**batch, "goal_features": goal_features.roll(1, 0)}))
    assert fitted < 0.25 * shuffled, (fitted, shuffled)


def test_wrist_features_learn_what_only_the_hand_camera_shows():
    """wrist_features: a second conv stack reads the hand camera's picture into the action head; on
    data whose action only the hand camera shows it fits, and shuffling its features undoes the fit.
    It survives the checkpoint payload, and objectives without an action head refuse it."""
    buf = blob_buffer(kind=WristFrameBuffer)
    cfg = RepresentationConfig(objective="action", feature_dim=8, wrist_features=8, steps=150, batch_size=16,
                               lr=3e-3, augment=False)
    encoder, head = train_representation(buf, cfg)
    assert encoder.wrist is not None and encoder.wrist.feature_dim == 8
    batch = buf.sample(256, torch.Generator().manual_seed(1), wrist=True)
    with torch.no_grad():
        frame, wrist = encoder(batch["image"]), encoder.wrist(batch["wrist_image"])
        fitted = float(head.loss(torch.cat([frame, wrist], 1), batch))
        shuffled = float(head.loss(torch.cat([frame, wrist.roll(1, 0)], 1), batch))
    assert fitted < 0.25 * shuffled, (fitted, shuffled)
    rebuilt = encoder_from_payload(representation_payload(encoder, cfg))
    torch.testing.assert_close(encode_frames(rebuilt.wrist, buf.wrist_frames), encode_frames(encoder.wrist, buf.wrist_frames))
    with pytest.raises(ValueError, match="action head"):
        make_objective(RepresentationConfig(objective="autoencoder"), FrameEncoder((3, 48, 48), 8, wrist_features=4), 2, 2)


def test_wrist_features_need_data_with_a_hand_camera():
    from robo_offline.errors import UserError

    buf = blob_buffer()
    buf.wrist_frames = None
    with pytest.raises(UserError, match="wrist_camera=true"):
        train_representation(buf, RepresentationConfig(objective="action", feature_dim=8, wrist_features=4, steps=1))


def test_goal_scene_fits_actions_and_draws_the_scene():
    """goal_scene: its loss (action + scene terms) falls, and the decoder draws a goal picture from
    its own features better than from another picture's."""
    buf = blob_buffer(kind=GoalFrameBuffer)
    cfg = RepresentationConfig(objective="goal_scene", feature_dim=8, steps=150, batch_size=16, lr=3e-3,
                               augment=False)
    batch = buf.sample_goal_conditioned(64, torch.Generator().manual_seed(1), scene=True)
    torch.manual_seed(cfg.seed)
    encoder0 = FrameEncoder(buf.image_shape, 8)
    head0 = make_objective(cfg, encoder0, 2, 2)
    with torch.no_grad():
        before = float(head0.loss(encoder0(batch["image"]), {**batch, "goal_features": encoder0(batch["goal_image"])}))
    encoder, head = train_representation(buf, cfg)
    with torch.no_grad():
        goal_features = encoder(batch["goal_image"])
        after = float(head.loss(encoder(batch["image"]), {**batch, "goal_features": goal_features}))
        drawn = float(head.decoder.reconstruction_loss(goal_features, batch["goal_image"]))
        mismatched = float(head.decoder.reconstruction_loss(goal_features.roll(1, 0), batch["goal_image"]))
    assert after < 0.5 * before, (before, after)
    assert drawn < 0.7 * mismatched, (drawn, mismatched)


@pytest.mark.parametrize("head", ["decoder", "action"])
def test_gradients_reach_encoder_and_objective(head):
    buf = blob_buffer(4)
    encoder = FrameEncoder(buf.image_shape, 4)
    objective = FrameDecoder(buf.image_shape, 4) if head == "decoder" else ActionHead(4, 2, 2)
    objective.loss(encoder(buf.frames), buf.sample(4)).backward()
    for name, param in [*encoder.named_parameters(), *objective.named_parameters()]:
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_payload_rebuilds_the_same_encoder():
    frames = blob_buffer(6).frames
    encoder = FrameEncoder((3, 48, 48), feature_dim=8).eval()
    payload = representation_payload(encoder, RepresentationConfig(feature_dim=8))
    rebuilt = encoder_from_payload(payload)
    torch.testing.assert_close(encode_frames(rebuilt, frames), encode_frames(encoder, frames))
    with pytest.raises(ValueError, match="do not fit"):
        encoder_from_payload({**payload, "encoder": {"nope": torch.zeros(1)}})


def test_bad_objective_and_image_side_are_rejected():
    with pytest.raises(ValueError, match="objective"):
        make_objective(RepresentationConfig(objective="nope"), FrameEncoder((3, 48, 48), 8), 2, 2)
    with pytest.raises(ValueError, match="multiples of 8"):
        FrameDecoder((3, 44, 44), feature_dim=8)


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

    def q_values(self, obs, actions):
        self.seen = obs
        return np.zeros(len(actions), np.float32)


def test_feature_policy_appends_the_frame_features_to_the_proprio_state():
    encoder = FrameEncoder((3, 48, 48), feature_dim=8).eval()
    agent = _StateAgent()
    policy = FeaturePolicy(agent, encoder)
    frame = blob_buffer(1).frames[0]
    obs = {"image": frame.permute(1, 2, 0).numpy(), "state": np.arange(6, dtype=np.float32)}
    assert policy.act(obs).shape == (5,)
    assert set(agent.seen) == {"state"} and agent.seen["state"].shape == (14,)
    np.testing.assert_array_equal(agent.seen["state"][:6], np.arange(6))
    np.testing.assert_allclose(agent.seen["state"][6:], encode_frames(encoder, frame[None])[0].numpy(), atol=1e-6)
    # a goal image becomes [zeros for the proprio state, its features], as the buffer's goals
    goal = blob_buffer(2).frames[-1]
    policy.act({**obs, "desired_goal": goal.permute(1, 2, 0).numpy()})
    assert set(agent.seen) == {"state", "desired_goal"}
    np.testing.assert_array_equal(agent.seen["desired_goal"][:6], np.zeros(6))
    np.testing.assert_allclose(agent.seen["desired_goal"][6:], encode_frames(encoder, goal[None])[0].numpy(), atol=1e-6)


def test_feature_policy_appends_the_hand_camera_features_and_goals_leave_them_zero():
    encoder = FrameEncoder((3, 48, 48), feature_dim=8, wrist_features=4).eval()
    agent = _StateAgent()
    policy = FeaturePolicy(agent, encoder)
    frames = blob_buffer(3).frames
    obs = {"image": frames[0].permute(1, 2, 0).numpy(), "state": np.arange(6, dtype=np.float32),
           "wrist_image": frames[1].permute(1, 2, 0).numpy(), "desired_goal": frames[2].permute(1, 2, 0).numpy()}
    policy.act(obs)
    assert agent.seen["state"].shape == (18,) and agent.seen["desired_goal"].shape == (18,)
    np.testing.assert_allclose(agent.seen["state"][6:14], encode_frames(encoder, frames[:1])[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(agent.seen["state"][14:], encode_frames(encoder.wrist, frames[1:2])[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(agent.seen["desired_goal"][6:14], encode_frames(encoder, frames[2:])[0].numpy(), atol=1e-6)
    assert not agent.seen["desired_goal"][:6].any() and not agent.seen["desired_goal"][14:].any()
    with pytest.raises(ValueError, match="wrist_camera=true"):
        policy.act({k: v for k, v in obs.items() if k != "wrist_image"})


def test_standardized_features_act_on_what_the_buffer_trained_on():
    """standardize_features: the buffer z-scores [proprio, features] column by column (a constant
    column is left at 0, not blown up); acting with the returned statistics gives the agent the same
    vector for the same frame, and a goal keeps only its scaled features."""
    from robo_offline.data.buffer import ReplayBuffer

    encoder = FrameEncoder((3, 48, 48), feature_dim=8).eval()
    frames = blob_buffer(16).frames
    proprio = torch.cat([torch.rand(16, 5) * 0.1, torch.ones(16, 1)], dim=1)  # the last column constant
    buffer = ReplayBuffer.__new__(ReplayBuffer)  # the fields standardize_states reads
    buffer.states = torch.cat([proprio, encode_frames(encoder, frames)], dim=1)
    buffer.goal_states = None  # no scene pictures: goals are frames' features (test_buffer has the other case)
    mean, std = buffer.standardize_states()
    assert torch.allclose(buffer.states[:, :5].mean(0), torch.zeros(5), atol=1e-5)
    assert torch.allclose(buffer.states[:, :5].std(0), torch.ones(5), atol=1e-4)
    assert torch.equal(buffer.states[:, 5], torch.zeros(16)) and std[5] == pytest.approx(1e-3)
    agent = _StateAgent()
    policy = FeaturePolicy(agent, encoder, {"standardize": {"mean": mean, "std": std}})
    obs = {"image": frames[3].permute(1, 2, 0).numpy(), "state": proprio[3].numpy(),
           "desired_goal": frames[7].permute(1, 2, 0).numpy()}
    policy.act(obs)
    np.testing.assert_allclose(agent.seen["state"], buffer.states[3].numpy(), atol=1e-4)
    np.testing.assert_array_equal(agent.seen["desired_goal"][:6], np.zeros(6))
    np.testing.assert_allclose(agent.seen["desired_goal"][6:], buffer.states[7, 6:].numpy(), atol=1e-4)


def test_unwhitened_features_share_one_scale_and_keep_their_ratios():
    """whiten_features=false: the feature columns are divided by one scale, the root mean square of
    their stds, so a column with 10x the spread of another stays 10x larger; the proprio columns are
    still z-scored one by one."""
    from robo_offline.data.buffer import ReplayBuffer

    gen = torch.Generator().manual_seed(0)
    proprio = torch.rand(500, 3, generator=gen) * 0.1
    features = torch.randn(500, 2, generator=gen) * torch.tensor([10.0, 1.0])
    buffer = ReplayBuffer.__new__(ReplayBuffer)  # the fields standardize_states reads
    buffer.states = torch.cat([proprio, features], dim=1)
    buffer.goal_states = None
    shared = torch.tensor([False, False, False, True, True])
    mean, std = buffer.standardize_states(shared=shared)
    assert torch.allclose(buffer.states[:, :3].std(0), torch.ones(3), atol=1e-4)
    spread = buffer.states[:, 3:].std(0)
    assert spread[0] / spread[1] == pytest.approx(float(features[:, 0].std() / features[:, 1].std()), rel=1e-4)
    assert spread.pow(2).mean().sqrt() == pytest.approx(1.0, rel=1e-4)
    assert std[3] == std[4]


def test_oracle_goals_act_on_what_the_buffer_trained_on():
    """oracle_goal: the buffer's goal for a frame is its achieved goal, z-scored, after the proprio
    columns; acting on the env's privileged goal vector of the same scene gives the agent that vector.
    An agent trained on goal pictures refuses a goal vector, and a buffer without achieved goals refuses."""
    from robo_offline.data.buffer import ReplayBuffer
    from robo_offline.errors import UserError

    encoder = FrameEncoder((3, 48, 48), feature_dim=8).eval()
    frames = blob_buffer(16).frames
    buffer = ReplayBuffer.__new__(ReplayBuffer)  # the fields replace_goals_with_achieved_goals reads
    buffer.states = torch.randn(16, 6 + 8)
    buffer.goal_state_mask = torch.cat([torch.zeros(6), torch.ones(8)])
    buffer.achieved_goal = None
    with pytest.raises(UserError, match="achieved goals"):
        buffer.replace_goals_with_achieved_goals()
    buffer.achieved_goal = torch.rand(16, 5) * torch.tensor([0.15, 0.0, 0.3, 0.3, 0.1]) + 0.5
    mean, std = buffer.replace_goals_with_achieved_goals()
    goals = buffer.goal_states
    torch.testing.assert_close(goals[:, 6:11].mean(0), torch.zeros(5), atol=1e-5, rtol=0)
    assert torch.equal(goals[:, :6], torch.zeros(16, 6)) and torch.equal(goals[:, 11:], torch.zeros(16, 3))
    env_goal = np.zeros(24, np.float32)
    env_goal[7:12] = buffer.achieved_goal[3].numpy()  # GOAL_SCENE_COLUMNS: drawer openings, object centre
    obs = {"image": frames[3].permute(1, 2, 0).numpy(), "state": np.zeros(6, np.float32), "desired_goal": env_goal}
    agent = _StateAgent()
    FeaturePolicy(agent, encoder, {"oracle_goal": {"mean": mean, "std": std}}).act(obs)
    np.testing.assert_allclose(agent.seen["desired_goal"], goals[3].numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="goal pictures"):
        FeaturePolicy(agent, encoder).act(obs)


def test_a_state_mask_hides_the_privileged_columns_when_acting():
    """oracle_state=[groups]: the mask keeps the robot's columns and the named groups'; acting zeroes
    the others of the env's 24-d state, as train zeroed them in the data."""
    from robo_offline.world.privileged_state import state_groups_mask

    mask = state_groups_mask(["drawers", "grasp"])
    assert np.flatnonzero(mask).tolist() == [*range(9), *range(13, 18)]
    with pytest.raises(ValueError, match="unknown privileged state groups"):
        state_groups_mask(["object", "lid"])
    encoder = FrameEncoder((3, 48, 48), feature_dim=8).eval()
    obs = {"image": blob_buffer(1).frames[0].permute(1, 2, 0).numpy(), "state": np.arange(1, 25, dtype=np.float32)}
    agent = _StateAgent()
    FeaturePolicy(agent, encoder, {"state_mask": torch.from_numpy(mask)}).act(obs)
    np.testing.assert_array_equal(agent.seen["state"][:24], obs["state"] * mask)


def test_principal_components_find_the_directions_that_vary():
    """Features that vary along 3 hidden directions plus tiny noise: 3 components keep nearly all the
    variance, the projection loses nothing that a linear map needs, and a bad k is a clear error."""
    gen = torch.Generator().manual_seed(0)
    latent = torch.randn(2000, 3, generator=gen) * torch.tensor([3.0, 1.0, 0.3])
    mixing = torch.randn(3, 40, generator=gen)
    features = latent @ mixing + 5.0 + 1e-3 * torch.randn(2000, 40, generator=gen)
    mean, basis, kept = principal_components(features, 3, chunk=300)  # chunks that do not divide 2000
    assert basis.shape == (40, 3) and kept > 0.999
    torch.testing.assert_close(basis.T @ basis, torch.eye(3), atol=1e-4, rtol=0)
    projected = project_features(features, {"mean": mean, "basis": basis})
    assert projected.shape == (2000, 3)
    torch.testing.assert_close(projected.mean(0), torch.zeros(3), atol=1e-3, rtol=0)
    assert projected.var(0)[0] > projected.var(0)[1] > projected.var(0)[2]  # ordered by variance
    solution = torch.linalg.lstsq(projected, latent - latent.mean(0)).solution
    assert ((projected @ solution - (latent - latent.mean(0))).abs().max()) < 0.02  # the latent survives
    assert principal_components(features, 1)[2] < 0.95  # one direction does not
    for bad in (0, 41):
        with pytest.raises(ValueError, match=f"feature_components={bad}"):
            principal_components(features, bad)


def test_projected_features_act_on_what_the_buffer_trained_on():
    """feature_components + standardize_features: acting projects a frame's features on the stored
    directions, then z-scores, giving the agent the buffer's vector for the same frame."""
    encoder = FrameEncoder((3, 48, 48), feature_dim=8).eval()
    frames = blob_buffer(16).frames
    features = encode_frames(encoder, frames)
    mean, basis, _ = principal_components(features, 3)
    projection = {"mean": mean, "basis": basis}
    proprio = torch.rand(16, 6)
    states = torch.cat([proprio, project_features(features, projection)], dim=1)
    standardize = {"mean": states.mean(0), "std": states.std(0).clamp_min(1e-3)}
    agent = _StateAgent()
    policy = FeaturePolicy(agent, encoder, {"projection": projection, "standardize": standardize})
    policy.act({"image": frames[5].permute(1, 2, 0).numpy(), "state": proprio[5].numpy()})
    expected = (states[5] - standardize["mean"]) / standardize["std"]
    assert agent.seen["state"].shape == (9,)
    np.testing.assert_allclose(agent.seen["state"], expected.numpy(), atol=1e-3)


def test_keypoint_features_follow_the_bright_square():
    """A keypoint that has learned the square's map reports its position: move the square right,
    the expected x grows. Built by hand: one map = the image's brightness."""
    encoder = FrameEncoder((3, 48, 48), feature_dim=2, bottleneck="keypoints")
    with torch.no_grad():  # make the single keypoint map a steep function of the conv features' mean
        for module in encoder.convs.convs:
            if isinstance(module, torch.nn.Conv2d):
                module.weight.fill_(0.05)
                module.bias.zero_()
        encoder.bottleneck.weight.fill_(5.0)
        encoder.bottleneck.bias.zero_()
    frames = torch.full((2, 3, 48, 48), 0, dtype=torch.uint8)
    frames[0, :, 20:28, 4:12] = 255
    frames[1, :, 20:28, 36:44] = 255
    with torch.no_grad():
        features = encoder(frames)
    assert features.shape == (2, 2) and features.abs().max() <= 1.0
    assert features[1, 0] > features[0, 0] + 0.5  # x moved right
    assert abs(float(features[1, 1] - features[0, 1])) < 0.1  # y did not move
    with pytest.raises(ValueError, match="even"):
        FrameEncoder((3, 48, 48), feature_dim=3, bottleneck="keypoints")


def test_same_representation_compares_config_and_weights():
    from robo_offline.commands.train import same_representation

    encoder = FrameEncoder((3, 48, 48), feature_dim=8)
    payload = representation_payload(encoder, RepresentationConfig(feature_dim=8))
    copy = {**payload, "encoder": {k: v.clone() for k, v in payload["encoder"].items()}}
    assert same_representation(copy, payload)
    copy["encoder"]["bottleneck.0.bias"] += 1.0
    assert not same_representation(copy, payload)
    assert not same_representation({**payload, "config": {**payload["config"], "seed": 1}}, payload)
    assert not same_representation(None, payload)
    standardized = {**payload, "standardize": {"mean": torch.zeros(8), "std": torch.ones(8)}}
    assert not same_representation(standardized, payload) and not same_representation(payload, standardized)
    shared_scale = {**payload, "standardize": {**standardized["standardize"], "whiten": False}}
    assert not same_representation(shared_scale, standardized) and not same_representation(standardized, shared_scale)
    assert same_representation({**payload, "standardize": {**standardized["standardize"], "whiten": True}}, standardized)
    projected = {**payload, "projection": {"mean": torch.zeros(8), "basis": torch.eye(8)[:, :4]}}
    assert same_representation(projected, {**payload, "projection": {"mean": torch.ones(8), "basis": torch.eye(8)[:, 4:]}})
    assert not same_representation(projected, payload) and not same_representation(payload, projected)
    assert not same_representation(projected, {**payload, "projection": {"mean": torch.zeros(8), "basis": torch.eye(8)}})


@pytest.mark.parametrize("agent_name, agent_cfg", [("gcql", {}), ("cql", {"layout": "cog"})])
def test_init_encoder_starts_every_conv_encoder_from_the_pretrained_one(tmp_path, agent_name, agent_cfg):
    from robo_offline.algos import make_agent
    from robo_offline.checkpoint import save_checkpoint
    from robo_offline.commands.train import warm_start_encoders
    from robo_offline.nets.encoders import ConvEncoder

    source = FrameEncoder((3, 48, 48), feature_dim=8, bottleneck="none").eval()
    path = tmp_path / "encoder.pt"
    save_checkpoint(path, {"representation": representation_payload(source, RepresentationConfig(bottleneck="none"))})
    agent = make_agent(agent_name, image_shape=(3, 48, 48), state_dim=6, action_dim=4,
                       cfg={**agent_cfg, "batch_size": 4})
    frames = blob_buffer(8).frames
    warmed = warm_start_encoders(agent, str(path), frames)
    convs = [name for name, net in agent.nets.items() if isinstance(net, ConvEncoder)]
    assert sorted(warmed) == sorted(convs) and "critic_encoder" in warmed and "target_encoder" in warmed
    want = source(frames)
    want = want / want.pow(2).mean().sqrt()  # the pretrained features, scaled to RMS 1 on the frames
    for name in warmed:  # every ensemble member computes them
        got = agent.nets[name](frames)
        for member in got:
            torch.testing.assert_close(member, want, rtol=1e-4, atol=1e-5)


def test_init_encoder_refuses_what_it_cannot_start(tmp_path):
    from robo_offline.algos import make_agent
    from robo_offline.checkpoint import save_checkpoint
    from robo_offline.commands.train import warm_start_encoders
    from robo_offline.errors import UserError

    source = FrameEncoder((3, 48, 48), feature_dim=8, bottleneck="none")
    path = tmp_path / "encoder.pt"
    save_checkpoint(path, {"representation": representation_payload(source, RepresentationConfig(bottleneck="none"))})
    frames = blob_buffer(2).frames
    drq = make_agent("gcql", image_shape=(3, 48, 48), state_dim=6, action_dim=4, cfg={"encoder": "drq"})
    with pytest.raises(UserError, match="agent.encoder=cog"):
        warm_start_encoders(drq, str(path), frames)
    other_size = make_agent("gcql", image_shape=(3, 64, 64), state_dim=6, action_dim=4)
    with pytest.raises(UserError, match="image size"):
        warm_start_encoders(other_size, str(path), frames)
    save_checkpoint(tmp_path / "run.pt", {"agent": {}})
    with pytest.raises(UserError, match="no pretrained encoder"):
        warm_start_encoders(drq, str(tmp_path / "run.pt"), frames)


def test_feature_policy_remembers_the_episodes_proprio_states_as_the_buffer_did():
    """proprio_history=2: the agent sees [proprio, features, proprio at t-1, at t-2], the episode's
    first state standing in before it began (as append_proprio_history); q_values reads the last act's
    step without moving on; start_episode forgets; a goal leaves the past zero."""
    encoder = FrameEncoder((3, 48, 48), feature_dim=8).eval()
    agent = _StateAgent()
    policy = FeaturePolicy(agent, encoder, {"proprio_history": 2})
    frames = blob_buffer(2).frames
    image, goal = (f.permute(1, 2, 0).numpy() for f in frames)

    def obs(t):
        return {"image": image, "state": np.full(6, t, np.float32), "desired_goal": goal}

    def past_seen():
        return agent.seen["state"][14:20][0], agent.seen["state"][20:][0]

    policy.act(obs(0))
    assert agent.seen["state"].shape == (26,) and past_seen() == (0, 0)
    assert not agent.seen["desired_goal"][:6].any() and not agent.seen["desired_goal"][14:].any()
    np.testing.assert_allclose(agent.seen["desired_goal"][6:14], encode_frames(encoder, frames[1:])[0].numpy(), atol=1e-6)
    policy.act(obs(1))
    assert past_seen() == (0, 0)
    policy.act(obs(2))
    assert past_seen() == (1, 0)
    policy.act(obs(3))
    assert past_seen() == (2, 1)
    policy.q_values(obs(3), np.zeros((1, 5), np.float32))
    assert past_seen() == (2, 1)  # the same step again, not one more
    policy.start_episode()
    policy.act(obs(7))
    assert past_seen() == (7, 7)
