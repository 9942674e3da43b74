"""Tests against real services on free 127.0.0.1 ports: the session mesh
from tests/conftest.py, or a mesh of their own."""
