"""The one import of pybullet (`from robo_offline.world.sim.bullet import pybullet as p`).

pybullet's C code writes "pybullet build time: <date>" to stderr (fd 2, measured with 3.2.7) when
it is imported, once in every process, data-generation workers included: that line is sent to
/dev/null here. Only robo_offline.world.sim.world imports this module, so nothing else needs pybullet:
training from existing datasets runs where it is not installed, and making an env there raises a
UserError that names the fix.
"""
from __future__ import annotations

import os
import sys

from robo_offline.errors import UserError


def _import_without_banner():
    """`import pybullet` with fd 2 pointed at /dev/null, and restored even when the import fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import pybullet

        return pybullet
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


try:
    pybullet = _import_without_banner()
except ImportError as err:
    raise UserError(
        f"the simulator is not available ({err}): environments (evaluation, rendering, data generation) "
        "need pybullet; install it with `pip install pybullet==3.2.7`, or train from existing datasets "
        "with eval_every=0") from None
