"""Data layer: Minari dataset generation (parallel, resumable) and the on-device replay buffer.

    from robo_offline.data import generate_dataset, ensure_dataset, load_buffer
    dataset_id = ensure_dataset("drawer_open_prior", episodes=100, seed=0, workers=2)
    buffer = load_buffer([{"dataset_id": dataset_id, "weight": 1.0, "reward": "none"}], device="cuda")
    batch = buffer.sample(256)                     # docs/interfaces.md batch format
    gc_batch = buffer.sample_goal_conditioned(256, strategy={"future": 0.8, "random": 0.2})
"""
from robo_offline.data.buffer import REWARD_MODES, ReplayBuffer, load_buffer, split_counts
from robo_offline.data.reader import minari_dataset, read_episodes
from robo_offline.data.recipes import available_recipes, dataset_id_for, load_recipe
from robo_offline.data.writer import episode_seed, ensure_dataset, generate_dataset

__all__ = [
    "REWARD_MODES", "ReplayBuffer", "available_recipes", "dataset_id_for", "ensure_dataset", "episode_seed",
    "generate_dataset", "load_buffer", "load_recipe", "minari_dataset", "read_episodes", "split_counts",
]
