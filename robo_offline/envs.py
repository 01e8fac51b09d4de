"""Placeholder until the world lands."""


def register_envs() -> None:
    """Register the Gymnasium env ids."""
