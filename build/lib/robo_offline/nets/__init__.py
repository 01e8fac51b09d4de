"""Networks shared by the agents: conv encoders, Q ensembles, policies, augmentation."""
from robo_offline.nets.augment import random_shift
from robo_offline.nets.encoders import ENCODERS, ConvEncoder, image_to_float
from robo_offline.nets.heads import (
    DeterministicPolicy,
    EnsembleLinear,
    EnsembleMLP,
    GaussianPolicy,
    QEnsemble,
    ValueHead,
)
from robo_offline.nets.obs import obs_to_batch

__all__ = [
    "ENCODERS", "ConvEncoder", "DeterministicPolicy", "EnsembleLinear", "EnsembleMLP",
    "GaussianPolicy", "QEnsemble", "ValueHead", "image_to_float", "obs_to_batch", "random_shift",
]
