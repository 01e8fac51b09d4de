"""`robo-offline train experiment=<name> agent=<cql|bc|iql|awac> steps=<int> seed=<int>`.

Trains an agent on the experiment's datasets, logs to CSV and TensorBoard, evaluates in the
environment every `eval_every` steps, checkpoints atomically, and resumes exactly when rerun in
the same run directory. Everything lands in Hydra's run directory (`hydra.run.dir=<path>`).
With `eval_every=0` and existing datasets it needs no simulator: pybullet need not be installed.
"""
from __future__ import annotations

import dataclasses
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from robo_offline.algos import agent_class, make_agent, register_agent_configs
from robo_offline.algos.config import renamed_keys
from robo_offline.algos.goals import GoalConditioned
from robo_offline.algos.representation import FeaturePolicy
from robo_offline.checkpoint import capture_rng_state, load_checkpoint, restore_rng_state, save_checkpoint
from robo_offline.device import resolve_device
from robo_offline.errors import UserError
from robo_offline.evaluation import evaluate_policy, evaluation_families
from robo_offline.logger import EVAL_COLUMNS, MetricsLogger
from robo_offline.world.envs import env_argument_errors, env_spaces, make_env

register_agent_configs()  # before Hydra composes: configs/agent/*.yaml start from these nodes


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def evaluation_env_spaces(env_id: str, env_kwargs: dict, evaluate: bool):
    """(observation space, action space) of the evaluation env, found before the data is loaded. With
    `evaluate` the env is made, so a missing simulator stops the run now, not at its first evaluation;
    without, the spaces come from the env's arguments alone and training needs no pybullet."""
    if not evaluate:
        with env_argument_errors(env_id, env_kwargs):
            return env_spaces(env_id, env_kwargs)
    env = make_env(env_id, env_kwargs)
    env.close()
    return env.observation_space, env.action_space


def check_env_matches_data(env_id: str, env_kwargs: dict, env_space: tuple, buffer) -> None:
    space, action_space = env_space
    image = None if "image" not in space.spaces else tuple(np.roll(space["image"].shape, 1))
    want = (image, space["state"].shape[0], action_space.shape[0])
    have = (buffer.image_shape, buffer.state_dim, buffer.action_dim)
    if want != have:
        raise UserError(
            f"the evaluation env {env_id} {env_kwargs} gives (images, state dim, action dim) {want} but "
            f"the datasets give {have}; generate the data with the same image_size as "
            "experiment.env_kwargs")


def image_shape_list(buffer) -> list | None:
    return None if buffer.image_shape is None else list(buffer.image_shape)


def checkpoint_payload(agent, agent_name, agent_cfg, buffer, experiment, cfg, step, sample_gen,
                       representation: dict | None = None) -> dict:
    return {
        "representation": representation,
        "agent_name": agent_name,
        "agent_config": agent_cfg,
        "agent": agent.state_dict(),
        "step": step,
        "image_shape": image_shape_list(buffer),
        "state_dim": buffer.state_dim,
        "action_dim": buffer.action_dim,
        "env_id": experiment.env,
        "env_kwargs": eval_env_kwargs(cfg),
        "rng": capture_rng_state(sample_gen),
        "config": OmegaConf.to_container(cfg, resolve=True),
    }


def eval_env_kwargs(cfg: DictConfig) -> dict:
    """The experiment's env kwargs plus the observation mode the agent acts on (obs=features acts on
    camera images through its frozen encoder)."""
    oracle = {"goal_vector": True} if cfg.get("oracle_goal") else {}
    return {**OmegaConf.to_container(cfg.experiment.env_kwargs, resolve=True), "obs_mode": data_obs_mode(cfg),
            **oracle}


def data_obs_mode(cfg: DictConfig) -> str:
    """What the datasets are read as and the env observes: obs=features reads frames (beside the
    privileged state instead of the proprio one with the `oracle_state` diagnostic)."""
    if cfg.obs != "features":
        return cfg.obs
    return "image_privileged" if oracle_state_on(cfg) else "image"


def oracle_state_on(cfg: DictConfig) -> bool:
    """`oracle_state=true`, or a list of groups: `[]` keeps the robot's columns alone (the
    ablation's control: the privileged state's angle encoding, no scene facts)."""
    value = cfg.get("oracle_state")
    return OmegaConf.is_list(value) or bool(value)


