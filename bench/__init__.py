"""``make bench``: throughput and latency, measured side by side in one run on
the same inputs. Prints a table; targets live here, never in timed tests."""
