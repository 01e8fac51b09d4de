"""Shared pieces of the benchmark sections: how a figure is recorded and which machine ran it."""
from __future__ import annotations

import os
import platform


def cpu_device() -> str:
    return f"cpu: {os.cpu_count()} cores, {platform.machine()}"


def figure(name: str, value: float, unit: str, device: str, command: str = "make bench") -> dict:
    return {"name": name, "value": float(value), "unit": unit, "device": device, "command": command}
