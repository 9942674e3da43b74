"""Unit tests: one module of the tree each, no services started."""