def oracle_state_mask(cfg: DictConfig) -> torch.Tensor | None:
    """`oracle_state=[groups]`: the privileged state's columns the agent keeps (the robot's and the
    named groups'; the rest zero, in the data and when acting); None for `true` (all) or off."""
    from robo_offline.world.privileged_state import state_groups_mask

    groups = cfg.get("oracle_state")
    if not OmegaConf.is_list(groups):
        return None
    try:
        return torch.from_numpy(state_groups_mask(list(groups)))
    except ValueError as err:
        raise UserError(f"oracle_state: {err}") from None


def restrict_to_rest_goals(cfg: DictConfig, buffer) -> None:
    """`rest_goals`: hindsight goals only at frames where the gripper is commanded open, read from
    the robot's own state (the proprio state, or the privileged one in state mode): a lifted object
    photographed without the arm looks like one resting further along the camera's ray."""
    from robo_offline.world.privileged_state import PRIVILEGED_GRIPPER_CLOSED, PROPRIO_GRIPPER_CLOSED

    column = PROPRIO_GRIPPER_CLOSED if data_obs_mode(cfg) == "image" else PRIVILEGED_GRIPPER_CLOSED
    buffer.restrict_goals(buffer.states[:, column] < 0.5)


def load_representation(path: str, buffer, device: torch.device, standardize: bool = False,
                        components: int | None = None, whiten: bool = True, proprio_history: int = 0):
    """obs=features: the frozen encoder from `robo-offline pretrain`; the buffer's frames become features,
    projected on their top `components` principal directions when given, followed by the proprio
    state of the `proprio_history` previous steps, and with `standardize` every column of
    [proprio, features, past proprio] is z-scored by the data's statistics; without `whiten` the
    frame's feature columns share one scale instead of one each. The returned payload carries the
    projection, the history length and the statistics for acting (and for `features_like_training`
    on other data)."""
    from robo_offline.algos.representation import encode_frames, encoder_from_payload, principal_components
    from robo_offline.checkpoint import load_checkpoint

    payload = load_checkpoint(path)["representation"]
    if tuple(payload["image_shape"]) != buffer.image_shape:
        raise UserError(f"encoder {path} was trained on images {payload['image_shape']}, the data has "
                        f"{list(buffer.image_shape)}; pretrain on this experiment's data")
    encoder = encoder_from_payload(payload, device)
    if encoder.wrist is not None and buffer.wrist_frames is None:
        raise UserError(f"encoder {path} reads a hand camera, the data has none; generate it with "
                        "`+dataset.env_kwargs.wrist_camera=true` (and train with experiment.env_kwargs.wrist_camera=true)")
    start = time.perf_counter()
    features = encode_frames(encoder, buffer.frames)
    print(f"obs=features: {encoder.feature_dim} features per frame from {path} "
          f"({time.perf_counter() - start:.0f} s for all frames)")
    if components:
        try:
            mean, basis, kept = principal_components(features, int(components))
        except ValueError as err:
            raise UserError(str(err)) from None
        payload = {**payload, "projection": {"mean": mean.cpu(), "basis": basis.cpu()}}
        print(f"obs=features: the top {components} principal components keep {kept:.1%} of the features' variance")
    replace_frames_with_features(buffer, encoder, payload.get("projection"), features)
    if encoder.wrist is not None:
        print(f"obs=features: {encoder.wrist.feature_dim} hand-camera features per frame")
    if proprio_history:
        buffer.append_proprio_history(proprio_history)
        payload = {**payload, "proprio_history": proprio_history}
    if standardize:
        mean, std = buffer.standardize_states(shared=None if whiten else buffer.goal_state_mask > 0)
        payload = {**payload, "standardize": {"mean": mean.cpu(), "std": std.cpu(), "whiten": whiten}}
    return encoder, payload


