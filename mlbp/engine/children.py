"""Child processes that die with their parent.

A pipeline killed during `serve_check` left its smoke server listening forever: nothing tells a
child that its parent is gone. On Linux the child asks the kernel for a signal when its parent
dies (`prctl(PR_SET_PDEATHSIG)`). It is armed by the child itself, first thing, rather than in a
`preexec_fn` (unsafe when the parent has threads): the parent passes its pid in the environment,
and the child checks it is still that parent's child after arming, so a parent that died in
between is noticed too. Elsewhere (no prctl) arming does nothing.
"""

from __future__ import annotations

import os
import signal
import sys

ENV = "MLBP_PARENT_PID"
PR_SET_PDEATHSIG = 1


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child that should die with this process."""
    return {**(os.environ if env is None else env), ENV: str(os.getpid())}


def arm(sig: int = signal.SIGKILL) -> bool:
    """In the child: be sent `sig` when the parent that started us dies; exit now if it already
    has. Returns whether the kernel was asked (Linux, started through child_env)."""
    parent = os.environ.get(ENV)
    if not parent or not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if os.getppid() != int(parent):  # the parent died before we armed: nobody is left to signal us
        os._exit(1)
    return True
