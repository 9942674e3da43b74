"""``make run``: start the mesh on the default ports, print example URLs, and
stop all three services cleanly on Ctrl-C."""

from __future__ import annotations

import signal
import time

from gateway.photoroom.auth import DEV_KEY
from mesh.processes import Mesh, Ports

EXAMPLES = (
    "/photos/coffee.png?tr=w-400,h-300,fo-auto,f-webp",
    "/photos/astronaut.png?tr=e-bgremove,w-512",
    "/tr:w-300,h-300,cm-pad_resize,bg-F3F3F3/photos/chelsea.png",
)


def main() -> None:
    mesh = Mesh(ports=Ports.defaults())
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print("starting Triton, transform_svc and gateway (logs in build/logs/) ...", flush=True)
    mesh.start()
    try:
        print("imgmesh is up. Try:")
        for path in EXAMPLES:
            print(f"  {mesh.gateway_url}{path}")
        print(
            f"Photoroom-style API (development key {DEV_KEY}):\n"
            f"  curl -H 'x-api-key: {DEV_KEY}' -F imageFile=@samples/photos/astronaut.png "
            f"-F background.color=FFFFFF -F outputSize=1000x1000 -F padding=0.1 "
            f"{mesh.gateway_url}/v2/edit -o out.png"
        )
        print(
            f"metrics: {mesh.gateway_url}/metrics, http://127.0.0.1:{mesh.ports.transform_metrics}"
            f"/metrics, {mesh.triton_metrics_url}"
        )
        print("Ctrl-C stops all three.", flush=True)
        while not stopping:
            for name, proc in mesh.procs.items():
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; see build/logs/{name}.log")
                    stopping = True
            time.sleep(0.5)
    finally:
        print("stopping ...", flush=True)
        mesh.stop()


if __name__ == "__main__":
    main()
