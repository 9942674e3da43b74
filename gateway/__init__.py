"""gateway: the aiohttp HTTP front door. Parses public requests into an
EditGraph and forwards it to transform_svc over gRPC; never touches pixels."""
