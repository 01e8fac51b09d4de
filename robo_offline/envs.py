"""Gymnasium environments of robo_offline (work in progress: registration lands shortly)."""
from __future__ import annotations


def register_envs() -> None:
    """Register the `robo_offline/<Task>-v0` ids (filled in by the world's author)."""
    return None
