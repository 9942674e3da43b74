"""RSS of process trees sampled in a background thread, for the benchmarks
and soaks (one sampler, so every table measures memory the same way)."""

from __future__ import annotations

import threading
import time

from mesh.processes import tree_rss_mb


class RssSampler:
    """Samples the RSS of process trees (a process and its children, MB)
    every ``every_s`` s while the ``with`` block runs.

    Attributes:
        series: per name, ``(seconds since start, MB)`` for every sample.
    """

    def __init__(self, pids: dict[str, int], every_s: float = 0.2) -> None:
        self.pids = pids
        self.every_s = every_s
        self.series: dict[str, list[tuple[float, float]]] = {name: [] for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.series[name].append((time.monotonic() - start, tree_rss_mb(pid)))
            self._stop.wait(self.every_s)

    def mb(self, name: str) -> list[float]:
        """``name``'s samples, MB, oldest first."""
        return [mb for _, mb in self.series[name]]

    @property
    def peak(self) -> dict[str, float]:
        """The largest sample per name, MB (0 before the first)."""
        return {name: max(self.mb(name), default=0.0) for name in self.pids}

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