def replace_frames_with_features(buffer, encoder, projection: dict | None, features: torch.Tensor | None = None) -> None:
    """The buffer's frames, goal pictures and hand-camera frames become the frozen encoder's features
    (`features`: the frames' own, already encoded), projected on `projection`'s principal directions."""
    from robo_offline.algos.representation import encode_frames, project_features

    if features is None:
        features = encode_frames(encoder, buffer.frames)
    goal_features = None
    if buffer.goal_frames is not None:  # goals show the scene without the arm: their own features
        goal_features = project_features(encode_frames(encoder, buffer.goal_frames), projection)
    wrist_features = None if encoder.wrist is None else encode_frames(encoder.wrist, buffer.wrist_frames)
    buffer.replace_frames_with_features(project_features(features, projection), goal_features, wrist_features)


def features_like_training(buffer, encoder, representation: dict) -> None:
    """Validation data as the training data became: the same privileged columns kept, the same
    encoder, principal directions and history, and the training data's statistics (not its own)."""
    if representation.get("state_mask") is not None:
        buffer.states *= representation["state_mask"].to(buffer.states)
    replace_frames_with_features(buffer, encoder, representation.get("projection"))
    if representation.get("proprio_history"):
        buffer.append_proprio_history(representation["proprio_history"])
    if representation.get("standardize") is not None:
        buffer.scale_states(representation["standardize"]["mean"], representation["standardize"]["std"])


def validation_metrics(agent, buffer, batch_size: int, generator: torch.Generator, batches: int) -> dict:
    """val/<metric>: the agent's losses and metrics averaged over `batches` held-out batches."""
    totals: dict[str, torch.Tensor] = {}
    for _ in range(max(1, batches)):
        for key, value in agent.evaluate_losses(agent.sample_batch(buffer, batch_size, generator=generator)).items():
            totals[key] = totals[key] + value if key in totals else value
    return {f"val/{k}": v / max(1, batches) for k, v in totals.items()}


def same_representation(a: dict | None, b: dict) -> bool:
    """Whether two checkpoints' frozen encoders are the same (config, image shape and weights),
    both standardize the features (whitened or not, alike) or neither does, both project them on
    as many principal directions (the same data gives the same directions) and both keep as many
    past proprio states."""
    if a is None or (a["config"], a["image_shape"]) != (b["config"], b["image_shape"]):
        return False
    if a["encoder"].keys() != b["encoder"].keys() or ("standardize" in a) != ("standardize" in b):
        return False
    if "standardize" in a and a["standardize"].get("whiten", True) != b["standardize"].get("whiten", True):
        return False  # checkpoints from before whiten_features were whitened
    if a.get("proprio_history", 0) != b.get("proprio_history", 0):
        return False
    if not torch.equal(torch.as_tensor(a.get("state_mask", -1)), torch.as_tensor(b.get("state_mask", -1))):
        return False
    if ("projection" in a) != ("projection" in b) or (
            "projection" in a and a["projection"]["basis"].shape != b["projection"]["basis"].shape):
        return False
    return all(torch.equal(a["encoder"][k], b["encoder"][k]) for k in a["encoder"])


def warm_start_encoders(agent, path: str, frames: torch.Tensor) -> list[str]:
    """obs=image: start every conv encoder of the agent (critic, its target, the actor's own) from
    the conv stack of `robo-offline pretrain`'s encoder at `path`, then train them with the agent's
    losses (pretrain, then fine-tune end to end). An encoder ensemble gets the same weights in each
    member. The last conv layer is scaled so that the features have RMS 1 over `frames` (a sample
    of the data's): pretrained maps are about 0.01 in size beside a proprio state of order 1, and
    the ReLU after that layer makes the scaling exact. Returns the names of the networks it set."""
    from robo_offline.algos.representation import encoder_from_payload
    from robo_offline.nets.encoders import ConvEncoder

    payload = load_checkpoint(path).get("representation")
    if payload is None:
        raise UserError(f"init_encoder={path} holds no pretrained encoder; pass the encoder.pt that "
                        "`robo-offline pretrain` writes")
    source = encoder_from_payload(payload).convs
    if tuple(frames.shape[1:]) != source.image_shape:
        raise UserError(f"init_encoder={path} was pretrained on images {list(source.image_shape)}, the data has "
                        f"{list(frames.shape[1:])}: pretrain on data of this image size")
    with torch.no_grad():
        rms = source(frames.cpu())[0].pow(2).mean().sqrt().clamp_min(1e-8)
        last_conv = [m for m in source.convs if isinstance(m, torch.nn.Conv2d)][-1]
        last_conv.weight /= rms
        last_conv.bias /= rms
    warmed = []
    for name, net in agent.nets.items():
        if not isinstance(net, ConvEncoder):
            continue
        if net.kind != source.kind or net.image_shape != source.image_shape:
            raise UserError(f"init_encoder={path} is a {source.kind} conv stack on images {list(source.image_shape)}; "
                            f"the agent's {name} is {net.kind} on {list(net.image_shape)}: use agent.encoder="
                            f"{source.kind} and data of that image size")
        with torch.no_grad():
            for to, src in zip(net.convs.state_dict().values(), source.convs.state_dict().values()):
                member_copies = to.shape[0] // src.shape[0]  # ensemble members stack along the output channels
                to.copy_(src.repeat(member_copies, *([1] * (src.dim() - 1))))
        warmed.append(name)
    if not warmed:
        raise UserError(f"init_encoder: agent {agent.name} has no conv encoder (obs=image only)")
    return warmed


