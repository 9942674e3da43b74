"""Local process supervision: start Triton, transform_svc and the gateway on
127.0.0.1 (``make run``, the test fixtures and ``make bench`` share it)."""
