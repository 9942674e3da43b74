"""ImageKit URL transformation grammar -> EditGraph.

Reference: https://imagekit.io/docs/transformations (and ../shared/seeds/000_*,
001_*). A transformation string is a chain of *steps* separated by ``:``; each
step is a comma-separated list of ``key-value`` parameters applied together::

    tr=w-300,h-300,fo-auto:e-bgremove     (two chained steps)

It is given either as the ``tr`` query parameter or as a leading ``tr:`` path
segment (``/tr:w-300/photos/a.jpg``). Both may appear: the path chain runs
first, then the query chain.
"""

from gateway.imagekit.urlgrammar.builder import Built, ClientHints, build_graph
from gateway.imagekit.urlgrammar.split import split_request

__all__ = ["Built", "ClientHints", "build_graph", "split_request"]
