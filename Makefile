# imgmesh: `make run` sets everything up and serves; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
PROTOS := $(wildcard protos/imgmesh/v1/*.proto)
# The served model files, from the model catalogue (standard library only).
MODELS := $(shell $(PYTHON) -m contract.catalogue)
# Triton's config.pbtxt and model.py link per model, written from the catalogue.
REPOSITORY := model_repository/.written
SAMPLES := images/photos/.fetched

.PHONY: setup run monitor test test-unit test-deps monitor-deps bench soak quality lint protos models samples verify-models k8s-files images clean

setup: $(STAMP) gen/.stamp $(REPOSITORY) $(MODELS) $(SAMPLES)

# Virtual environment with pinned dependencies; a .pth puts the repo root and
# the generated stubs on sys.path for every process started from this venv.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --prefer-binary -r requirements.txt
	printf '%s\n%s\n' "$(CURDIR)" "$(CURDIR)/gen" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/imgmesh.pth"
	touch $@

protos: gen/.stamp
gen/.stamp: $(STAMP) $(PROTOS)
	rm -rf gen && mkdir -p gen
	$(PY) -m grpc_tools.protoc -Iprotos --python_out=gen --pyi_out=gen --grpc_python_out=gen $(PROTOS)
	touch $@

models: $(REPOSITORY) $(MODELS)
$(REPOSITORY): contract/catalogue.py
	$(PYTHON) -m contract.catalogue repository model_repository
	touch $@
$(MODELS) &: $(STAMP) modelbuild/fetch_models.py modelbuild/onnx_batch.py modelbuild/darknet_onnx.py modelbuild/ncnn_onnx.py | $(REPOSITORY)
	$(PY) -m modelbuild.fetch_models --force

samples: $(SAMPLES)
$(SAMPLES): $(STAMP)
	$(PY) -m mesh.fetch_samples
	touch $@

# Independent check of the darknet -> ONNX conversion with OpenCV's importer,
# in its own venv (OpenCV is not a service dependency).
verify-models: setup
	test -x .venv-verify/bin/python || $(PYTHON) -m venv .venv-verify
	.venv-verify/bin/pip install -q "opencv-python-headless<5" onnxruntime onnx "numpy<2" ncnn pyvips pyvips-binary
	PYTHONPATH=$(CURDIR) .venv-verify/bin/python -m modelbuild.verify_darknet
	PYTHONPATH=$(CURDIR) .venv-verify/bin/python -m modelbuild.verify_ncnn

run: setup
	$(PY) -m mesh

# The mesh plus a real Prometheus on 127.0.0.1:9090 with the project's rules.
monitor: setup monitor-deps
	$(PY) -m mesh.monitor

# Prometheus and promtool (Debian package), for make monitor and the monitoring tests.
monitor-deps:
	command -v prometheus >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; } || echo "prometheus unavailable: the monitoring tests will be skipped"

# The shared result-cache test needs a Redis-compatible server (Debian package);
# the monitoring tests need Prometheus.
test-deps: monitor-deps
	command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; } || echo "redis-server unavailable: the Redis cache test will be skipped"
	command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; } || echo "chromium unavailable: the console's browser tests will be skipped"

# The import rules of docs/architecture.md (pyproject.toml [tool.importlinter]) first.
test: setup test-deps
	$(BIN)/lint-imports --no-cache
	$(PY) -m pytest -q tests

# Unit tests only (no services): seconds.
test-unit: setup
	$(PY) -m pytest -q tests/unit

bench: setup
	$(PY) -m bench

# Cut-out quality (IoU, MAE, boundary F) per category, service vs rembg-style baselines.
quality: setup
	$(PY) -m bench.quality

# 2 minutes of mixed load at concurrency 16 with each service's RSS sampled.
soak: setup
	$(PY) -m bench.soak
	$(PY) -m bench.soak_jobs

# Regenerate k8s/'s generated files (settings ConfigMap, PrometheusRule, GPU model configs).
k8s-files: setup
	$(PY) -m mesh.k8s_files

# Container images (needs a Docker daemon); see k8s/README.md to push and deploy.
IMAGE ?= imgmesh
TAG   ?= 0.1.0
images:
	docker build -t $(IMAGE):$(TAG) .
	docker build --target models -t $(IMAGE)-models:$(TAG) .

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf gen build $(MODELS)  # never images/ or state/: users' files and uploads
