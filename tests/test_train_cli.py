"""End-to-end smoke runs of the public commands with tiny budgets: train, resume, eval, render."""
from __future__ import annotations

import csv
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

TINY_DATA = ("experiment.datasets=[{recipe:drawer_open_prior,episodes:3,weight:0.5,reward:zero},"
             "{recipe:grasp_task,episodes:3,weight:0.5,reward:sparse}]")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("minari_store")


def cli(store: Path, *args: str, check: bool = True, timeout: float = 600,
        missing: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`robo-offline *args` in a subprocess; the modules in `missing` import there as if not installed.
    It runs in its own process group, killed whole on timeout, so no launcher worker outlives it."""
    env = {**os.environ, "MINARI_DATASETS_PATH": str(store)}
    entry = ["-m", "robo_offline.commands.cli"] if not missing else \
        ["-c", f"import sys; sys.modules.update(dict.fromkeys({list(missing)!r})); "
               "from robo_offline.commands.cli import main; main()"]
    command = [sys.executable, *entry, *args]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as popen:
        try:
            stdout, stderr = popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(popen.pid, signal.SIGKILL)
            raise
    proc = subprocess.CompletedProcess(command, popen.returncode, stdout, stderr)
    if check and proc.returncode != 0:
        raise AssertionError(f"robo-offline {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def train_args(run_dir: Path, *extra: str) -> list[str]:
    return ["train", "experiment=demo", TINY_DATA, "experiment.data_workers=1", "batch_size=8",
            "eval_every=0", f"hydra.run.dir={run_dir}", *extra]


def read_rows(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def trained(store, tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("run")
    cli(store, *train_args(run_dir, "steps=6", "log_every=2", "eval_every=6", "eval_episodes=1", "checkpoint_every=3"))
    return run_dir


def test_train_writes_checkpoint_metrics_tensorboard_and_curve(trained):
    assert (trained / "checkpoints" / "last.pt").is_file()
    rows = read_rows(trained / "metrics.csv")
    assert [int(r["step"]) for r in rows] == [2, 4, 6]
    assert rows[-1]["eval/success_rate"] != ""
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(trained / "tensorboard"))
    assert (trained / "learning_curve.png").stat().st_size > 1000


def test_gpu_job_script_trains_without_pybullet_and_its_checkpoint_evaluates_back(store, trained, tmp_path):
    """The GPU side of the round trip (scripts/gpu_job.sh), here on the CPU: pybullet unimportable,
    train from the datasets `trained` generated in both observation modes (one multirun process, to
    pay for the imports once), then `eval` of the image run's checkpoint where the simulator is."""
    blocker = tmp_path / "no_pybullet"
    blocker.mkdir()
    (blocker / "pybullet.py").write_text("raise ImportError('pybullet is not installed on this machine')\n")
    out = tmp_path / "out"
    _, *overrides = train_args(tmp_path, "steps=2", "obs=state,image", f"hydra.sweep.dir={out}",
                               "hydra.sweep.subdir=${obs}")
    env = {**os.environ, "MINARI_DATASETS_PATH": str(store), "OUT": str(out), "PYTHON": sys.executable,
           "PYTHONPATH": str(blocker)}
    script = Path(__file__).resolve().parents[1] / "scripts" / "gpu_job.sh"
    proc = subprocess.run(["bash", str(script), "train", "-m", *overrides], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for obs in ("state", "image"):
        assert (out / obs / "checkpoints" / "last.pt").is_file()
    # back where the simulator is: eval prints its success line and writes the per-episode CSV
    proc = cli(store, "eval", f"checkpoint={out / 'image'}", "episodes=2", "seed=3", f"out={tmp_path / 'eval'}")
    last = proc.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"success_rate=([0-9.]+) ci95=\[([0-9.]+), ([0-9.]+)\] episodes=2", last)
    assert match, last
    rate, lo, hi = map(float, match.groups())
    assert lo <= rate <= hi
    assert len(read_rows(tmp_path / "eval" / "episodes_seed3.csv")) == 2


def test_evaluation_without_pybullet_stops_before_the_data_loads(monkeypatch):
    from robo_offline.commands.train import evaluation_env_spaces
    from robo_offline.errors import UserError

    monkeypatch.setitem(sys.modules, "pybullet", None)  # as where it is not installed
    for module in ("robo_offline.world.sim.world", "robo_offline.world.sim.bullet"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(UserError, match=r"pip install pybullet.*eval_every=0"):
        evaluation_env_spaces("robo_offline/DrawerGrasp-v1", {}, evaluate=True)
    space, _ = evaluation_env_spaces("robo_offline/DrawerGrasp-v1", {"obs_mode": "state"}, evaluate=False)
    assert space["state"].shape == (24,)


def test_render_writes_videos_and_contact_sheet(store, trained, tmp_path):
    cli(store, "render", f"checkpoint={trained / 'checkpoints' / 'last.pt'}", "episodes=1", f"out={tmp_path}")
    video = tmp_path / "episode_000.mp4"
    assert video.stat().st_size > 1000
    import cv2

    capture = cv2.VideoCapture(str(video))
    ok, frame = capture.read()
    capture.release()
    assert ok and frame.shape[1] == 2 * frame.shape[0]  # render view beside the agent's view
    assert (tmp_path / "contact_sheet.png").is_file()


def test_pretrain_features_export_and_eval_from_the_camera(store, trained, tmp_path):
    """The representation path end to end: a frozen encoder from the frames, an MLP agent on
    [proprio, features] (projected on 4 principal directions, standardized), a checkpoint that acts on camera images by itself (evaluation
    during training), and its export (the acting part only, read from the run directory) evaluated."""
    rep = tmp_path / "rep"
    cli(store, "pretrain", "experiment=demo", TINY_DATA, "experiment.data_workers=1", "representation.steps=3",
        "representation.batch_size=8", "representation.feature_dim=8", f"hydra.run.dir={rep}")
    probe = json.loads((rep / "probe.json").read_text())
    assert probe["frames"] > 0 and "drawer openings" in probe["probe_r2_held_out_episodes"]
    assert probe["alive_conv_channels"].endswith(" of 16")
    assert (rep / "reconstructions.png").is_file()
    run = tmp_path / "run"
    trained_out = cli(store, *train_args(run, "obs=features", f"representation={rep / 'encoder.pt'}",
                                         "standardize_features=true", "feature_components=4", "steps=2",
                                         "eval_every=2", "eval_episodes=1", "log_every=1",
                                         "validation.episodes=1")).stdout
    assert "the top 4 principal components keep" in trained_out and "validation: " in trained_out
    last_row = read_rows(run / "metrics.csv")[-1]
    assert last_row["eval/success_rate"] != ""
    assert math.isfinite(float(last_row["val/critic_loss"])) and math.isfinite(float(last_row["val/actor_loss"]))
    shipped = tmp_path / "policy.pt"
    cli(store, "export", f"checkpoint={run}", f"out={shipped}")
    assert shipped.stat().st_size < (run / "checkpoints" / "last.pt").stat().st_size
    last = cli(store, "eval", f"checkpoint={shipped}", "episodes=1", f"out={tmp_path / 'eval'}").stdout
    assert last.strip().splitlines()[-1].endswith("episodes=1")
    missing = cli(store, *train_args(tmp_path / "run2", "obs=features", f"representation={tmp_path / 'none.pt'}",
                                     "steps=2"), check=False)
    assert missing.returncode == 1 and "robo-offline pretrain" in missing.stderr
    too_many = cli(store, *train_args(tmp_path / "run3", "obs=features", f"representation={rep / 'encoder.pt'}",
                                      "feature_components=9", "steps=2", "eval_every=0"), check=False)
    assert too_many.returncode == 1 and "feature_components=9" in too_many.stderr
    unscaled = cli(store, *train_args(tmp_path / "run3", "obs=features", f"representation={rep / 'encoder.pt'}",
                                      "whiten_features=false", "steps=2", "eval_every=0"), check=False)
    assert unscaled.returncode == 1 and "standardize_features=true" in unscaled.stderr
    not_features = cli(store, *train_args(tmp_path / "run4", "obs=image", "feature_components=4", "steps=2"),
                       check=False)
    assert not_features.returncode == 1 and "use obs=features" in not_features.stderr
    warmed = cli(store, *train_args(tmp_path / "run5", "obs=image", f"init_encoder={rep / 'encoder.pt'}", "steps=2",
                                    "eval_every=0")).stdout
    assert "init_encoder: critic_encoder" in warmed  # pretrain, then fine-tune end to end
    not_image = cli(store, *train_args(tmp_path / "run6", "obs=features", f"representation={rep / 'encoder.pt'}",
                                       f"init_encoder={rep / 'encoder.pt'}", "steps=2", "eval_every=0"), check=False)
    assert not_image.returncode == 1 and "use obs=image" in not_image.stderr


def test_killed_run_resumes_with_identical_losses(store, tmp_path):
    steps = ["steps=30", "log_every=1", "checkpoint_every=5"]
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    env = {**os.environ, "MINARI_DATASETS_PATH": str(store)}

    def start(run_dir):
        with (tmp_path / f"{run_dir.name}.log").open("w") as log:  # a file, not a pipe nobody reads until the end
            return subprocess.Popen([sys.executable, "-m", "robo_offline.commands.cli", *train_args(run_dir, *steps)],
                                    env=env, stdout=log, stderr=log)

    straight_proc, proc = start(straight), start(killed)  # side by side: the straight run is the reference
    metrics = killed / "metrics.csv"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if metrics.exists() and len(read_rows(metrics)) >= 7:  # a checkpoint at 5 and rows beyond it
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be killed; raise steps"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert straight_proc.wait(timeout=600) == 0, (tmp_path / "straight.log").read_text()

    proc = cli(store, *train_args(killed, *steps))
    assert "resuming cql from step" in proc.stdout
    straight_rows = read_rows(straight / "metrics.csv")
    resumed_rows = read_rows(metrics)
    assert [r["step"] for r in resumed_rows] == [r["step"] for r in straight_rows]
    loss_columns = [c for c in straight_rows[0] if "loss" in c]
    assert loss_columns
    for a, b in zip(straight_rows, resumed_rows):
        assert [a[c] for c in loss_columns] == [b[c] for c in loss_columns], a["step"]


def test_validation_needs_fresh_episodes(store, tmp_path):
    """validation.seed must not regenerate the training episodes, and named datasets have no recipe to draw from."""
    same_seed = cli(store, *train_args(tmp_path / "run", "steps=1", "validation.episodes=1", "validation.seed=0"),
                    check=False)
    assert same_seed.returncode == 1 and "validation.seed=0 is the training data's seed" in same_seed.stderr
    named = cli(store, *train_args(tmp_path / "run2", "steps=1", "validation.episodes=1",
                                   "experiment.generate_missing=false",
                                   "experiment.datasets=[{dataset_id:robo_offline/DrawerGrasp/any-v1,weight:1,reward:zero}]"),
                check=False)
    assert named.returncode == 1 and "generate_missing=false" in named.stderr


def test_resuming_with_another_agent_is_refused(store, trained, tmp_path):
    import shutil

    run_dir = tmp_path / "copy"
    shutil.copytree(trained, run_dir)
    proc = cli(store, *train_args(run_dir, "agent=bc", "steps=8"), check=False)
    assert proc.returncode != 0
    assert "cannot resume" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_agent_name_is_a_clear_error(store, tmp_path):
    proc = cli(store, *train_args(tmp_path / "r", "agent=nosuch", "steps=2"), check=False)
    assert proc.returncode != 0
    assert "nosuch" in proc.stderr and "cql" in proc.stderr


def test_corrupt_or_missing_checkpoint_is_a_clear_error(store, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    for path in (bad, tmp_path / "missing.pt"):
        proc = cli(store, "eval", f"checkpoint={path}", "episodes=1", check=False)
        assert proc.returncode == 1, proc.stderr
        assert "error:" in proc.stderr and "Traceback" not in proc.stderr


def test_env_image_size_must_match_data(store, tmp_path):
    proc = cli(store, *train_args(tmp_path / "r", "steps=2", "+experiment.env_kwargs.image_size=64"), check=False)
    assert proc.returncode == 1
    assert "image_size" in proc.stderr and "Traceback" not in proc.stderr


def test_eval_from_another_start_state_and_bad_env_kwargs(store, trained, tmp_path):
    checkpoint = f"checkpoint={trained / 'checkpoints' / 'last.pt'}"
    proc = cli(store, "eval", checkpoint, "episodes=1", "start=open", f"out={tmp_path}")
    assert "'start': 'open'" in proc.stdout
    assert (tmp_path / "episodes_seed0_start-open.csv").is_file()
    proc = cli(store, "eval", checkpoint, "episodes=1", "+env_kwargs.start=bogus", check=False)  # the long form
    assert proc.returncode == 1
    assert "cannot make env" in proc.stderr and "Traceback" not in proc.stderr


def test_multirun_sweeps_agents_into_their_own_dirs(store, tmp_path):
    proc = cli(store, "train", "-m", "experiment=demo", TINY_DATA, "experiment.data_workers=1", "agent=cql,bc",
               "steps=2", "eval_every=0", "batch_size=8", f"hydra.sweep.dir={tmp_path}")
    assert proc.returncode == 0
    for agent in ("cql", "bc"):
        assert (tmp_path / agent / "seed0" / "checkpoints" / "last.pt").is_file()


@pytest.mark.slow  # 28 s of the 360 the fast suite may take; the plain multirun test above stays in it
def test_joblib_sweep_runs_seeds_in_parallel_resumes_in_place_and_feeds_results(store, tmp_path):
    """`train -m hydra/launcher=joblib`: two seeds in two worker processes, each in the dir its single
    run uses, so a job finds the checkpoint an earlier attempt left there (a requeued SLURM job
    likewise) and resumes; `results` reads the sweep's dir as a root."""
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    sweep = tmp_path / "demo"
    budget = ["agent=bc", "batch_size=8", "log_every=2", "eval_every=2", "eval_episodes=1"]
    cli(store, *train_args(sweep / "bc" / "seed0", *budget, "seed=0", "steps=2"))  # as if preempted at step 2
    proc = cli(store, "train", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "experiment=demo", TINY_DATA,
               "experiment.data_workers=1", *budget, "seed=0,1", "threads=1", "steps=4", f"hydra.sweep.dir={sweep}")
    assert proc.stdout.count("resuming bc from step 2") == 1, proc.stdout
    for seed in (0, 1):
        run_dir = sweep / "bc" / f"seed{seed}"
        assert (run_dir / "checkpoints" / "last.pt").is_file()
        assert [int(r["step"]) for r in read_rows(run_dir / "metrics.csv")] == [2, 4]

    proc = cli(store, "results", f"roots=[{sweep}]", f"out={tmp_path / 'table'}")
    assert re.search(r"^\| demo \| bc \| 4 \| [0-9.]+ ± [0-9.]+ \([0-9.]+, [0-9.]+\) \|$", proc.stdout, re.M), proc.stdout
    per_seed = json.loads((tmp_path / "table" / "results.json").read_text())["demo/bc"]["final eval"]
    assert sorted(per_seed) == ["0", "1"]


def test_non_finite_loss_stops_saves_and_reports_the_step(store, tmp_path):
    run_dir = tmp_path / "nan"
    proc = cli(store, *train_args(run_dir, "agent=bc", "agent.actor_lr=1e30", "steps=20", "log_every=1"), check=False)
    assert proc.returncode == 1
    assert "non-finite" in proc.stderr and "Traceback" not in proc.stderr
    step = int(re.search(r"at step (\d+)", proc.stderr).group(1))
    assert (run_dir / "checkpoints" / f"nonfinite_step{step}.pt").is_file()
    assert not (run_dir / "checkpoints" / "last.pt").exists()


def test_qtrace_follows_the_skill_and_the_policy(store, trained, tmp_path):
    ckpt = trained / "checkpoints" / "last.pt"
    cli(store, "qtrace", f"checkpoint={ckpt}", "skill=open_drawer_grasp", "every=1000", f"out={tmp_path}")
    rows = read_rows(tmp_path / "trace_seed0.csv")
    script = [r for r in rows if r["rollout"] == "open_drawer_grasp"]
    policy = [r for r in rows if r["rollout"] == "policy"]
    assert script and policy and len(script) + len(policy) == len(rows)
    assert all(math.isfinite(float(r[k])) for r in rows for k in ("q_taken", "q_policy"))
    assert all(r["q_taken"] == r["q_policy"] for r in policy)  # the policy's rollout takes the policy's action
    assert max(float(r["drawer_top"]) for r in script) > 0.1  # the scripted chain, not the 6-step policy, opens it
    # the gripper's offset from the object closes in as the script grasps it
    offsets = [math.hypot(*(float(x) for x in r["gripper_to_object"].split())) for r in script]
    assert min(offsets) < 0.05 < offsets[0]
    bad = cli(store, "qtrace", f"checkpoint={ckpt}", "skill=fly", check=False)
    assert bad.returncode == 1 and "skill='fly'" in bad.stderr
    # a run directory, another start without Hydra's `+`, and the default output beside the run
    cli(store, "qtrace", f"checkpoint={trained}", "start=open", "every=1000")
    assert read_rows(trained / "qtrace" / "trace_seed0.csv")


TINY_PLAY = "experiment.datasets=[{recipe:play,episodes:3,weight:1.0,reward:none}]"


def test_goal_reaching_trains_and_evaluates_per_goal_family(store, tmp_path):
    """A tiny gcql run on play data (obs=state), evaluated on GoalReach goals split over the families."""
    run_dir = tmp_path / "gcql"
    cli(store, "train", "experiment=goal_reach_state", TINY_PLAY, "experiment.data_workers=1", "agent=gcql",
        "agent.q_hidden=[16]", "agent.actor_hidden=[16]", "batch_size=8", "steps=4", "log_every=2", "eval_every=4",
        "eval_episodes=3", f"hydra.run.dir={run_dir}")
    row = read_rows(run_dir / "metrics.csv")[-1]
    assert {"eval/success_drawer", "eval/success_object", "eval/success_both"} <= set(row)
    assert all(row[f"eval/success_{f}"] in ("0", "1") for f in ("drawer", "object", "both"))
    proc = cli(store, "eval", f"checkpoint={run_dir}", "episodes=3", f"out={tmp_path / 'eval'}")
    lines = proc.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines[-4:-1]] == ["family=drawer", "family=object", "family=both"]
    assert re.fullmatch(r"success_rate=[0-9.]+ ci95=\[[0-9., ]+\] episodes=3", lines[-1])
    assert [r["family"] for r in read_rows(tmp_path / "eval" / "episodes_seed0.csv")] == ["drawer", "object", "both"]
    ensemble = cli(store, "eval", f"checkpoint=['{run_dir}','{run_dir}']", "episodes=3", "act_samples=4",
                   f"out={tmp_path / 'ensemble'}").stdout  # two copies of one policy: robo_offline.ensemble
    assert "(2 policies as one" in ensemble and ensemble.strip().splitlines()[-1].startswith("success_rate=")
    assert len(read_rows(tmp_path / "ensemble" / "episodes_seed0_act_samples-4.csv")) == 3
    import cv2

    from robo_offline.agent_io import agent_from_checkpoint
    from robo_offline.commands.render import record_episodes

    agent, payload = agent_from_checkpoint(run_dir, device="cpu")  # render's own path, without a third process
    videos = record_episodes(agent, payload["env_id"], payload["env_kwargs"], 1, 0, tmp_path / "video", view_size=64)
    video = cv2.VideoCapture(str(videos["videos"][0]))
    assert int(video.get(cv2.CAP_PROP_FRAME_WIDTH)) == 2 * 64  # the rollout, and the goal beside it
    video.release()
    card = (store / "robo_offline" / "GoalReach" / "play_3ep-v2" / "card.md").read_text()
    assert re.search(r"goal families the episodes show .* \| drawer [0-9.]+%, object [0-9.]+%, both [0-9.]+% \|", card)


def test_goal_reaching_trains_on_play_and_cog_data(store, tmp_path):
    """experiment=goal_reach_state_cog: COG prior data beside the play data, judged by GoalReach's rule."""
    run_dir = tmp_path / "gcql_cog"
    tiny = ("experiment.datasets=[{role:play,recipe:play,episodes:3,weight:0.5,reward:none},"
            "{role:cog,recipe:drawer_open_prior,episodes:2,weight:0.5,reward:none,max_episode_steps:8}]")
    cli(store, "train", "experiment=goal_reach_state_cog", tiny, "experiment.data_workers=1", "agent=gcql",
        "agent.q_hidden=[16]", "agent.actor_hidden=[16]", "batch_size=8", "steps=2", "log_every=1", "eval_every=0",
        f"hydra.run.dir={run_dir}")
    row = read_rows(run_dir / "metrics.csv")[-1]
    assert math.isfinite(float(row["td_loss"])) and 0 < float(row["reached"]) < 1
    bad = cli(store, "train", "experiment=goal_reach_state_cog", tiny, "experiment.data_workers=1", "agent=gcql",
              "~experiment.goal_rule", "steps=1", f"hydra.run.dir={tmp_path / 'no_rule'}", check=False)
    assert bad.returncode == 1 and "store achieved goals and" in bad.stderr


def test_oracle_goal_trains_on_frames_and_evaluates_from_the_camera(store, tmp_path):
    """oracle_goal=true (a diagnostic): camera features beside the goal scene's privileged vector,
    in training and in the evaluation env; with oracle_state=true the observation's proprio state is
    the privileged one too, and with a list of groups only those columns of it. Both need obs=features."""
    rep, run = tmp_path / "rep", tmp_path / "oracle"
    cli(store, "pretrain", "experiment=goal_reach", TINY_PLAY, "experiment.data_workers=1", "representation.steps=2",
        "representation.batch_size=8", "representation.feature_dim=8", f"hydra.run.dir={rep}")
    cli(store, "train", "experiment=goal_reach_features", TINY_PLAY, "experiment.data_workers=1", "agent=gcbc",
        f"representation={rep / 'encoder.pt'}", "feature_components=null", "oracle_goal=true", "agent.actor_hidden=[16]",
        "batch_size=8", "steps=2", "log_every=1", "eval_every=2", "eval_episodes=3", f"hydra.run.dir={run}")
    row = read_rows(run / "metrics.csv")[-1]
    assert all(row[f"eval/success_{f}"] in ("0", "1") for f in ("drawer", "object", "both"))
    from robo_offline.checkpoint import load_checkpoint

    payload = load_checkpoint(run / "checkpoints" / "last.pt")
    assert payload["env_kwargs"]["goal_vector"] and payload["representation"]["oracle_goal"]["mean"].shape == (5,)
    both = tmp_path / "oracle_both"  # oracle_state: the privileged state beside the frame's features
    cli(store, "train", "experiment=goal_reach_features", TINY_PLAY, "experiment.data_workers=1", "agent=gcbc",
        f"representation={rep / 'encoder.pt'}", "feature_components=null", "oracle_goal=true", "oracle_state=true",
        "agent.actor_hidden=[16]", "batch_size=8", "steps=2", "log_every=1", "eval_every=2", "eval_episodes=3",
        f"hydra.run.dir={both}")
    payload = load_checkpoint(both / "checkpoints" / "last.pt")
    assert payload["env_kwargs"]["obs_mode"] == "image_privileged" and payload["state_dim"] == 24 + 8
    assert read_rows(both / "metrics.csv")[-1]["eval/success_rate"] != ""
    some = tmp_path / "oracle_some"  # oracle_state=[groups]: the robot's columns and the named groups only
    cli(store, "train", "experiment=goal_reach_features", TINY_PLAY, "experiment.data_workers=1", "agent=gcbc",
        f"representation={rep / 'encoder.pt'}", "feature_components=null", "oracle_state=[object,held]",
        "agent.actor_hidden=[16]", "batch_size=8", "steps=2", "log_every=1", "eval_every=2", "eval_episodes=3",
        f"hydra.run.dir={some}")
    payload = load_checkpoint(some / "checkpoints" / "last.pt")
    assert payload["representation"]["state_mask"].nonzero().flatten().tolist() == [*range(7), 9, 10, 11, 12]
    assert read_rows(some / "metrics.csv")[-1]["eval/success_rate"] != ""
    unknown = cli(store, "train", "experiment=goal_reach_features", TINY_PLAY, "oracle_state=[lid]", "steps=1",
                  f"representation={rep / 'encoder.pt'}", f"hydra.run.dir={tmp_path / 'unknown'}", check=False)
    assert unknown.returncode == 1 and "unknown privileged state groups ['lid']" in unknown.stderr
    bad = cli(store, "train", "experiment=goal_reach_state", TINY_PLAY, "oracle_goal=true", "steps=1",
              f"hydra.run.dir={tmp_path / 'bad'}", check=False)
    assert bad.returncode == 1 and "use obs=features" in bad.stderr


def test_proprio_history_and_rest_goals_train_validate_and_evaluate_from_the_camera(store, tmp_path):
    """proprio_history=1: the agent trains on [proprio, features, last step's proprio], validation data
    gets the same columns, the checkpoint acts from the camera, and resuming the run with another
    history is refused. rest_goals=true rides along (its sampling: test_buffer); an agent that takes
    no goals refuses it."""
    rep, run = tmp_path / "rep", tmp_path / "history"
    cli(store, "pretrain", "experiment=goal_reach", TINY_PLAY, "experiment.data_workers=1", "representation.steps=2",
        "representation.batch_size=8", "representation.feature_dim=8", f"hydra.run.dir={rep}")
    common = ["experiment=goal_reach_features", TINY_PLAY, "experiment.data_workers=1", "agent=gcbc",
              f"representation={rep / 'encoder.pt'}", "feature_components=null", "agent.actor_hidden=[16]",
              "batch_size=8", "log_every=1", f"hydra.run.dir={run}"]
    cli(store, "train", *common, "proprio_history=1", "rest_goals=true", "steps=2", "eval_every=2",
        "eval_episodes=3", "validation.episodes=2")
    row = read_rows(run / "metrics.csv")[-1]
    assert row["eval/success_rate"] != "" and row["val/actor_loss"] != ""
    from robo_offline.checkpoint import load_checkpoint

    payload = load_checkpoint(run / "checkpoints" / "last.pt")
    assert payload["state_dim"] == 6 + 8 + 6 and payload["representation"]["proprio_history"] == 1
    proc = cli(store, "eval", f"checkpoint={run}", "episodes=3", f"out={tmp_path / 'eval'}")
    assert proc.stdout.strip().splitlines()[-1].startswith("success_rate=")
    other = cli(store, "train", *common, "proprio_history=2", "steps=4", check=False)
    assert other.returncode == 1 and "proprio_history differ" in other.stderr
    no_goals = cli(store, "train", "experiment=goal_reach_state", TINY_PLAY, "agent=bc", "rest_goals=true", "steps=1",
                   f"hydra.run.dir={tmp_path / 'bc'}", check=False)
    assert no_goals.returncode == 1 and "agent=bc takes none" in no_goals.stderr


def test_rest_goals_read_the_gripper_command_of_the_state_the_data_gives():
    """rest_goals: the frames with the gripper commanded open, column 5 of the 6-d proprio state
    (obs=image, obs=features) and column 6 of the privileged state (obs=state, oracle_state)."""
    from omegaconf import OmegaConf

    from robo_offline.commands.train import restrict_to_rest_goals

    class Flags:
        def restrict_goals(self, eligible):
            self.eligible = eligible

    states = torch.zeros(4, 24)
    states[[1, 2], 5] = 1.0  # the proprio command column
    states[[2, 3], 6] = 1.0  # the privileged one
    for obs, oracle, closed in [("features", False, [1, 2]), ("image", False, [1, 2]), ("state", False, [2, 3]),
                                ("features", True, [2, 3])]:
        buffer = Flags()
        buffer.states = states
        restrict_to_rest_goals(OmegaConf.create({"obs": obs, "oracle_state": oracle}), buffer)
        assert (~buffer.eligible).nonzero().flatten().tolist() == closed


def test_oracle_state_groups_choose_the_data_and_the_mask():
    """oracle_state: off reads the proprio state; true the whole privileged state; a list of groups
    the privileged state masked to the robot's columns and those groups; `[]` (the ablation's
    control) the robot's columns alone, not the proprio state."""
    from omegaconf import OmegaConf

    from robo_offline.commands.train import data_obs_mode, oracle_state_mask

    def cfg(value):
        return OmegaConf.create({"obs": "features", "oracle_state": value})

    assert [data_obs_mode(cfg(v)) for v in (False, True, [], ["held"])] == ["image", *["image_privileged"] * 3]
    assert oracle_state_mask(cfg(True)) is None and oracle_state_mask(cfg(False)) is None
    assert oracle_state_mask(cfg([])).nonzero().flatten().tolist() == list(range(7))
    assert oracle_state_mask(cfg(["held"])).nonzero().flatten().tolist() == [*range(7), 12]


def test_hand_camera_features_train_and_evaluate(store, tmp_path):
    """goal_reach_wrist_features: pretrain a frame + hand-camera encoder on play_wrist data, train on
    [proprio, frame features, hand-camera features], and evaluate in an env that observes the hand
    camera; its video shows the hand camera too. That encoder on data without hand-camera pictures
    is refused with the fix."""
    tiny = "experiment.datasets=[{recipe:play_wrist,episodes:3,weight:1.0,reward:none}]"
    rep, run = tmp_path / "rep", tmp_path / "wrist"
    cli(store, "pretrain", "experiment=goal_reach_wrist_features", tiny, "experiment.data_workers=1",
        "representation.objective=goal_action", "representation.steps=2", "representation.batch_size=8",
        "representation.feature_dim=8", "representation.wrist_features=4", f"hydra.run.dir={rep}")
    probe = json.loads((rep / "probe.json").read_text())
    assert "probe_r2_frame_features_only" in probe
    cli(store, "train", "experiment=goal_reach_wrist_features", tiny, "experiment.data_workers=1", "agent=gcbc",
        f"representation={rep / 'encoder.pt'}", "feature_components=null", "agent.actor_hidden=[16]",
        "batch_size=8", "steps=2", "log_every=1", "eval_every=2", "eval_episodes=3", f"hydra.run.dir={run}")
    assert read_rows(run / "metrics.csv")[-1]["eval/success_rate"] != ""
    from robo_offline.checkpoint import load_checkpoint

    payload = load_checkpoint(run / "checkpoints" / "last.pt")
    assert payload["env_kwargs"]["wrist_camera"] and payload["state_dim"] == 6 + 8 + 4
    cli(store, "render", f"checkpoint={run}", "episodes=1", "view_size=64", f"out={tmp_path / 'videos'}")
    import cv2

    capture = cv2.VideoCapture(str(tmp_path / "videos" / "episode_000.mp4"))
    ok, frame = capture.read()
    capture.release()
    assert ok and frame.shape[1] == 4 * frame.shape[0]  # render view, goal, the agent's frame and hand camera
    bad = cli(store, "train", "experiment=goal_reach_features", TINY_PLAY, "experiment.data_workers=1",
              f"representation={rep / 'encoder.pt'}", "feature_components=null", "steps=1",
              f"hydra.run.dir={tmp_path / 'bad'}", check=False)
    assert bad.returncode == 1 and "reads a hand camera, the data has none" in bad.stderr


def test_evaluation_goals_are_states_the_play_data_never_visited(store, monkeypatch):
    """Goals come from the env's own draws at the evaluation seeds, disjoint from the data's."""
    import gymnasium as gym
    import minari
    import numpy as np

    from robo_offline.evaluation import evaluation_seeds
    from robo_offline.data.writer import episode_seed

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(store))
    dataset = minari.load_dataset("robo_offline/GoalReach/play_3ep-v2")  # written by the test above
    visited = np.concatenate([ep.infos["achieved_goal"] for ep in dataset.iterate_episodes()])
    seeds = evaluation_seeds(0, 6)
    assert not set(seeds) & {episode_seed(0, i) for i in range(dataset.total_episodes)}
    env = gym.make("robo_offline/GoalReach-v1", obs_mode="state", family="both")
    for seed in seeds:
        goal = env.reset(seed=seed)[1]["desired_goal"]
        assert np.abs(visited - goal).max(axis=1).min() > 1e-4
    env.close()
