"""thumbor 7.8's URL dialect under ``/thumbor/`` (and at the root when
``IMGMESH_ROOT_DIALECT=thumbor``): the URL grammar (:mod:`.urlgrammar`),
libthumbor's signing (:mod:`.signing`), the filters registered by name
(:mod:`.filters`) and the compiler to the one EditGraph (:mod:`.compile`).
https://thumbor.readthedocs.io/en/latest/usage.html
"""
