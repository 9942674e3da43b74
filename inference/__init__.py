"""What serving needs of models (the catalogue itself is contract/catalogue.py): the Triton
client, per-model pre/post-processing, the Triton launcher and the python-backend
model run inside Triton. Build-time fetching and conversion is ``modelbuild/``."""
