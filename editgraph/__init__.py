"""What every service knows about an EditGraph without touching pixels: which
steps are AI steps (:mod:`editgraph.steps`) and the bounds on a graph's size
and cost (:mod:`editgraph.limits`). Pure protobuf, no libvips: the gateway
checks a graph here before anything renders, and transform_svc checks it again.
"""
