"""``make run``: start the mesh on the default ports, print example URLs, and
stop all the services cleanly on Ctrl-C."""

from __future__ import annotations

import signal
import threading

from gateway.accounts import DEV_KEY
from mesh.processes import Mesh, Ports
from mesh.supervisor import Supervisor

EXAMPLES = (
    "/photos/coffee.png?tr=w-400,h-300,fo-auto,f-webp",
    "/photos/astronaut.png?tr=e-bgremove,w-512",
    "/tr:w-300,h-300,cm-pad_resize,bg-F3F3F3/photos/chelsea.png",
)


def main() -> None:
    mesh = Mesh(ports=Ports.defaults())
    stopping = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print(
        "starting Triton, transform_svc, asset_svc and gateway (logs in build/logs/) ...",
        flush=True,
    )
    mesh.start()
    try:
        print("imgmesh is up. Try:")
        for path in EXAMPLES:
            print(f"  {mesh.gateway_url}{path}")
        print(
            f"Photoroom-style API (development key {DEV_KEY}):\n"
            f"  curl -H 'x-api-key: {DEV_KEY}' -F imageFile=@images/photos/astronaut.png "
            f"-F background.color=FFFFFF -F outputSize=1000x1000 -F padding=0.1 "
            f"{mesh.gateway_url}/v2/edit -o /tmp/out.png"
        )
        print(
            f"Media library (ImageKit's SDK: ImageKit(private_key='{DEV_KEY}', "
            f"base_url='{mesh.gateway_url}')):\n"
            f"  curl -u {DEV_KEY}: -F file=@images/photos/chelsea.png -F fileName=cat.png "
            f"{mesh.gateway_url}/api/v1/files/upload\n"
            f"  then {mesh.gateway_url}/dev/cat_<suffix>.png?tr=w-200 (the url it returns)"
        )
        print(f"Web console: {mesh.gateway_url}/console (API key {DEV_KEY})")
        print(
            f"metrics: {mesh.gateway_url}/metrics, http://127.0.0.1:{mesh.ports.transform_metrics}"
            f"/metrics, {mesh.triton_metrics_url}"
        )
        print("Ctrl-C stops them all; a service that exits is restarted.", flush=True)
        Supervisor(mesh, log=lambda line: print(line + " (logs in build/logs/)", flush=True)).run(
            stopping
        )
    finally:
        print("stopping ...", flush=True)
        mesh.stop()


if __name__ == "__main__":
    main()