def agent_config(cfg: DictConfig) -> dict:
    """The agent's config dataclass defaults with configs/agent/<name>.yaml over them (Hydra's
    `agent` group), then the experiment's `agent_defaults` for the keys this agent has (e.g.
    smaller MLPs for obs=state), then `agent_defaults.<agent name>` (keys for that agent alone,
    e.g. CQL's target rate where IQL has a key of the same name), then the command line's
    `agent.*` overrides."""
    from hydra.core.hydra_config import HydraConfig

    agent = OmegaConf.to_container(cfg.agent, resolve=True)
    config_cls = agent_class(agent["name"]).config_cls
    fields = {f.name for f in dataclasses.fields(config_cls)}
    defaults = OmegaConf.to_container(cfg.experiment.get("agent_defaults") or OmegaConf.create({}), resolve=True)
    own = defaults.get(agent["name"]) or {}
    renamed = renamed_keys([*defaults, *own])
    if renamed:
        raise UserError(f"experiment.agent_defaults uses old key names: {', '.join(renamed)}")
    unknown = sorted(set(own) - fields)
    if unknown:
        raise UserError(f"experiment.agent_defaults.{agent['name']} has keys {unknown} that agent={agent['name']} "
                        f"does not know; its keys are the fields of {config_cls.__name__} ({config_cls.__module__})")
    cli = [o.lstrip("+") for o in HydraConfig.get().overrides.task if o.lstrip("+").startswith("agent.")]
    from_cli = OmegaConf.to_container(OmegaConf.from_dotlist(cli)).get("agent", {}) if cli else {}
    return {**agent, **{k: v for k, v in defaults.items() if k in fields}, **own, **from_cli}


def renamed_agent_overrides(overrides: list[str]) -> list[str]:
    """'old -> new' for each command-line `agent.<old key>=...`: Hydra itself would only say that
    the key is not in the agent's config."""
    keys = [override.lstrip("~+").split("=", 1)[0] for override in overrides]
    return renamed_keys(key[len("agent."):] for key in keys if key.startswith("agent."))


