"""Benchmarks of the suite against its own ceiling, measured side by side in one run."""
