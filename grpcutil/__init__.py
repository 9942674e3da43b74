"""What every gRPC server and client of the mesh shares: channel and server
options (:mod:`grpcutil.channels`), serving with health checks and a drain
(:mod:`grpcutil.serving`), and the request deadline (:mod:`grpcutil.deadline`)."""
