"""transform_svc: the grpc.aio service that renders an EditGraph with libvips."""
