"""Networks shared by the agents: conv encoders, Q ensembles, policies."""
from robo_offline.nets.encoders import ENCODERS, ConvEncoder, StateOnlyEncoder, image_to_float, make_encoder
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
    "GaussianPolicy", "QEnsemble", "StateOnlyEncoder", "ValueHead", "image_to_float", "make_encoder",
    "obs_to_batch",
]
