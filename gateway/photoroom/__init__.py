"""Photoroom-compatible REST API (``/v2/edit``, ``/v1/segment``, ``/v2/account``):
dot-notation parameters parsed into the same EditGraph as the URL API."""