def run(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    from robo_offline.data.experiment import build_buffer, validation_experiment
    from robo_offline.plots import plot_learning_curve

    if cfg.steps < 1 or cfg.batch_size < 1:
        raise UserError(f"steps={cfg.steps} batch_size={cfg.batch_size}: both must be positive")
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    device = resolve_device(cfg.device)
    if cfg.get("threads"):
        torch.set_num_threads(int(cfg.threads))
    seed_everything(cfg.seed)
    experiment = cfg.experiment
    if cfg.obs not in ("image", "state", "features"):
        raise UserError(f"obs={cfg.obs!r}; use obs=image, obs=state or obs=features")
    env_kwargs = eval_env_kwargs(cfg)
    if cfg.proprio_history < 0:
        raise UserError(f"proprio_history={cfg.proprio_history}: the number of past steps, 0 or more")
    feature_keys = [k for k in ("standardize_features", "feature_components", "oracle_goal", "proprio_history")
                    if cfg.get(k)]
    feature_keys += ["oracle_state"] if oracle_state_on(cfg) else []
    if feature_keys and cfg.obs != "features":
        raise UserError(f"{', '.join(feature_keys)} act on a frozen encoder's features: use obs=features")
    if not cfg.whiten_features and not cfg.standardize_features:
        raise UserError("whiten_features=false chooses how standardize_features scales the features: "
                        "add standardize_features=true")
    if cfg.rest_goals and not issubclass(agent_class(cfg.agent.name), GoalConditioned):
        raise UserError(f"rest_goals chooses hindsight goals; agent={cfg.agent.name} takes none: use gcql, gciql or gcbc")
    if cfg.get("init_encoder") and cfg.obs != "image":
        raise UserError(f"init_encoder starts an image agent's conv encoders; obs={cfg.obs} has none: use obs=image")
    if cfg.obs == "features" and not Path(cfg.representation).is_file():
        raise UserError(f"obs=features needs a pretrained encoder at {cfg.representation}: run `robo-offline "
                        "pretrain experiment=<this experiment>` first, or pass representation=<encoder.pt>")

    validation_data = None
    if cfg.validation.episodes:
        if cfg.get("oracle_goal"):
            raise UserError("validation with oracle_goal is not supported: drop one of them")
        validation_data = validation_experiment(experiment, int(cfg.validation.episodes), int(cfg.validation.seed))
    env_space = evaluation_env_spaces(experiment.env, env_kwargs, evaluate=bool(cfg.eval_every))
    state_mask = oracle_state_mask(cfg) if cfg.obs == "features" else None
    buffer = build_buffer(experiment, device, data_obs_mode(cfg))
    check_env_matches_data(experiment.env, env_kwargs, env_space, buffer)
    if cfg.rest_goals:
        restrict_to_rest_goals(cfg, buffer)
    encoder, representation = None, None
    if cfg.obs == "features":
        if state_mask is not None:
            buffer.states *= state_mask.to(buffer.states)
        encoder, representation = load_representation(cfg.representation, buffer, device, cfg.standardize_features,
                                                     cfg.get("feature_components"), cfg.whiten_features,
                                                     int(cfg.proprio_history))
        if state_mask is not None:
            representation = {**representation, "state_mask": state_mask}
        if cfg.get("oracle_goal"):
            mean, std = buffer.replace_goals_with_achieved_goals()
            representation = {**representation, "oracle_goal": {"mean": mean.cpu(), "std": std.cpu()}}
    validation = None
    if validation_data is not None:
        validation = build_buffer(validation_data, device, data_obs_mode(cfg))
        if cfg.rest_goals:
            restrict_to_rest_goals(cfg, validation)
        if encoder is not None:
            features_like_training(validation, encoder, representation)
        print(f"validation: {validation.num_transitions} transitions from {', '.join(validation.dataset_ids)}")
    agent_cfg = agent_config(cfg)
    agent_name = agent_cfg.pop("name")
    agent = make_agent(agent_name, image_shape=buffer.image_shape, state_dim=buffer.state_dim,
                       action_dim=buffer.action_dim, cfg=agent_cfg, device=device)
    sample_gen = torch.Generator(device=device).manual_seed(cfg.seed)
    validation_gen = torch.Generator(device=device).manual_seed(cfg.seed)  # apart: training batches stay the same

    ckpt_path = run_dir / "checkpoints" / "last.pt"
    start_step = 0
    if ckpt_path.exists():
        payload = load_checkpoint(ckpt_path)
        if payload["agent_name"] != agent_name:
            raise UserError(f"{run_dir} holds a {payload['agent_name']} run; agent={agent_name} cannot resume it: "
                            "use another hydra.run.dir or the same agent")
        if payload["image_shape"] != image_shape_list(buffer):
            raise UserError(f"{run_dir} holds a run on images {payload['image_shape']}, the data now gives "
                            f"{image_shape_list(buffer)}; use another hydra.run.dir")
        saved = payload["config"]
        if (saved.get("experiment"), saved.get("obs")) != (OmegaConf.to_container(experiment, resolve=True), cfg.obs):
            raise UserError(f"{run_dir} holds a run of another experiment (datasets, roles or obs differ); "
                            "give this one its own hydra.run.dir")
        if representation is not None and not same_representation(payload.get("representation"), representation):
            raise UserError(f"{run_dir} holds a run on other frozen features than {cfg.representation} gives "
                            "with these settings (the encoder, feature_components, standardize_features or "
                            "proprio_history differ); "
                            "give this one its own hydra.run.dir")
        agent.load_state_dict(payload["agent"])
        restore_rng_state(payload["rng"], sample_gen)
        start_step = int(payload["step"])
        print(f"resuming {agent_name} from step {start_step} ({ckpt_path})")
    elif cfg.get("init_encoder"):  # a fresh run only: a resumed one has its trained encoders
        sample = torch.randperm(len(buffer.frames), generator=torch.Generator().manual_seed(cfg.seed))[:1024]
        warmed = warm_start_encoders(agent, cfg.init_encoder, buffer.frames[sample.to(buffer.frames.device)])
        print(f"init_encoder: {', '.join(warmed)} start from {cfg.init_encoder}")
    if start_step >= cfg.steps:
        print(f"nothing to do: checkpoint is at step {start_step} >= steps={cfg.steps}")
        return

    def save(step: int, path: Path = ckpt_path) -> None:
        save_checkpoint(path, checkpoint_payload(agent, agent_name, agent_cfg, buffer, experiment, cfg, step,
                                                 sample_gen, representation))

    policy = agent if encoder is None else FeaturePolicy(agent, encoder, representation)
    families = [f for f in evaluation_families(experiment.env, env_kwargs) if f is not None]
    logger = MetricsLogger(run_dir, resume_step=start_step,
                           eval_columns=[*EVAL_COLUMNS, *(f"eval/success_{f}" for f in families)])
    accumulated: dict[str, torch.Tensor] = {}
    since_log = 0
    last_time, last_step = time.perf_counter(), start_step
    progress = tqdm(total=cfg.steps, initial=start_step, desc=f"train {agent_name}", unit="step", dynamic_ncols=True)
    try:
        for step in range(start_step + 1, cfg.steps + 1):
            metrics = agent.update(agent.sample_batch(buffer, cfg.batch_size, generator=sample_gen))
            for key, value in metrics.items():
                value = value.detach()
                accumulated[key] = accumulated[key] + value if key in accumulated else value
            since_log += 1
            progress.update(1)

            row: dict[str, torch.Tensor | float] = {}
            if step % cfg.log_every == 0 or step == cfg.steps:
                row.update({k: v / since_log for k, v in accumulated.items()})
                now = time.perf_counter()
                row["steps_per_s"] = (step - last_step) / max(now - last_time, 1e-9)
                last_time, last_step = now, step
                accumulated, since_log = {}, 0
                if validation is not None:
                    row.update(validation_metrics(agent, validation, cfg.batch_size, validation_gen,
                                                  int(cfg.validation.batches)))
            if cfg.eval_every and (step % cfg.eval_every == 0 or step == cfg.steps):
                result = evaluate_policy(policy, experiment.env, env_kwargs, episodes=cfg.eval_episodes,
                                         seed=cfg.seed, progress=False)
                row.update({"eval/success_rate": result.success_rate, "eval/ci95_lo": result.ci95[0],
                            "eval/ci95_hi": result.ci95[1], "eval/mean_length": result.mean_length})
                row.update({f"eval/success_{f}": part.success_rate for f, part in result.by_family().items()})
                progress.set_postfix(success=f"{result.success_rate:.2f}")
            if row:
                values = logger.log(step, row)
                bad = [k for k, v in values.items() if not k.startswith("eval/") and not math.isfinite(v)]
                if bad:
                    nan_path = run_dir / "checkpoints" / f"nonfinite_step{step}.pt"
                    save(step, nan_path)
                    last_good = f"the last good checkpoint is {ckpt_path}" if ckpt_path.exists() else \
                        "no checkpoint was written before it"
                    raise UserError(f"non-finite {', '.join(bad)} at step {step} (averaged since the previous log); "
                                    f"stopped. State saved to {nan_path}; {last_good}. "
                                    "Lower the learning rates or check the data for bad values")
            if step % cfg.checkpoint_every == 0 or step == cfg.steps:
                save(step)
    finally:
        progress.close()
        logger.close()

    curve = plot_learning_curve(run_dir / "metrics.csv", run_dir / "learning_curve.png")
    print(f"run dir: {run_dir}")
    print(f"checkpoint: {ckpt_path}")
    print(f"metrics: {run_dir / 'metrics.csv'}  tensorboard: {run_dir / 'tensorboard'}  curve: {curve}")
