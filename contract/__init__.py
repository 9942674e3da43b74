"""The Python side of the ``protos/`` contract: what every service knows about
an EditGraph and its failures without touching pixels. Which steps are AI
steps (:mod:`contract.steps`), the bounds on a graph's size and cost
(:mod:`contract.limits`), and the one table of public error codes with their
HTTP statuses and the gRPC metadata keys that carry them
(:mod:`contract.errors`). Pure protobuf, no libvips: the gateway checks a
graph here before anything renders, and transform_svc checks it again.
"""
