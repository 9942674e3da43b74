"""Model inference for imgmesh: the Triton client, per-model pre/post-processing,
the Triton launcher and the model fetch/export steps run by ``make``."""
