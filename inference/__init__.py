"""What serving needs of models: the catalogue of served models, the Triton
client, per-model pre/post-processing, the Triton launcher and the python-backend
model run inside Triton. Build-time fetching and conversion is ``modelbuild/``."""
