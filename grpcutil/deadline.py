"""The request deadline every service honours.

``DEADLINE`` holds the ``time.monotonic()`` by which the current request must
finish. transform_svc's gRPC server sets it from the call's deadline; the
tasks a render creates inherit it, so a Triton call or a worker render never
outlives the HTTP request that asked for it.
"""

from __future__ import annotations

from contextvars import ContextVar

DEADLINE: ContextVar[float | None] = ContextVar("imgmesh_deadline", default=None)
