"""Local supervisor for ``make run``: a service that exits is started again
(with backoff, logging why) instead of stopping the mesh. In Kubernetes the
kubelet does this (restartPolicy: Always, CrashLoopBackOff); locally this does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mesh.processes import Mesh

# Backoff between restarts of one service: 1 s, doubling up to 30 s, back to
# 1 s once the service has stayed up for STABLE_S (the kubelet's scheme, shorter).
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
STABLE_S = 60.0


@dataclass
class _State:
    backoff_s: float = FIRST_BACKOFF_S
    next_try: float = 0.0
    started: float = field(default_factory=time.monotonic)
    restarts: int = 0


class Supervisor:
    """Watches the services of ``mesh`` and restarts any that exits.

    Args:
        mesh: a started Mesh (fixed ports, so clients reconnect by themselves).
        log: where restart reasons go.
    """

    def __init__(self, mesh: Mesh, log: Callable[[str], None] = print) -> None:
        self.mesh = mesh
        self.log = log
        self.state: dict[str, _State] = {}

    def exit_code(self, name: str) -> int | None:
        """The service's exit code, or None while it runs."""
        if name == "triton":
            proc = self.mesh.triton.process if self.mesh.triton else None
        else:
            proc = self.mesh.procs.get(name)
        return -999 if proc is None else proc.poll()

    def check(self) -> None:
        """Restart every service that has exited and whose backoff has passed."""
        now = time.monotonic()
        for name in ("triton", "transform_svc", "asset_svc", "gateway"):
            state = self.state.setdefault(name, _State())
            code = self.exit_code(name)
            if code is None:
                if now - state.started > STABLE_S:
                    state.backoff_s = FIRST_BACKOFF_S
                continue
            if now < state.next_try:
                continue
            self.log(f"{name} exited with {code}; restarting (restart {state.restarts + 1})")
            try:
                self._start(name)
                state.started = time.monotonic()
                state.restarts += 1
            except (RuntimeError, TimeoutError, OSError) as exc:
                self.log(f"{name} did not come back: {exc}; next try in {state.backoff_s:g} s")
            state.next_try = time.monotonic() + state.backoff_s
            state.backoff_s = min(state.backoff_s * 2, MAX_BACKOFF_S)

    def _start(self, name: str) -> None:
        self.mesh.procs.pop(name, None)
        if name == "triton":
            if self.mesh.triton is not None:
                self.mesh.triton.stop()
            self.mesh.start_triton()
        elif name == "transform_svc":
            self.mesh.start_transform()
        elif name == "asset_svc":
            self.mesh.start_asset()
        else:
            self.mesh.start_gateway()

    def run(self, stop: threading.Event, interval_s: float = 0.5) -> None:
        """Check every ``interval_s`` until ``stop`` is set."""
        while not stop.is_set():
            self.check()
            stop.wait(interval_s)
