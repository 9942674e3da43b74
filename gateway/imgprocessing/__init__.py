"""img-processing's Images API (``/v1/images``, seed 003), translated into asset_svc calls."""
