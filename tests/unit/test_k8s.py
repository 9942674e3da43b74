"""The Kubernetes deployment (``k8s/``): both overlays render with
``kubectl kustomize``, every built-in object validates against the Kubernetes
OpenAPI schema in strict mode (``kubernetes-validate``, offline), every
container is probed, bounded and unprivileged, the references between objects
hold, the generated files are current, and Triton's GPU model configs parse
with Triton's own ModelConfig protobuf and match the catalogue and the ONNX
files."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from typing import Any

import kubernetes_validate
import pytest
import yaml
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2

from contract import catalogue
from mesh import k8s_files
from mesh.processes import REPO_ROOT

OVERLAYS = ("cpu", "gpu")
KUBERNETES_VERSION = "1.32"
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}  # prometheus-operator; no upstream schema
WORKLOADS = ("Deployment",)


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl (with kustomize) is not installed")
    out = subprocess.run(
        ["kubectl", "kustomize", str(REPO_ROOT / "k8s" / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return tuple(d for d in yaml.safe_load_all(out) if d)


def objects(overlay: str, kind: str) -> list[dict[str, Any]]:
    return [d for d in rendered(overlay) if d["kind"] == kind]


def pod_specs(overlay: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (d["metadata"]["name"], d["spec"]["template"]["spec"])
        for d in objects(overlay, "Deployment")
    ]


def test_every_folder_of_manifests_is_a_kustomization_that_renders() -> None:
    """No folder under k8s/ holds files kustomize cannot build on its own."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl (with kustomize) is not installed")
    folders = {path.parent for path in (REPO_ROOT / "k8s").rglob("*") if path.is_file()} - {
        REPO_ROOT / "k8s"
    }
    assert {f.relative_to(REPO_ROOT / "k8s").as_posix() for f in folders} == {
        "base",
        "overlays/cpu",
        "overlays/gpu",
    }
    for folder in folders:
        subprocess.run(["kubectl", "kustomize", str(folder)], check=True, capture_output=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_strictly(overlay: str) -> None:
    kinds = set()
    for doc in rendered(overlay):
        kinds.add(doc["kind"])
        if doc["kind"] in CRD_KINDS:
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds
    assert {"ConfigMap", "ServiceMonitor", "PrometheusRule"} <= kinds


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_is_probed_bounded_and_unprivileged(overlay: str) -> None:
    names = set()
    for name, spec in pod_specs(overlay):
        names.add(name)
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0, name
        assert spec.get("topologySpreadConstraints"), name
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{name}/{container['name']}"
            resources = container["resources"]
            for section in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[section]), where
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
        for container in spec["containers"]:
            assert "livenessProbe" in container and "readinessProbe" in container, name
    assert names == {"gateway", "transform-svc", "asset-svc", "triton"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_references_between_objects_hold(overlay: str) -> None:
    deployments = {d["metadata"]["name"]: d for d in objects(overlay, "Deployment")}
    services = {s["metadata"]["name"]: s for s in objects(overlay, "Service")}
    configmaps = {c["metadata"]["name"] for c in objects(overlay, "ConfigMap")}

    def selects(selector: dict[str, str], deployment: dict[str, Any]) -> bool:
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        return all(labels.get(k) == v for k, v in selector.items())

    for service in services.values():
        assert any(selects(service["spec"]["selector"], d) for d in deployments.values())
    for hpa in objects(overlay, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    for pdb in objects(overlay, "PodDisruptionBudget"):
        labels = pdb["spec"]["selector"]["matchLabels"]
        assert any(selects(labels, d) for d in deployments.values())
    for monitor in objects(overlay, "ServiceMonitor"):
        labels = monitor["spec"]["selector"]["matchLabels"]
        matching = [
            s
            for s in services.values()
            if all(s["metadata"].get("labels", {}).get(k) == v for k, v in labels.items())
        ]
        assert matching, monitor["metadata"]["name"]
        ports = {p["name"] for s in matching for p in s["spec"]["ports"]}
        assert {e["port"] for e in monitor["spec"]["endpoints"]} <= ports
    for _, spec in pod_specs(overlay):  # every ConfigMap a pod names exists (hash-suffixed)
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in configmaps
    # gRPC: transform_svc, asset_svc and Triton behind headless Services, so
    # clients resolve every pod and balance round robin (grpcutil).
    for name in ("transform-svc-headless", "asset-svc", "triton"):
        assert services[name]["spec"]["clusterIP"] == "None"
    settings = dict(
        line.split("=", 1)
        for line in (REPO_ROOT / "k8s/base/settings.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert settings["IMGMESH_TRANSFORM_ADDRESS"] == "dns:///transform-svc-headless:50051"
    assert settings["IMGMESH_TRITON_URL"].startswith("dns:///triton:")


def test_the_gpu_overlay_asks_for_a_gpu_and_the_gpu_model_configs() -> None:
    (triton,) = [d for d in objects("gpu", "Deployment") if d["metadata"]["name"] == "triton"]
    spec = triton["spec"]["template"]["spec"]
    (server,) = spec["containers"]
    assert server["image"].startswith("nvcr.io/nvidia/tritonserver:")
    assert server["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert spec["tolerations"] and spec["nodeSelector"]
    (configs,) = [
        c
        for c in objects("gpu", "ConfigMap")
        if c["metadata"]["name"].startswith("triton-gpu-model-configs")
    ]
    assert set(configs["data"]) == {f"{m.name}.pbtxt" for m in catalogue.CATALOGUE}
    assert not any(
        c["metadata"]["name"].startswith("triton-gpu") for c in objects("cpu", "ConfigMap")
    )


def test_generated_files_are_current() -> None:
    base = REPO_ROOT / "k8s" / "base"
    assert (base / "settings.env").read_text() == k8s_files.render_settings()
    assert (base / "prometheus-rules.yaml").read_text() == k8s_files.render_rules()
    for m in catalogue.CATALOGUE:
        path = REPO_ROOT / "k8s/overlays/gpu" / f"{m.name}.pbtxt"
        assert path.read_text() == catalogue.render_gpu_config(m), "python -m mesh.k8s_files"
    gpu = REPO_ROOT / "k8s/overlays/gpu"
    assert (gpu / "kustomization.yaml").read_text() == k8s_files.render_gpu_kustomization()
    listed = yaml.safe_load((gpu / "kustomization.yaml").read_text())["configMapGenerator"][0]
    assert sorted(listed["files"]) == sorted(f"{m.name}.pbtxt" for m in catalogue.CATALOGUE)
    assert {p.stem for p in gpu.glob("*.pbtxt")} == set(catalogue.MODELS), "a stale .pbtxt"


def test_the_prometheus_rule_holds_the_rule_file() -> None:
    (rule,) = objects("cpu", "PrometheusRule")
    groups = yaml.safe_load((REPO_ROOT / "monitoring/rules/imgmesh.rules.yml").read_text())
    assert rule["spec"]["groups"] == groups["groups"]


DTYPES = {1: "TYPE_FP32"}  # onnx TensorProto.FLOAT


@pytest.mark.parametrize("served", catalogue.CATALOGUE, ids=lambda m: m.name)
def test_gpu_model_config_matches_the_catalogue_and_the_onnx_file(
    served: catalogue.ServedModel,
) -> None:
    text = (REPO_ROOT / "k8s/overlays/gpu" / f"{served.name}.pbtxt").read_text()
    config = text_format.Parse(text, model_config_pb2.ModelConfig())
    assert config.name == served.name and config.backend == "onnxruntime"
    assert config.max_batch_size == served.gpu_max_batch_size
    assert config.instance_group[0].kind == model_config_pb2.ModelInstanceGroup.KIND_GPU
    assert list(config.dynamic_batching.preferred_batch_size)
    assert all(b <= config.max_batch_size for b in config.dynamic_batching.preferred_batch_size)
    assert len(config.model_warmup) == 1
    declared = {
        t.name: (model_config_pb2.DataType.Name(t.data_type), tuple(t.dims))
        for t in [*config.input, *config.output]
    }
    expected = {t.name: ("TYPE_FP32", t.dims) for t in [*served.inputs, *served.outputs]}
    assert declared == expected
    accelerators = config.optimization.execution_accelerators.gpu_execution_accelerator
    assert bool(accelerators) == served.gpu_tensorrt
    if served.gpu_tensorrt:
        assert accelerators[0].name == "tensorrt"
        assert accelerators[0].parameters["precision_mode"] == "FP16"
        assert -1 not in served.input.dims  # TensorRT gets fixed shapes only
    onnx_file = REPO_ROOT / "model_repository" / served.name / "1" / "model.onnx"
    if not onnx_file.exists():
        pytest.skip(f"{onnx_file} not built (make models)")
    import onnx

    graph = onnx.load(str(onnx_file), load_external_data=False).graph

    def shape(value: onnx.ValueInfoProto) -> tuple[str, tuple[int, ...]]:
        dims = value.type.tensor_type.shape.dim
        rest = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in dims[1:])
        assert not dims[0].HasField("dim_value"), f"{value.name}: batch dimension is fixed"
        return DTYPES.get(value.type.tensor_type.elem_type, "other"), rest

    in_onnx = {v.name: shape(v) for v in [*graph.input, *graph.output] if v.name in expected}
    assert set(in_onnx) == set(expected)
    for name, (dtype, dims) in in_onnx.items():
        want_dtype, want_dims = expected[name]
        assert dtype == want_dtype and len(dims) == len(want_dims), name
        # a dimension the ONNX file leaves symbolic may be fixed by the config
        # (Triton's onnxruntime backend accepts it); a fixed one must agree
        assert all(d in (-1, w) for d, w in zip(dims, want_dims, strict=True)), name
